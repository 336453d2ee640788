"""The station window: catalog, job bar and drive grid on one tab, history on another.

The window routes signals between its widgets (laid out by
:mod:`pressroom.gui.main_layout`) and the :class:`~pressroom.gui.application.StationHub`.
It decides nothing itself: whether Start may be pressed, and why not, is the station's
rule (``station.runs.readiness``), asked through the hub with what the hub holds.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMessageBox,
    QSystemTrayIcon,
)

from pressroom.engine.events import DiskProgress, LogLine, RunProgress
from pressroom.gui import tasks, theme
from pressroom.gui.application import StationHub
from pressroom.gui.disk_details import disk_details
from pressroom.gui.main_layout import MainLayout
from pressroom.gui.operator_prompt import OperatorPrompt
from pressroom.gui.report_notice import ReportNotice
from pressroom.gui.tower_view import TowerView
from pressroom.station import words
from pressroom.station.runs import RunOutlook, outlook, timing, title

log = logging.getLogger(__name__)

LOG_LIMIT = 500  # lines kept per disk for Details
TOWER_ABOVE = 16  # more disks than this: the port map instead of the cards


class MainWindow(MainLayout):
    def __init__(self, hub: StationHub, *, demo: bool = False):
        super().__init__()
        self.hub = hub
        self.demo = demo
        self.logs: dict[str, list[str]] = defaultdict(list)
        self._last_stage: dict[str, tuple] = {}
        self._close_when_stopped = False
        self.last_run_id: str | None = None
        self.outlook: RunOutlook | None = None
        self.base_title = "Pressroom station" + (" — demo" if demo else "")
        self.setWindowTitle(self.base_title)
        self.run_started_at: float | None = None
        self._clock_shown = 0.0
        self.tray = None
        self.notified: list[str] = []  # what the end-of-run notices said (tests read it)
        self.setWindowIcon(theme.icon("app"))

        self._build_layout(hub)
        # the tower view takes the cards' place above TOWER_ABOVE disks (_switch_view)
        self.tower = TowerView()
        area = self.grid.parentWidget().layout()
        area.insertWidget(area.indexOf(self.grid) + 1, self.tower, 1)
        self.tower.hide()
        self._for_cards: dict[str, DiskProgress] = {}  # progress the hidden cards missed
        self.tower.details_clicked.connect(self.show_details)
        self.report_notice = ReportNotice()  # where the run's report was saved
        self.statusBar().addPermanentWidget(self.report_notice)
        self.operator_prompt: OperatorPrompt | None = None

        # wiring
        self.catalog.import_requested.connect(self.import_paths)
        self.catalog.selection_changed.connect(self.refresh_start)
        self.catalog.rights_changed.connect(self._rights_changed)
        self.job_bar.rights_for_all.connect(self._rights_for_all)
        self.job_bar.changed.connect(self.refresh_start)
        self.job_bar.start_clicked.connect(self.start_run)
        self.job_bar.stop_clicked.connect(self.stop_run)
        self.job_bar.finish_clicked.connect(self.finish_run)
        self.grid.retry_clicked.connect(self.retry)
        self.grid.eject_clicked.connect(hub.eject)
        self.grid.details_clicked.connect(self.show_details)
        self.grid.failures_changed.connect(self._failures_changed)
        self.history.exported.connect(self._report_written)
        hub.drives_changed.connect(self._drives_changed)
        hub.grants_changed.connect(self._grants_changed)
        hub.error.connect(self.show_error)
        hub.report_saved.connect(self.report_notice.show_saved)
        hub.report_failed.connect(self.show_error)
        hub.notice.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        hub.run_finished.connect(self._run_finished)
        hub.ledger_changed.connect(self.history.reload)
        hub.bridge.disk_progress.connect(self._disk_progress)
        hub.bridge.run_progress.connect(self._run_progress)
        hub.bridge.log_line.connect(self._log_line)
        self.refresh_start()

    # --- menus -----------------------------------------------------------------------------

    # --- startup ---------------------------------------------------------------------------

    def load(self) -> None:
        """Load catalog, drives and grants in the pool; the window is usable meanwhile."""
        self.reload_catalog()
        self.hub.start(on_ready=lambda: self.statusBar().showMessage("Ready", 5000))
        self.history.reload()

    def reload_catalog(self) -> None:
        catalog = self.hub.station.catalog
        tasks.submit(catalog.tracks, self._catalog_loaded, self.hub._report, context=self)

    def _catalog_loaded(self, tracks) -> None:
        self.catalog.set_tracks(tracks)
        self._grants_changed(self.hub.grants)

    def _grants_changed(self, grants) -> None:
        self.catalog.model.set_copies_left(self.hub.copies_left(self.catalog.model.tracks))
        self.refresh_start()

    def _drives_changed(self, drives, verdicts) -> None:
        if not self.hub.running:
            self.grid.sync_drives(drives, verdicts)
            self.tower.sync_drives(drives, verdicts)
        else:  # the run's own events drive the cards; only add/remove here
            for drive_id in [d for d in self.grid.cards if d not in drives]:
                self.grid.drive_removed(drive_id)
                self.tower.drive_removed(drive_id)
            for drive_id, drive in drives.items():
                card = self.grid.card(drive_id)
                if card is not None:
                    card.set_drive(drive, verdicts.get(drive_id))
        self._switch_view()
        self.refresh_start()

    def _switch_view(self) -> None:
        """Cards for a handful of disks, the port map for a tower."""
        tower = len(self.grid.cards) > TOWER_ABOVE
        if tower != self.tower.isVisible():
            if not tower:
                for ev in self._for_cards.values():
                    self.grid.update_progress(ev)
                self._for_cards.clear()
            self.grid.setVisible(not tower)
            self.tower.setVisible(tower)

    # --- Start readiness -------------------------------------------------------------------

    @property
    def has_keys(self) -> bool:
        return self.hub.has_keys

    def start_blocker(self) -> str | None:
        """Why Start cannot be pressed now, in words; None if it can."""
        return self.hub.readiness_reason(self.catalog.selected_tracks())

    def refresh_start(self) -> None:
        why = self.start_blocker()
        self.job_bar.set_ready(why is None, why or "", self.hub.running)
        if self.hub.running and self.outlook is not None:
            self.job_bar.set_outlook(self.outlook.can_stop, self.outlook.can_finish)
        tracks = self.catalog.selected_tracks()
        payload = sum(t.size for t in tracks)
        drives = list(self.hub.drives.values())
        smallest = min(drives, key=lambda d: d.free) if drives else None
        self.job_bar.set_sizes(payload, (smallest.label, smallest.free) if smallest else None)

    def _rights_for_all(self, preset: str) -> None:
        self.catalog.model.set_rights_all(preset)

    def _rights_changed(self) -> None:
        values = set(self.catalog.model.rights.values())
        if len(values) > 1:
            self.job_bar.show_per_track()

    # --- run -------------------------------------------------------------------------------

    def start_run(self) -> None:
        why = self.start_blocker()
        if why is not None:
            self.show_error(f"Cannot start: {why}")
            return
        if self.hub.station.shift.needs_name():  # once per shift (station.shift's rule)
            self.ask_operator()
            return
        hashes = self.catalog.selected_hashes()
        self.report_notice.hide()
        self.banner_row.hide()
        self.grid.clear_removed()
        self.tower.clear_removed()
        self.logs.clear()
        self._last_stage.clear()
        self.outlook = None
        self.job_bar.set_ready(False, "starting…", True)
        self.run_summary.setText("Starting the run…")
        self.hub.start_run(
            hashes,
            self.job_bar.copies.value(),
            self.catalog.rights_for(hashes),
            insert_and_go=self.job_bar.insert_and_go.isChecked(),
            on_started=self._run_started,
            on_error=lambda exc: self.refresh_start(),
        )

    def ask_operator(self) -> None:
        """Ask who is working (window-modal, the loop runs on); the run starts once the
        name is remembered, and not at all if the operator cancels."""
        if self.operator_prompt is not None and self.operator_prompt.isVisible():
            self.operator_prompt.raise_()  # Start pressed again while it asks
            return
        prompt = OperatorPrompt(self.hub.station.shift.last_name, self)
        self.operator_prompt = prompt
        shift = self.hub.station.shift

        def given() -> None:
            name = prompt.chosen()
            tasks.submit(lambda: shift.remember(name), lambda _: self.start_run(), named_anyway)

        def named_anyway(exc: BaseException) -> None:  # not saved: the name stands for now
            if not shift.needs_name():
                self.start_run()  # (it clears the banner: the sentence goes up after it)
            self.hub._report(exc)

        prompt.accepted.connect(given)
        prompt.rejected.connect(
            lambda: self.statusBar().showMessage("Not started: a run needs the operator's name.")
        )
        prompt.open()

    def _run_started(self, run) -> None:
        self.run_started_at = time.monotonic()
        self.last_run_id = run.id
        # the run's first event went out before the station knew the run: render it now
        # (without the run's lock: the workers hold it in turn while they start)
        self._render(outlook(run.progress_now(), insert_and_go=run.job.insert_and_go))
        self.report_btn.setEnabled(True)
        self.report_btn.setToolTip("PDF report of this run: every disk recorded so far")
        self.refresh_start()
        self.statusBar().showMessage(f"Run {run.id[:8]} started", 5000)

    def stop_run(self) -> None:
        self.run_summary.setText("Stopping: cleaning up the disks being written…")
        self.hub.stop_run()

    def finish_run(self) -> None:
        self.hub.finish_run()

    def retry(self, drive_id: str) -> None:
        if not self.hub.running:  # Retry is hidden then; a late click is only noted
            self.statusBar().showMessage("The run has ended; press Start for a new run.", 8000)
            return
        self._log(drive_id, "operator pressed Retry")
        self.hub.retry(drive_id)

    def _disk_progress(self, ev: DiskProgress) -> None:
        if self.tower.isVisible():  # hidden cards catch up when they are shown again
            self._for_cards[ev.drive_id] = ev
        else:
            self.grid.update_progress(ev)
        self.tower.update_progress(ev)
        if time.monotonic() - self._clock_shown >= 1.0:
            self._show_clock()
        key = (ev.state, ev.stage)
        if self._last_stage.get(ev.drive_id) != key:
            self._last_stage[ev.drive_id] = key
            line = f"{ev.state.value}: {ev.stage.label}"
            if ev.reason:
                line += f" — {ev.reason}"
            self._log(ev.drive_id, line)

    def _log_line(self, ev: LogLine) -> None:
        self._log(ev.drive_id or "run", ev.text)

    def _log(self, drive_id: str, text: str) -> None:
        lines = self.logs[drive_id]
        lines.append(f"{time.strftime('%H:%M:%S')}  {text}")
        del lines[:-LOG_LIMIT]

    def _run_progress(self, ev: RunProgress) -> None:
        run = self.hub.run
        if run is None or ev.run_id != run.id:
            return
        self._render(outlook(ev, insert_and_go=run.job.insert_and_go))

    def _render(self, look: RunOutlook) -> None:
        self.outlook = look
        self.run_summary.setText(look.headline)
        self.run_summary.setAccessibleDescription(look.headline)
        self.job_bar.set_outlook(look.can_stop, look.can_finish)
        self.grid.set_retry_possible(look.can_retry)
        run = self.hub.run
        self.grid.set_run_phase(look.phase, run.job.drives if run is not None else None)
        self.setWindowTitle(title(self.base_title, look))
        self._show_clock()

    def _show_clock(self) -> None:
        """Elapsed time and, while disks are written, the whole run's time left."""
        if self.run_started_at is None or self.outlook is None:
            return
        self._clock_shown = time.monotonic()
        self.run_clock.setText(timing(self._clock_shown - self.run_started_at, self.outlook))

    def _run_finished(self, summary) -> None:
        # the hub hears the run's last event first: render its outcome before telling it
        end = RunProgress(
            summary.run_id, summary.state, summary.target, summary.passed, summary.failed, 0
        )
        self._render(outlook(end))
        if summary.error:  # the step before the disks failed (a track could not be marked)
            self.show_error(f"The run could not start: {summary.error}")
        self._notify_done()
        self.report_btn.setEnabled(True)
        self.refresh_start()
        if self._close_when_stopped:
            self.close()

    def _notify_done(self) -> None:
        """The run ended: the task bar flashes, the tray says it, a chime where there is
        audio (setting), and the title keeps the result."""
        text = self.outlook.headline if self.outlook is not None else "The run has ended."
        self.notified.append(text)
        QApplication.alert(self, 0)
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self.tray is None:
                self.tray = QSystemTrayIcon(theme.icon("app"), self)
                self.tray.show()
            self.tray.showMessage("Pressroom", text, QSystemTrayIcon.MessageIcon.Information)
        config = self.hub.app.config
        if config.settings.sound_when_done:
            from pressroom.gui.chime import play_chime

            play_chime(self, config.data_dir)

    # --- disks -----------------------------------------------------------------------------

    def _failures_changed(self, failed: list[str]) -> None:
        """The header's failures list: one entry per failed disk, each jumps to its card."""
        menu = self.failures_btn.menu()
        menu.clear()
        for drive_id in failed:
            card = self.grid.card(drive_id)
            if card is None:
                continue
            why = card.reason.text()
            act = menu.addAction(theme.icon("fail"), f"{card.title.text()}: {card.headline()}")
            act.setToolTip(why)
            act.triggered.connect(lambda _=False, d=drive_id: self.grid.jump_to(d))
        self.failures_btn.setText(f"✖ {len(failed)} failed")
        self.failures_btn.setVisible(bool(failed))

    def show_details(self, drive_id: str) -> None:
        """The disk's log and identity; from it, the disk opens in the player."""
        self.details_dialog = disk_details(
            self, drive_id, self.grid.card(drive_id), self.logs.get(drive_id, []), self.open_player
        )

    def open_player(self, mount) -> None:
        """The bundled player on this disk (its serial read through the drive provider)."""
        try:
            from pressroom.gui.player_window import PlayerWindow
        except ImportError as exc:  # QtMultimedia without libpulse.so.0
            log.warning("the player cannot open: %s", exc)  # the detail, for the log
            self.show_error(f"The player cannot open. {words.audio_missing_words().text}")
            return

        self.player_window = PlayerWindow(self.hub.app, mount)
        self.player_window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.player_window.show()

    # --- catalog import, grants, reports ---------------------------------------------------

    def import_paths(self, paths: list[str]) -> None:
        catalog = self.hub.station.catalog
        self.catalog.status.setText(f"Importing {len(paths)} item(s)…")
        tasks.submit(
            lambda: catalog.import_paths(paths),
            self._imported,
            self.hub._report,
            context=self,
        )

    def _imported(self, report) -> None:
        self.catalog.show_import_result(report)
        self.reload_catalog()

    def import_grant(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Import a rights grant")
            if not path:
                return
        tasks.submit(
            lambda: self.hub.station.setup.import_grant(path),
            lambda gid: (
                self.statusBar().showMessage(f"Grant {gid[:12]} recorded", 8000),
                self.hub.reload_grants(),
            ),
            self.hub._report,
            context=self,
        )

    def save_run_report(self, path: str | None = None) -> None:
        """Write the last run's PDF; chosen in a dialog, it then opens for printing."""
        open_after = not path
        run_id = self.last_run_id or self.history.selected_run()
        if run_id is None:
            self.show_error("There is no run to report yet.")
            return
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self,
                "Save the run report",
                str(Path.home() / f"pressroom-{run_id[:8]}.pdf"),
                "PDF (*.pdf)",
            )
            if not path:
                return
        reports, out = self.hub.station.reports, Path(path)

        def work() -> Path:
            reports.write("pdf", out, run_id=run_id)
            return out

        tasks.submit(
            work,
            lambda p: self._report_written(p, open_after),
            self.hub._report,
            context=self,
        )

    def _report_written(self, path, open_after: bool = False) -> None:
        self.statusBar().showMessage(f"Report written to {path}", 15_000)
        self.last_report = str(path)
        if open_after:  # the system viewer prints it
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    # --- dialogs ---------------------------------------------------------------------------

    def show_error(self, text: str) -> None:
        self.banner.setText(f"✖ {text}")
        self.banner_row.show()  # until the operator dismisses it (✕) or the next Start
        QTimer.singleShot(0, self.refresh_start)

    def open_settings(self) -> None:
        from pressroom.gui.settings_dialog import SettingsDialog

        dlg = SettingsDialog(self.hub.app.config, self)
        if dlg.exec():
            self.statusBar().showMessage(
                "Settings saved; some take effect at the next start.", 8000
            )

    def open_wizard(self) -> None:
        from pressroom.gui.setup_wizard import SetupWizard

        wiz = SetupWizard(self.hub.app, self)
        wiz.finished.connect(lambda _: self.after_setup())
        wiz.open()
        self.wizard = wiz

    def after_setup(self) -> None:
        self.hub.has_keys = self.hub.station.keys.has_keys()
        self.reload_catalog()
        self.hub.reload_grants()
        self.hub.reload_drives()  # the demo's disks show at once, not after a restart

    def _demo_add(self, failing: bool) -> None:
        demo = self.hub.station.demo
        tasks.submit(
            lambda: demo.plug_new(failing=failing),
            lambda spec: self.statusBar().showMessage(
                f"Plugged in {spec.name} on port {spec.port_path}", 5000
            ),
            self.hub._report,
            context=self,
        )

    def _about(self) -> None:
        from pressroom import __version__

        QMessageBox.about(
            self,
            "About Pressroom",
            f"<b>Pressroom {__version__}</b><br>Duplication station for secured music: every "
            "copy is bound to the hardware serial of the disk it is written to.",
        )

    def show_history(self) -> None:
        self.tabs.setCurrentWidget(self.history)

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.history:
            self.history.reload()

    # --- closing ---------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        if self.hub.running and not self._close_when_stopped:
            answer = QMessageBox.question(
                self,
                "Stop the run?",
                "Disks are being written. Stop the run and close? Disks being written are "
                "cleaned up and their copies are not counted.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            self._close_when_stopped = True
            self.stop_run()
            event.ignore()
            return
        if self.hub.running:  # still stopping: wait for the run's last event
            event.ignore()
            return
        self.hub.shutdown()
        event.accept()
