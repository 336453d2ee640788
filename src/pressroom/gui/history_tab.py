"""History from the ledger: runs (what was copied, by whom, how long), the disks of the
chosen run (capacity, time to verified), reports, chain status.

Everything is read in the pool; the chain check walks every ledger row, so it never runs
on the GUI thread. The rows come from ``station.history``; this tab only renders them,
and every column sorts on its value (numbers as numbers, times as times).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pressroom.gui import tasks, theme
from pressroom.station.history import NONE, DiskRow, History, RunRow

RUN_COLUMNS = (
    "Started",
    "Run",
    "What was copied",
    "Operator",
    "Copies",
    "Made",
    "Failed",
    "Time",
    "Status",
)
DISK_COLUMNS = ("Result", "Copy", "Slot", "Serial", "Disk", "Capacity", "Time", "MB/s", "Reason")
WHAT = RUN_COLUMNS.index("What was copied")


def _when(ts: float | None) -> str:
    return NONE if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


class Cell(QTableWidgetItem):
    """A read-only cell that sorts on its value, not on the text it shows: "10" after
    "9", "1:02:10" after "9:59", a date as a date. Empty values sort last."""

    def __init__(self, text: str, key: object = None, run_id: str | None = None):
        super().__init__(text)
        self.setFlags(self.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.key = text.casefold() if key is None and text != NONE else key
        if run_id is not None:
            self.setData(Qt.ItemDataRole.UserRole, run_id)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.key, getattr(other, "key", None)
        if mine is None or theirs is None:  # the empty ones go last whichever way
            return theirs is None and mine is not None
        try:
            return bool(mine < theirs)
        except TypeError:
            return str(mine) < str(theirs)


def _run_cells(r: RunRow) -> tuple[Cell, ...]:
    return (
        Cell(_when(r.started_at), r.started_at),
        Cell(r.short_id),
        Cell(r.what),
        Cell(r.operator or NONE),
        Cell(str(r.copies_wanted), r.copies_wanted),
        Cell(str(r.made), r.made),
        Cell(str(r.failed), r.failed),
        Cell(r.duration_text, r.duration),
        Cell(r.status),
    )


def _disk_cells(d: DiskRow) -> tuple[Cell, ...]:
    copy = NONE if d.copy_index is None else str(d.copy_index)
    return (
        Cell("✔ PASS" if d.passed else "✖ FAIL", not d.passed),
        Cell(copy, d.copy_index),
        Cell(d.slot),
        Cell(d.serial),
        Cell(d.disk),
        Cell(d.capacity_text, d.capacity or None),
        Cell(d.time_text, d.seconds),
        Cell(NONE if d.mb_per_s is None else f"{d.mb_per_s:.1f}", d.mb_per_s),
        Cell(d.reason),
    )


class HistoryTab(QWidget):
    exported = Signal(str)  # path of a written report

    def __init__(self, hub, parent=None):
        super().__init__(parent)
        self.hub = hub
        self.rows: dict[str, RunRow] = {}
        self.disks_by_run: dict[str | None, tuple[DiskRow, ...]] = {}

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter runs: album, track, operator, id, status, date…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter runs")
        self.filter.textChanged.connect(self._apply_filter)
        self.refresh_btn = QPushButton(theme.icon("history"), "Refresh")
        self.refresh_btn.clicked.connect(self.reload)
        self.csv_btn = QPushButton(theme.icon("report"), "Export CSV…")
        self.pdf_btn = QPushButton(theme.icon("report"), "Export PDF…")
        self.csv_btn.setToolTip("Report of the selected run (or of all runs if none is selected)")
        self.pdf_btn.setToolTip(self.csv_btn.toolTip())
        self.csv_btn.clicked.connect(lambda: self.export("csv"))
        self.pdf_btn.clicked.connect(lambda: self.export("pdf"))
        self.chain = QLabel("Ledger chain: not checked yet")
        self.chain.setAccessibleName("Ledger chain status")
        self.verify_btn = QPushButton("Check ledger")
        self.verify_btn.setToolTip("Walk the hash chain of the ledger and report any edited row")
        self.verify_btn.clicked.connect(self.verify_chain)
        self.replace_btn = QPushButton("Replace lost disk…")
        self.replace_btn.setToolTip(
            "Make a replacement for the selected disk on a blank disk attached now, counted "
            "against the grant's replacements; the old disk's licence is revoked"
        )
        self.replace_btn.setEnabled(False)
        self.replace_btn.clicked.connect(lambda: self.replace_selected())
        self.aftercare = QLabel("")
        self.aftercare.setWordWrap(True)
        self.aftercare.setAccessibleName("Replacement status")

        self.run_table = QTableWidget(0, len(RUN_COLUMNS))
        self.run_table.setHorizontalHeaderLabels(RUN_COLUMNS)
        self.run_table.setAccessibleName("Runs")
        self.disk_table = QTableWidget(0, len(DISK_COLUMNS))
        self.disk_table.setHorizontalHeaderLabels(DISK_COLUMNS)
        self.disk_table.setAccessibleName("Disks of the selected run")
        for t in (self.run_table, self.disk_table):
            t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            t.setAlternatingRowColors(True)
            t.setWordWrap(False)
            t.verticalHeader().setVisible(False)
            t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            t.horizontalHeader().setStretchLastSection(True)
            t.setSortingEnabled(True)  # click a header to sort
        # what was copied takes the room left; the full list is under the table
        self.run_table.horizontalHeader().setSectionResizeMode(WHAT, QHeaderView.ResizeMode.Stretch)
        self.run_table.horizontalHeader().setStretchLastSection(False)
        self.run_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.run_table.itemSelectionChanged.connect(self._show_disks)
        self.run_table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.run_table.customContextMenuRequested.connect(self._run_menu)
        self.disk_table.itemSelectionChanged.connect(
            lambda: self.replace_btn.setEnabled(self.selected_licence() is not None)
        )

        # the chosen run: its full id (copyable) and every track it copied
        self.run_title = QLabel("")
        self.run_title.setObjectName("sectionTitle")
        self.run_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_title.setAccessibleName("Selected run")
        self.copy_btn = QPushButton("Copy run id")
        self.copy_btn.setToolTip("Copy the run's full id, to paste in a message or a command")
        self.copy_btn.setEnabled(False)
        self.copy_btn.clicked.connect(lambda: self.copy_run_id())
        self.tracks = QLabel("")
        self.tracks.setWordWrap(True)
        self.tracks.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tracks.setAccessibleName("Tracks of the selected run")

        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.refresh_btn)
        top.addWidget(self.csv_btn)
        top.addWidget(self.pdf_btn)
        bottom = QHBoxLayout()
        bottom.addWidget(self.chain, 1)
        bottom.addWidget(self.verify_btn)
        bottom.addWidget(self.aftercare, 1)
        bottom.addWidget(self.replace_btn)
        head = QHBoxLayout()
        head.addWidget(self.run_title, 1)
        head.addWidget(self.copy_btn)
        lower = QWidget()
        lower_lay = QVBoxLayout(lower)
        lower_lay.setContentsMargins(0, 4, 0, 0)
        lower_lay.addLayout(head)
        lower_lay.addWidget(self.tracks)
        lower_lay.addWidget(self.disk_table, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.run_table)
        split.addWidget(lower)
        split.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(split, 1)
        lay.addLayout(bottom)

    # --- loading ---------------------------------------------------------------------------

    def reload(self) -> None:
        tasks.submit(self.hub.station.history.load, self._loaded, self.hub._report, context=self)

    def _loaded(self, history: History) -> None:
        selected = self.selected_run()
        self.rows = {r.run_id: r for r in history.runs}
        self.disks_by_run = dict(history.disks)
        table = self.run_table
        table.setSortingEnabled(False)  # rows go in as they are, then the chosen sort applies
        table.setRowCount(len(history.runs))
        for row, r in enumerate(history.runs):
            for col, cell in enumerate(_run_cells(r)):
                cell.setData(Qt.ItemDataRole.UserRole, r.run_id)
                if col == 1:
                    cell.setToolTip(f"Run {r.run_id} (right-click to copy)")
                elif col == WHAT and r.tracks:
                    cell.setToolTip("\n".join(r.tracks))
                table.setItem(row, col, cell)
        table.setSortingEnabled(True)
        self._apply_filter(self.filter.text())
        if selected and selected in self.rows:
            self.select_run(selected)
        elif history.runs:
            self.select_run(history.runs[0].run_id)
        else:
            self._show_disks()

    @property
    def runs(self) -> list[RunRow]:
        """The runs loaded, newest first."""
        return list(self.rows.values())

    def select_run(self, run_id: str) -> None:
        for row in range(self.run_table.rowCount()):
            if self.run_table.item(row, 0).data(Qt.ItemDataRole.UserRole) == run_id:
                self.run_table.selectRow(row)
                return

    def selected_run(self) -> str | None:
        rows = self.run_table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.run_table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def copy_run_id(self, run_id: str | None = None) -> str | None:
        """Put the run's full id on the clipboard (the table shows its first 8 digits)."""
        run_id = run_id or self.selected_run()
        if run_id:
            QGuiApplication.clipboard().setText(run_id)
            self.hub.notice.emit(f"Run id {run_id} copied.")
        return run_id

    def _run_menu(self, pos) -> None:
        item = self.run_table.itemAt(pos)
        if item is None:
            return
        run_id = item.data(Qt.ItemDataRole.UserRole)
        menu = QMenu(self)
        menu.addAction("Copy run id", lambda: self.copy_run_id(run_id))
        menu.addAction("Export PDF…", lambda: (self.select_run(run_id), self.export("pdf")))
        menu.popup(self.run_table.viewport().mapToGlobal(pos))
        self.run_menu = menu  # tests read it

    def _show_disks(self) -> None:
        run_id = self.selected_run()
        run = self.rows.get(run_id) if run_id else None
        self.copy_btn.setEnabled(run is not None)
        if run is None:
            self.run_title.setText("")
            self.tracks.setText("")
        else:
            by = f" by {run.operator}" if run.operator else ""
            self.run_title.setText(f"Run {run.run_id}{by}, {_when(run.started_at)}")
            self.tracks.setText("Copied: " + "   ".join(run.tracks) if run.tracks else "")
        disks = self.disks_by_run.get(run_id, ()) if run_id else ()
        self.disk_table.setSortingEnabled(False)
        self.disk_table.setRowCount(len(disks))
        for row, d in enumerate(disks):
            for col, cell in enumerate(_disk_cells(d)):
                if col == 0:
                    cell.setData(Qt.ItemDataRole.UserRole, d.licence_id)
                if col == len(DISK_COLUMNS) - 1 and d.reason:  # the recorded sentence too
                    cell.setToolTip(f"{d.reason}\n\n{d.detail}" if d.detail else d.reason)
                self.disk_table.setItem(row, col, cell)
        self.disk_table.setSortingEnabled(True)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for row in range(self.run_table.rowCount()):
            cells = [self.run_table.item(row, c).text() for c in range(len(RUN_COLUMNS))]
            run_id = self.run_table.item(row, 0).data(Qt.ItemDataRole.UserRole) or ""
            run = self.rows.get(run_id)
            hay = " ".join([*cells, run_id, *(run.tracks if run else ())]).casefold()
            self.run_table.setRowHidden(row, bool(needle) and needle not in hay)

    # --- replacing a lost disk ------------------------------------------------------------

    def selected_licence(self) -> str | None:
        rows = self.disk_table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.disk_table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def replace_selected(self, *, confirm: bool = True) -> None:
        """Reissue the selected disk on a disk attached now (the same call as the CLI)."""
        licence = self.selected_licence()
        if licence is None:
            return
        if confirm and (
            QMessageBox.question(
                self,
                "Replace lost disk",
                f"Make a replacement for licence {licence[:12]} on a blank disk attached now "
                "and revoke the old licence?",
            )
            != QMessageBox.StandardButton.Yes
        ):
            return
        aftercare = self.hub.station.aftercare

        def work():  # the same path as 'pressroom reissue': refused while a run is going
            return aftercare.reissue(licence, reason="replaced from the History tab")

        self.replace_btn.setEnabled(False)
        self.aftercare.setText(f"Replacing {licence[:12]}… (writing and verifying)")
        tasks.submit(work, self._reissued, self._reissue_failed, context=self)

    def _reissued(self, outcome) -> None:
        self.aftercare.setText(("✔ " if outcome.ok else "✖ ") + outcome.sentence())
        self.reload()

    def _reissue_failed(self, exc: BaseException) -> None:
        self.aftercare.setText("")
        self.replace_btn.setEnabled(self.selected_licence() is not None)
        self.hub._report(exc)

    # --- chain and reports -----------------------------------------------------------------

    def verify_chain(self) -> None:
        self.chain.setText("Ledger chain: checking…")
        tasks.submit(
            self.hub.station.reports.check_chain, self._chain_done, self.hub._report, context=self
        )

    def _chain_done(self, report) -> None:
        if report.ok:
            self.chain.setText(
                f"✔ Ledger chain intact: {report.rows} events, head {report.head[:16]}…"
            )
        else:
            self.chain.setText(f"✖ Ledger chain BROKEN: {report.reason}")

    def export(self, fmt: str, path: str | None = None) -> None:
        run_id = self.selected_run()
        if path is None:
            name = f"pressroom-{run_id[:8] if run_id else 'all'}.{fmt}"
            path, _ = QFileDialog.getSaveFileName(
                self, f"Export {fmt.upper()} report", str(Path.home() / name), f"*.{fmt}"
            )
            if not path:
                return
        reports, out = self.hub.station.reports, Path(path)

        def work() -> Path:
            reports.write(fmt, out, run_id=run_id)
            return out

        tasks.submit(
            work,
            lambda p: self.exported.emit(str(p)),
            self.hub._report,
            context=self,
        )
