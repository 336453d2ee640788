"""Is there a grant this station can use now, by the one rule a run applies?"""

from __future__ import annotations

from pressroom.ledger.models import GrantStatus
from pressroom.station.doctor.check import EXPIRY_WARN_SECONDS, Check, day
from pressroom.station.doctor.context import Examination
from pressroom.station.doctor.ledger import ledger_missing

NO_GRANT_ACTION = (
    "Import the grant file from your publisher: 'pressroom grant import FILE' "
    "('pressroom demo' makes a demo grant on a trial station)."
)


def check_grants(d: Examination) -> Check:
    if ledger_missing(d) is not None:
        return Check("grant", "fail", "No rights grant is imported yet.", NO_GRANT_ACTION)
    try:
        statuses = d.parts.ledger.grants()
    except Exception:
        return Check("grant", "fail", "Grants cannot be read because the ledger did not open.")
    if not statuses:
        return Check("grant", "fail", "No rights grant is imported yet.", NO_GRANT_ACTION)
    station = d.grants.station_id()
    usable: list[GrantStatus] = []
    reasons: list[str] = []
    for s in statuses:
        g = s.grant
        u = d.grants.usability(s, now=d.now, station=station)  # the one rule a run applies
        if u.ok:
            usable.append(s)
        elif u.code == "expired":
            reasons.append(f"{g.title!r} expired {day(g.not_after)}")
        elif u.code == "not-yet-valid":
            reasons.append(f"{g.title!r} starts {day(g.not_before)}")
        else:
            reasons.append(f"{g.title!r} {u.reason}")
    if not usable:
        return Check(
            "grant",
            "fail",
            f"No grant can be used: {'; '.join(reasons)}.",
            "Ask your publisher for a new or larger grant and import it "
            "('pressroom grant import FILE').",
        )
    left = sum(s.copies_remaining for s in usable)
    soonest = min(usable, key=lambda s: s.grant.not_after)
    text = (
        f"{len(usable)} usable grant{'s' if len(usable) > 1 else ''} with {left} "
        f"cop{'ies' if left != 1 else 'y'} left; the first ends {day(soonest.grant.not_after)}."
    )
    if soonest.grant.not_after - d.now < EXPIRY_WARN_SECONDS:
        return Check("grant", "warn", text, "Ask your publisher for a renewal before then.")
    return Check("grant", "ok", text)
