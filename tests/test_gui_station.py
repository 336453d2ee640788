"""The station window clicked through offscreen on simulated disks."""

from __future__ import annotations

import pytest
from tests.gui_support import close_window, make_core, no_qt_leaks, open_window  # noqa: F401

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt

from pressroom.engine.events import DiskState


def test_full_job_clicked_through_to_pass(qtbot, no_qt_leaks):  # noqa: F811
    core = make_core(disks=4)
    window = open_window(qtbot, core)
    qtbot.waitUntil(lambda: len(window.grid.cards) == 4, timeout=10_000)
    assert not window.job_bar.start.isEnabled()
    assert "select at least one track" in window.job_bar.start.toolTip()

    window.catalog.select_rows([0, 1, 2])
    window.job_bar.copies.setValue(3)
    qtbot.waitUntil(window.job_bar.start.isEnabled, timeout=5000)
    qtbot.mouseClick(window.job_bar.start, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.hub.run is not None and window.hub.run.done, timeout=30_000)
    qtbot.waitUntil(window.report_btn.isEnabled, timeout=5000)
    states = [c.state for c in window.grid.cards.values()]
    assert states.count(DiskState.PASS) == 3
    assert "3 of 3 passed" in window.run_summary.text()
    passed = [c for c in window.grid.cards.values() if c.state == DiskState.PASS]
    assert all(c.state_label.text() == "PASS" for c in passed)
    assert all(c.bar.value() == 1000 for c in passed)
    close_window(qtbot, window)
