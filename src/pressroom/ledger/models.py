"""What the ledger hands out: plain frozen dataclasses, no database handles inside."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pressroom.secure.grant import Grant

ReservationKind = Literal["sale", "replacement"]
ReservationState = Literal["reserved", "committed", "released", "burned"]
RUN_STATUSES = (
    "running",
    "finished",
    "incomplete",
    "cancelled",
    "exhausted",
    "aborted",
    "failed",
    "crashed",
)


@dataclass(frozen=True)
class GrantStatus:
    """A grant and how much of its quota is in use (reserved + committed)."""

    grant: Grant
    copies_used: int
    replacements_used: int
    copies_committed: int
    replacements_committed: int
    imported_at: float

    @property
    def grant_id(self) -> str:
        return self.grant.id_hex

    @property
    def copies_remaining(self) -> int:
        return self.grant.copies - self.copies_used

    @property
    def replacements_remaining(self) -> int:
        return self.grant.replacements - self.replacements_used

    def to_json(self) -> dict[str, Any]:
        g = self.grant
        return {
            "grant_id": g.id_hex,
            "title": g.title,
            "publisher": g.publisher.hex(),
            "station": g.station.hex() if g.station else None,
            "tracks": [t.hex() for t in g.tracks],
            "copies": g.copies,
            "copies_used": self.copies_used,
            "copies_committed": self.copies_committed,
            "copies_remaining": self.copies_remaining,
            "replacements": g.replacements,
            "replacements_used": self.replacements_used,
            "replacements_committed": self.replacements_committed,
            "replacements_remaining": self.replacements_remaining,
            "limits": g.limits.to_cbor(),
            "not_before": g.not_before,
            "not_after": g.not_after,
            "issued_at": g.issued_at,
            "imported_at": self.imported_at,
        }


@dataclass(frozen=True)
class Reservation:
    """One copy taken from a grant's quota for one disk.

    ``copy_index`` numbers the copies of a grant per kind within 1..copies: the smallest
    index not held by a reserved, committed or burned reservation. A released index (its
    disk provably holds no licence) is handed out again; a burned one never is.
    """

    id: int
    grant_id: str
    run_id: str | None
    station_id: str
    drive_id: str
    kind: ReservationKind
    copy_index: int
    state: ReservationState
    created_at: float
    updated_at: float
    reason: str | None = None
    stage: str = "before-licence"  # "licence": its licence may have been written
    lease_until: float | None = None  # renewed by the holding run while it is alive
    settled_by: str | None = None  # the station that settled it after a crash or expiry


@dataclass(frozen=True)
class DiskRecord:
    """One disk made or failed. Hashes and ids are lowercase hex."""

    result: Literal["pass", "fail"]
    started_at: float
    finished_at: float
    licence_id: str | None = None
    run_id: str | None = None
    slot: str = ""
    drive_id: str = ""
    identity_hash: str | None = None
    serial_hash: str | None = None
    serial_masked: str = ""
    vendor: str = ""
    product: str = ""
    capacity: int | None = None
    tracks: tuple[str, ...] = ()
    bytes: int = 0
    reason: str = ""
    reason_code: str = ""  # a failure's stable code: its words come from station.words
    write_seconds: float | None = None
    verify_seconds: float | None = None
    mb_per_s: float | None = None
    operator: str = ""
    station_id: str = ""
    # filled in by the ledger
    id: int | None = None
    reservation_id: int | None = None
    grant_id: str | None = None
    copy_index: int | None = None

    @property
    def seconds(self) -> float:
        return max(0.0, self.finished_at - self.started_at)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["tracks"] = list(self.tracks)
        return out


@dataclass(frozen=True)
class TrackTitle:
    """What a shop calls one track of a run: its title, album and artist (not secret)."""

    title: str
    album: str = ""
    artist: str = ""

    def to_json(self) -> dict[str, str]:
        return {"title": self.title, "album": self.album, "artist": self.artist}

    @classmethod
    def from_json(cls, raw: Any) -> TrackTitle:
        """One entry as stored; anything unexpected becomes an empty title, never an error."""
        if not isinstance(raw, dict):
            return cls("")
        return cls(
            **{k: str(raw.get(k) or "") for k in ("title", "album", "artist")},
        )


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    started_at: float
    finished_at: float | None
    operator: str
    station_id: str
    grant_id: str
    tracks: tuple[str, ...]
    copies_wanted: int
    rights: Any
    status: str
    # one per track, in the order of ``tracks``; empty for runs recorded before titles were
    titles: tuple[TrackTitle, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["tracks"] = list(self.tracks)
        out["titles"] = [t.to_json() for t in self.titles]
        return out


@dataclass(frozen=True)
class DiskSighting:
    """A disk seen before whose identity or serial matches the one asked about."""

    identity_hash: str | None
    serial_hash: str | None
    same_identity: bool  # False: the serial matched but vendor/product/capacity did not
    station_id: str
    run_id: str | None
    licence_id: str | None
    vendor: str
    product: str
    result: str
    finished_at: float


@dataclass(frozen=True)
class Sightings:
    matches: tuple[DiskSighting, ...] = field(default_factory=tuple)

    @property
    def known(self) -> bool:
        return bool(self.matches)

    @property
    def serial_clash(self) -> bool:
        """The same serial was bound to a disk with another vendor, product or capacity.

        A sighting without an identity hash is no evidence of other hardware and never
        counts (``Ledger.known_identity`` does not return such rows either)."""
        return any(not m.same_identity and m.identity_hash for m in self.matches)


@dataclass(frozen=True)
class RevocationRecord:
    """One licence or station revoked, as this station learned of it.

    ``source``: ``local`` (this station issued the list), ``imported`` (from the
    publisher's list), ``requested`` (asked of the publisher; not in any list here yet).
    """

    target_kind: Literal["licence", "station"]
    target: str
    reason: str
    operator: str
    station_id: str
    list_number: int | None
    source: Literal["local", "imported", "requested"]
    at: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReplacementRecord:
    """``new_licence`` was made to replace the lost or failed disk ``old_licence``."""

    old_licence: str
    new_licence: str
    run_id: str | None
    operator: str
    plays_carried: bool
    at: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
