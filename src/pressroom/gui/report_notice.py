"""Where the run's report was saved, with "Open folder", in the window's status bar.

The report is written in the pool when a run ends (``station.reports.after_run``); this
row then says where, until the next run starts or the operator dismisses it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget


class ReportNotice(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.folder: Path | None = None
        self.text = QLabel()
        self.text.setAccessibleName("Saved report")
        self.open_btn = QPushButton("Open folder")
        self.open_btn.setToolTip("Show the reports folder in the file manager")
        self.open_btn.clicked.connect(self.open_folder)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss this message")
        close.setAccessibleName("Dismiss the saved-report message")
        close.clicked.connect(self.hide)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.text)
        lay.addWidget(self.open_btn)
        lay.addWidget(close)
        self.hide()

    def show_saved(self, saved) -> None:
        """``saved``: a ``station.reports.SavedReport``."""
        self.folder = saved.folder
        self.text.setText(f"✔ Report saved in {_short(saved.folder)}")
        self.text.setToolTip(f"{saved.pdf}\n{saved.csv}")
        self.show()

    def open_folder(self) -> bool:
        if self.folder is None:
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))


def _short(folder: Path, limit: int = 48) -> str:
    """The folder as a person reads it: ~ for home, the end of a long path."""
    text = str(folder)
    home = str(Path.home())
    if text == home or text.startswith(home + "/"):
        text = "~" + text[len(home) :]
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]
