"""First start, counted in clicks: wizard → demo disks on screen at once → a verified disk.

Before, the demo's disks showed only after a restart (the drive provider was chosen
before the wizard made them) and the wizard needed an extra "Do it" click.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWizard
from tests.gui_support import close_window, no_qt_leaks  # noqa: F401

from pressroom.engine.events import DiskState
from pressroom.station import words

pytestmark = pytest.mark.usefixtures("no_qt_leaks")


def test_first_start_to_a_verified_demo_disk_in_six_clicks_later_runs_in_four(qtbot, tmp_path):
    from pressroom.app import App
    from pressroom.config import load_config
    from pressroom.gui.launch import build_window, qapp

    qapp()
    core = App(load_config(tmp_path / "new-shop"))
    window = build_window(core)
    window.hub.bridge._timer.setInterval(20)
    qtbot.addWidget(window)
    window.show()
    window.load()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Ready", timeout=10_000)
    assert core.station.setup.needs_setup() and not window.grid.cards
    window.open_wizard()  # what `pressroom` does on a station without keys
    clicks = 0

    def click(widget, pos: QPoint | None = None) -> None:
        nonlocal clicks
        clicks += 1
        if pos is None:
            qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
        else:
            qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)

    wiz = window.wizard
    click(wiz.button(QWizard.WizardButton.NextButton))  # "Start the demo" is preselected
    finish = wiz.button(QWizard.WizardButton.FinishButton)
    qtbot.waitUntil(lambda: finish.isVisible() and finish.isEnabled(), timeout=60_000)
    # what was done in a shop's words; the key ids and folders behind Details
    page = wiz.work_page
    assert page.log.text() == f"✔ {words.setup_done('demo').text}"
    assert not words.developer_words(page.log.text())
    assert page.details_btn.isVisible() and page.details.isHidden()
    assert "certified this station with the demo publisher" in page.details.text()
    click(finish)
    # the demo's 8 disks appear at once, no restart
    qtbot.waitUntil(lambda: len(window.grid.cards) == 8, timeout=20_000)
    qtbot.waitUntil(lambda: bool(window.catalog.model.tracks), timeout=10_000)
    table = window.catalog.table
    click(table.viewport(), table.visualRect(table.model().index(0, 1)).center())
    qtbot.waitUntil(window.job_bar.start.isEnabled, timeout=10_000)
    click(window.job_bar.start)
    # the first run of a shift asks who is working: a name and one click
    qtbot.waitUntil(lambda: window.operator_prompt is not None, timeout=5000)
    window.operator_prompt.name.setText("Ana")
    click(window.operator_prompt.ok)
    qtbot.waitUntil(
        lambda: any(c.state == DiskState.PASS for c in window.grid.cards.values()),
        timeout=120_000,
    )
    assert clicks <= 6, clicks
    qtbot.waitUntil(lambda: not window.hub.running, timeout=60_000)

    # a later run: the track is still selected, copies and Start (≤ 4 clicks)
    later = 0
    qtbot.waitUntil(window.job_bar.start.isEnabled, timeout=10_000)
    later += 1
    qtbot.mouseClick(window.job_bar.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.hub.run is not None and window.hub.run.done, timeout=120_000)
    assert later <= 4
    assert core.ledger.get_run(window.hub.run.id).operator == "Ana"  # not asked twice
    # the report of each run was saved in the reports folder without a click
    folder = core.config.reports_dir
    qtbot.waitUntil(lambda: len(list(folder.glob("*.pdf"))) == 2, timeout=30_000)
    qtbot.waitUntil(window.report_notice.isVisible, timeout=30_000)
    assert all(p.read_bytes()[:5] == b"%PDF-" for p in folder.glob("*.pdf"))
    close_window(qtbot, window)
