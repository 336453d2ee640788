"""The station window's layout: which widgets it has, where they sit, and its menus.

Kept apart from :mod:`pressroom.gui.main_window`, which routes signals between these
widgets and the hub; the rules (whether Start may be pressed and why not) are the
application layer's (:meth:`pressroom.station.runs.RunService.readiness`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pressroom.gui import theme
from pressroom.gui.application import StationHub
from pressroom.gui.catalog_pane import CatalogPane
from pressroom.gui.drive_grid import DriveGrid
from pressroom.gui.history_tab import HistoryTab
from pressroom.gui.job_bar import JobBar


class MainLayout(QMainWindow):
    """Builds the window's widgets and menus; the slots they call are the subclass's."""

    hub: StationHub
    demo: bool

    def _build_layout(self, hub: StationHub) -> None:
        self.banner = QLabel()
        self.banner.setObjectName("bannerError")
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName("Message")
        self.banner_close = QToolButton()
        self.banner_close.setText("✕")
        self.banner_close.setAutoRaise(True)
        self.banner_close.setToolTip("Dismiss this message")
        self.banner_close.setAccessibleName("Dismiss the message")
        self.banner_row = QWidget()
        brow = QHBoxLayout(self.banner_row)
        brow.setContentsMargins(0, 0, 0, 0)
        brow.addWidget(self.banner, 1)
        brow.addWidget(self.banner_close, 0, Qt.AlignmentFlag.AlignTop)
        self.banner_row.hide()
        self.banner_close.clicked.connect(self.banner_row.hide)
        self.catalog = CatalogPane(cover_loader=hub.station.catalog.cover)
        self.job_bar = JobBar()
        self.grid = DriveGrid()
        self.run_summary = QLabel("No run yet: select tracks, set copies, press Start.")
        self.run_summary.setObjectName("runSummary")
        self.run_summary.setAccessibleName("Run summary")
        # a long outlook wraps: unwrapped, its width became the right side's minimum and
        # squeezed the catalog to a sliver at 1024 wide
        self.run_summary.setWordWrap(True)
        self.run_clock = QLabel("")
        self.run_clock.setObjectName("muted")
        self.run_clock.setAccessibleName("Run time")
        self.failures_btn = QToolButton()
        self.failures_btn.setObjectName("failuresButton")
        self.failures_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.failures_btn.setToolTip("The disks that failed: choose one to go to its card")
        self.failures_btn.setAccessibleName("Failed disks")
        self.failures_btn.setMenu(QMenu(self.failures_btn))
        self.failures_btn.hide()
        self.report_btn = QPushButton(theme.icon("report"), "Save report (PDF)…")
        self.report_btn.setAccessibleName("Save the report of the last run")
        self.report_btn.setEnabled(False)
        self.report_btn.clicked.connect(self.save_run_report)
        self.history = HistoryTab(hub)

        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.addWidget(self.job_bar)
        head = QHBoxLayout()
        head.addWidget(self.run_summary, 1)
        head.addWidget(self.run_clock)
        head.addWidget(self.failures_btn)
        head.addWidget(self.report_btn)
        rlay.addLayout(head)
        rlay.addWidget(self.grid, 1)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.catalog)
        self.split.addWidget(right)
        self.split.setStretchFactor(0, 4)
        self.split.setStretchFactor(1, 6)
        self.split.setChildrenCollapsible(False)
        self.split.setSizes([560, 800])

        station = QWidget()
        slay = QVBoxLayout(station)
        slay.addWidget(self.banner_row)
        slay.addWidget(self.split, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(station, theme.icon("station"), "&Station")
        self.tabs.addTab(self.history, theme.icon("history"), "&History")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.setCentralWidget(self.tabs)
        self.statusBar().showMessage("Starting…")
        self._build_menus()

    def _build_menus(self) -> None:
        m = self.menuBar().addMenu("&File")
        self._action(m, "Import &files…", self.catalog.choose_files, "import", QKeySequence.Open)
        self._action(m, "Import f&older…", self.catalog.choose_folder, "import")
        self._action(m, "Import &grant…", self.import_grant, "report")
        m.addSeparator()
        self._action(m, "Save run &report (PDF)…", self.save_run_report, "report", "Ctrl+P")
        m.addSeparator()
        self._action(m, "&Quit", self.close, None, QKeySequence.Quit)
        m = self.menuBar().addMenu("S&tation")
        self._action(m, "&Settings…", self.open_settings, "settings", "Ctrl+,")
        self._action(m, "Setup &wizard…", self.open_wizard, "settings")
        self._action(
            m, "&History", lambda: self.tabs.setCurrentWidget(self.history), "history", "Ctrl+H"
        )
        if self.demo:
            m = self.menuBar().addMenu("&Demo")
            self._action(m, "Plug in a new disk", lambda: self._demo_add(False))
            self._action(m, "Plug in a failing disk", lambda: self._demo_add(True))
        m = self.menuBar().addMenu("&Help")
        self._action(m, "&About Pressroom", self._about)

    def _action(self, menu, text, slot, icon=None, shortcut=None) -> QAction:
        act = QAction(theme.icon(icon) if icon else QIcon(), text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        menu.addAction(act)
        return act
