"""What the catalog knows about one file, and the hash that names it.

The content hash (SHA-256 of the file's bytes) is the track's identity everywhere:
grants list tracks by it, the ledger keys its catalog by it, and re-importing the same
bytes from another folder is recognised as the same track.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

BLOCK_SIZE = 1 << 20  # hash in 1 MiB blocks: bounded memory whatever the file size

Kind = Literal["audio", "other"]


def hash_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK_SIZE):
            digest.update(block)
    return digest.hexdigest()


class TrackReadError(Exception):
    """A file that cannot enter the catalog, with the reason in a plain sentence."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


@dataclass(frozen=True)
class TrackInfo:
    """One catalog entry: identity, file facts, tags and the embedded front cover."""

    content_hash: str
    path: Path
    size: int
    kind: Kind
    format: str
    codec: str | None = None
    title: str = ""
    artist: str | None = None
    album: str | None = None
    track_number: int | None = None
    duration: float | None = None  # seconds
    bitrate: int | None = None  # bits per second
    sample_rate: int | None = None
    channels: int | None = None
    cover: bytes | None = field(default=None, repr=False)
    cover_mime: str | None = None
    imported_at: datetime | None = None  # set by the store

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    @property
    def has_cover(self) -> bool:
        """True when the file embeds a cover, even if this object was loaded without it."""
        return self.cover_mime is not None

    def without_cover(self) -> TrackInfo:
        return replace(self, cover=None)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; the cover bytes stay out (ask the store for them)."""
        data = asdict(self.without_cover())
        del data["cover"]
        data["path"] = str(self.path)
        data["has_cover"] = self.has_cover
        data["imported_at"] = self.imported_at.isoformat() if self.imported_at else None
        return data
