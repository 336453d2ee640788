"""The shop's shelf: catalog tracks grouped into albums, each sellable or not.

Qt-free so the grouping and the "unavailable" rule are tested without a window. An
album is sellable only when one single grant with copies left covers every one of its
tracks, because a disk is written under exactly one grant.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Album:
    title: str
    artist: str
    tracks: tuple  # TrackInfo, in track order
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


def group_albums(tracks) -> list[Album]:
    """Tracks grouped by album name (tracks without one stand under "Singles")."""
    groups: dict[str, list] = {}
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


def sellable(album: Album, grants, now: int | None = None) -> bool:
    """True when a valid grant with copies left covers all of the album's tracks."""
    now = int(time.time()) if now is None else now
    ids = [bytes.fromhex(h) for h in album.track_hashes]
    for status in grants:
        g = status.grant
        if status.copies_remaining <= 0 or not (g.not_before <= now <= g.not_after):
            continue
        if all(g.covers_track(i) for i in ids):
            return True
    return False
