"""History from the ledger: runs, the disks of the chosen run, reports, chain status.

Everything is read in the pool; the chain check walks every ledger row, so it never runs
on the GUI thread.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pressroom.gui import tasks, theme
from pressroom.station import words
from pressroom.station.words import short_run_id

RUN_COLUMNS = ("Started", "Run", "Operator", "Copies wanted", "Made", "Failed", "Status")
DISK_COLUMNS = ("Result", "Copy", "Slot", "Serial", "Disk", "MB/s", "Reason")


def _when(ts: float | None) -> str:
    return "—" if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _item(text: str, sort: object | None = None) -> QTableWidgetItem:
    it = QTableWidgetItem(text)
    it.setFlags(it.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if sort is not None:
        it.setData(Qt.ItemDataRole.UserRole, sort)
    return it


class HistoryTab(QWidget):
    exported = Signal(str)  # path of a written report

    def __init__(self, hub, parent=None):
        super().__init__(parent)
        self.hub = hub
        self.runs: list = []
        self.disks_by_run: dict[str | None, list] = {}

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter runs: id, operator, status, date…")
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
            t.verticalHeader().setVisible(False)
            t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            t.horizontalHeader().setStretchLastSection(True)
        self.run_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.run_table.itemSelectionChanged.connect(self._show_disks)
        self.disk_table.itemSelectionChanged.connect(
            lambda: self.replace_btn.setEnabled(self.selected_licence() is not None)
        )

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
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.run_table)
        split.addWidget(self.disk_table)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(split, 1)
        lay.addLayout(bottom)

    # --- loading ---------------------------------------------------------------------------

    def reload(self) -> None:
        tasks.submit(self.hub.station.reports.history, self._loaded, self.hub._report, context=self)

    def _loaded(self, result) -> None:
        runs, disks = result
        selected = self.selected_run()
        self.runs = sorted(runs, key=lambda r: r.started_at, reverse=True)
        self.disks_by_run = disks
        self.run_table.setSortingEnabled(False)
        self.run_table.setRowCount(len(self.runs))
        for row, r in enumerate(self.runs):
            ds = disks.get(r.run_id, [])
            passed = sum(d.result == "pass" for d in ds)
            cells = (
                _when(r.started_at),
                short_run_id(r.run_id),
                r.operator or "—",
                str(r.copies_wanted),
                str(passed),
                str(len(ds) - passed),
                words.run_status(r.status, wanted=r.copies_wanted, made=passed),
            )
            for col, text in enumerate(cells):
                it = _item(text, r.run_id)
                if text.isdigit():  # counts sort as numbers, not as text
                    it.setData(Qt.ItemDataRole.DisplayRole, int(text))
                it.setToolTip(r.run_id if col == 1 else "")
                self.run_table.setItem(row, col, it)
        self.run_table.setSortingEnabled(True)  # click a header to sort
        self._apply_filter(self.filter.text())
        if selected:
            self.select_run(selected)
        elif self.runs:
            self.run_table.selectRow(0)

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

    def _show_disks(self) -> None:
        disks = sorted(
            self.disks_by_run.get(self.selected_run(), []),
            key=lambda d: (d.copy_index is None, d.copy_index or 0, d.started_at),
        )
        self.disk_table.setSortingEnabled(False)
        self.disk_table.setRowCount(len(disks))
        for row, d in enumerate(disks):
            cells = (
                "✔ PASS" if d.result == "pass" else "✖ FAIL",
                # a failed disk's index went back to the grant: it names no copy
                "—" if d.copy_index is None or d.result != "pass" else str(d.copy_index),
                d.slot or d.drive_id,
                d.serial_masked or "—",
                " ".join(x for x in (d.vendor, d.product) if x) or "—",
                "—" if not d.mb_per_s else f"{d.mb_per_s:.1f}",
                d.reason or "",
            )
            for col, text in enumerate(cells):
                self.disk_table.setItem(row, col, _item(text, d.licence_id if col == 0 else None))
        self.disk_table.setSortingEnabled(True)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row in range(self.run_table.rowCount()):
            hay = " ".join(
                self.run_table.item(row, c).text().lower() for c in range(len(RUN_COLUMNS))
            )
            run_id = self.run_table.item(row, 0).data(Qt.ItemDataRole.UserRole) or ""
            self.run_table.setRowHidden(row, bool(needle) and needle not in hay + run_id)

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
