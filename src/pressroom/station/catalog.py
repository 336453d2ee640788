"""The catalog: importing tracks, listing them, and the shop's albums with what is sellable.

The album grouping and the "sellable" rule lived in the kiosk's widgets package; they are
Qt-free and used by more than one face, so they live here, and "sellable" is the grant
rule of :class:`~pressroom.station.grants.GrantService` (a grant for another station
never makes an album sellable).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pressroom.catalog import ImportReport, TrackInfo, import_paths, resolve_track
from pressroom.catalog.importer import ProgressCallback
from pressroom.ledger import GrantStatus
from pressroom.station.grants import GrantService, usability
from pressroom.station.parts import Parts


@dataclass(frozen=True)
class Album:
    title: str
    artist: str
    tracks: tuple[TrackInfo, ...]  # in track order
    cover_hash: str | None  # a track whose embedded cover stands for the album

    @property
    def track_hashes(self) -> list[str]:
        return [t.content_hash for t in self.tracks]

    @property
    def size(self) -> int:
        return sum(t.size for t in self.tracks)

    @property
    def duration(self) -> float:
        return sum(t.duration or 0.0 for t in self.tracks)


def group_albums(tracks: Iterable[TrackInfo]) -> list[Album]:
    """Tracks grouped by album name (tracks without one stand under "Singles")."""
    groups: dict[str, list[TrackInfo]] = {}
    for t in tracks:
        groups.setdefault((t.album or "").strip() or "Singles", []).append(t)
    albums = []
    for title, items in groups.items():
        items.sort(key=lambda t: (t.track_number or 10**6, t.title or "", t.content_hash))
        artists = {t.artist for t in items if t.artist}
        artist = artists.pop() if len(artists) == 1 else ("Various artists" if artists else "")
        cover = next((t.content_hash for t in items if t.cover_mime), None)
        albums.append(Album(title, artist, tuple(items), cover))
    return sorted(albums, key=lambda a: a.title.casefold())


def sellable(
    album: Album, grants: Iterable[GrantStatus], *, now: float, station: bytes | None
) -> bool:
    """True when one usable grant covers all of the album's tracks: a disk is written
    under exactly one grant, so two grants covering half each do not make it sellable."""
    ids = [bytes.fromhex(h) for h in album.track_hashes]
    return any(usability(s, tracks=ids, now=now, station=station).ok for s in grants)


class CatalogService:
    def __init__(self, parts: Parts, grants: GrantService) -> None:
        self._parts = parts
        self._grants = grants

    def import_paths(
        self,
        paths: Iterable[str | os.PathLike[str]],
        *,
        other: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> ImportReport:
        """Read files into the catalog; the station's own data folder is never imported."""
        return import_paths(
            paths,
            self._parts.catalog,
            other=other,
            exclude=[self._parts.config.data_dir],
            on_progress=on_progress,
        )

    def tracks(self) -> list[TrackInfo]:
        return self._parts.catalog.all()

    def track(self, ref: str) -> TrackInfo:
        """A track by hash, prefix or file path (one sentence when it is not one)."""
        return resolve_track(self._parts.catalog, ref)

    def cover(self, content_hash: str) -> bytes | None:
        return self._parts.catalog.cover(content_hash)

    def albums(self) -> list[Album]:
        return group_albums(self.tracks())

    def sellable(
        self,
        album: Album,
        now: float | None = None,
        *,
        grants: Sequence[GrantStatus] | None = None,
        station: bytes | None = None,
    ) -> bool:
        """True when one usable grant covers all of the album's tracks: a disk is
        written under exactly one grant. ``grants``/``station``: already loaded, or read."""
        now = time.time() if now is None else now
        pool = self._grants.statuses() if grants is None else grants
        own = self._grants.station_id() if grants is None else station
        return sellable(album, pool, now=now, station=own)

    def copies_left(
        self,
        tracks: Sequence[TrackInfo],
        grants: Sequence[GrantStatus],
        *,
        station: bytes | None,
        now: float | None = None,
    ) -> dict[str, int | None]:
        """Per track, the most copies one valid grant covering it allows (None: no grant)."""
        now = time.time() if now is None else now
        left: dict[str, int | None] = {}
        for t in tracks:
            tid = [bytes.fromhex(t.content_hash)]
            best: int | None = None
            for s in grants:
                u = usability(s, tracks=tid, now=now, station=station)
                if u.code in ("ok", "no-copies"):
                    best = max(best or 0, s.copies_remaining)
            left[t.content_hash] = best
        return left
