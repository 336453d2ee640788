"""Runs: plan a job (with per-track rights), say whether Start may be pressed, start a run.

One run path for every front end: ``pressroom run``, the station window, the kiosk,
``pressroom reissue`` and History's "Replace lost disk" all call :meth:`RunService.start`,
which is also the one guard against starting a second run on this station while one is
still writing (before, History's reissue started a run without asking).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pressroom.catalog import TrackInfo, resolve_track
from pressroom.drives.base import Drive
from pressroom.drives.identity import Verdict
from pressroom.engine.events import Listener, RunProgress, RunState
from pressroom.engine.job import Job, JobTrack
from pressroom.engine.journal import Journal
from pressroom.engine.pipeline import DurableHook, StationMaterial
from pressroom.engine.recovery import reconcile, settle_expired_leases
from pressroom.engine.run import Run
from pressroom.errors import SetupError, UsageError
from pressroom.ledger import GrantStatus
from pressroom.ledger.models import Reservation, TrackTitle
from pressroom.secure.rights import parse_rights
from pressroom.station.checkpoints import CheckpointService
from pressroom.station.disks import DiskService
from pressroom.station.grants import GrantService
from pressroom.station.marking import MarkingService
from pressroom.station.parts import Parts
from pressroom.station.shift import check_name, current_operator

RUN_GOING = "A run is still going on this station; wait for it to end or stop it first."


# Failures a Retry of the same disk cannot fix: the station, the grant or the disk's
# identity is the problem, not the copy (a permissions problem is not a disk problem).
RETRY_CANNOT_HELP = frozenset(
    {
        "permission",
        "grant-exhausted",
        "too-small",
        "file-too-large",
        "removed",
        "mark-key",  # the station's key, the catalog's files: not this disk
        "source-changed",
        "source-missing",
    }
)

Phase = Literal["preparing", "writing", "waiting", "stopping", "ended"]


def retry_helps(reason_code: str) -> bool:
    """Whether writing the same disk again could end differently."""
    return reason_code not in RETRY_CANNOT_HELP and not reason_code.startswith("identity-")


def _copies(n: int) -> str:
    return f"{n} cop{'y' if n == 1 else 'ies'}"


@dataclass(frozen=True)
class RunOutlook:
    """Where a run stands and what the operator can do: the header's one sentence and
    which of Stop / Finish / Retry make sense. Every front end renders this, none decides."""

    phase: Phase
    headline: str
    made: int
    failed: int
    short: int  # copies still to make
    can_stop: bool  # disks are being written: Stop cleans them up
    can_finish: bool  # nothing is writing and copies are missing: Finish ends the run
    can_retry: bool  # Retry on a failed disk can still start it in this run


def outlook(ev: RunProgress, *, insert_and_go: bool = True) -> RunOutlook:
    """The run's outlook from its latest progress event (no I/O)."""
    made, failed, writing = ev.passed, ev.failed, ev.in_flight
    short = max(0, ev.target - made)
    counts = f"{made} of {ev.target} made"
    if failed:
        counts += f", {failed} failed"

    def out(phase: Phase, headline: str, *, stop: bool = False, finish: bool = False) -> RunOutlook:
        return RunOutlook(
            phase, headline, made, failed, short, stop, finish, phase in ("writing", "waiting")
        )

    if ev.state == RunState.RUNNING and ev.step:  # before any disk starts (marked tracks)
        return out("preparing", f"{ev.step} (before the first disk).", stop=True)
    if ev.state == RunState.RUNNING and writing:
        return out("writing", f"Writing: {counts}, {writing} being written.", stop=True)
    if ev.state == RunState.RUNNING and short:
        todo = "insert blank disks" if insert_and_go else "Retry a failed disk"
        missing = _copies(short).capitalize()
        return out("waiting", f"{missing} still to make: {todo} or Finish.", finish=True)
    if ev.state in (RunState.RUNNING, RunState.STOPPING):
        return out("stopping", f"Stopping: cleaning up the disks being written ({counts}).")
    if ev.state == RunState.CANCELLED:
        return out("ended", f"Stopped: {counts}.")
    if ev.state == RunState.EXHAUSTED:
        return out("ended", f"The grant has no copies left: {counts}.")
    if short:
        return out("ended", f"Finished: {counts}, {short} short.")
    return out("ended", f"Finished: {counts}.")


def clock(seconds: float) -> str:
    """ "0:42", "12:04", "1:02:10": elapsed and remaining time as a shop clock shows it."""
    s = max(0, round(seconds))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def eta_seconds(elapsed: float, made: int, short: int) -> float | None:
    """Time left for the copies still to make, at the pace of the copies made so far
    (several disks in parallel count as the pace they achieved); None until one is made."""
    if made <= 0 or short <= 0 or elapsed <= 0:
        return None
    return elapsed / made * short


def timing(elapsed: float, look: RunOutlook) -> str:
    """The run's clock line: elapsed, and an overall estimate while disks are written."""
    text = f"{clock(elapsed)} elapsed"
    eta = eta_seconds(elapsed, look.made, look.short) if look.phase == "writing" else None
    if eta is not None:
        text += f" · about {clock(eta)} left"
    return text


def title(base: str, look: RunOutlook | None) -> str:
    """The window title: progress and result readable from the task bar."""
    if look is None:
        return base
    if look.phase == "ended":
        return f"{look.headline.split(':')[0]} ({look.made}/{look.made + look.short}) — {base}"
    return f"{look.made}/{look.made + look.short} made — {base}"


class RunBusy(UsageError):
    """Refused: this station is already running a job (one run at a time)."""


@dataclass(frozen=True)
class Readiness:
    """Whether Start may be pressed, and if not why (a sentence for its tooltip)."""

    ok: bool
    reason: str


def require_source(info: TrackInfo) -> None:
    """Refuse, before any disk is touched, a track whose file this station does not have
    (the catalog is shared; each station keeps its own copy of the music)."""
    path = info.path
    try:
        size = path.stat().st_size if path.is_file() else None
    except OSError:
        size = None
    if size == info.size:
        return
    where = "is missing" if size is None else "has changed"
    raise SetupError(
        f"The file of track {info.title!r} ({info.content_hash[:12]}) {where} at {path} on "
        "this station. Put this station's copy of it there, or import it from where it is "
        "with 'pressroom catalog import FILE' (the file must be the same: SHA-256 "
        f"{info.content_hash})."
    )


class RunService:
    def __init__(
        self,
        parts: Parts,
        grants: GrantService,
        disks: DiskService,
        checkpoints: CheckpointService,
    ) -> None:
        self._parts = parts
        self._checkpoints = checkpoints
        self._grants = grants
        self._disks = disks
        self._lock = threading.Lock()
        self._run: Run | None = None

    # --- planning ------------------------------------------------------------------------

    def plan(
        self,
        track_refs: Iterable[str],
        *,
        copies: int,
        rights: str | Mapping[str, str] = "standard",
        grant_id: str | None = None,
        drives: Iterable[str] | None = None,
        insert_and_go: bool = True,
        eject_when_done: bool = False,
        operator: str = "",
    ) -> Job:
        """A job checked against the grant. ``rights``: one preset for every track, or a
        preset per content hash (tracks not named get ``"standard"``). ``operator``: the
        name to record; none given, the operator on shift (``station.shift``), if any."""
        if copies < 1:
            raise UsageError("--copies must be at least 1.")
        infos = [resolve_track(self._parts.catalog, ref) for ref in track_refs]
        if not infos:
            raise UsageError("Choose at least one track (--tracks).")
        for info in infos:
            require_source(info)
        if len({i.content_hash for i in infos}) != len(infos):
            raise UsageError("A track is listed twice.")
        now = int(time.time())
        per_track = {} if isinstance(rights, str) else dict(rights)
        first = (
            rights if isinstance(rights, str) else per_track.get(infos[0].content_hash, "standard")
        )
        tracks = tuple(
            JobTrack.from_info(i, parse_rights(per_track.get(i.content_hash, first), now))
            for i in infos
        )
        status = self._grants.pick(tracks, grant_id, now)
        several = len({per_track.get(i.content_hash, first) for i in infos}) > 1
        for t in tracks:
            why = status.grant.limits.violation(t.rights, now)
            if why and several:
                raise UsageError(f"Rights for {t.title} are not allowed: {why}.")
            if why:
                raise UsageError(f"Those rights are not allowed: {why}.")
        return Job(
            grant_id=status.grant_id,
            tracks=tracks,
            copies=copies,
            drives=tuple(drives) if drives else None,
            insert_and_go=insert_and_go,
            eject_when_done=eject_when_done,
            operator=(
                check_name(operator)
                if operator
                else current_operator(self._parts.config.settings, time.time())
            ),
        )

    def readiness(
        self,
        *,
        has_keys: bool,
        selected: Sequence[TrackInfo],
        grants: Sequence[GrantStatus],
        station: bytes | None,
        drives: Mapping[str, Drive],
        verdicts: Mapping[str, Verdict],
        now: float | None = None,
    ) -> Readiness:
        """Whether a job on ``selected`` could start with what is known now (no I/O: the
        window calls it on its GUI thread with the state its hub holds)."""
        now = time.time() if now is None else now
        if not has_keys:
            return Readiness(False, "this station has no keys yet (Station › Setup wizard).")
        if not selected:
            return Readiness(False, "select at least one track in the catalog.")
        ids = [bytes.fromhex(t.content_hash) for t in selected]
        verdict = [self._grants.usability(s, tracks=ids, now=now, station=station) for s in grants]
        if not any(u.code in ("ok", "no-copies") for u in verdict):
            return Readiness(
                False,
                "no valid rights grant covers all the selected tracks (File › Import grant).",
            )
        if not any(u.ok for u in verdict):
            return Readiness(False, "the rights grant for these tracks has no copies left.")
        if not drives:
            return Readiness(False, "no disk is attached; insert a USB stick or card.")
        payload = sum(t.size for t in selected)
        usable = [
            d
            for d in drives.values()
            if (v := verdicts.get(d.id)) is not None
            and v.ok
            and not d.read_only
            and d.free > payload
        ]
        if not usable:
            return Readiness(
                False,
                "no attached disk can be written (its serial number was refused, it is locked, "
                "or it is too small).",
            )
        return Readiness(True, "")

    # --- running -------------------------------------------------------------------------

    @property
    def current(self) -> Run | None:
        """The last run started on this station (it may have ended)."""
        return self._run

    @property
    def running(self) -> bool:
        run = self._run
        return run is not None and not run.done

    def finish(self) -> bool:
        """The operator ends a run that waits for disks; it is recorded as finished (with
        its made / failed / short counts), never as cancelled. False while disks are being
        written (Stop is for that) or when the run has already ended."""
        run = self._run
        return run is not None and run.finish()

    def ensure_idle(self) -> None:
        """Refuse (one sentence) while a run of this station is going."""
        if self.running:
            raise RunBusy(RUN_GOING)

    def material(self, grant_raw: bytes) -> StationMaterial:
        ks = self._parts.keystore
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

    def start(
        self, job: Job, listener: Listener, *, after_durable_write: DurableHook | None = None
    ) -> Run:
        """Start a run, refused while another run of this station is going.

        ``after_durable_write`` is a test and diagnostics seam: it is called per disk once
        its tracks are durable, before they are read back."""
        with self._lock:
            self.ensure_idle()
            self._checkpoints.require()  # a rolled-back or replaced ledger makes no disks
            run = self._start(job, listener, after_durable_write)
            self._run = run
            return run

    def _start(self, job: Job, listener: Listener, hook: DurableHook | None) -> Run:
        parts = self._parts
        ledger = parts.ledger
        grant = ledger.get_grant(job.grant_id)
        marking = MarkingService(parts)
        job = marking.check(job)  # refused at once if a marked track cannot be marked
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
            titles=[TrackTitle(t.title, t.album, t.artist) for t in job.tracks],
        )
        settings = parts.config.settings
        run = Run(
            job=job,
            run_id=run_id,
            ledger=ledger,
            provider=parts.drive_provider,
            material=material,
            journal=Journal(parts.config.journal_dir, run_id),
            judge=self._disks.judge,
            listener=listener,
            bus_cap=int(settings.concurrency_per_bus),
            verify_mode=settings.verify_mode,
            after_durable_write=hook,
            lease_seconds=float(settings.lease_seconds),
            after_finish=self._checkpoint_after,  # signed and anchored before wait() returns
            # watermarked tracks: their A/B variants, prepared by the run's own thread
            prepare=marking.prepare_variants if job.marked else None,
        )
        started: Run = run.start()
        return started

    def _checkpoint_after(self, _status: str) -> None:
        self._checkpoints.make()

    def reconcile(self) -> list[str]:
        """Settle what a crashed run left reserved; one line per copy settled.

        Never while a run of this station is going: its open reservations are live, not
        left over, and settling them would release copies being written."""
        if self.running:
            return []
        parts = self._parts
        lines: list[str] = reconcile(
            parts.ledger, parts.keystore, parts.drive_provider, parts.config.journal_dir
        )
        if parts.keystore.has_station():  # then other stations' copies whose lease expired
            lines += settle_expired_leases(
                parts.ledger,
                parts.keystore.station_id().hex(),
                lease_seconds=float(parts.config.settings.lease_seconds),
            )
        return lines

    def open_copies(self) -> list[Reservation]:
        """Copies reserved and not yet settled, at every station of this ledger."""
        return self._parts.ledger.dangling_reservations()
