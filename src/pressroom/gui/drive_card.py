"""One card per disk: who it is, what it is doing, and a big PASS / FAIL with the reason.

State is carried by words and icons first (PASS, FAIL, Writing 42 %), colour second, so
the card reads the same to a colour-blind operator and on a grey-scale screenshot.
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
from pressroom.station.runs import retry_helps

_STATE_TEXT = {
    DiskState.IDLE: ("Ready", "idle"),
    DiskState.RUNNING: ("Working", "running"),
    DiskState.PASS: ("PASS", "pass"),
    DiskState.FAIL: ("FAIL", "fail"),
    DiskState.CANCELLED: ("Stopped", "cancelled"),
    DiskState.REMOVED: ("Removed", "removed"),
}


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
        self.setObjectName("driveCard")
        self.setProperty("state", "idle")
        # Minimum: the cards of a row share its height, so tops and bottoms line up
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setMinimumWidth(240)
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
        self.details_btn.setToolTip("Show this disk's log")
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

    # --- inputs ----------------------------------------------------------------------------

    def set_drive(self, drive: Drive, verdict=None) -> None:
        """Hotplug facts: label, port, masked serial, capacity, identity verdict."""
        self.drive = drive
        self.title.setText(drive.label)
        self.port.setText(f"USB port {drive.port_path} · {format_size(drive.capacity)}")
        who = " ".join(x for x in (drive.vendor, drive.product) if x) or "Unknown disk"
        self.identity.setText(f"serial {mask_serial(drive.serial)} · {who}")
        self.identity.setToolTip(self.identity.text())
        if verdict is not None:
            self.set_verdict(verdict.ok, verdict.warning, verdict.reason)
        self._update_accessible()

    def set_verdict(self, ok: bool, warning: bool, reason: str) -> None:
        self.verdict_ok = ok
        self.verdict.setVisible(not ok or warning)
        if ok and not warning:
            self.port.setText(self.port.text().removesuffix(" · ✔ ID OK") + " · ✔ ID OK")
            self.verdict.setText("✔ Identity OK")
            self.identity.setToolTip(reason)
        elif ok:
            self.verdict.setText(f"⚠ Identity warning: {reason}")
        else:
            self.verdict.setText(f"✖ Identity refused: {reason}")
        self._update_accessible()

    def update_progress(self, ev: DiskProgress) -> None:
        self.progress = ev
        if ev.label:
            self.title.setText(ev.label)
        if ev.port and self.drive is None:
            self.port.setText(f"USB port {ev.port}")
        if ev.serial_masked and self.drive is None:
            self.identity.setText(f"serial {ev.serial_masked}")
        stage = ev.stage.label if isinstance(ev.stage, Stage) else str(ev.stage)
        if ev.state == DiskState.RUNNING:
            pct = int(ev.fraction * 100)
            speed = f" · {ev.mbps:.1f} MB/s · ETA {ev.eta_text}" if ev.mbps else ""
            self.stage.setText(f"{stage}{speed}")
            self.bar.setValue(int(ev.fraction * 1000))
            self.bar.setFormat(f"{pct} %")
        elif ev.state == DiskState.PASS:
            copy = f" · copy #{ev.copy_index}" if ev.copy_index is not None else ""
            self.stage.setText(f"Written and verified{copy}")
            self.bar.setValue(1000)
            self.bar.setFormat("Verified")
        elif ev.state == DiskState.FAIL:
            self.stage.setText(f"Failed while: {stage}")
            self.bar.setFormat("Failed")
        elif ev.state == DiskState.IDLE:
            self.stage.setText("Waiting for Start")
            self.bar.setValue(0)
            self.bar.setFormat("")
        if ev.verdict and ev.state == DiskState.IDLE and ev.reason:
            self.set_verdict(ev.verdict == "ok", True, ev.reason)
        self._apply_state(ev.state, ev.reason)

    def mark_removed(self) -> None:
        """The disk was pulled out; a failed card stays (grey, dotted, no bar) so its reason
        is not lost, and says it is gone rather than still failing."""
        was = self.reason.text().removeprefix("Reason: ")
        self._apply_state(DiskState.REMOVED, f"It had failed: {was}" if was else "")
        self.stage.setText("Disk removed: insert it again to retry, or a new one")

    # --- look ------------------------------------------------------------------------------

    def _apply_state(self, state: DiskState, reason: str = "") -> None:
        previous_fail = self.state == DiskState.FAIL
        self.state = state
        text, key = _STATE_TEXT[state]
        if state == DiskState.REMOVED and previous_fail:
            text = "Removed"
        self.state_label.setText(text)
        icon_name = {
            "pass": "pass",
            "fail": "fail",
            "running": "running",
            "removed": "removed",
            "cancelled": "cancelled",
        }.get(key, "idle")
        self.state_icon.setPixmap(theme.icon(icon_name).pixmap(QSize(28, 28)))
        for w in (self, self.state_label, self.bar):
            w.setProperty("state", key)
            theme.repolish(w)
        show_reason = bool(reason) and state in (
            DiskState.FAIL,
            DiskState.REMOVED,
            DiskState.CANCELLED,
            DiskState.PASS,  # a warning: "Verified from cache only: ...", "could not eject"
        )
        if show_reason:
            plain = state in (DiskState.PASS, DiskState.REMOVED) or reason.startswith("Reason: ")
            prefix = "" if plain else "Reason: "
            self.reason.setText(f"{prefix}{reason}")
            self.reason.setMinimumHeight(self.reason.fontMetrics().lineSpacing() * 3 + 2)
        self.reason.setVisible(show_reason)
        self.bar.setVisible(state != DiskState.REMOVED)  # no stale "Failed" bar on a gone disk
        self.eject_btn.setEnabled(state not in (DiskState.RUNNING, DiskState.REMOVED))
        self._show_retry()
        self._update_accessible()

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
