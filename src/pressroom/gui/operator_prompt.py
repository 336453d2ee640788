"""The operator's name, asked once per shift before a run starts (``station.shift``'s rule).

A small window-modal dialog opened with ``open()``: the event loop keeps running, the run
starts when the name is given, and nothing starts if the operator cancels.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from pressroom.errors import UsageError
from pressroom.station.shift import SHIFT_HOURS, check_name


class OperatorPrompt(QDialog):
    def __init__(self, suggestion: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Who is working?")
        intro = QLabel(
            "Your name is recorded with each run and printed on its report. "
            f"It is asked once per shift: again after {SHIFT_HOURS:.0f} hours, or change it "
            "in Settings."
        )
        intro.setWordWrap(True)
        self.name = QLineEdit(suggestion)
        self.name.setPlaceholderText("Your name")
        self.name.setAccessibleName("Operator name")
        self.name.selectAll()
        self.error = QLabel()
        self.error.setObjectName("bannerError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Start the run")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(self.name)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        self.resize(420, 0)

    def chosen(self) -> str:
        return check_name(self.name.text())

    def _accept(self) -> None:
        try:
            self.chosen()
        except UsageError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()
