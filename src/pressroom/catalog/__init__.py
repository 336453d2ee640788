"""The catalog: tracks read with mutagen (tags, duration, cover), named by content hash.

Public surface: :class:`TrackInfo`, :func:`read_track`, :func:`import_paths`,
:class:`CatalogStore` / :class:`SqlCatalogStore`, :func:`define_catalog_table`,
:func:`resolve_track` and :func:`demo_dir`.
"""

from __future__ import annotations

from pressroom.catalog.demo import demo_dir
from pressroom.catalog.importer import ImportReport, Skipped, import_paths, read_track
from pressroom.catalog.resolve import resolve_track
from pressroom.catalog.store import AmbiguousTrackRef, CatalogStore, SqlCatalogStore
from pressroom.catalog.track import TrackInfo, TrackReadError, hash_file
from pressroom.tables import define_catalog_table

__all__ = [
    "AmbiguousTrackRef",
    "CatalogStore",
    "ImportReport",
    "Skipped",
    "SqlCatalogStore",
    "TrackInfo",
    "TrackReadError",
    "define_catalog_table",
    "demo_dir",
    "hash_file",
    "import_paths",
    "read_track",
    "resolve_track",
]
