"""The kiosk window: one customer, one album, one disk, from the shelf to "Take your disk".

The station's :class:`~pressroom.gui.application.StationHub` provides the engine, the
one event bridge and hotplug; this window adds the customer's flow on top. While a
customer is served only the first disk that arrives on the Insert screen is used (one
run, ``copies=1``, ``drives=[that disk]``), so other slots are ignored. Engine work and
PIN checks run in the task pool; the event loop never waits. The PIN's rules, hash and
lockout are :mod:`pressroom.pin`'s; this window only shows what it answers.
"""

from __future__ import annotations

import contextlib
import time
from enum import StrEnum
from html import escape

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QHBoxLayout, QStackedWidget, QVBoxLayout, QWidget

from pressroom import pin as pins
from pressroom.drives.base import DriveEvent
from pressroom.engine.events import DiskProgress, DiskState
from pressroom.gui import tasks, theme
from pressroom.gui.application import StationHub
from pressroom.gui.kiosk.screens import (
    AlbumScreen,
    DoneScreen,
    InsertScreen,
    PinScreen,
    ProblemScreen,
    ProgressScreen,
    StartScreen,
    button,
    label,
)
from pressroom.gui.kiosk.style import Sizes, kiosk_qss, sizes_for
from pressroom.gui.kiosk.words import STAGE_WORDS, problem_for
from pressroom.station.catalog import Album
from pressroom.station.shift import KIOSK_OPERATOR

INPUT_EVENTS = {
    QEvent.Type.MouseButtonPress,
    QEvent.Type.KeyPress,
    QEvent.Type.TouchBegin,
    QEvent.Type.TouchUpdate,
    QEvent.Type.Wheel,
}


MIN_SCREEN = (800, 480)  # the smallest counter touch panel the kiosk is made for


class PinPurpose(StrEnum):
    CHECK = "check"  # the operator wants out: check the PIN (lockout applies)
    CHOOSE = "choose"  # no PIN yet: the first one (no way out of the screen)
    CHANGE = "change"  # the old PIN was right but breaks today's rules: a new one


class Mode(StrEnum):
    START = "start"
    ALBUM = "album"
    INSERT = "insert"
    WRITING = "writing"
    DONE = "done"
    PROBLEM = "problem"
    PIN = "pin"


class _SoldOut(Exception):
    """The album became unsellable between the shelf and the Buy button."""


class _InputWatch(QObject):
    """Application-wide event filter: any touch, click or key restarts the idle timer."""

    touched = Signal()

    def eventFilter(self, obj, event) -> bool:
        if event.type() in INPUT_EVENTS:
            self.touched.emit()
        return False


class KioskWindow(QWidget):
    exited = Signal()  # the operator left kiosk mode with the right PIN

    def __init__(self, hub: StationHub, *, demo: bool = False, gate: pins.PinGate | None = None):
        super().__init__()
        self.hub = hub
        self.app = hub.app
        self.station = hub.station
        self.demo = demo
        self.settings = self.app.config.settings
        self.setObjectName("kiosk")
        self.setWindowTitle("Pressroom")
        self.sizes: Sizes | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        theme.notifier().changed.connect(self._restyle)

        self.mode = Mode.START
        self.albums: list[Album] = []
        self.covers: dict[str | None, bytes | None] = {}
        self.available: dict[str, bool] = {}
        self.album: Album | None = None
        self.drive_id: str | None = None
        self.run = None
        self.last_licence: str | None = None
        self._unlocked = False
        self._pin_first: str | None = None  # while choosing a new PIN: the first entry
        self._purpose = PinPurpose.CHECK
        self.gate = gate if gate is not None else self.app.pin_gate

        self.start = StartScreen()
        self.album_view = AlbumScreen()
        self.insert = InsertScreen(demo=demo)
        self.progress = ProgressScreen()
        self.done = DoneScreen()
        self.problem = ProblemScreen()
        self.pin = PinScreen()
        self.stack = QStackedWidget()
        self.screens = {
            Mode.START: self.start,
            Mode.ALBUM: self.album_view,
            Mode.INSERT: self.insert,
            Mode.WRITING: self.progress,
            Mode.DONE: self.done,
            Mode.PROBLEM: self.problem,
            Mode.PIN: self.pin,
        }
        for w in self.screens.values():
            self.stack.addWidget(w)

        top = self._top = QHBoxLayout()
        top.setContentsMargins(24, 12, 12, 0)
        top.addWidget(label(self.settings.station_label or "Pressroom", "shop", wrap=False))
        top.addStretch(1)
        self.corner = button("")
        self.corner.setObjectName("corner")
        self.corner.setIcon(theme.icon("settings"))
        self.corner.setToolTip("Operator")
        self.corner.setAccessibleName("Operator")
        self.corner.clicked.connect(self.ask_operator_pin)
        keep = self.corner.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # the screens do not jump when it hides
        self.corner.setSizePolicy(keep)
        top.addWidget(self.corner)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.stack, 1)

        self.start.picked.connect(self.show_album)
        self.album_view.back.connect(self.go_start)
        self.album_view.buy.connect(self.begin_insert)
        self.insert.cancel.connect(self.go_start)
        self.insert.demo_insert.connect(self.insert_demo_disk)
        self.done.finished.connect(self.go_start)
        self.problem.back.connect(self.go_start)
        self.problem.retry.connect(self.begin_insert)
        self.pin.entered.connect(self._pin_entered)
        self.pin.cancel.connect(self.go_start)
        hub.bridge.drive_event.connect(self._on_drive_event)
        hub.bridge.disk_progress.connect(self._on_disk_progress)
        hub.error.connect(self._on_hub_error)

        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.setInterval(max(1, int(float(self.settings.kiosk_idle_seconds) * 1000)))
        self.idle.timeout.connect(self._on_idle)
        self.lock_timer = QTimer(self)  # counts a lockout down on the keypad, once a second
        self.lock_timer.setInterval(1000)
        self.lock_timer.timeout.connect(self._refresh_lock)
        self._input = _InputWatch(self)
        self._input.touched.connect(self.touch)
        QApplication.instance().installEventFilter(self._input)
        self.start.set_price(self.settings.kiosk_price_text)
        # the layouts scale to the window (resizeEvent), so they must not hold it at the
        # size of the last scale: the smallest shop panel is the floor
        self.setMinimumSize(*MIN_SCREEN)
        screen = QApplication.primaryScreen()
        size = screen.size() if screen is not None else None
        self.apply_sizes(sizes_for(size.width(), size.height()) if size else Sizes(1.0))

    def apply_sizes(self, sizes: Sizes) -> None:
        """Scale the kiosk to its screen (called on every resize; a no-op unless the
        scale step changed)."""
        if sizes == self.sizes:
            return
        self.sizes = sizes
        self.setStyleSheet(kiosk_qss(sizes))
        for screen in self.screens.values():
            screen.apply_sizes(sizes)
        self._top.setContentsMargins(sizes.px(24), sizes.px(12), sizes.px(12), 0)
        side = sizes.corner_icon
        self.corner.setIconSize(QSize(side, side))

    def _restyle(self, _scheme: str = "") -> None:
        """The colour scheme changed: the style sheet and icons again, in its colours."""
        if self.sizes is not None:
            self.setStyleSheet(kiosk_qss(self.sizes))
            for screen in self.screens.values():
                screen.apply_sizes(self.sizes)

    def resizeEvent(self, event) -> None:
        self.apply_sizes(sizes_for(event.size().width(), event.size().height()))
        super().resizeEvent(event)

    # --- startup and shutdown ----------------------------------------------------------

    def load(self) -> None:
        """Start hotplug and fill the shelf; a station without a PIN asks for one first."""
        self.hub.start(on_ready=self.reload_shelf)
        if not self.settings.kiosk_pin_hash:
            self._pin_first = None
            self._purpose = PinPurpose.CHOOSE
            self._show(Mode.PIN)
            self.pin.ask("Choose an operator PIN", self._pin_rule(), can_cancel=False)
        else:
            self._show(Mode.START)

    def present(self) -> None:
        """Full screen, frameless, on top: nothing of the desktop shows."""
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self.showFullScreen()

    def exit_kiosk(self) -> None:
        """Leave kiosk mode: stop the idle timer, the input filter, hotplug and the hub."""
        if self._unlocked:
            return
        self._unlocked = True
        self.idle.stop()
        self.lock_timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._input)
        run = self.run
        if run is not None and not run.done:
            run.cancel()
        self.hub.shutdown()
        self.close()
        self.exited.emit()

    def closeEvent(self, event) -> None:
        if self._unlocked:
            event.accept()
        else:
            event.ignore()  # Alt+F4 and the like do not leave kiosk mode; the PIN does

    def keyPressEvent(self, event) -> None:
        event.accept()  # Esc and every other key do nothing here

    # --- navigation ----------------------------------------------------------------------

    def _show(self, mode: Mode) -> None:
        self.mode = mode
        self.stack.setCurrentWidget(self.screens[mode])
        self.corner.setVisible(mode in (Mode.START, Mode.ALBUM))
        self.touch()

    def touch(self) -> None:
        if not self._unlocked:
            self.idle.start()

    def _on_idle(self) -> None:
        if self.mode == Mode.WRITING:
            self.idle.start()  # never leave a disk that is being written
        elif self.mode == Mode.PIN and self._purpose == PinPurpose.CHOOSE:
            self.idle.start()  # the operator is still choosing the first PIN
        elif self.mode != Mode.START:
            self.go_start()

    def go_start(self) -> None:
        if self.mode == Mode.WRITING:
            return
        self.album = None
        self.drive_id = None
        self.run = None
        self._purpose = PinPurpose.CHECK  # a PIN change left half-way: the old PIN stays
        self._pin_first = None
        self.lock_timer.stop()
        self._show(Mode.START)

    def show_album(self, album: Album) -> None:
        self.album = album
        self.album_view.show_album(
            album,
            self.covers.get(album.cover_hash),
            self.available.get(album.title, False),
            self.settings.kiosk_price_text,
        )
        self._show(Mode.ALBUM)

    def begin_insert(self) -> None:
        if self.album is None:
            self.go_start()
            return
        self.drive_id = None
        self.run = None
        self.insert.show_for(self.album)
        self._show(Mode.INSERT)
        self._take_a_waiting_disk()

    def _take_a_waiting_disk(self) -> None:
        """A customer may insert the disk before pressing Buy: if exactly one blank disk
        (no Pressroom copy on it) is already in a slot, take it; if several, wait for one
        to arrive, since the kiosk cannot tell which is this customer's."""
        disks = self.station.disks

        def chosen(blank: list[str]) -> None:
            if self.mode == Mode.INSERT and self.drive_id is None and len(blank) == 1:
                self.drive_id = blank[0]
                self.start_copy(blank[0])

        tasks.submit(disks.blank_ids, chosen, self._on_hub_error, context=self)

    # --- the shelf -----------------------------------------------------------------------

    def reload_shelf(self) -> None:
        catalog, grants = self.station.catalog, self.station.grants

        def work():
            albums = catalog.albums()
            statuses, own, now = grants.statuses(), grants.station_id(), time.time()
            available = {
                a.title: catalog.sellable(a, now, grants=statuses, station=own) for a in albums
            }
            covers = {a.cover_hash: catalog.cover(a.cover_hash) for a in albums if a.cover_hash}
            return albums, covers, available

        tasks.submit(work, self._set_shelf, self._on_hub_error, context=self)

    def _set_shelf(self, result) -> None:
        self.albums, self.covers, self.available = result
        self.start.set_albums(self.albums, self.covers, self.available)
        if self.mode == Mode.ALBUM and self.album is not None:
            self.show_album(self.album)

    # --- one disk ------------------------------------------------------------------------

    def _on_drive_event(self, ev: DriveEvent) -> None:
        if self.mode != Mode.INSERT or ev.kind != "added" or self.drive_id is not None:
            return  # one disk per customer; other slots are ignored meanwhile
        self.drive_id = ev.drive.id
        self.start_copy(ev.drive.id)

    def start_copy(self, drive_id: str) -> None:
        album = self.album
        assert album is not None
        catalog, runs, post = self.station.catalog, self.station.runs, self.hub.bridge.post
        self.progress.begin(album)
        self._show(Mode.WRITING)

        def work():  # the one run path: refused while another run of this station is going
            if not catalog.sellable(album):
                raise _SoldOut()
            job = runs.plan(
                album.track_hashes,
                copies=1,
                drives=[drive_id],
                insert_and_go=False,
                eject_when_done=True,
                operator=KIOSK_OPERATOR,
            )
            return runs.start(job, post)

        tasks.submit(work, self._started, self._start_failed, context=self)

    def _started(self, run) -> None:
        self.run = run

    def _start_failed(self, exc: BaseException) -> None:
        self.mode = Mode.PROBLEM  # leave WRITING so the problem screen may show
        sold_out = isinstance(exc, _SoldOut)
        self._problem("grant-exhausted" if sold_out else "start-failed", eject=True)

    def _on_disk_progress(self, ev: DiskProgress) -> None:
        if self.mode != Mode.WRITING or ev.drive_id != self.drive_id:
            return
        if ev.state == DiskState.RUNNING:
            self.progress.show_progress(
                ev.fraction, STAGE_WORDS.get(ev.stage, "Working"), ev.eta_seconds
            )
        elif ev.state == DiskState.PASS:
            self.last_licence = ev.licence_id
            self.progress.show_progress(1.0, "Done")
            self.done.show_receipt(self.album, self._receipt(ev))
            self._show(Mode.DONE)
        elif ev.state in (DiskState.FAIL, DiskState.CANCELLED, DiskState.REMOVED):
            self._problem(ev.reason_code or "removed", eject=ev.reason_code != "removed")

    def _problem(self, code: str, *, eject: bool = False) -> None:
        album = self.album
        problem = problem_for(code, needed_bytes=int(album.size * 1.05) if album else 0)
        if eject and self.drive_id is not None:
            self._eject(self.drive_id)
        if problem.sold_out:
            self.reload_shelf()
        self.problem.show_problem(problem.title, problem.text, can_retry=problem.can_retry)
        self.mode = Mode.PROBLEM
        self._show(Mode.PROBLEM)

    def _eject(self, drive_id: str) -> None:
        """Hand a refused disk back; a disk already gone is fine."""
        disks = self.station.disks

        def work():
            with contextlib.suppress(Exception):
                disks.eject(drive_id)

        tasks.submit(work, None, None, context=self)

    def _receipt(self, ev: DiskProgress) -> str:
        album = self.album
        assert album is not None
        title = f"{album.title} · {album.artist}" if album.artist else album.title
        rows = [
            ("Album", title),
            ("Songs", str(len(album.tracks))),
            ("Date", time.strftime("%Y-%m-%d %H:%M")),
        ]
        if ev.licence_id:
            rows.append(("Receipt no.", ev.licence_id[:12].upper()))
        muted = theme.colour("muted")
        cells = "".join(
            f"<tr><td style='color:{muted}; padding:2px 24px 2px 0'>{k}</td>"
            f"<td style='padding:2px 0'>{escape(v)}</td></tr>"
            for k, v in rows
            if v
        )
        price = self.settings.kiosk_price_text
        tail = f"<p style='font-weight:600'>{escape(price)}</p>" if price else ""
        return f"<table>{cells}</table>{tail}"

    def _on_hub_error(self, message) -> None:
        if self.mode == Mode.WRITING:
            self._problem("start-failed")

    # --- demo ----------------------------------------------------------------------------

    def insert_demo_disk(self) -> None:
        """Demo only: plug in an unplugged simulated disk, emptied as a customer's would be."""
        tasks.submit(self.station.demo.plug_blank, None, None, context=self)

    # --- operator ------------------------------------------------------------------------

    @staticmethod
    def _pin_rule() -> str:
        return f"At least {pins.MIN_DIGITS} digits, not a run or a repeat like 123456 or 111111."

    def ask_operator_pin(self) -> None:
        self._purpose = PinPurpose.CHECK
        self._show(Mode.PIN)
        self.pin.ask("Operator PIN", "")
        self._refresh_lock()

    def _refresh_lock(self) -> None:
        """Show the lockout's countdown on the keypad, or give the keys back when it ends."""
        if self.mode != Mode.PIN or self._purpose != PinPurpose.CHECK:
            self.lock_timer.stop()
            return
        try:
            left = self.gate.locked_for()
        except OSError:
            left = 0.0  # unreadable: the try itself fails closed (see _pin_check_failed)
        if left > 0:
            self.pin.set_locked(f"Locked: try again in {pins.wait_words(left)}")
            if not self.lock_timer.isActive():
                self.lock_timer.start()
        else:
            self.lock_timer.stop()
            self.pin.set_locked(None)

    def _pin_entered(self, entered: str) -> None:
        if not self.settings.kiosk_pin_hash:
            self._purpose = PinPurpose.CHOOSE
        if self._purpose != PinPurpose.CHECK:
            self._choose_pin(entered)
            return
        if self.pin.locked:
            return
        stored = self.settings.kiosk_pin_hash
        gate = self.gate
        self.pin.set_busy(True)

        def checked(verdict: pins.Verdict) -> None:
            if verdict.ok and verdict.must_change:
                self._purpose = PinPurpose.CHANGE
                self._pin_first = None
                self._show(Mode.PIN)
                self.pin.ask(
                    "Choose a new operator PIN",
                    f"The old PIN is too short or too easy to guess. {self._pin_rule()}",
                )
            elif verdict.ok and verdict.rehash:
                # today's hash parameters; the PIN was right, so leave even if that fails
                self._store_pin(entered, then=self.exit_kiosk, required=False)
            elif verdict.ok:
                self.exit_kiosk()
            elif self.mode == Mode.PIN and self._purpose == PinPurpose.CHECK:
                self.pin.ask("Operator PIN", "That PIN is not right." if verdict.checked else "")
                self._refresh_lock()

        tasks.submit(
            lambda: gate.try_pin(entered, stored), checked, self._pin_check_failed, context=self
        )

    def _pin_check_failed(self, exc) -> None:
        """The try could not be counted (data folder not writable): never check it then."""
        if self.mode == Mode.PIN:
            self.pin.ask("Operator PIN", "The PIN cannot be checked now. Please call support.")

    def _choose_pin(self, entered: str) -> None:
        first = self._purpose == PinPurpose.CHOOSE
        title = "Choose an operator PIN" if first else "Choose a new operator PIN"
        problem = pins.pin_problem(entered)
        if problem:
            self._pin_first = None
            self.pin.ask(title, problem, can_cancel=not first)
        elif self._pin_first is None:
            self._pin_first = entered
            self.pin.ask("Enter the same PIN again", "", can_cancel=not first)
        elif entered != self._pin_first:
            self._pin_first = None
            self.pin.ask(title, "The two PINs differ.", can_cancel=not first)
        else:
            self.pin.set_busy(True)
            self._store_pin(entered, then=self.go_start if first else self.exit_kiosk)

    def _store_pin(self, entered: str, *, then, required: bool = True) -> None:
        config = self.app.config
        old = config.settings.kiosk_pin_hash

        def store() -> None:
            config.settings.kiosk_pin_hash = pins.hash_pin(entered)
            try:
                config.save_settings()
            except BaseException:
                config.settings.kiosk_pin_hash = old
                raise

        def failed(exc) -> None:
            if not required:
                then()
                return
            self._pin_first = None
            self.pin.ask(
                "Choose an operator PIN" if self._purpose == PinPurpose.CHOOSE else "Operator PIN",
                "The new PIN could not be saved. Please call support.",
                can_cancel=self._purpose != PinPurpose.CHOOSE,
            )

        tasks.submit(store, lambda _: then(), failed, context=self)
