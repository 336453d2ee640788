"""One card per disk: who it is, what it is doing, and a big PASS / FAIL with the reason.

State is carried by words and icons first (PASS, FAIL, Writing 42 %), colour second, so
the card reads the same to a colour-blind operator and on a grey-scale screenshot.
A reason is shown in the shop's words of :mod:`pressroom.station.words` and never cut
(the card grows); the engine's own sentence and code are the Details. A card has three
densities, chosen by the grid from the room it has: full, compact (one line less,
icon-only buttons) and tiny (port and progress only).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
)

from pressroom.drives.base import Drive, format_size
from pressroom.engine.events import DiskProgress, DiskState, Stage
from pressroom.gui import theme
from pressroom.secure.identity import mask_serial
from pressroom.station import words
from pressroom.station.runs import retry_helps
from pressroom.station.words.disks import STATE_WORDS

FULL, COMPACT, TINY = "full", "compact", "tiny"
DENSITIES = (FULL, COMPACT, TINY)
# The narrowest a card may be at each density (its buttons and state word must fit).
MIN_WIDTH = {FULL: 240, COMPACT: 168, TINY: 136}


class DriveCard(QFrame):
    """A disk's card. Feed it :meth:`set_drive` (hotplug) and :meth:`update_progress`."""

    retry_clicked = Signal(str)
    eject_clicked = Signal(str)
    details_clicked = Signal(str)

    def __init__(self, drive_id: str, parent=None):
        super().__init__(parent)
        self.drive_id = drive_id
        self.progress: DiskProgress | None = None
        self.drive: Drive | None = None
        self.state = DiskState.IDLE
        self.verdict_ok = True
        self.retry_possible = False  # the run can still take a Retry (writing or waiting)
        self.idle_text = words.idle_words(None)  # what it says before it starts
        self.density = FULL
        self.raw_reason = ""  # the engine's own sentence: shown under Details
        self.raw_verdict = ""
        self._port = ("", "")  # (port path, capacity text): the port line at any density
        self.setObjectName("driveCard")
        self.setProperty("state", "idle")
        # Minimum: the cards of a row share its height, so tops and bottoms line up
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setMinimumWidth(MIN_WIDTH[FULL])
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)

        self.title = QLabel(drive_id)
        self.title.setObjectName("cardTitle")
        self.port = QLabel()
        self.port.setObjectName("muted")
        self.state_icon = QLabel()
        self.state_icon.setFixedSize(28, 28)
        self.state_label = QLabel("Ready")
        self.state_label.setObjectName("cardState")
        self.state_label.setProperty("state", "idle")

        self.identity = QLabel()
        self.identity.setObjectName("muted")
        # elided to the card's width (resizeEvent): its full text never widens the card
        self.identity.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.stage = QLabel("Waiting")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setFormat("")
        self.reason = QLabel()
        self.reason.setObjectName("cardReason")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reason.hide()

        self.retry_btn = QPushButton(theme.icon("retry"), "Retry")
        self.eject_btn = QPushButton(theme.icon("eject"), "Eject")
        self.details_btn = QPushButton(theme.icon("details"), "Details")
        for btn, sig in (
            (self.retry_btn, self.retry_clicked),
            (self.eject_btn, self.eject_clicked),
            (self.details_btn, self.details_clicked),
        ):
            btn.setIconSize(QSize(16, 16))
            btn.setObjectName("cardButton")
            btn.clicked.connect(lambda _=False, s=sig: s.emit(self.drive_id))
        self.retry_btn.setToolTip("Write this disk again (its old files are removed first)")
        self.eject_btn.setToolTip("Safely remove this disk")
        self.details_btn.setToolTip("What exactly happened on this disk, and its log")
        self._button_text = {
            b: b.text() for b in (self.retry_btn, self.eject_btn, self.details_btn)
        }
        self.retry_btn.hide()

        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.state_icon)
        head.addWidget(self.state_label)

        buttons = QHBoxLayout()
        buttons.addWidget(self.retry_btn)
        buttons.addWidget(self.eject_btn)
        buttons.addWidget(self.details_btn)
        buttons.addStretch(1)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.setSpacing(4)
        lay.addLayout(head)
        lay.addWidget(self.port)
        lay.addWidget(self.identity)
        lay.addWidget(self.verdict)
        lay.addWidget(self.stage)
        lay.addWidget(self.bar)
        lay.addWidget(self.reason)
        lay.addStretch(1)  # a taller neighbour's extra height goes above the buttons
        lay.addLayout(buttons)
        self._apply_state(DiskState.IDLE)
        theme.notifier().changed.connect(self._apply_state_icon)  # icons drawn per scheme

    # --- inputs ----------------------------------------------------------------------------

    def set_drive(self, drive: Drive, verdict=None) -> None:
        """Hotplug facts: label, port, masked serial, capacity, identity verdict."""
        self.drive = drive
        self.title.setText(drive.label)
        self._port = (drive.port_path, format_size(drive.capacity))
        self._render_port()
        who = " ".join(x for x in (drive.vendor, drive.product) if x) or "Unknown disk"
        self._set_identity(f"serial {mask_serial(drive.serial)} · {who}")
        if verdict is not None:
            self.set_verdict(verdict.ok, verdict.warning, verdict.reason, verdict.code)
        self._update_accessible()

    def set_verdict(self, ok: bool, warning: bool, reason: str, code: str = "") -> None:
        """Whether this disk may be written; a refusal or warning in the shop's words
        (``code`` is the identity judge's), the judge's sentence kept for Details."""
        self.verdict_ok = ok
        self.raw_verdict = "" if ok and not warning else reason
        self.verdict.setVisible(not ok or warning)
        self._render_port()
        if ok and not warning:
            self.verdict.setText("✔ Serial number OK")
        elif ok:
            self.verdict.setText(f"⚠ {words.verdict(code).text}")
        else:
            self.verdict.setText(f"✖ {words.verdict(code).text}")
        self._update_accessible()

    def update_progress(self, ev: DiskProgress) -> None:
        self.progress = ev
        if ev.label:
            self.title.setText(ev.label)
        if ev.port and self.drive is None:
            self._port = (ev.port, self._port[1])
            self._render_port()
        if ev.serial_masked and self.drive is None:
            self._set_identity(f"serial {ev.serial_masked}")
        stage = ev.stage.label if isinstance(ev.stage, Stage) else str(ev.stage)
        if ev.state == DiskState.RUNNING:
            pct = int(ev.fraction * 100)
            speed = f" · {ev.mbps:.1f} MB/s · ETA {ev.eta_text}" if ev.mbps else ""
            if self.density != FULL and ev.mbps:
                speed = f" · {ev.eta_text} left"
            self.stage.setText(f"{stage}{speed}")
            self.bar.setValue(int(ev.fraction * 1000))
            self.bar.setFormat(f"{pct} %")
            if self.density == TINY:
                self.bar.setFormat(self._tiny_format())
        elif ev.state == DiskState.PASS:
            copy = f" · copy #{ev.copy_index}" if ev.copy_index is not None else ""
            done = "Written and verified" if self.density == FULL else "Verified"
            self.stage.setText(f"{done}{copy}")
            self.bar.setValue(1000)
            self.bar.setFormat("Verified")
        elif ev.state == DiskState.FAIL:
            self.stage.setText(f"Failed while: {stage}")
            self.bar.setValue(max(0, self.bar.value()))  # a bar never started shows no text
            self.bar.setFormat("Failed")
        elif ev.state == DiskState.IDLE:
            self.stage.setText(self.idle_text)
            self.bar.setValue(0)
            self.bar.setFormat("")
        if ev.verdict and ev.state == DiskState.IDLE and ev.reason:
            self.set_verdict(ev.verdict == "ok", True, ev.reason, ev.verdict)
        self._apply_state(ev.state, ev.reason, ev.reason_code)

    def mark_removed(self) -> None:
        """The disk was pulled out; a failed card stays (grey, dotted, no bar) so its reason
        is not lost, and says it is gone rather than still failing."""
        was = self.reason.text() if self.state == DiskState.FAIL else ""
        code = self.progress.reason_code if self.progress is not None else ""
        self._apply_state(DiskState.REMOVED, self.raw_reason if was else "", code)
        if was:
            self.reason.setText(f"It had failed: {was}")
        self.stage.setText("Disk removed: insert it again to retry, or a new one")

    # --- look ------------------------------------------------------------------------------

    def _apply_state(self, state: DiskState, reason: str = "", code: str = "") -> None:
        previous_fail = self.state == DiskState.FAIL
        self.state = state
        text, key = STATE_WORDS[state]
        if state == DiskState.REMOVED and previous_fail:
            text = "Removed"
        self.state_label.setText(text)
        # a tiny card's bar says "Writing 42 %": the icon alone tells it is working
        self.state_label.setVisible(
            self.density != TINY or state not in (DiskState.RUNNING, DiskState.IDLE)
        )
        for w in (self, self.state_label, self.bar):
            w.setProperty("state", key)
            theme.repolish(w)
        self._apply_state_icon()
        show_reason = bool(reason) and state in (
            DiskState.FAIL,
            DiskState.REMOVED,
            DiskState.CANCELLED,
            DiskState.PASS,  # a warning: "Verified from cache only: ...", "could not eject"
        )
        self.raw_reason = reason if show_reason else ""
        if show_reason:
            self.reason.setText(words.shown_reason(code, reason))
            self.reason.setProperty("state", "warning" if state == DiskState.PASS else key)
            theme.repolish(self.reason)
        self.reason.setVisible(show_reason)
        # a refused disk that failed for it says so once, in its reason
        self.verdict.setVisible(
            (not self.verdict_ok or bool(self.raw_verdict))
            and not (state == DiskState.FAIL and code.startswith("identity-"))
        )
        # no stale "Failed" bar on a gone disk; on a small card FAIL says it already
        self.bar.setVisible(
            state != DiskState.REMOVED and not (state == DiskState.FAIL and self.density != FULL)
        )
        self.eject_btn.setEnabled(state not in (DiskState.RUNNING, DiskState.REMOVED))
        self._show_retry()
        self._update_accessible()

    def _set_identity(self, text: str) -> None:
        self._identity_text = text
        self.identity.setToolTip(text)
        self._elide_identity()

    def _elide_identity(self) -> None:
        """The serial and model line ends in "…" when the card is narrower (the whole line
        is its tooltip), rather than being cut mid-letter."""
        text = getattr(self, "_identity_text", "")
        room = max(0, self.width() - 24)
        fm = self.identity.fontMetrics()
        self.identity.setText(fm.elidedText(text, Qt.TextElideMode.ElideRight, room))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide_identity()

    def _render_port(self) -> None:
        """Port, size and a tick for a usable serial; shorter on a small card."""
        port, size = self._port
        ok = " · ✔ ID OK" if self.verdict_ok and not self.raw_verdict and self.drive else ""
        if self.density == FULL:
            text = f"USB port {port}" + (f" · {size}" if size else "") + ok
        else:
            text = port + (f" · {size}" if size else "") + (" · ✔" if ok else "")
        self.port.setText(text)
        self.port.setToolTip(f"USB port {port}" + (f" · {size}" if size else "") + ok)

    def headline(self) -> str:
        """A few words for a list of failures ("Disk stopped working"); the card says the
        rest."""
        code = self.progress.reason_code if self.progress is not None else ""
        if code:
            return words.failure(code).title
        why = self.reason.text()
        return why if len(why) <= 60 else why[:57] + "…"

    def details_text(self) -> str:
        """What the Details dialog says first: the shop's words, then the raw detail."""
        lines = []
        if self.reason.isVisible():
            lines.append(f"What happened: {self.reason.text()}")
        if self.raw_reason:
            code = self.progress.reason_code if self.progress is not None else ""
            lines.append(f"Details: {self.raw_reason}" + (f" [{code}]" if code else ""))
        if self.raw_verdict:
            lines.append(f"Serial number check: {self.raw_verdict}")
        return "\n".join(lines)

    # --- density ---------------------------------------------------------------------------

    def set_density(self, density: str) -> None:
        """Full, compact or tiny (see the module): the grid picks it from its room."""
        if density == self.density:
            return
        self.density = density
        self.setProperty("density", density)
        small = density != FULL
        self.identity.setVisible(not small)
        self.port.setVisible(density != TINY)
        self.stage.setVisible(density != TINY)
        side = 28 if not small else 20
        self.state_icon.setFixedSize(side, side)
        self._apply_state_icon()
        for btn, text in self._button_text.items():
            # Details keeps its word where it fits: the reasons send the operator to it
            keep = not small or (btn is self.details_btn and density == COMPACT)
            btn.setText(text if keep else "")
        self.bar.setMaximumHeight(16777215 if not small else self.fontMetrics().height() + 4)
        self.setMinimumWidth(MIN_WIDTH[density])
        self._render_port()
        for w in (self, self.title, self.state_label, self.bar, *self._button_text):
            theme.repolish(w)
        if self.progress is not None and self.state != DiskState.REMOVED:
            self.update_progress(self.progress)  # its lines in this density's words
        self.updateGeometry()

    def _tiny_format(self) -> str:
        """The bar says the stage when the stage line is hidden (tiny cards)."""
        ev = self.progress
        if ev is None or ev.state != DiskState.RUNNING:
            return self.bar.format()
        stage = ev.stage.label if isinstance(ev.stage, Stage) else str(ev.stage)
        return f"{stage} {int(ev.fraction * 100)} %"

    def _apply_state_icon(self, *_scheme: str) -> None:
        key = self.property("state") or "idle"
        name = key if key in ("pass", "fail", "running", "removed", "cancelled") else "idle"
        side = self.state_icon.width()
        self.state_icon.setPixmap(theme.icon(name).pixmap(QSize(side, side)))

    def set_idle_text(self, text: str) -> None:
        """What a disk not started says, as the run's phase has it (station.words)."""
        if text == self.idle_text:
            return  # every RunProgress sets it again: 128 cards, mostly unchanged
        self.idle_text = text
        if self.state == DiskState.IDLE:
            self.stage.setText(text)

    def set_retry_possible(self, possible: bool) -> None:
        self.retry_possible = possible
        self._show_retry()

    def _show_retry(self) -> None:
        """Retry only where it can help: a failed disk still here, in a run that can take
        it, failed for a reason a second write could change (station.runs.retry_helps)."""
        code = self.progress.reason_code if self.progress is not None else ""
        self.retry_btn.setVisible(
            self.retry_possible
            and self.state in (DiskState.FAIL, DiskState.CANCELLED)
            and retry_helps(code)
        )

    def _update_accessible(self) -> None:
        title = self.title.text()
        status = self.state_label.text()
        extra = f"; {self.reason.text()}" if self.reason.isVisible() else ""
        self.setAccessibleName(f"Disk {title}: {status}")
        self.setAccessibleDescription(f"{self.stage.text()}{extra}")
        self.retry_btn.setAccessibleName(f"Retry {title}")
        self.eject_btn.setAccessibleName(f"Eject {title}")
        self.details_btn.setAccessibleName(f"Details of {title}")
        self.bar.setAccessibleName(f"Progress of {title}")
