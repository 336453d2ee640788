"""Screenshots of the main states for docs/screenshots (only with PRESSROOM_SCREENSHOTS=1).

Without the variable the same states are still driven and checked, just not saved, so
the test cannot rot silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.gui_support import close_window, make_core, no_qt_leaks, open_window  # noqa: F401

from pressroom.engine.events import DiskState

pytestmark = pytest.mark.usefixtures("no_qt_leaks")

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
SAVE = os.environ.get("PRESSROOM_SCREENSHOTS") == "1"


def shot(window, name: str) -> None:
    window.resize(1366, 768)
    pix = window.grab()
    assert pix.width() >= 1366 and pix.height() >= 768
    if SAVE:
        OUT.mkdir(parents=True, exist_ok=True)
        pix.save(str(OUT / f"{name}.png"))


def test_screens_empty(qtbot, tmp_path):
    from pressroom.app import App
    from pressroom.config import load_config
    from pressroom.gui.launch import build_window, qapp

    qapp()
    window = build_window(App(load_config(tmp_path / "empty")))
    qtbot.addWidget(window)
    window.show()
    window.load()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Ready", timeout=10_000)
    assert window.grid.empty.isVisible()
    shot(window, "empty")
    close_window(qtbot, window)


def test_screens_running_finished_history(qtbot):
    core = make_core(disks=8, faulty={6: "fail-after=120K"}, mbps=0.25, demo=True)
    window = open_window(qtbot, core)
    qtbot.waitUntil(lambda: len(window.grid.cards) == 8, timeout=10_000)
    window.catalog.select_rows([0, 1, 2])
    window.job_bar.copies.setValue(8)
    qtbot.waitUntil(window.job_bar.start.isEnabled, timeout=5000)
    window.start_run()
    cards = window.grid.cards.values()
    qtbot.waitUntil(
        # one simulated bus: its adaptive gate starts 4 disks, then more while its rate grows
        lambda: sum(c.state == DiskState.RUNNING and c.bar.value() > 100 for c in cards) >= 3,
        timeout=30_000,
    )
    shot(window, "running-8-disks")
    qtbot.waitUntil(
        lambda: all(c.state in (DiskState.PASS, DiskState.FAIL) for c in cards), timeout=60_000
    )
    qtbot.wait(300)
    assert window.grid.card("sim:disk6").state == DiskState.FAIL
    shot(window, "finished-with-failure")
    window.stop_run()
    qtbot.waitUntil(lambda: window.hub.run.done, timeout=20_000)
    window.show_history()
    qtbot.waitUntil(lambda: window.history.disk_table.rowCount() >= 8, timeout=10_000)
    window.history.verify_chain()
    qtbot.waitUntil(lambda: "intact" in window.history.chain.text(), timeout=10_000)
    shot(window, "history")
    close_window(qtbot, window)
