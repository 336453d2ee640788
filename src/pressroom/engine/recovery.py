"""Crash recovery: settle every reservation the ledger still holds open for this station.

The journal says how far each disk got. Before its licence could be written nothing on
the disk can verify, so the copy goes back to the quota. If a licence may have been
written, the disk is checked when it is attached: a licence that is there, is the one
the journal names, and checks out is committed; otherwise the copy is released, and when
the disk is not attached to tell, the copy stays counted as "unresolved" (burned), since a
playable disk might exist. Each outcome is a ``reconciled-*`` event in the ledger chain.

Two journal lines settle a copy without its disk: "wiped" (the pipeline removed what it
wrote, so no licence can exist: released) and "licence-verified" (the licence was read
back and checked, and only the commit failed, for instance while the ledger was
unreachable: committed with the disk record the line carries).
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from pressroom.drives.base import Drive, DriveProvider, Reader, Volume
from pressroom.engine.journal import JournalEntry, read_journals
from pressroom.engine.pipeline import record_from_json
from pressroom.ledger import Ledger
from pressroom.ledger.copies import Outcome
from pressroom.ledger.errors import StaleReservation
from pressroom.ledger.models import DiskRecord, Reservation
from pressroom.secure.diskfs import MediaError
from pressroom.secure.errors import IdentityRefused, SecureError
from pressroom.secure.identity import DiskIdentity, serial_hash
from pressroom.secure.keys import KeyStore
from pressroom.secure.licence import LICENCE_FILE, parse_licence
from pressroom.secure.verifier import MAX_LICENCE_BYTES, check_licence


def reconcile(
    ledger: Ledger, ks: KeyStore, provider: DriveProvider, journal_dir: Path
) -> list[str]:
    """Settle dangling reservations; returns one line per reservation settled."""
    if not ks.has_station():
        return []
    station_id = ks.station_id().hex()
    dangling = ledger.dangling_reservations(station_id=station_id)
    if not dangling:
        _remove_settled_journals(ledger, journal_dir)
        return []
    by_res: dict[int, list[JournalEntry]] = defaultdict(list)
    for entry in read_journals(journal_dir):
        if entry.reservation_id is not None:
            by_res[entry.reservation_id].append(entry)
    drives = {d.id: d for d in provider.list_drives()}
    lines: list[str] = []

    for res in dangling:
        try:
            lines.append(
                _settle_one(ledger, ks, provider, drives, res, by_res.get(res.id, []), station_id)
            )
        except StaleReservation:
            continue  # settled meanwhile by another station (its lease had expired)
    _remove_settled_journals(ledger, journal_dir)
    return lines


def _settle_one(
    ledger: Ledger,
    ks: KeyStore,
    provider: DriveProvider,
    drives: dict[str, Drive],
    res: Reservation,
    entries: list[JournalEntry],
    station_id: str,
) -> str:
    """Settle one of this station's dangling reservations on the journal's evidence."""

    def settle(outcome: Outcome, **kw: Any) -> None:
        ledger.reconcile(res, outcome, settled_by=station_id, **kw)

    events = {e.event for e in entries}
    reserved = next((e.data for e in entries if e.event == "reserved"), {})
    licence_hex, identity_hex = reserved.get("licence"), reserved.get("identity")
    verified = next((e.data for e in entries if e.event == "licence-verified"), {})
    made = record_from_json(verified.get("record"))
    if "wiped" in events:
        settle("release", reason="its disk was wiped after a failure")
        return f"copy {res.copy_index} released: its disk was wiped after a failure"
    if made is not None and (made.licence_id, made.identity_hash) == (licence_hex, identity_hex):
        made = dataclasses.replace(
            made, reason="verified before an interruption; recorded at recovery"
        )
        settle("commit", disk=made)
        return f"copy {res.copy_index} committed: its licence had verified on the disk"
    if "licence-writing" not in events:
        settle("release", reason="interrupted before its licence was written")
        return f"copy {res.copy_index} released: interrupted before its licence"
    drive = drives.get(res.drive_id)
    if drive is None:
        settle(
            "burn",
            reason="interrupted while writing its licence and the disk was not attached to "
            "check it; the copy stays counted",
        )
        return f"copy {res.copy_index} kept counted: its disk was not attached to check"
    record = _check_disk(ks, provider, drive, res, licence_hex, identity_hex)
    if record is not None:
        settle("commit", disk=record)
        return f"copy {res.copy_index} committed: its licence verifies on {drive.label}"
    settle("release", reason="its licence never reached the disk intact")
    return f"copy {res.copy_index} released: no valid licence on {drive.label}"


def settle_expired_leases(
    ledger: Ledger, station_id: str, *, lease_seconds: float, now: float | None = None
) -> list[str]:
    """Settle the open copies of other stations that stopped renewing their lease.

    The evidence is the reservation's stage: a holder that never reached the licence
    stage cannot have written a licence (released, the index is free again); one that
    did may have (burned: counted, never handed out again). Each is recorded as a
    ``reconciled-*`` event naming this station as ``settled_by``; a lease renewed in
    the meantime, or settled by another station first, is left alone."""
    at = time.time() if now is None else now
    lines: list[str] = []
    for res in ledger.expired_reservations(now=at, lease_seconds=lease_seconds):
        if res.station_id == station_id:
            continue  # this station's own are settled from its journal (reconcile)
        try:
            outcome = ledger.settle_expired(
                res, settled_by=station_id, now=at, lease_seconds=lease_seconds
            )
        except StaleReservation:
            continue
        who = res.station_id[:12] or "unknown"
        what = "released (no licence can exist)" if outcome == "release" else "kept counted"
        lines.append(f"copy {res.copy_index} of station {who}: lease expired, {what}")
    return lines


def _check_disk(
    ks: KeyStore,
    provider: DriveProvider,
    drive: Drive,
    res: Reservation,
    licence_hex: str | None,
    identity_hex: str | None,
) -> DiskRecord | None:
    try:
        volume = provider.open_volume(drive)
        if not volume.exists(LICENCE_FILE):
            return None
        data = VolumeMedium(volume).read(LICENCE_FILE, MAX_LICENCE_BYTES)  # bounded
        env, lic = parse_licence(data)
        if licence_hex is None or lic.id_hex != licence_hex:
            return None
        ident = DiskIdentity.of(
            drive.vendor_id or 0, drive.product_id or 0, drive.serial, drive.capacity
        )
        # The journal (the station's own record) says which disk this copy was for: the
        # licence no longer says so in the clear (format version 2), and only a player key
        # could open its commitment.
        if ident.hash().hex() != identity_hex:
            return None
        check_licence(
            lic,
            lambda cert: env.verify(cert.station_key, "licence"),
            ks.trusted_publishers(),
            (ks.revocations_bytes(),),
        )
        if ks.has_player():
            from pressroom.secure.verifier import Trust, verify_disk

            trust = Trust(ks.trusted_publishers(), ks.player_key(), (ks.revocations_bytes(),))
            report = verify_disk(VolumeMedium(volume), ident, trust)
            if not report.ok:
                return None
    except (OSError, SecureError, IdentityRefused):
        return None
    now = time.time()
    return DiskRecord(
        result="pass",
        started_at=res.created_at,
        finished_at=now,
        licence_id=lic.id_hex,
        run_id=res.run_id,
        slot=drive.port_path,
        drive_id=drive.id,
        identity_hash=ident.hash().hex(),
        serial_hash=serial_hash(drive.serial or ""),
        serial_masked=ident.masked_serial(),
        vendor=drive.vendor,
        product=drive.product,
        capacity=drive.capacity,
        tracks=tuple(t.track_id.hex() for t in lic.tracks),
        bytes=sum(t.plain_len for t in lic.tracks),
        reason="verified at recovery after an interruption",
        station_id=res.station_id,
    )


class VolumeMedium:
    """A drive Volume as a verifier Medium, reading around the page cache."""

    def __init__(self, volume: Volume) -> None:
        self.volume = volume

    def open(self, relpath: str) -> Reader:
        return self.volume.open_read(relpath, uncached=True)

    def read(self, relpath: str, limit: int) -> bytes:
        """A whole small file: refused before reading when over ``limit``, and while reading."""
        size = self.volume.size(relpath)
        if size <= limit:
            with self.volume.open_read(relpath, uncached=True) as fh:
                data = fh.read(limit + 1)
        if size > limit or len(data) > limit:
            raise MediaError(
                f"{relpath} on the disk is larger than the {limit} bytes it may hold; "
                "it was not read.",
                code="too-large",
                file=relpath,
            )
        return data

    def exists(self, relpath: str) -> bool:
        return self.volume.exists(relpath)


def _remove_settled_journals(ledger: Ledger, directory: Path) -> None:
    open_ids = {r.id for r in ledger.dangling_reservations()}
    if not directory.is_dir():
        return
    for path in directory.glob("*.jsonl"):
        run = path.stem
        entries = [e for e in read_journals(directory) if e.run_id == run]
        if not any(e.reservation_id in open_ids for e in entries):
            path.unlink(missing_ok=True)
