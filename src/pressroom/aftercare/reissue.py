"""Replacing a lost or failed disk: same tracks and rights, counted as a replacement.

A reissue is a one-copy run of kind ``replacement`` under the old disk's grant (its
replacement quota, not its sales), with the rights the ledger recorded for the old run.
When the old disk is attached and its play state authenticates, the plays already used
are subtracted; when it is lost, the original rights are given and the outcome says so.
The new disk carries the revocation list that revokes the old licence; the station keeps
that list, and links old -> new in the ledger, only once the new disk has verified.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from pressroom.aftercare.parts import AftercareParts
from pressroom.aftercare.revoke import current_list, next_list, revoke
from pressroom.drives.base import Drive
from pressroom.engine.events import DiskState
from pressroom.engine.job import Job, JobTrack
from pressroom.errors import PressroomError, SetupError, UsageError, VerificationFailed
from pressroom.ledger.models import DiskRecord, ReplacementRecord, RevocationRecord
from pressroom.player.keys import derive_binding_key, play_state_key
from pressroom.player.memory import PlayerMemory
from pressroom.player.state import DiskStateFile, open_state
from pressroom.secure.cert import install_revocations
from pressroom.secure.errors import IdentityRefused, SecureError
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.licence import parse_licence
from pressroom.secure.rights import Rights
from pressroom.secure.verifier import DirectoryMedium, Trust, read_licence

PLAYER_MEMORY_DIR = "player"  # under the data dir; the same folder `pressroom play` uses


@dataclass(frozen=True)
class ReissuePlan:
    old: DiskRecord
    job: Job
    carried: bool  # remaining plays were taken from the old disk's play state
    note: str  # one sentence: what was carried over, or why the original rights were given
    old_drive: str | None  # the old disk's drive id, when it is attached (never written)
    revocations: bytes | None  # the list revoking the old licence, carried by the new disk
    replacements_left: int


@dataclass(frozen=True)
class ReissueOutcome:
    ok: bool
    old_licence: str
    new_licence: str | None
    run_id: str | None
    carried: bool
    note: str
    revoked_in: int | None  # the list number now revoking the old licence
    requested: bool  # revocation only requested from the publisher (no publisher key)

    def sentence(self) -> str:
        old = self.old_licence[:12]
        if not self.ok:
            return (
                f"No replacement disk verified, so licence {old} was not revoked and no "
                "replacement was counted; insert another disk and try again."
            )
        head = f"Licence {old} was replaced by {(self.new_licence or '')[:12]}; {self.note}."
        if self.requested:
            return head + (
                " The old licence is not revoked yet: only the publisher can sign revocation "
                "lists; import the publisher's list with 'pressroom revoke import FILE'."
            )
        return head + (
            f" The old licence is revoked in list {self.revoked_in}, which the new disk "
            "carries: a player that has seen it refuses the old disk."
        )

    def to_json(self) -> dict:
        return {**self.__dict__, "message": self.sentence()}


def plan_reissue(
    app: AftercareParts,
    licence_ref: str,
    *,
    drives: tuple[str, ...] | None = None,
    insert_and_go: bool = True,
    operator: str = "",
    clock: Callable[[], float] = time.time,
) -> ReissuePlan:
    """Everything a replacement needs, checked before any disk is touched."""
    from pressroom.catalog import resolve_track

    ledger = app.ledger
    old = ledger.find_disk(licence_ref)
    if old.result != "pass" or not old.licence_id or not old.grant_id:
        raise UsageError(f"Licence {licence_ref} belongs to no finished disk; nothing to replace.")
    done = ledger.replacement_of(old.licence_id)
    if done is not None:
        raise UsageError(
            f"Licence {old.licence_id[:12]} was already replaced by {done.new_licence[:12]}; "
            f"to replace that disk, reissue {done.new_licence[:12]}."
        )
    rights = _recorded_rights(ledger, old)
    status = ledger.get_grant(old.grant_id)
    grant, now = status.grant, int(clock())
    if status.replacements_remaining <= 0:
        raise VerificationFailed(
            f"The grant {grant.id_hex[:8]} allows {grant.replacements} replacement(s) and "
            "all are used; ask the publisher for a grant with more replacements."
        )
    if now > grant.not_after:
        raise SetupError(
            f"The grant {grant.id_hex[:8]} has expired; no replacement can be made under it."
        )
    attached = _attached(app, old)
    used, note = _plays_used(app, attached, old)
    tracks = []
    for h in old.tracks:
        r = rights[h]
        if used is not None and r.plays is not None:
            r = replace(r, plays=max(0, r.plays - used.get(h, 0)))
        tracks.append(JobTrack.from_info(resolve_track(app.catalog, h), r))
    why = next((w for t in tracks if (w := grant.limits.violation(t.rights, now))), None)
    if why:
        raise UsageError(f"The recorded rights no longer fit the grant: {why}.")
    revoked_already = bytes.fromhex(old.licence_id) in current_list(app).licences
    revocations = None
    if app.keystore.has_publisher() and not revoked_already:
        revocations, _ = next_list(app, licences={old.licence_id}, now=now)
    job = Job(
        grant_id=grant.id_hex,
        tracks=tuple(tracks),
        copies=1,
        drives=drives,
        exclude=(attached.id,) if attached else (),
        insert_and_go=insert_and_go,
        operator=operator,  # the station passes the operator on shift (station.shift)
        kind="replacement",
        replaces=bytes.fromhex(old.licence_id),
        revocations=revocations,
    )
    if attached is not None and drives and attached.id in drives:
        raise UsageError("That drive holds the disk being replaced; choose another disk.")
    return ReissuePlan(
        old=old,
        job=job,
        carried=used is not None,
        note=note,
        old_drive=attached.id if attached else None,
        revocations=revocations,
        replacements_left=status.replacements_remaining,
    )


def _recorded_rights(ledger, old: DiskRecord) -> dict[str, Rights]:
    run = ledger.get_run(old.run_id) if old.run_id else None
    raw = run.rights if run is not None else None
    try:
        return {h: Rights.from_cbor(raw[h]) for h in old.tracks}  # type: ignore[index]
    except (TypeError, KeyError, SecureError):
        raise UsageError(
            f"The ledger holds no machine-readable rights for licence {old.licence_id[:12]} "
            "(made before rights were recorded per track); it cannot be reissued here."
        ) from None


def _attached(app: AftercareParts, old: DiskRecord) -> Drive | None:
    """The old disk, if it is attached now (found by its identity, not its label)."""
    for d in app.drive_provider.list_drives():
        if d.mount_point is None or d.vendor_id is None or d.product_id is None or not d.serial:
            continue
        try:
            ident = DiskIdentity.of(d.vendor_id, d.product_id, d.serial, d.capacity)
        except IdentityRefused:
            continue
        if ident.hash().hex() == old.identity_hash:
            return d
    return None


def _plays_used(
    app: AftercareParts, drive: Drive | None, old: DiskRecord
) -> tuple[dict[str, int] | None, str]:
    """Plays used per track hash, read from the old disk's authenticated play state.

    Read directly (not through ``open_disk``) so an old licence that is already revoked
    still yields its counts; the state MAC is what makes them trustworthy. The station's
    own player memory raises any count a rolled-back state file would lower.
    """
    lost = "the old disk is not attached, so the original rights were given"
    if drive is None or drive.mount_point is None:
        return None, lost
    mount = Path(drive.mount_point)
    try:
        # the customer's disk is attacker input: no links, regular files only, bounded
        _, lic = parse_licence(read_licence(DirectoryMedium(mount)))
        if lic.licence_id.hex() != old.licence_id:
            return (
                None,
                "the attached disk holds another licence, so the original rights were given",
            )
        ks = app.keystore
        trust = Trust(ks.trusted_publishers(), ks.player_key(), (ks.revocations_bytes(),))
        ident = DiskIdentity.of(drive.vendor_id, drive.product_id, drive.serial, drive.capacity)
        key = play_state_key(derive_binding_key(lic, ident, trust), lic.licence_id)
        state = open_state(DiskStateFile(mount).read(), key, lic.licence_id)
    except (OSError, SecureError, PressroomError) as exc:
        return None, (
            f"the old disk's play state cannot be read ({exc}), so the original rights were given"
        )
    memory = PlayerMemory.load(app.config.data_dir / PLAYER_MEMORY_DIR, trust.player_key)
    seen = memory.seen(lic.licence_id)
    used = {
        e.track_id.hex(): max(state.played(e.file), seen.plays.get(e.file, 0)) for e in lic.tracks
    }
    return used, "remaining plays were carried over from the old disk"


def complete_reissue(
    app: AftercareParts, plan: ReissuePlan, summary, *, reason: str = "", now: float | None = None
) -> ReissueOutcome:
    """After the run: link old -> new, then store the list revoking the old licence."""
    now = time.time() if now is None else now
    old = plan.old.licence_id or ""
    passed = [d for d in summary.disks.values() if d.state == DiskState.PASS and d.licence_id]
    if not passed:
        return ReissueOutcome(
            False, old, None, summary.run_id, plan.carried, plan.note, None, False
        )
    new = passed[0].licence_id
    ledger, ks = app.ledger, app.keystore
    ledger.record_replacement(
        ReplacementRecord(old, new, summary.run_id, plan.job.operator, plan.carried, now)
    )
    why = f"replaced by {new}" + (f": {reason}" if reason else "")
    cur = current_list(app)
    if bytes.fromhex(old) in cur.licences:
        number, requested = cur.number, False
    elif plan.revocations is not None and _try_store(ks, plan.revocations):
        number, requested = current_list(app).number, False
        ledger.record_revocations(
            [
                RevocationRecord(
                    "licence",
                    old,
                    why,
                    plan.job.operator,
                    ks.station_id().hex(),
                    number,
                    "local",
                    now,
                )
            ]
        )
    else:  # a newer list arrived meanwhile, or no publisher key: revoke (or request) now
        outcome = revoke(app, "licence", [old], reason=why, operator=plan.job.operator, now=now)
        number, requested = outcome.number, outcome.requested_only
    return ReissueOutcome(
        True, old, new, summary.run_id, plan.carried, plan.note, number, requested
    )


def _try_store(ks, data: bytes) -> bool:
    try:
        install_revocations(ks, data)
    except UsageError:
        return False
    return True
