"""The station's signal hub: one QObject between the Qt-free core and the widgets.

Widgets never call the engine, the ledger or the drive provider directly; they call the
hub, which does the work off the GUI thread (:mod:`pressroom.gui.tasks`) and announces
results as signals. Engine and hotplug events arrive through the one
:class:`~pressroom.gui.bridge.EngineBridge`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from pressroom.app import App
from pressroom.catalog import TrackInfo
from pressroom.drives.base import Drive, DriveEvent
from pressroom.engine import Job, Run, RunProgress, RunState
from pressroom.gui import tasks
from pressroom.gui.bridge import EngineBridge
from pressroom.station import words

log = logging.getLogger(__name__)


class StationHub(QObject):
    catalog_changed = Signal()  # tracks imported
    grants_changed = Signal(object)  # list[GrantStatus]
    drives_changed = Signal(object, object)  # dict[id, Drive], dict[id, Verdict]
    run_started = Signal(object)  # Run
    run_finished = Signal(object)  # RunSummary
    ledger_changed = Signal()  # a run was recorded: history should reload
    error = Signal(str)  # one sentence for the banner
    notice = Signal(str)  # one sentence for the status bar
    report_saved = Signal(object)  # SavedReport: a run's PDF and CSV are in the reports folder
    report_failed = Signal(str)  # one sentence: the run's report could not be saved

    def __init__(self, app: App, parent: QObject | None = None, *, bridge_interval_ms: int = 60):
        super().__init__(parent)
        self.app = app
        self.station = app.station
        self.bridge = EngineBridge(self, interval_ms=bridge_interval_ms)
        self.bridge.drive_event.connect(self._on_drive_event)
        self.bridge.run_progress.connect(self._on_run_progress)
        self.has_keys = self.station.keys.has_keys()
        self.station_id: bytes | None = None  # loaded with the grants, in the pool
        self.drives: dict[str, Drive] = {}
        self.verdicts: dict[str, Any] = {}
        self.grants: list = []
        self._watcher = None
        self._closed = False

    # --- startup ---------------------------------------------------------------------------

    def start(self, on_ready: Callable[[], None] | None = None) -> None:
        """Reconcile a crashed run, list drives, start hotplug, load grants (in the pool)."""

        def work():
            notes = self.station.runs.reconcile()
            drives = self.station.disks.attached()
            verdicts = self.station.disks.judge(drives)
            watcher = None if self._closed else self.station.disks.watch(self.bridge.post)
            return notes, drives, verdicts, watcher, self._load_grants()

        def done(result):
            notes, drives, verdicts, watcher, (station_id, grants) = result
            if not self._adopt(drives, verdicts, watcher):
                return
            self.grants = grants
            self.station_id = station_id
            for note in notes:
                self.notice.emit(note)
            self.drives_changed.emit(self.drives, self.verdicts)
            self.grants_changed.emit(grants)
            if on_ready is not None:
                on_ready()

        tasks.submit(work, done, self._report)

    def _adopt(self, drives, verdicts, watcher) -> bool:
        """Take a freshly listed set of disks and its hotplug watch (False, and the watch
        stopped, when the window closed meanwhile)."""
        if self._closed:
            if watcher is not None:
                watcher.stop()
            return False
        self._watcher = watcher
        self.drives = {d.id: d for d in drives}
        self.verdicts = verdicts
        return True

    def reload_drives(self) -> None:
        """Rebuild the drive provider and its hotplug watch (the wizard just made demo
        disks); the cards follow through drives_changed. Not while a run is going."""
        if self.running:
            return
        old, self._watcher = self._watcher, None

        def work():
            if old is not None:
                old.stop()
            drives = self.station.disks.rescan()
            verdicts = self.station.disks.judge(drives)
            watcher = None if self._closed else self.station.disks.watch(self.bridge.post)
            return drives, verdicts, watcher

        def done(result) -> None:
            if self._adopt(*result):
                self.drives_changed.emit(self.drives, self.verdicts)

        tasks.submit(work, done, self._report)

    def _load_grants(self) -> tuple[bytes | None, list]:
        return self.station.grants.station_id(), self.station.grants.statuses()

    def reload_grants(self) -> None:
        tasks.submit(self._load_grants, self._set_grants, self._report)

    def _set_grants(self, loaded: tuple[bytes | None, list]) -> None:
        self.station_id, self.grants = loaded
        self.has_keys = self.station_id is not None
        self.grants_changed.emit(self.grants)

    def copies_left(self, tracks: list[TrackInfo]) -> dict[str, int | None]:
        """Per track, the most copies one usable grant allows (None: no grant covers it)."""
        return self.station.catalog.copies_left(tracks, self.grants, station=self.station_id)

    def readiness_reason(self, selected: list[TrackInfo]) -> str | None:
        """Why Start cannot be pressed now (the station's rule, on what the hub holds)."""
        ready = self.station.runs.readiness(
            has_keys=self.has_keys,
            selected=selected,
            grants=self.grants,
            station=self.station_id,
            drives=self.drives,
            verdicts=self.verdicts,
        )
        return None if ready.ok else ready.reason

    def _report(self, exc: BaseException) -> None:
        from pressroom.errors import PressroomError

        if isinstance(exc, PressroomError):
            self.error.emit(str(exc))
        else:  # a bug: its type and text are for the log, the banner says what to do
            log.error("unexpected error in a station task", exc_info=exc)
            self.error.emit(words.UNEXPECTED.text)

    # --- drives ----------------------------------------------------------------------------

    def _on_drive_event(self, ev: DriveEvent) -> None:
        if ev.kind == "removed":
            self.drives.pop(ev.drive.id, None)
            self.verdicts.pop(ev.drive.id, None)
            self.drives_changed.emit(self.drives, self.verdicts)
            return
        self.drives[ev.drive.id] = ev.drive
        snapshot = list(self.drives.values())
        tasks.submit(lambda: self.station.disks.judge(snapshot), self._set_verdicts, self._report)

    def _set_verdicts(self, verdicts) -> None:
        self.verdicts = {k: v for k, v in verdicts.items() if k in self.drives}
        self.drives_changed.emit(self.drives, self.verdicts)

    def eject(self, drive_id: str) -> None:
        if drive_id not in self.drives:
            return
        run = self.run
        if run is not None and not run.done:
            tasks.submit(lambda: run.eject(drive_id), None, self._report)
        else:
            tasks.submit(lambda: self.station.disks.eject(drive_id), None, self._report)

    # --- runs ------------------------------------------------------------------------------

    def plan(
        self,
        track_hashes: list[str],
        copies: int,
        rights: dict[str, str],
        *,
        insert_and_go: bool,
        drives: list[str] | None = None,
    ) -> Job:
        """Plan a job with per-track rights (raises the sentence Start's tooltip shows)."""
        return self.station.runs.plan(
            track_hashes, copies=copies, rights=rights, insert_and_go=insert_and_go, drives=drives
        )

    def start_run(
        self,
        track_hashes: list[str],
        copies: int,
        rights: dict[str, str],
        *,
        insert_and_go: bool,
        on_started: Callable[[Run], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        def work() -> Run:
            job = self.plan(track_hashes, copies, rights, insert_and_go=insert_and_go)
            return self.station.runs.start(job, self.bridge.post)

        def done(run: Run) -> None:
            self.run_started.emit(run)
            if on_started is not None:
                on_started(run)

        def failed(exc: BaseException) -> None:
            self._report(exc)
            if on_error is not None:
                on_error(exc)

        tasks.submit(work, done, failed)

    @property
    def run(self) -> Run | None:
        """The station's current (or last) run: one guard, whichever face started it."""
        return self.station.runs.current

    @property
    def running(self) -> bool:
        return self.station.runs.running

    def stop_run(self) -> None:
        run = self.run
        if run is not None and not run.done:
            tasks.submit(run.cancel, None, self._report)

    def finish_run(self) -> None:
        """End a run that waits for disks; recorded as finished, not cancelled."""

        def done(ok: bool) -> None:
            if not ok:
                self.notice.emit("Disks are still being written; wait for them or press Stop.")

        tasks.submit(self.station.runs.finish, done, self._report)

    def retry(self, drive_id: str) -> None:
        run = self.run
        if run is None:
            return

        def done(ok: bool) -> None:
            if not ok:
                self.notice.emit(
                    "That disk cannot be retried now (it is busy, gone, or the run has ended)."
                )

        tasks.submit(lambda: run.retry(drive_id), done, self._report)

    def _on_run_progress(self, ev: RunProgress) -> None:
        run = self.run
        if run is None or ev.run_id != run.id:
            return
        if ev.state in (RunState.FINISHED, RunState.CANCELLED, RunState.EXHAUSTED) and run.done:
            self.run_finished.emit(run.summary())
            self.ledger_changed.emit()
            self.reload_grants()
            self._save_report(run.id)

    def _save_report(self, run_id: str) -> None:
        """Every front end on this hub (the window, the kiosk) gets the run's report saved
        when the setting is on, in the pool; a folder that cannot be written is one
        sentence (the window shows it, the kiosk logs it for the owner) and the run stands."""
        from pressroom.errors import PressroomError

        reports = self.station.reports

        def saved(result: object) -> None:
            if result is not None:
                self.report_saved.emit(result)

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, PressroomError):
                self._report(exc)
                return
            log.warning("%s", exc)
            self.report_failed.emit(str(exc))

        tasks.submit(lambda: reports.after_run(run_id), saved, failed)

    # --- shutdown --------------------------------------------------------------------------

    def shutdown(self, timeout_s: float = 15.0) -> None:
        """Cancel a run, stop hotplug, wait for pool tasks, close the app's parts."""
        self._closed = True
        run = self.run
        if run is not None and not run.done:
            run.cancel()
            run.wait(timeout_s)
        elif run is not None:
            run.wait(1)
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
        tasks.wait_all(int(timeout_s * 1000))
        self.bridge.stop()
        self.app.close()
