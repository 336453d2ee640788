"""SqlCatalogStore and resolve_track over an in-memory SQLite engine."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy

from pressroom.catalog import (
    AmbiguousTrackRef,
    CatalogStore,
    SqlCatalogStore,
    define_catalog_table,
    read_track,
    resolve_track,
)
from pressroom.errors import UsageError

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo"


@pytest.fixture
def store() -> SqlCatalogStore:
    engine = sqlalchemy.create_engine("sqlite://")
    metadata = sqlalchemy.MetaData()
    table = define_catalog_table(metadata)
    assert define_catalog_table(metadata) is table  # the ledger may call it again
    metadata.create_all(engine)
    return SqlCatalogStore(engine, table)


def test_round_trip_keeps_every_field(store):
    track = read_track(DEMO / "03-licence-last.wma")
    assert isinstance(store, CatalogStore)
    assert store.upsert(track) is True
    assert store.upsert(track) is False
    got = store.get(track.content_hash)
    assert got is not None and got.imported_at is not None
    assert replace(got, imported_at=None) == track
    assert store.cover(track.content_hash) == track.cover
    (listed,) = store.all()
    assert listed.cover is None and listed.has_cover and listed.cover_mime == "image/jpeg"
    assert store.get("0" * 64) is None and store.cover("0" * 64) is None


def test_missing_tags_round_trip_as_none(store):
    track = replace(
        read_track(DEMO / "02-quota.wav"), artist=None, album=None, codec=None, cover=None,
        cover_mime=None,
    )  # fmt: skip
    store.upsert(track)
    got = store.get(track.content_hash)
    assert (got.artist, got.album, got.codec, got.cover, got.has_cover) == (
        None, None, None, None, False,
    )  # fmt: skip


def test_find_by_prefix_and_ambiguity(store):
    base = read_track(DEMO / "04-read-back.opus")
    a = replace(base, content_hash="abcdef01" + "1" * 56)
    b = replace(base, content_hash="abcdef01" + "2" * 56)
    store.upsert(a)
    store.upsert(b)
    assert store.find("abcdef011").content_hash == a.content_hash
    assert store.find("ABCDEF012") == store.get(b.content_hash)
    assert store.find("ffffffff") is None
    assert store.find("abcd%") is None
    with pytest.raises(AmbiguousTrackRef, match="more than one track"):
        store.find("abcdef01")


def test_resolve_track_by_prefix_path_and_errors(store, tmp_path):
    track = read_track(DEMO / "01-first-light.mp3")
    store.upsert(track)
    assert resolve_track(store, track.content_hash[:8]).content_hash == track.content_hash
    assert resolve_track(store, str(DEMO / "01-first-light.mp3")).title == "First Light"
    renamed = tmp_path / "renamed.mp3"
    shutil.copyfile(DEMO / "01-first-light.mp3", renamed)
    assert resolve_track(store, str(renamed)).content_hash == track.content_hash
    with pytest.raises(UsageError, match="too short"):
        resolve_track(store, track.content_hash[:7])
    with pytest.raises(UsageError, match="No track in the catalog has a hash starting with"):
        resolve_track(store, "0123456789")
    with pytest.raises(UsageError, match="is not in the catalog"):
        resolve_track(store, str(DEMO / "02-quota.wav"))
    with pytest.raises(UsageError, match="neither a file nor a hash prefix"):
        resolve_track(store, "no-such-song")


def test_resolve_track_by_the_path_of_a_file_since_removed(store, tmp_path):
    gone = tmp_path / "gone.ogg"
    shutil.copyfile(DEMO / "03-bound-to-the-disk.ogg", gone)
    store.upsert(read_track(gone))
    gone.unlink()
    assert resolve_track(store, str(gone)).title == "Bound to the Disk"


def test_resolve_track_reports_ambiguous_prefixes(store):
    base = read_track(DEMO / "04-read-back.opus")
    for tail in "12":
        store.upsert(replace(base, content_hash="deadbeef" + tail * 56))
    with pytest.raises(UsageError, match="give more characters"):
        resolve_track(store, "deadbeef")


def test_ensure_table_makes_a_standalone_store_usable(tmp_path):
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    store = SqlCatalogStore(engine)
    store.ensure_table()
    store.ensure_table()  # idempotent
    assert store.upsert(read_track(DEMO / "02-quota.wav")) is True
    assert [t.title for t in SqlCatalogStore(engine).all()] == ["Quota"]
