"""Rights grants: THE rule that says whether a grant can be used, and its import and creation.

Before this service the rule was written seven times (the run's pick, the window's Start
button, the setup wizard, the catalog's "copies left", the kiosk shelf, the demo, the
doctor) and only the doctor checked the grant's station, so a grant issued to another
station was imported, picked, and failed only at the end of the first disk. Every caller
now asks :meth:`GrantService.usability`, and a grant for another station never reaches
the ledger: :meth:`GrantService.import_file` refuses it with one sentence.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pressroom.engine.job import JobTrack
from pressroom.errors import SetupError, UsageError
from pressroom.ledger import GrantStatus as GrantStatus  # what callers of this rule see
from pressroom.secure.errors import FormatError
from pressroom.secure.grant import Grant, create_grant, load_grant
from pressroom.secure.rights import RightsLimits
from pressroom.station.parts import Parts

CLOCK_SKEW = 300  # seconds a new grant starts early, so a station whose clock lags can use it
NO_PUBLISHER = (
    "This station has no publisher key; grants come from the rights holder, "
    "or run 'pressroom keys init --demo'."
)
NO_GRANT = (
    "No rights grant is installed; import one with 'pressroom grant import FILE' "
    "(or create a demo grant with 'pressroom grant create')."
)


@dataclass(frozen=True)
class Usability:
    """Whether a grant can be used now, and if not why, in words that follow its name.

    ``code``: ok | other-station | not-covered | expired | not-yet-valid | no-copies.
    The window distinguishes "covered but used up" from "not covered", so it is exposed.
    """

    ok: bool
    reason: str
    code: str


def usability(
    status: GrantStatus,
    *,
    tracks: Sequence[bytes] = (),
    titles: Sequence[str] = (),
    now: float,
    station: bytes | None,
) -> Usability:
    """THE rule: whether ``status``'s grant can make a copy of ``tracks`` now.

    ``titles`` name the tracks in the reason; ``station``: this station's id
    (:meth:`GrantService.station_id`), passed in so the rule itself does no I/O and the
    window can ask it on its GUI thread."""
    g = status.grant
    if g.station is not None and station is not None and g.station != station:
        return Usability(False, "was issued to another station", "other-station")
    names = list(titles) or [t.hex()[:12] for t in tracks]
    missing = [n for t, n in zip(tracks, names, strict=False) if not g.covers_track(t)]
    if missing:
        return Usability(False, f"does not cover {', '.join(missing[:3])}", "not-covered")
    if now > g.not_after:
        return Usability(False, "has expired", "expired")
    if now < g.not_before:
        return Usability(False, "is not valid yet", "not-yet-valid")
    if status.copies_remaining <= 0:
        return Usability(False, "has no copies left", "no-copies")
    return Usability(True, "", "ok")


class GrantService:
    def __init__(self, parts: Parts) -> None:
        self._parts = parts

    # --- the rule ------------------------------------------------------------------------

    def station_id(self) -> bytes | None:
        """This station's key id, or None when it has no keys yet."""
        ks = self._parts.keystore
        return ks.station_id() if ks.has_station() else None

    @staticmethod
    def usability(
        status: GrantStatus,
        *,
        tracks: Sequence[bytes] = (),
        titles: Sequence[str] = (),
        now: float,
        station: bytes | None,
    ) -> Usability:
        """The one rule (:func:`usability`)."""
        return usability(status, tracks=tracks, titles=titles, now=now, station=station)

    def status(self, grant_id: str) -> GrantStatus:
        """One grant (by id or its first characters) with its quota in use."""
        return self._parts.ledger.get_grant(grant_id)

    def statuses(self) -> list[GrantStatus]:
        """Every grant in the ledger with its quota in use."""
        return self._parts.ledger.grants()

    def usable(
        self,
        now: float,
        *,
        tracks: Sequence[bytes] = (),
        grants: Sequence[GrantStatus] | None = None,
    ) -> list[GrantStatus]:
        """The grants that can make a copy of ``tracks`` now."""
        pool = self.statuses() if grants is None else grants
        own = self.station_id()
        return [s for s in pool if self.usability(s, tracks=tracks, now=now, station=own).ok]

    def pick(self, tracks: Sequence[JobTrack], grant_id: str | None, now: float) -> GrantStatus:
        """The grant a job runs under: the named one, or the usable one with most copies."""
        ledger = self._parts.ledger
        candidates = [ledger.get_grant(grant_id)] if grant_id else ledger.grants()
        if not candidates:
            raise SetupError(NO_GRANT)
        ids = [bytes.fromhex(t.content_hash) for t in tracks]
        titles = [t.title for t in tracks]
        own = self.station_id()
        usable, reasons = [], []
        for status in candidates:
            u = self.usability(status, tracks=ids, titles=titles, now=now, station=own)
            if u.ok:
                usable.append(status)
            else:
                reasons.append(f"grant {status.grant.id_hex[:8]} {u.reason}")
        if not usable:
            raise SetupError(f"No grant allows this job: {'; '.join(reasons)}.")
        return max(usable, key=lambda s: s.copies_remaining)

    # --- import and create ---------------------------------------------------------------

    def import_file(self, path: str | Path) -> Grant:
        """Verify a grant file and record it; a grant for another station is refused."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"Cannot read {path}: {exc.strerror}.") from None
        try:
            return self.record(raw, name=path.name)
        except FormatError as exc:
            raise UsageError(f"{path.name} is not a Pressroom grant file ({exc}).") from None

    def record(self, raw: bytes, *, name: str = "That grant") -> Grant:
        """Verify a signed grant and record it, unless it is for another station."""
        ks = self._parts.keystore
        trusted = ks.trusted_publishers()
        grant = load_grant(raw, dict(trusted))
        own = self.station_id()
        if grant.station is not None and own is not None and grant.station != own:
            raise UsageError(
                f"{name} was issued to station {grant.station.hex()[:16]}, not to this one "
                f"({own.hex()[:16]}); it was not recorded and cannot be used here."
            )
        return self._parts.ledger.import_grant(raw, trusted, time.time())

    def for_another_station(self, station: bytes | None) -> bool:
        """A grant naming ``station`` is for another station than this one."""
        own = self.station_id()
        return station is not None and own is not None and station != own

    def require_publisher(self) -> None:
        """Refuse (one sentence) on a station without the demo publisher's key."""
        if not self._parts.keystore.has_publisher():
            raise SetupError(NO_PUBLISHER)

    def create(
        self,
        tracks: Sequence[bytes],
        *,
        copies: int,
        title: str,
        replacements: int = 0,
        limits: RightsLimits,
        station: bytes | None,
        valid_days: int = 365,
        now: int | None = None,
    ) -> Grant:
        """Sign a grant with this station's demo publisher key (not recorded: see
        :meth:`record`, or write ``grant.raw`` to a file for another station)."""
        self.require_publisher()
        ks = self._parts.keystore
        now = int(time.time()) if now is None else now
        return create_grant(
            ks.publisher_key(),
            title=title,
            tracks=list(tracks),
            copies=copies,
            replacements=replacements,
            limits=limits,
            station=station,
            not_before=now - CLOCK_SKEW,
            not_after=now + valid_days * 86_400,
            issued_at=now,
        )
