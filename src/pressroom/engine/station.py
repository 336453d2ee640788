"""The engine's front door for the CLI and the GUI: plan a job, start a run, recover.

Builds runs from the App's parts (ledger, drive provider, key store) so that neither the
CLI nor the GUI constructs pipelines, and judges disk identities with the ledger's memory
of serials seen before.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from pressroom.drives.base import Drive
from pressroom.drives.identity import Verdict, judge
from pressroom.engine.events import Listener
from pressroom.engine.job import Job, JobTrack
from pressroom.engine.journal import Journal
from pressroom.engine.pipeline import DurableHook, StationMaterial
from pressroom.engine.run import Run
from pressroom.errors import SetupError, UsageError
from pressroom.secure.errors import IdentityRefused
from pressroom.secure.identity import DiskIdentity, serial_hash
from pressroom.secure.rights import parse_rights


class Station:
    def __init__(self, app):  # app: pressroom.app.App
        self.app = app

    # --- identity -------------------------------------------------------------------------

    def judge(self, drives: list[Drive]) -> dict[str, Verdict]:
        ledger = self.app.ledger

        def known(d: Drive):
            """Evidence in the ledger of this drive's serial on other hardware."""
            if d.vendor_id is None or d.product_id is None or d.serial is None:
                return None
            try:
                mine = DiskIdentity.of(d.vendor_id, d.product_id, d.serial, d.capacity).hash().hex()
            except IdentityRefused:
                return None
            seen = ledger.known_identity(identity_hash=mine, serial_hash=serial_hash(d.serial))
            if seen.serial_clash:
                return (None, None, 0)  # made for another vendor, product or size
            return None

        return judge(drives, policy=self.app.config.settings.identity_policy, known_identity=known)

    # --- planning -------------------------------------------------------------------------

    def material(self, grant_raw: bytes) -> StationMaterial:
        ks = self.app.keystore
        if not ks.has_station():
            raise SetupError("This station has no keys; run 'pressroom keys init --demo' first.")
        try:
            player = ks.player_public()
        except SetupError:
            raise SetupError(
                "This station has no player key to wrap disk keys to; "
                "run 'pressroom keys init --demo' or install the player's public key."
            ) from None
        return StationMaterial(
            station_id=ks.station_id().hex(),
            station_key=ks.station_key(),
            station_cert=ks.station_cert_bytes(),
            grant_raw=grant_raw,
            player=player,
            publishers=ks.trusted_publishers(),
            revocations=ks.revocations_bytes(),
        )

    def plan(
        self,
        track_refs: Iterable[str],
        *,
        copies: int,
        rights: str = "standard",
        grant_id: str | None = None,
        drives: Iterable[str] | None = None,
        insert_and_go: bool = True,
        eject_when_done: bool = False,
        operator: str = "",
    ) -> Job:
        from pressroom.catalog import resolve_track

        if copies < 1:
            raise UsageError("--copies must be at least 1.")
        infos = [resolve_track(self.app.catalog, ref) for ref in track_refs]
        if not infos:
            raise UsageError("Choose at least one track (--tracks).")
        if len({i.content_hash for i in infos}) != len(infos):
            raise UsageError("A track is listed twice.")
        now = int(time.time())
        spec = parse_rights(rights, now)
        tracks = tuple(JobTrack.from_info(i, spec) for i in infos)
        status = self.pick_grant(tracks, grant_id, now)
        why = next((w for t in tracks if (w := status.grant.limits.violation(t.rights, now))), None)
        if why:
            raise UsageError(f"Those rights are not allowed: {why}.")
        return Job(
            grant_id=status.grant_id,
            tracks=tracks,
            copies=copies,
            drives=tuple(drives) if drives else None,
            insert_and_go=insert_and_go,
            eject_when_done=eject_when_done,
            operator=operator or self.app.config.settings.operator,
        )

    def pick_grant(self, tracks: tuple[JobTrack, ...], grant_id: str | None, now: int):
        ledger = self.app.ledger
        candidates = [ledger.get_grant(grant_id)] if grant_id else ledger.grants()
        if not candidates:
            raise SetupError(
                "No rights grant is installed; import one with 'pressroom grant import FILE' "
                "(or create a demo grant with 'pressroom grant create')."
            )
        usable, reasons = [], []
        for status in candidates:
            g = status.grant
            missing = [t.title for t in tracks if not g.covers_track(t.track_id)]
            if missing:
                reasons.append(f"grant {g.id_hex[:8]} does not cover {', '.join(missing[:3])}")
            elif now > g.not_after:
                reasons.append(f"grant {g.id_hex[:8]} has expired")
            elif now < g.not_before:
                reasons.append(f"grant {g.id_hex[:8]} is not valid yet")
            elif status.copies_remaining <= 0:
                reasons.append(f"grant {g.id_hex[:8]} has no copies left")
            else:
                usable.append(status)
        if not usable:
            raise SetupError(f"No grant allows this job: {'; '.join(reasons)}.")
        return max(usable, key=lambda s: s.copies_remaining)

    # --- runs -----------------------------------------------------------------------------

    def start(
        self, job: Job, listener: Listener, *, after_durable_write: DurableHook | None = None
    ) -> Run:
        """Start a run. ``after_durable_write`` is a test and diagnostics seam: it is called
        per disk once its tracks are durable, before they are read back."""
        ledger = self.app.ledger
        grant = ledger.get_grant(job.grant_id)
        material = self.material(grant.grant.raw)
        if job.revocations is not None:
            material.revocations = job.revocations
        run_id = uuid.uuid4().hex
        ledger.start_run(
            run_id=run_id,
            grant_id=job.grant_id,
            station_id=material.station_id,
            tracks=[t.content_hash for t in job.tracks],
            copies_wanted=job.copies,
            rights=job.rights_summary(),
            operator=job.operator,
        )
        settings = self.app.config.settings
        run = Run(
            job=job,
            run_id=run_id,
            ledger=ledger,
            provider=self.app.drive_provider,
            material=material,
            journal=Journal(self.app.config.journal_dir, run_id),
            judge=self.judge,
            listener=listener,
            bus_cap=int(settings.concurrency_per_bus),
            verify_mode=settings.verify_mode,
            after_durable_write=after_durable_write,
        )
        return run.start()

    def reconcile(self) -> list[str]:
        from pressroom.engine.recovery import reconcile

        return reconcile(self.app)
