"""Where catalog entries live: a small protocol and its SQL implementation.

The catalog table belongs to the ledger's database (one file, one migration history), so
the store takes an Engine and a table defined by :func:`define_catalog_table`; tests use
an in-memory SQLite engine.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from sqlalchemy import Engine, MetaData, Table, exists, select
from sqlalchemy.exc import IntegrityError

from pressroom.catalog.track import TrackInfo
from pressroom.errors import UsageError
from pressroom.tables import define_catalog_paths_table, define_catalog_table

_HEX = re.compile(r"[0-9a-f]+")


class AmbiguousTrackRef(UsageError):
    """A hash prefix that matches more than one track."""


@runtime_checkable
class CatalogStore(Protocol):
    """The catalog as the rest of the station sees it. Identity is the content hash."""

    def upsert(self, track: TrackInfo) -> bool:
        """Add a track; True if it was new. A known hash changes nothing (idempotent)."""
        ...

    def get(self, content_hash: str) -> TrackInfo | None:
        """The track with this full hash, cover included."""
        ...

    def find(self, prefix_or_hash: str) -> TrackInfo | None:
        """The one track whose hash starts with this; raises AmbiguousTrackRef if several."""
        ...

    def all(self) -> list[TrackInfo]:
        """Every track, without cover bytes (``cover_mime`` still says if one exists)."""
        ...

    def cover(self, content_hash: str) -> bytes | None: ...


class SqlCatalogStore:
    """:class:`CatalogStore` over SQLAlchemy Core (SQLite or PostgreSQL).

    A track is its content hash; where the file is depends on the station. With
    ``station`` (a function giving this station's id, "" when it has none yet), importing
    records this station's own path for the track (new or already known), and reading a
    track gives this station's path when it has recorded one."""

    def __init__(
        self,
        engine: Engine,
        table: Table | None = None,
        *,
        station: Callable[[], str] | None = None,
    ) -> None:
        self.engine = engine
        self.table = table if table is not None else define_catalog_table(MetaData())
        self.paths = define_catalog_paths_table(self.table.metadata)
        self._station = station or (lambda: "")

    def ensure_table(self) -> None:
        """Create the tables if missing: for stores used without the ledger's migrations."""
        self.table.create(self.engine, checkfirst=True)
        self.paths.create(self.engine, checkfirst=True)

    def _record_path(self, track: TrackInfo) -> None:
        """This station keeps ``track`` at ``track.path`` (its bytes hashed to the track)."""
        station = self._station()
        if not station:
            return
        p = self.paths
        key = (p.c.content_hash == track.content_hash) & (p.c.station_id == station)
        with self.engine.begin() as conn:
            conn.execute(p.delete().where(key))
            conn.execute(
                p.insert().values(
                    content_hash=track.content_hash,
                    station_id=station,
                    path=str(track.path),
                    verified_at=time.time(),
                )
            )

    def _own_paths(self, hashes: list[str] | None = None) -> dict[str, str]:
        station = self._station()
        if not station:
            return {}
        p = self.paths
        query = select(p.c.content_hash, p.c.path).where(p.c.station_id == station)
        if hashes is not None:
            query = query.where(p.c.content_hash.in_(hashes))
        with self.engine.connect() as conn:
            return {h: path for h, path in conn.execute(query)}

    def _here(self, track: TrackInfo, own: dict[str, str]) -> TrackInfo:
        path = own.get(track.content_hash)
        return track if path is None else replace(track, path=Path(path))

    def upsert(self, track: TrackInfo) -> bool:
        row = {
            "content_hash": track.content_hash,
            "path": str(track.path),
            "size": track.size,
            "kind": track.kind,
            "format": track.format,
            "codec": track.codec or "",
            "title": track.title,
            "artist": track.artist or "",
            "album": track.album or "",
            "track_number": track.track_number,
            "duration": track.duration,
            "bitrate": track.bitrate,
            "sample_rate": track.sample_rate,
            "channels": track.channels,
            "cover": track.cover,
            "cover_mime": track.cover_mime,
            "imported_at": (track.imported_at or datetime.now(UTC)).timestamp(),
        }
        # Insert first and let the primary key say "known": a read-then-write transaction
        # could not take SQLite's write lock while another station holds it.
        try:
            with self.engine.begin() as conn:
                conn.execute(self.table.insert().values(**row))
        except IntegrityError:
            if self._exists(track.content_hash):
                self._record_path(track)
                return False
            raise
        self._record_path(track)
        return True

    def _exists(self, content_hash: str) -> bool:
        t = self.table
        with self.engine.connect() as conn:
            return bool(
                conn.execute(select(exists().where(t.c.content_hash == content_hash))).scalar()
            )

    def get(self, content_hash: str) -> TrackInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(self.table).where(self.table.c.content_hash == content_hash.lower())
            ).first()
        if not row:
            return None
        track = _track(row._mapping)
        return self._here(track, self._own_paths([track.content_hash]))

    def find(self, prefix_or_hash: str) -> TrackInfo | None:
        prefix = prefix_or_hash.strip().lower()
        if not _HEX.fullmatch(prefix):
            return None
        column = self.table.c.content_hash
        with self.engine.connect() as conn:
            hashes = (
                conn.execute(
                    select(column).where(column.startswith(prefix, autoescape=True)).limit(2)
                )
                .scalars()
                .all()
            )
        if len(hashes) > 1:
            raise AmbiguousTrackRef(
                f"The hash prefix {prefix} matches more than one track; give more characters."
            )
        return self.get(hashes[0]) if hashes else None

    def all(self) -> list[TrackInfo]:
        t = self.table
        columns = [c for c in t.c if c.name != "cover"]
        query = select(*columns).order_by(t.c.album, t.c.track_number, t.c.title, t.c.content_hash)
        with self.engine.connect() as conn:
            tracks = [_track(row._mapping) for row in conn.execute(query)]
        own = self._own_paths()
        return [self._here(t, own) for t in tracks]

    def cover(self, content_hash: str) -> bytes | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(self.table.c.cover).where(self.table.c.content_hash == content_hash)
            ).scalar()


def _track(row) -> TrackInfo:
    imported_at = row["imported_at"]
    return TrackInfo(
        content_hash=row["content_hash"],
        path=Path(row["path"]),
        size=row["size"],
        kind=row["kind"],
        format=row["format"],
        codec=row["codec"] or None,
        title=row["title"],
        artist=row["artist"] or None,
        album=row["album"] or None,
        track_number=row["track_number"],
        duration=row["duration"],
        bitrate=row["bitrate"],
        sample_rate=row["sample_rate"],
        channels=row["channels"],
        cover=row.get("cover"),
        cover_mime=row["cover_mime"],
        imported_at=datetime.fromtimestamp(imported_at, UTC) if imported_at else None,
    )
