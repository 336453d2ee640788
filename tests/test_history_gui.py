"""History a shop can use, clicked offscreen: what each run copied, capacity, per-disk time,
operator (asked once per shift), columns that sort on their values, a copyable run id,
and each run's report saved in the reports folder (or one sentence when it cannot be).

With PRESSROOM_SCREENSHOTS=1 the History tab is saved to docs/screenshots at 1366x768
and 1024x600.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from tests.gui_support import close_window, make_core, no_qt_leaks, open_window  # noqa: F401
from tests.ledger_support import passed_disk

from pressroom.gui.history_tab import DISK_COLUMNS, RUN_COLUMNS
from pressroom.ledger.models import TrackTitle

pytestmark = pytest.mark.usefixtures("no_qt_leaks")

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
SAVE = os.environ.get("PRESSROOM_SCREENSHOTS") == "1"
HOUR = 3600.0


def col(name: str) -> int:
    return RUN_COLUMNS.index(name)


def texts(table, column: int) -> list[str]:
    return [table.item(r, column).text() for r in range(table.rowCount())]


def start(qtbot, window, rows, copies) -> None:
    window.catalog.select_rows(rows)
    window.job_bar.copies.setValue(copies)
    try:
        qtbot.waitUntil(window.job_bar.start.isEnabled, timeout=10_000)
    except Exception:
        raise AssertionError(window.start_blocker()) from None
    qtbot.mouseClick(window.job_bar.start, Qt.MouseButton.LeftButton)


def wait_done(qtbot, window, runs_before: int) -> None:
    qtbot.waitUntil(
        lambda: (
            window.hub.run is not None
            and window.hub.run.done
            and len(window.hub.app.ledger.runs()) == runs_before + 1
        ),
        timeout=60_000,
    )
    qtbot.waitUntil(lambda: not window.hub.running, timeout=20_000)


def test_operator_is_asked_once_per_shift_and_history_says_what_was_copied(qtbot, monkeypatch):
    core = make_core(disks=2, mbps=8.0)
    window = open_window(qtbot, core, operator=None)  # nobody on shift yet
    from pressroom.gui.operator_prompt import OperatorPrompt

    asked: list[str] = []  # one entry per prompt opened
    real_open = OperatorPrompt.open
    monkeypatch.setattr(OperatorPrompt, "open", lambda p: (asked.append("asked"), real_open(p)))

    # first run of the shift: the name is asked before anything is written
    start(qtbot, window, [0, 1], copies=2)
    qtbot.waitUntil(lambda: window.operator_prompt is not None, timeout=5000)
    prompt = window.operator_prompt
    assert prompt.isVisible() and window.hub.run is None
    window.start_run()  # Start pressed again while it asks: the same prompt, not a second
    assert window.operator_prompt is prompt and asked == ["asked"]
    prompt.name.setText("   ")  # an empty name is one sentence in the prompt
    qtbot.mouseClick(prompt.ok, Qt.MouseButton.LeftButton)
    assert prompt.isVisible() and "Type the operator's name" in prompt.error.text()
    prompt.name.setText("Ana Lopez")
    qtbot.mouseClick(prompt.ok, Qt.MouseButton.LeftButton)
    wait_done(qtbot, window, 0)
    # the report of the run is saved without a click, and the window says where
    qtbot.waitUntil(window.report_notice.isVisible, timeout=30_000)
    folder = core.config.reports_dir
    (pdf,) = folder.glob("*.pdf")
    assert str(pdf) in window.report_notice.text.toolTip()
    assert folder.name in window.report_notice.text.text()
    assert window.report_notice.open_btn.isVisible()
    from PySide6.QtGui import QDesktopServices

    opened: list[str] = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True
    )
    qtbot.mouseClick(window.report_notice.open_btn, Qt.MouseButton.LeftButton)
    assert opened == [str(folder)]
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.with_suffix(".csv").exists()

    # the same shift: Start does not ask again
    start(qtbot, window, [0], copies=1)
    wait_done(qtbot, window, 1)
    assert len(asked) == 1, "the operator was asked twice in one shift"

    records = sorted(core.ledger.runs(), key=lambda r: r.started_at)
    assert [r.operator for r in records] == ["Ana Lopez", "Ana Lopez"]
    tracks = {t.content_hash: t for t in window.catalog.model.tracks}

    # History: what was copied, operator, time; the disks' capacity and time
    window.show_history()
    tab = window.history
    table = tab.run_table
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=10_000)
    first = records[0]
    tab.select_run(first.run_id)
    row = table.selectionModel().selectedRows()[0].row()
    album = tracks[first.tracks[0]].album
    what = table.item(row, col("What was copied")).text()
    assert album and album in what, what
    assert table.item(row, col("Operator")).text() == "Ana Lopez"
    assert table.item(row, col("Run")).text() == first.run_id[:8]
    assert ":" in table.item(row, col("Time")).text()
    for h in first.tracks:
        assert tracks[h].title in tab.tracks.text()
    assert "Ana Lopez" in tab.run_title.text() and first.run_id in tab.run_title.text()
    disks = tab.disk_table
    qtbot.waitUntil(lambda: disks.rowCount() == 2, timeout=5000)
    cap = DISK_COLUMNS.index("Capacity")
    assert texts(disks, cap) == ["1.1 GB", "1.1 GB"]  # the simulated 1 GiB sticks
    took = DISK_COLUMNS.index("Time")
    assert all(t.count(":") == 1 for t in texts(disks, took))

    # Copy run id: the button and the context menu copy the full id
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(tab.copy_btn, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == first.run_id
    QGuiApplication.clipboard().clear()
    rect = table.visualItemRect(table.item(row, col("Run")))
    tab._run_menu(rect.center())
    (copy,) = [a for a in tab.run_menu.actions() if a.text() == "Copy run id"]
    copy.trigger()
    assert QGuiApplication.clipboard().text() == first.run_id
    tab.run_menu.close()

    # the shift ends (12 hours later): the next Start asks again, prefilled with the name
    core.config.settings.operator_since -= 13 * HOUR
    window.tabs.setCurrentIndex(0)
    window.start_run()
    qtbot.waitUntil(lambda: window.operator_prompt is not prompt, timeout=5000)
    again = window.operator_prompt
    assert again.name.text() == "Ana Lopez" and len(asked) == 2
    again.reject()  # cancelled: nothing starts
    qtbot.waitUntil(lambda: "needs the operator" in window.statusBar().currentMessage())
    assert len(core.ledger.runs()) == 2
    close_window(qtbot, window)


def _older_runs(core) -> list[str]:
    """Runs with known numbers: copies 9, 10 and 100; times 0:59, 9:59 and 1:02:10; one
    recorded before titles were kept (History names its tracks from the catalog)."""
    ledger = core.ledger
    grant = core.station.grants.statuses()[0].grant_id
    track = core.catalog.all()[0]
    base = time.time() - 30 * 24 * HOUR
    ids = []
    plan = [
        (9, 599.0, "Ben", "cancelled"),
        (100, 59.0, "Chloé", "exhausted"),
        (10, 3730.0, "Dev", "cancelled"),
    ]
    for i, (wanted, seconds, who, status) in enumerate(plan):
        at = base + i * 24 * HOUR
        titles = [] if i == 0 else [TrackTitle(f"Take {i}", "Night Sessions", "The Lows")]
        run = ledger.start_run(
            grant_id=grant,
            station_id="ab" * 16,
            tracks=[track.content_hash],
            copies_wanted=wanted,
            rights={},
            operator=who,
            now=at,
            titles=titles,
        )
        res = ledger.reserve(grant, run_id=run, drive_id=f"old-{i}")
        disk = passed_disk(
            90 + i,
            run,
            started_at=at + 1,
            finished_at=at + 1 + seconds / 2,
            capacity=[8, 64, 128][i] * 10**9,
            tracks=(track.content_hash,),
        )
        ledger.commit(res, disk)
        ledger.finish_run(run, status, now=at + seconds)
        ids.append(run)
    return ids


def test_history_columns_sort_on_numbers_and_times_not_on_text(qtbot):
    core = make_core(disks=1)
    ids = _older_runs(core)
    window = open_window(qtbot, core)
    window.show_history()
    tab = window.history
    table = tab.run_table
    qtbot.waitUntil(lambda: table.rowCount() == 3, timeout=10_000)

    table.sortItems(col("Copies"), Qt.SortOrder.AscendingOrder)
    assert texts(table, col("Copies")) == ["9", "10", "100"]  # as text: 10, 100, 9
    table.sortItems(col("Copies"), Qt.SortOrder.DescendingOrder)
    assert texts(table, col("Copies")) == ["100", "10", "9"]
    table.sortItems(col("Time"), Qt.SortOrder.AscendingOrder)
    assert texts(table, col("Time")) == ["0:59", "9:59", "1:02:10"]  # as text: 0:59, 1:02…
    table.sortItems(col("Started"), Qt.SortOrder.DescendingOrder)
    by_date = [table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(3)]
    assert by_date == ids[::-1]
    table.sortItems(col("Operator"), Qt.SortOrder.AscendingOrder)
    assert texts(table, col("Operator")) == ["Ben", "Chloé", "Dev"]

    # the run from before titles were kept names its track from the catalog
    tab.select_run(ids[0])
    track = core.catalog.all()[0]
    row = table.selectionModel().selectedRows()[0].row()
    assert track.title in table.item(row, col("What was copied")).text()
    assert "Take 1 (Night Sessions)" in texts(table, col("What was copied"))

    # each disk's capacity as printed on it
    tab.select_run(ids[2])
    cap = DISK_COLUMNS.index("Capacity")
    assert texts(tab.disk_table, cap) == ["128 GB"]
    # the filter finds a run by a track title
    tab.filter.setText("take 2")
    visible = [r for r in range(3) if not table.isRowHidden(r)]
    assert [table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in visible] == [ids[2]]
    tab.filter.clear()

    for size in ((1366, 768), (1024, 600)):
        window.resize(*size)
        qtbot.waitUntil(lambda s=size: (window.width(), window.height()) == s, timeout=3000)
        qtbot.wait(100)
        tab.select_run(ids[1])
        qtbot.wait(50)
        pix = window.grab()
        # every column of the runs table is on screen: nothing hides behind a scrollbar
        header = table.horizontalHeader()
        assert header.length() <= table.viewport().width() + 1, size
        if SAVE:
            OUT.mkdir(parents=True, exist_ok=True)
            pix.save(str(OUT / f"history-{size[0]}x{size[1]}.png"))
    close_window(qtbot, window)


def test_a_reports_folder_that_cannot_be_written_is_a_sentence_in_the_banner(qtbot, tmp_path):
    core = make_core(disks=1, mbps=8.0)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    core.config.settings.reports_dir = str(blocker / "reports")
    window = open_window(qtbot, core)
    start(qtbot, window, [0], copies=1)
    wait_done(qtbot, window, 0)
    qtbot.waitUntil(window.banner.isVisible, timeout=30_000)
    text = window.banner.text()
    assert "The run's report could not be saved in" in text and "Traceback" not in text
    assert text.count("\n") == 0
    assert not window.report_notice.isVisible()
    (record,) = core.ledger.runs()
    assert record.status == "finished" and window.hub.run.passed == 1  # the run stands
    close_window(qtbot, window)


def test_settings_start_a_shift_and_choose_the_reports_folder(qtbot, tmp_path):
    from pressroom.config import load_config
    from pressroom.gui.settings_dialog import SettingsDialog
    from pressroom.station.shift import current_operator

    config = load_config()
    assert config.settings.save_reports  # on by default
    dlg = SettingsDialog(config)
    qtbot.addWidget(dlg)
    dlg.operator.setText("Dev")
    dlg.save_reports.setChecked(False)
    dlg.reports_dir.setText(str(tmp_path / "shelf"))
    dlg.save()
    saved = load_config()
    assert current_operator(saved.settings, time.time()) == "Dev"  # a new shift starts now
    assert not saved.settings.save_reports
    assert saved.reports_dir == tmp_path / "shelf"
    dlg = SettingsDialog(saved)
    qtbot.addWidget(dlg)
    dlg.operator.clear()  # nobody: the next Start asks
    dlg.save()
    assert current_operator(load_config().settings, time.time()) == ""
