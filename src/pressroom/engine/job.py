"""What to make: tracks with their rights, how many disks, from which grant."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pressroom.secure.canonical import Cbor
from pressroom.secure.rights import Rights

if TYPE_CHECKING:
    from pressroom.catalog.track import TrackInfo
    from pressroom.watermark.variants import Variants


@dataclass(frozen=True)
class JobTrack:
    content_hash: str  # hex SHA-256 of the source file: the grant names tracks by it
    path: Path
    size: int
    title: str
    rights: Rights = field(default_factory=Rights)
    artist: str = ""
    album: str = ""
    number: int | None = None
    duration: float | None = None
    format: str = ""
    # the prepared A/B variants when this track's copies are watermarked (rights.marked)
    mark: Variants | None = field(default=None, compare=False, repr=False)

    @property
    def track_id(self) -> bytes:
        return bytes.fromhex(self.content_hash)

    @property
    def delivered_size(self) -> int:
        """The most bytes a copy of this track can take on a disk (a marked copy is FLAC)."""
        return self.mark.max_size if self.mark is not None else self.size

    @classmethod
    def from_info(cls, info: TrackInfo, rights: Rights) -> JobTrack:
        return cls(
            content_hash=info.content_hash,
            path=Path(info.path),
            size=info.size,
            title=info.title or Path(info.path).stem,
            rights=rights,
            artist=info.artist or "",
            album=info.album or "",
            number=info.track_number,
            duration=info.duration,
            format=info.format or "",
        )


@dataclass(frozen=True)
class Job:
    grant_id: str
    tracks: tuple[JobTrack, ...]
    copies: int
    drives: tuple[str, ...] | None = None  # only these drive ids; None: any attached disk
    exclude: tuple[str, ...] = ()  # never these drive ids (a reissue's old disk, if attached)
    insert_and_go: bool = True  # disks that arrive during the run start at once
    eject_when_done: bool = False
    operator: str = ""
    kind: Literal["sale", "replacement"] = "sale"
    replaces: bytes | None = None
    # A revocation list to carry instead of the station's stored one (a reissue carries the
    # list revoking the licence it replaces; the station stores it only once the disk passed).
    revocations: bytes | None = None
    # the station's watermark key, set with the tracks' variants when any track is marked
    mark_key: bytes | None = field(default=None, repr=False)

    @property
    def marked(self) -> bool:
        return any(t.rights.marked for t in self.tracks)

    @property
    def payload_bytes(self) -> int:
        return sum(t.size for t in self.tracks)

    def rights_summary(self) -> dict[str, dict[str, Cbor]]:
        """Per-track rights, machine-readable (``Rights.to_cbor``), keyed by content hash:
        the ledger keeps them so a lost disk can be reissued with the same rights."""
        return {t.content_hash: t.rights.to_cbor() for t in self.tracks}
