"""The job bar: how many copies, which rights, Start / Stop, and why Start is greyed out."""

from __future__ import annotations

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from pressroom.drives.base import format_size
from pressroom.gui import theme
from pressroom.secure.rights import PRESETS


class JobBar(QFrame):
    start_clicked = Signal()
    stop_clicked = Signal()
    finish_clicked = Signal()
    rights_for_all = Signal(str)
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("jobBar")

        self.copies = QSpinBox()
        self.copies.setRange(1, 9999)
        self.copies.setValue(1)
        self.copies.setAccessibleName("Copies wanted")
        self.copies.setToolTip("How many disks to make")
        self.copies.valueChanged.connect(lambda _: self.changed.emit())
        copies_label = QLabel("&Copies:")
        copies_label.setBuddy(self.copies)

        self.rights = QComboBox()
        self.rights.addItem("(per track)")
        for i, name in enumerate(PRESETS, start=1):
            self.rights.addItem(name)
            self.rights.setItemData(i, PRESETS[name], 3)  # ToolTipRole
        self.rights.setAccessibleName("Rights for all tracks")
        self.rights.setToolTip(
            "Set the same rights on every track, or choose per track in the catalog's Rights column"
        )
        self.rights.setCurrentText("standard")
        self.rights.currentTextChanged.connect(self._rights_picked)
        rights_label = QLabel("&Rights for all:")
        rights_label.setBuddy(self.rights)

        self.insert_and_go = QCheckBox("&Insert and go")
        self.insert_and_go.setChecked(True)
        self.insert_and_go.setToolTip(
            "Disks inserted during the run start by themselves until enough copies pass"
        )

        self.sizes = QLabel("")
        self.sizes.setObjectName("muted")
        self.why = QLabel("")
        self.why.setObjectName("muted")
        self.why.setWordWrap(True)

        self.start = QPushButton(theme.icon("start"), "Start")
        self.start.setObjectName("startButton")
        self.start.setIconSize(QSize(18, 18))
        self.start.setAccessibleName("Start the run")
        self.start.clicked.connect(self.start_clicked)
        self.stop = QPushButton(theme.icon("stop"), "Stop")
        self.stop.setObjectName("stopButton")
        self.stop.setAccessibleName("Stop the run")
        self.stop.setToolTip("Stop after the disks being written are cleaned up")
        self.stop.setEnabled(False)
        self.stop.clicked.connect(self.stop_clicked)
        self.finish = QPushButton(theme.icon("pass"), "Finish")
        self.finish.setObjectName("finishButton")
        self.finish.setAccessibleName("Finish the run")
        self.finish.setToolTip(
            "End the run with the copies made so far; it is recorded as finished"
        )
        self.finish.hide()
        self.finish.clicked.connect(self.finish_clicked)

        row = QHBoxLayout()
        row.addWidget(copies_label)
        row.addWidget(self.copies)
        row.addSpacing(12)
        row.addWidget(rights_label)
        row.addWidget(self.rights)
        row.addSpacing(12)
        row.addWidget(self.insert_and_go)
        row.addStretch(1)
        row.addWidget(self.start)
        row.addWidget(self.stop)
        row.addWidget(self.finish)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 4)
        lay.addLayout(row)
        info = QHBoxLayout()
        info.addWidget(self.sizes)
        info.addStretch(1)
        info.addWidget(self.why)
        lay.addLayout(info)

    def _rights_picked(self, text: str) -> None:
        if text in PRESETS:
            self.rights_for_all.emit(text)
            self.changed.emit()

    def show_per_track(self) -> None:
        """Tracks now carry different rights: the 'for all' box says so."""
        self.rights.blockSignals(True)
        self.rights.setCurrentIndex(0)
        self.rights.blockSignals(False)

    def set_sizes(self, payload: int, smallest: tuple[str, int] | None) -> None:
        if payload == 0:
            self.sizes.setText("No tracks selected")
        elif smallest is None:
            self.sizes.setText(f"{format_size(payload)} per disk · no disk attached")
        else:
            name, free = smallest
            mark = "✔ fits" if payload < free else "✖ does not fit"
            self.sizes.setText(
                f"{format_size(payload)} per disk · smallest free space {format_size(free)} "
                f"({name}) {mark}"
            )

    def set_outlook(self, can_stop: bool, can_finish: bool) -> None:
        """Stop while disks are being written; Finish when the run only waits for disks."""
        self.stop.setVisible(not can_finish)
        self.stop.setEnabled(can_stop)
        self.finish.setVisible(can_finish)

    def set_ready(self, ready: bool, why: str, running: bool) -> None:
        self.start.setEnabled(ready and not running)
        self.stop.setEnabled(running)
        if not running:
            self.set_outlook(False, False)
        tip = "Start writing disks" if ready else f"Cannot start: {why}"
        if running:
            tip = "A run is in progress"
        self.start.setToolTip(tip)
        self.start.setAccessibleDescription(tip)
        self.why.setText("" if ready or running else f"Start is off: {why}")
        for w in (self.copies, self.rights, self.insert_and_go):
            w.setEnabled(not running)
