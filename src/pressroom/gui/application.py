"""The station's signal hub: one QObject between the Qt-free core and the widgets.

Widgets never call the engine, the ledger or the drive provider directly; they call the
hub, which does the work off the GUI thread (:mod:`pressroom.gui.tasks`) and announces
results as signals. Engine and hotplug events arrive through the one
:class:`~pressroom.gui.bridge.EngineBridge`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Signal

from pressroom.drives.base import Drive, DriveEvent
from pressroom.engine import Job, Run, RunProgress, RunState, Station
from pressroom.gui import tasks
from pressroom.gui.bridge import EngineBridge
from pressroom.secure.rights import parse_rights


class StationHub(QObject):
    catalog_changed = Signal()  # tracks imported
    grants_changed = Signal(object)  # list[GrantStatus]
    drives_changed = Signal(object, object)  # dict[id, Drive], dict[id, Verdict]
    run_started = Signal(object)  # Run
    run_finished = Signal(object)  # RunSummary
    ledger_changed = Signal()  # a run was recorded: history should reload
    error = Signal(str)  # one sentence for the banner
    notice = Signal(str)  # one sentence for the status bar

    def __init__(self, app, parent: QObject | None = None, *, bridge_interval_ms: int = 60):
        super().__init__(parent)
        self.app = app
        self.station = Station(app)
        self.bridge = EngineBridge(self, interval_ms=bridge_interval_ms)
        self.bridge.drive_event.connect(self._on_drive_event)
        self.bridge.run_progress.connect(self._on_run_progress)
        self.run: Run | None = None
        self.drives: dict[str, Drive] = {}
        self.verdicts: dict[str, Any] = {}
        self.grants: list = []
        self._watcher = None
        self._closed = False

    # --- startup ---------------------------------------------------------------------------

    def start(self, on_ready: Callable[[], None] | None = None) -> None:
        """Reconcile a crashed run, list drives, start hotplug, load grants (in the pool)."""

        def work():
            notes = self.station.reconcile()
            drives = self.app.drive_provider.list_drives()
            verdicts = self.station.judge(drives)
            watcher = None if self._closed else self.app.drive_provider.watch(self.bridge.post)
            return notes, drives, verdicts, watcher, self.app.ledger.grants()

        def done(result):
            notes, drives, verdicts, watcher, grants = result
            if self._closed:
                if watcher is not None:
                    watcher.stop()
                return
            self._watcher = watcher
            self.drives = {d.id: d for d in drives}
            self.verdicts = verdicts
            self.grants = grants
            for note in notes:
                self.notice.emit(note)
            self.drives_changed.emit(self.drives, self.verdicts)
            self.grants_changed.emit(grants)
            if on_ready is not None:
                on_ready()

        tasks.submit(work, done, self._report)

    def reload_grants(self) -> None:
        tasks.submit(self.app.ledger.grants, self._set_grants, self._report)

    def _set_grants(self, grants) -> None:
        self.grants = grants
        self.grants_changed.emit(grants)

    def _report(self, exc: BaseException) -> None:
        from pressroom.errors import PressroomError

        if isinstance(exc, PressroomError):
            self.error.emit(str(exc))
        else:
            self.error.emit(f"Something went wrong: {type(exc).__name__}: {exc}.")

    # --- drives ----------------------------------------------------------------------------

    def _on_drive_event(self, ev: DriveEvent) -> None:
        if ev.kind == "removed":
            self.drives.pop(ev.drive.id, None)
            self.verdicts.pop(ev.drive.id, None)
            self.drives_changed.emit(self.drives, self.verdicts)
            return
        self.drives[ev.drive.id] = ev.drive
        snapshot = list(self.drives.values())
        tasks.submit(lambda: self.station.judge(snapshot), self._set_verdicts, self._report)

    def _set_verdicts(self, verdicts) -> None:
        self.verdicts = {k: v for k, v in verdicts.items() if k in self.drives}
        self.drives_changed.emit(self.drives, self.verdicts)

    def eject(self, drive_id: str) -> None:
        drive = self.drives.get(drive_id)
        if drive is None:
            return
        if self.run is not None and not self.run.done:
            tasks.submit(lambda: self.run.eject(drive_id), None, self._report)
        else:
            tasks.submit(lambda: self.app.drive_provider.eject(drive), None, self._report)

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
        """Plan a job; per-track rights applied on top of ``Station.plan``'s one preset.

        Raises PressroomError with the sentence the Start button's tooltip shows.
        """
        first = rights.get(track_hashes[0], "standard") if track_hashes else "standard"
        job = self.station.plan(
            track_hashes, copies=copies, rights=first, insert_and_go=insert_and_go, drives=drives
        )
        if len(set(rights.values())) <= 1:
            return job
        import time

        now = int(time.time())
        tracks = tuple(
            replace(t, rights=parse_rights(rights.get(t.content_hash, first), now))
            for t in job.tracks
        )
        status = self.app.ledger.get_grant(job.grant_id)
        for t in tracks:
            why = status.grant.limits.violation(t.rights, now)
            if why:
                from pressroom.errors import UsageError

                raise UsageError(f"Rights for {t.title} are not allowed: {why}.")
        return replace(job, tracks=tracks)

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
            return self.station.start(job, self.bridge.post)

        def done(run: Run) -> None:
            self.run = run
            self.run_started.emit(run)
            if on_started is not None:
                on_started(run)

        def failed(exc: BaseException) -> None:
            self._report(exc)
            if on_error is not None:
                on_error(exc)

        tasks.submit(work, done, failed)

    @property
    def running(self) -> bool:
        return self.run is not None and not self.run.done

    def stop_run(self) -> None:
        run = self.run
        if run is not None and not run.done:
            tasks.submit(run.cancel, None, self._report)

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
