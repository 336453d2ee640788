"""Revoking licences and stations: the next numbered list, stored only if newer, recorded.

A revocation list is cumulative: list N+1 holds every entry of list N plus the new ones,
so a player that keeps only the highest-numbered list it has seen loses nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from pressroom.aftercare.parts import AftercareParts
from pressroom.errors import SetupError, UsageError
from pressroom.ledger.models import RevocationRecord
from pressroom.secure.cert import (
    RevocationList,
    install_revocations,
    issue_revocations,
    load_revocations,
    newest,
)
from pressroom.secure.errors import SecureError
from pressroom.secure.keys import KEY_ID_LEN

Target = Literal["licence", "station"]


@dataclass(frozen=True)
class RevocationOutcome:
    """What ``revoke`` did: a new list (``number``), or only a request to the publisher."""

    target_kind: Target
    targets: tuple[str, ...]
    reason: str
    number: int | None  # the list now stored; None: requested from the publisher only

    @property
    def requested_only(self) -> bool:
        return self.number is None

    def sentence(self) -> str:
        what = f"{self.target_kind} {', '.join(t[:12] for t in self.targets)}"
        if self.number is None:
            return (
                f"Revocation of {what} was recorded as a request: only the publisher can sign "
                "revocation lists and this station has no publisher key; import the "
                "publisher's list with 'pressroom revoke import FILE'."
            )
        return (
            f"Revoked {what} in revocation list {self.number}; every disk made from now on "
            "carries it, and a player that has seen such a disk refuses the revoked ones."
        )


def current_list(app: AftercareParts) -> RevocationList:
    """The newest list this station holds (number 0 when it holds none)."""
    ks = app.keystore
    return newest([ks.revocations_bytes()], ks.trusted_publishers())


def _hex_id(text: str, what: str) -> str:
    value = text.strip().lower()
    if len(value) != 2 * KEY_ID_LEN or any(c not in "0123456789abcdef" for c in value):
        raise UsageError(f"{text!r} is not a {what} id (32 hexadecimal digits).")
    return value


def resolve_licence(app: AftercareParts, ref: str) -> str:
    """A full licence id: as given (32 hex digits), or the ledger's disk with that prefix."""
    value = ref.strip().lower()
    if len(value) == 2 * KEY_ID_LEN:
        return _hex_id(value, "licence")
    found = app.ledger.find_disk(value).licence_id
    assert found is not None
    return found


def next_list(
    app: AftercareParts,
    *,
    licences: set[str] = frozenset(),
    stations: set[str] = frozenset(),
    now: int,
) -> tuple[bytes, RevocationList]:
    """Sign list N+1 = the current list plus these entries (needs the publisher key)."""
    ks = app.keystore
    if not ks.has_publisher():
        raise SetupError(
            "Only the publisher can sign revocation lists and this station has no publisher "
            "key; import the publisher's list with 'pressroom revoke import FILE'."
        )
    cur = current_list(app)
    data = issue_revocations(
        ks.publisher_key(),
        number=cur.number + 1,
        issued_at=now,
        stations=set(cur.stations) | {bytes.fromhex(s) for s in stations},
        licences=set(cur.licences) | {bytes.fromhex(x) for x in licences},
    )
    return data, load_revocations(data, ks.trusted_publishers())


def revoke(
    app: AftercareParts,
    target_kind: Target,
    refs: list[str],
    *,
    reason: str = "",
    operator: str = "",
    now: float | None = None,
    allow_request: bool = True,
) -> RevocationOutcome:
    """Revoke licences or stations: sign, store and record list N+1.

    Without the publisher key a licence revocation is recorded as a request (or refused
    when ``allow_request`` is false); a station can be revoked only by the publisher.
    """
    now = time.time() if now is None else now
    if target_kind == "licence":
        targets = tuple(dict.fromkeys(resolve_licence(app, r) for r in refs))
    else:
        targets = tuple(dict.fromkeys(_hex_id(r, "station") for r in refs))
    if not targets:
        raise UsageError(f"Name at least one {target_kind} to revoke.")
    cur = current_list(app)
    listed = cur.licences if target_kind == "licence" else cur.stations
    already = [t for t in targets if bytes.fromhex(t) in listed]
    if already:
        raise UsageError(
            f"The {target_kind} {already[0][:12]} is already revoked (list {cur.number})."
        )
    ks = app.keystore
    station_id = ks.station_id().hex() if ks.has_station() else ""
    if not ks.has_publisher():
        if target_kind == "station":
            raise SetupError(
                "Only the publisher can revoke a station, and this station has no publisher "
                "key; ask the publisher for a new revocation list and import it."
            )
        if not allow_request:
            raise SetupError(
                "Only the publisher can sign revocation lists and this station has no "
                "publisher key."
            )
        number = None
    else:
        key = "licences" if target_kind == "licence" else "stations"
        data, rl = next_list(app, **{key: set(targets)}, now=int(now))
        number = install_revocations(ks, data)
        assert number == rl.number
    app.ledger.record_revocations(
        RevocationRecord(
            target_kind=target_kind,
            target=t,
            reason=reason,
            operator=operator,
            station_id=station_id,
            list_number=number,
            source="requested" if number is None else "local",
            at=now,
        )
        for t in targets
    )
    return RevocationOutcome(target_kind, targets, reason, number)


def import_list(
    app: AftercareParts, data: bytes, *, operator: str = "", now: float | None = None
) -> RevocationList:
    """Store a publisher's list if it verifies and is newer; record what it newly revokes."""
    now = time.time() if now is None else now
    ks = app.keystore
    old = current_list(app)
    try:
        rl = load_revocations(data, ks.trusted_publishers())
    except SecureError as exc:
        raise UsageError(f"That revocation list cannot be used: {exc}") from None
    install_revocations(ks, data)  # refuses a list that is not newer
    station_id = ks.station_id().hex() if ks.has_station() else ""
    fresh = [("licence", x) for x in sorted(rl.licences - old.licences)] + [
        ("station", x) for x in sorted(rl.stations - old.stations)
    ]
    app.ledger.record_revocations(
        RevocationRecord(
            target_kind=kind,  # type: ignore[arg-type]
            target=target.hex(),
            reason=f"publisher list {rl.number}",
            operator=operator,
            station_id=station_id,
            list_number=rl.number,
            source="imported",
            at=now,
        )
        for kind, target in fresh
    )
    return rl


def describe(app: AftercareParts) -> dict:
    """The stored list and, for each entry, who revoked it and why (where recorded)."""
    rl = current_list(app)
    why: dict[str, RevocationRecord] = {}
    for rec in app.ledger.revocations():
        if rec.source != "requested" or rec.target not in why:
            why[rec.target] = rec
    listed = {x.hex() for x in rl.licences} | {x.hex() for x in rl.stations}

    def entry(kind: str, target: str) -> dict:
        rec = why.get(target)
        return {
            "kind": kind,
            "id": target,
            "reason": rec.reason if rec else "",
            "operator": rec.operator if rec else "",
            "source": rec.source if rec else "imported",
        }

    return {
        "number": rl.number,
        "publisher": rl.publisher.hex(),
        "issued_at": rl.issued_at,
        "licences": [entry("licence", x.hex()) for x in sorted(rl.licences)],
        "stations": [entry("station", x.hex()) for x in sorted(rl.stations)],
        "requested": [
            r.to_json() for r in why.values() if r.source == "requested" and r.target not in listed
        ],
    }
