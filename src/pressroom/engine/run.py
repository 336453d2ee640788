"""A run: keep starting disks until the target number of copies has verified.

One worker thread per disk (I/O bound, and pyca releases the GIL while it encrypts), a
gate per USB bus admits as many disks as its adaptive controller allows (more while the
bus's rate grows, up to ``bus_cap``; see :mod:`pressroom.engine.buscontrol`), a watcher
starts disks that arrive mid-run ("insert and go"). A failed disk is never picked again
by itself: only the operator's Retry on that disk runs it again, its partial files
removed first.

A run may first do one slow step before any disk starts (``prepare``: the watermark's
A/B variants), in a thread of its own so that ``start`` returns at once; it is reported
as ``RunProgress.step``, Stop ends it at its next report, and if it fails the run ends
with ``failure`` set (its one sentence) without touching a disk.

A ledger outage never ends a run by itself: disks wait at their safe points
(``engine.outage``), and starting new disks waits too (their serials cannot be judged
without the ledger), retried on a timer with backoff. Every worker's exit, however it
ends, goes back to ``_fill``, which starts the next disk or ends the run.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pressroom.drives.base import Drive, DriveEvent, DriveProvider, Watcher
from pressroom.drives.identity import Verdict
from pressroom.engine import outage
from pressroom.engine.buscontrol import BusController, Decision
from pressroom.engine.busgate import BusGate
from pressroom.engine.events import (
    DiskProgress,
    DiskState,
    Event,
    Listener,
    LogLine,
    RunProgress,
    RunState,
    Stage,
    Throttle,
)
from pressroom.engine.job import Job
from pressroom.engine.journal import Journal
from pressroom.engine.outage import WAITING, Backoff
from pressroom.engine.pipeline import (
    DiskPipeline,
    DurableHook,
    PipelineContext,
    StationMaterial,
)
from pressroom.engine.sources import SharedSources
from pressroom.ledger.copies import DEFAULT_LEASE_SECONDS
from pressroom.ledger.errors import LedgerUnreachable

if TYPE_CHECKING:
    from pressroom.ledger.store import Ledger

Judge = Callable[[list[Drive]], dict[str, Verdict]]  # drive id -> its identity verdict
# A step before any disk starts (the watermark's A/B variants): given a callback taking
# a sentence such as "Preparing marked tracks 2 of 5", it returns the job to write.
Prepare = Callable[[Job, Callable[[str], None]], Job]


class _Stopped(Exception):
    """The operator stopped the run during its step before the disks."""


# Disks of a run in a bookkeeping stage at once (identify, space, reservation; sealing and
# checking the licence; commit). These are Python (SQLAlchemy, signatures; SQLite takes one
# writer anyway); the licence's own disk I/O is not gated. When 128
# disks start or finish together, more threads in them only queue for the GIL, and the
# window's thread queues behind them (a 380 ms stall at the start of a 128-disk run).
BOOKKEEPING = 2


@dataclass
class RunSummary:
    run_id: str
    state: RunState
    target: int
    passed: int
    failed: int
    disks: dict[str, DiskProgress] = field(default_factory=dict)
    step: str = ""  # what the run does before its first disk starts, while it does it
    error: str = ""  # why the run ended before any disk could start


class Run:
    def __init__(
        self,
        *,
        job: Job,
        run_id: str,
        ledger: Ledger,
        provider: DriveProvider,
        material: StationMaterial,
        journal: Journal,
        judge: Judge,
        listener: Listener,
        bus_cap: int = 16,
        verify_mode: str = "media",
        chunk_size: int = 256 << 10,
        after_durable_write: DurableHook | None = None,
        backoff: Backoff | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        after_finish: Callable[[str], None] | None = None,
        prepare: Prepare | None = None,
    ):
        self.job = job
        self.id = run_id
        self.ledger = ledger
        self.provider = provider
        self.material = material
        self.journal = journal
        self.judge = judge
        self._listener = listener
        self._throttle = Throttle()
        self.bus_cap = bus_cap
        self.verify_mode = verify_mode
        self.after_durable_write = after_durable_write
        self.after_finish = after_finish  # called with the status once the end is recorded
        self.chunk_size = chunk_size
        # every disk takes the source tracks' plaintext from one shared read (bounded)
        self.sources = SharedSources(chunk_size)
        self._stage_gate = threading.BoundedSemaphore(BOOKKEEPING)
        self.cancel_event = threading.Event()
        self._lock = threading.RLock()
        self._bus_slots: dict[str, BusGate] = {}
        self._gate_of: dict[str, BusGate] = {}  # drive id -> its bus's gate
        self._moved: dict[str, int] = {}  # drive id -> bytes_done last fed to its gate
        self._workers: dict[str, threading.Thread] = {}
        self.disks: dict[str, DiskProgress] = {}
        self._attached: dict[str, Drive] = {}
        self._handled: set[str] = set()  # drives this run already ran (pass or fail)
        self._retry: set[str] = set()
        self.passed = 0
        self.failed = 0
        self.exhausted = False
        self.state = RunState.RUNNING
        self._done = threading.Event()
        self._watcher: Watcher | None = None
        self.backoff = backoff or outage.DEFAULT_BACKOFF  # read at start: tests shorten it
        self._refill_delay = self.backoff.delays()
        self._refill: threading.Timer | None = None  # a _fill waiting for the ledger
        self.unsettled = False  # a reservation is left open: the journal must stay
        self.lease_seconds = lease_seconds
        self._prepare = prepare
        # no disk starts while a step is set (it is cleared when the step ends)
        self.step = "Preparing the tracks" if prepare is not None else ""
        self.failure: Exception | None = None  # why the step before the disks failed

    # --- events ---------------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        if isinstance(event, DiskProgress):
            with self._lock:
                self.disks[event.drive_id] = event
                gate = self._gate_of.get(event.drive_id)
                before = self._moved.get(event.drive_id, 0)
                self._moved[event.drive_id] = event.bytes_done
            if gate is not None and event.bytes_done > before:
                gate.progress(event.bytes_done - before)
            if not self._throttle.allow(event):
                return
        with contextlib.suppress(Exception):  # a listener's bug must not break a disk
            self._listener(event)

    def _run_progress(self, message: str = "") -> None:
        with self._lock:
            ev = RunProgress(
                run_id=self.id,
                state=self.state,
                target=self.job.copies,
                passed=self.passed,
                failed=self.failed,
                in_flight=len(self._workers),
                message=message,
                step=self.step,
            )
        self.emit(ev)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> Run:
        drives = self.provider.list_drives()
        with self._lock:
            for d in drives:
                self._attached[d.id] = d
        self._show_idle(drives)
        if self.job.insert_and_go:
            self._watcher = self.provider.watch(self._on_drive_event)
        self._run_progress("started")
        threading.Thread(target=self._heartbeat, name="run-lease", daemon=True).start()
        if self._prepare is None:
            self._fill()
        else:  # slow work (decoding, marking): never on the caller's (GUI) thread
            threading.Thread(
                target=self._prepare_then_fill, name="run-prepare", daemon=True
            ).start()
        return self

    def _prepare_then_fill(self) -> None:
        """Run the step before the disks, reporting it; then start the disks, or end the
        run with the step's one-sentence reason if it failed. Stop ends the step at its
        next report."""
        assert self._prepare is not None

        def report(text: str) -> None:
            if self.cancel_event.is_set():
                raise _Stopped
            with self._lock:
                if self.step:
                    self.step = text
            self._run_progress()

        try:
            job = self._prepare(self.job, report)
        except Exception as exc:  # the run must end whatever the step raised
            with self._lock:
                if not isinstance(exc, _Stopped) and not self.cancel_event.is_set():
                    self.failure = exc
                    self.emit(LogLine(None, f"the run could not start: {exc}"))
                self.step = ""
                self.cancel_event.set()
                self._finish(RunState.CANCELLED)
            return
        with self._lock:
            self.job = job
            self.step = ""
        self._run_progress()
        self._fill()

    def _heartbeat(self) -> None:
        """Renew this run's leases while it lives, so no other station settles its copies."""
        while not self._done.wait(self.lease_seconds / 4):
            with contextlib.suppress(Exception):  # an outage: the next beat tries again
                self.ledger.renew_leases(self.id, lease_seconds=self.lease_seconds)

    def _show_idle(self, drives: list[Drive]) -> None:
        try:
            verdicts = self.judge(list(self._attached.values()))
        except LedgerUnreachable:
            verdicts = {}  # shown unjudged; _fill judges again before starting any disk
        for d in drives:
            if self.job.drives is not None and d.id not in self.job.drives:
                continue  # not part of this run: the operator did not choose it
            v = verdicts.get(d.id)
            self.emit(
                DiskProgress(
                    drive_id=d.id,
                    label=d.label,
                    port=d.port_path,
                    state=DiskState.IDLE,
                    stage=Stage.WAITING,
                    verdict=getattr(v, "code", ""),
                    reason="" if v is None or (v.ok and not v.warning) else v.reason,
                )
            )

    def _eligible(self, drive_id: str) -> bool:
        if self.job.drives is not None and drive_id not in self.job.drives:
            return False
        if drive_id in self.job.exclude:
            return False
        if drive_id in self._workers:
            return False
        return drive_id in self._retry or drive_id not in self._handled

    def _needed(self) -> int:
        return self.job.copies - self.passed - len(self._workers)

    def _fill(self) -> None:
        """Start workers on eligible disks while copies are still needed; say so when any
        started (the run's outlook turns from waiting to writing on this event, not on the
        first disk to finish)."""
        if self._start_needed():
            self._run_progress()

    def _start_needed(self) -> int:
        """Start what the run still needs (under the run's lock); how many started."""
        started = 0
        with self._lock:
            if self.step:  # the step before the disks is still going; it calls _fill after
                return 0
            if self.state == RunState.RUNNING and not self.cancel_event.is_set():
                by_port = sorted(self._attached.items(), key=lambda kv: port_key(kv[1].port_path))
                wanted = [(i, d) for i, d in by_port if self._eligible(i)]
                if not wanted or self._needed() <= 0:
                    self._maybe_finish()
                    return 0
                # judging reads the ledger for every attached disk: only when one may start
                # (a tower's disks finishing one by one must not judge all the others each time)
                if not self.exhausted:
                    try:
                        verdicts = self.judge(list(self._attached.values()))
                    except LedgerUnreachable as exc:
                        self._wait_for_ledger(exc)
                        return 0
                    self._refill_delay = self.backoff.delays()
                    for drive_id, drive in wanted:
                        if self._needed() <= 0 or self.exhausted:
                            break
                        self._start_worker(drive, verdicts.get(drive_id))
                        started += 1
            self._maybe_finish()
        return started

    def _wait_for_ledger(self, exc: LedgerUnreachable) -> None:
        """No disk starts while serials cannot be judged: try again later (the lock is held)."""
        if self._refill is not None:
            return
        delay = self._refill_delay()
        self.emit(LogLine(None, f"{WAITING} (trying again in {delay:.0f} s): {exc}"))
        timer = threading.Timer(delay, self._refill_now)
        timer.daemon = True
        timer.name = "run-refill"
        self._refill = timer
        timer.start()
        self._run_progress(WAITING)

    def _refill_now(self) -> None:
        with self._lock:
            self._refill = None
        self._fill()

    def _bus_slot(self, drive: Drive) -> BusGate:
        key = str(drive.bus) if drive.bus is not None else drive.port_path.split("-")[0]
        gate = self._bus_slots.get(key)
        if gate is None:

            def said(d: Decision, key: str = key) -> None:
                self.emit(LogLine(None, f"bus {key}: {d.limit} disks at once ({d.why})"))

            gate = BusGate(BusController(ceiling=self.bus_cap), on_decision=said)
            self._bus_slots[key] = gate
        self._gate_of[drive.id] = gate
        self._moved[drive.id] = 0
        return gate

    def _start_worker(self, drive: Drive, verdict: Verdict | None) -> None:
        overwrite = drive.id in self._retry
        self._retry.discard(drive.id)
        self._handled.add(drive.id)
        ctx = PipelineContext(
            job=self.job,
            run_id=self.id,
            ledger=self.ledger,
            journal=self.journal,
            provider=self.provider,
            material=self.material,
            cancel=self.cancel_event,
            emit=self.emit,
            bus_slot=self._bus_slot(drive),
            verify_mode=self.verify_mode,
            after_durable_write=self.after_durable_write,
            chunk_size=self.chunk_size,
            backoff=self.backoff,
            lease_seconds=self.lease_seconds,
            sources=self.sources,
            stage_gate=self._stage_gate,
        )
        pipeline = DiskPipeline(ctx, drive, verdict=verdict, overwrite=overwrite)
        worker = threading.Thread(
            target=self._work, args=(pipeline,), name=f"disk-{drive.label}", daemon=True
        )
        self._workers[drive.id] = worker
        worker.start()

    def _work(self, pipeline: DiskPipeline) -> None:
        result = pipeline.progress
        try:
            result = pipeline.run()
        finally:  # however the pipeline ends, the run goes on or ends
            with self._lock:
                self._workers.pop(pipeline.drive.id, None)
                self.unsettled = self.unsettled or pipeline.unsettled
                if result.state == DiskState.PASS:
                    self.passed += 1
                elif result.state == DiskState.FAIL:
                    self.failed += 1
                    if result.reason_code == "grant-exhausted":
                        self.exhausted = True
                else:
                    self.failed += result.state != DiskState.CANCELLED
                line = f"{result.state.value}: {result.reason}".strip()
                self.emit(LogLine(pipeline.drive.id, line))
            self._run_progress()
            self._fill()

    def _maybe_finish(self) -> None:
        if self._workers:
            return
        if self.cancel_event.is_set():
            self._finish(RunState.CANCELLED)
        elif self.passed >= self.job.copies:
            self._finish(RunState.FINISHED)
        elif self.exhausted:
            self._finish(RunState.EXHAUSTED)
        elif not self.job.insert_and_go and not any(self._eligible(d) for d in self._attached):
            self._finish(RunState.FINISHED)

    def _finish(self, state: RunState) -> None:
        if self._done.is_set():
            return
        self.state = state
        self.step = ""
        watcher, self._watcher = self._watcher, None
        refill, self._refill = self._refill, None
        if refill is not None:
            refill.cancel()
        if watcher is not None:
            threading.Thread(target=watcher.stop, name="stop-watcher", daemon=True).start()
        status = {
            RunState.FINISHED: "finished",  # short copies are counted, not a status
            RunState.CANCELLED: "cancelled",
            RunState.EXHAUSTED: "exhausted",
        }.get(state, "finished")
        try:
            self.ledger.finish_run(self.id, status)
        except Exception as exc:  # one attempt: a run that ended must not wait
            self.emit(LogLine(None, f"could not record the end of the run: {exc}"))
        if self.after_finish is not None:  # before _done: whoever waits sees its effect
            try:
                self.after_finish(status)
            except Exception as exc:
                self.emit(LogLine(None, f"after the run: {exc}"))
        # A reservation left open (the ledger was unreachable) is settled from the journal
        # at the next start; the journal goes only when every reservation settled.
        self.journal.close(keep=self.unsettled)
        if self.unsettled:
            self.emit(LogLine(None, "some copies are not recorded yet; the journal is kept"))
        self.sources.clear()  # the plaintext kept for later disks: no later disk comes
        self._done.set()
        self._run_progress(status)

    # --- hotplug --------------------------------------------------------------------------

    def _on_drive_event(self, event: DriveEvent) -> None:
        d = event.drive
        with self._lock:
            if event.kind == "removed":
                self._attached.pop(d.id, None)
                if d.id not in self._workers:
                    prev = self.disks.get(d.id)
                    self.emit(
                        DiskProgress(
                            drive_id=d.id,
                            label=d.label,
                            port=d.port_path,
                            state=DiskState.REMOVED,
                            stage=prev.stage if prev else Stage.WAITING,
                            reason=prev.reason if prev else "",
                        )
                    )
                return
            self._attached[d.id] = d
            if event.kind == "added":
                self._handled.discard(d.id)  # a disk inserted again is a new chance
                self._show_idle([d])
        self._fill()

    # --- operator actions -----------------------------------------------------------------

    def retry(self, drive_id: str) -> bool:
        """Run this disk again (its old files removed first); only the operator calls this."""
        with self._lock:
            if drive_id in self._workers or drive_id not in self._attached:
                return False
            self._retry.add(drive_id)
            if self.state != RunState.RUNNING:
                return False
        self._fill()
        return True

    def eject(self, drive_id: str) -> None:
        with self._lock:
            drive = self._attached.get(drive_id)
            if drive is None or drive_id in self._workers:
                return
        self.provider.eject(drive)

    def finish(self) -> bool:
        """The operator ends a run that waits for disks (nothing is being written)."""
        with self._lock:
            if self._done.is_set() or self._workers:
                return False
            self._finish(RunState.FINISHED)
        return True

    def cancel(self) -> None:
        with self._lock:
            if self._done.is_set():
                return
            self.cancel_event.set()
            self.state = RunState.STOPPING
        self._run_progress("stopping")
        with self._lock:
            self._maybe_finish()

    def wait(self, timeout: float | None = None) -> RunSummary:
        self._done.wait(timeout)
        for worker in list(self._workers.values()):
            worker.join(timeout=5)
        return self.summary()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def progress_now(self) -> RunProgress:
        """The run's counters without taking its lock, for the GUI thread, which must not
        wait while 128 workers hold it in turn. Each field is read atomically; together
        they may be one event apart, which the run's next RunProgress corrects."""
        return RunProgress(
            self.id,
            self.state,
            self.job.copies,
            self.passed,
            self.failed,
            in_flight=len(self._workers),  # as _run_progress counts them: disks started
            step=self.step,
        )

    def summary(self) -> RunSummary:
        with self._lock:
            return RunSummary(
                run_id=self.id,
                state=self.state,
                target=self.job.copies,
                passed=self.passed,
                failed=self.failed,
                disks=dict(self.disks),
                step=self.step,
                error=str(self.failure or ""),
            )


def port_key(port_path: str) -> tuple[tuple[int, int, str], ...]:
    """Sort "1-1.2" before "1-1.10": numbers compare as numbers.

    Each part is ``(0, number, "")`` or ``(1, 0, text)``, so a loop device ("loop0") or an
    unknown port ("1-?") sorts beside USB ports instead of comparing a number with text.
    """
    return tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[-.:]", port_path)
    )
