"""A marked run from the station window: the A/B variants are prepared by the run's own
thread, shown as its first step, while the window's event loop keeps running."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt, QTimer
from tests.gui_support import close_window, make_core, no_qt_leaks, open_window  # noqa: F401

from media_support import FFMPEG_MISSING, ffmpeg_runs
from pressroom.engine.events import DiskState
from pressroom.station import demo_tracks

pytestmark = [
    pytest.mark.usefixtures("no_qt_leaks"),
    pytest.mark.skipif(not ffmpeg_runs(), reason=FFMPEG_MISSING),
]


def test_preparing_marked_tracks_never_blocks_the_window(qtbot, monkeypatch):
    from pressroom.watermark import variants

    held, entered = threading.Event(), threading.Event()
    real = variants.prepare

    def slow_prepare(*args, **kw):  # the preparation, held until the test has looked
        entered.set()
        assert held.wait(60), "the preparation was waited for"
        return real(*args, **kw)

    monkeypatch.setattr(variants, "prepare", slow_prepare)
    core = make_core(disks=1, mbps=8.0)
    window = open_window(qtbot, core)
    long_play = [
        t.content_hash for t in window.catalog.model.tracks if t.album == demo_tracks.ALBUM
    ]
    assert len(long_play) == 3  # the demo's generated long tracks are in the catalog
    window.catalog.select_hashes({long_play[0]})
    window.catalog.model.set_rights_all("marked", [long_play[0]])
    qtbot.waitUntil(window.job_bar.start.isEnabled, timeout=10_000)

    ticks = []
    timer = QTimer(window)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    qtbot.mouseClick(window.job_bar.start, Qt.MouseButton.LeftButton)
    assert entered.wait(30)
    # the window heard the run start and shows its first step while the step is held
    qtbot.waitUntil(
        lambda: "Preparing marked tracks 1 of 1" in window.run_summary.text(), timeout=10_000
    )
    (card,) = window.grid.cards.values()  # Start was pressed: its disk does not wait for it
    assert card.stage.text() == "Starts when the tracks are ready"
    before = len(ticks)
    qtbot.waitUntil(lambda: len(ticks) >= before + 5, timeout=10_000)  # the loop turns
    assert window.hub.running and window.job_bar.stop.isEnabled()
    held.set()
    qtbot.waitUntil(lambda: window.hub.run is not None and window.hub.run.done, timeout=60_000)
    timer.stop()
    # the run is done; its last disk event crosses to the window on the bridge's next batch
    qtbot.waitUntil(
        lambda: [c.state for c in window.grid.cards.values()] == [DiskState.PASS], timeout=10_000
    )
    qtbot.waitUntil(lambda: "Finished: 1 of 1 made." in window.run_summary.text(), timeout=5000)
    close_window(qtbot, window)
