"""Shared pieces of the GUI tests: a ready station on simulated disks, leak checks."""

from __future__ import annotations

import gc
import time

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

import shiboken6
from PySide6.QtCore import QThread, QThreadPool, QTimer

from pressroom.app import App
from pressroom.config import load_config
from pressroom.drives.simulated import add_sim_disk, parse_fault


def live_qt_objects() -> tuple[list[QTimer], list[QThread]]:
    timers, threads = [], []
    for obj in gc.get_objects():
        if isinstance(obj, QTimer) and shiboken6.isValid(obj) and obj.isActive():
            timers.append(obj)
        elif isinstance(obj, QThread) and shiboken6.isValid(obj) and obj.isRunning():
            threads.append(obj)
    return timers, threads


@pytest.fixture
def no_qt_leaks(qapp):
    """Fail a test that leaves an active QTimer, a running QThread or a pool task behind."""
    before_timers, before_threads = (set(map(id, x)) for x in live_qt_objects())
    yield
    QThreadPool.globalInstance().waitForDone(10_000)
    qapp.processEvents()
    timers, threads = live_qt_objects()
    leaked_t = [t for t in timers if id(t) not in before_timers]
    leaked_q = [t for t in threads if id(t) not in before_threads]
    assert QThreadPool.globalInstance().activeThreadCount() == 0, "pool tasks still running"
    assert not leaked_t, f"test leaked active QTimers: {leaked_t}"
    assert not leaked_q, f"test leaked running QThreads: {leaked_q}"


def make_core(
    *, disks: int = 4, faulty: dict[int, str] | None = None, mbps: float = 4.0, demo: bool = False
) -> App:
    """A station with demo keys, the demo catalog, a grant and ``disks`` simulated disks."""
    core = App(load_config(), demo=demo)
    faulty = faulty or {}
    for i in range(1, disks + 1):
        add_sim_disk(
            core.config.sim_dir,
            serial=f"TST{7100000 + i * 7919:09d}",
            size="1G",
            write_mbps=mbps,
            read_mbps=mbps * 4,
            faults=parse_fault(faulty[i]) if i in faulty else None,
        )
    core.station.demo.prepare(disks, watchable=True)
    return core


def on_shift(core: App, name: str = "Sam") -> None:
    """An operator on shift (as if they had given their name), so Start does not ask."""
    from pressroom.station.shift import with_operator

    core.config.settings = with_operator(core.config.settings, name, time.time())


def open_window(qtbot, core, *, operator: str | None = "Sam"):
    """The station window on ``core`` (a demo window when ``core.demo``); ``operator``
    is on shift unless None (then the first Start asks for a name)."""
    from pressroom.gui.launch import build_window, qapp

    if operator is not None:
        on_shift(core, operator)
    qapp()
    window = build_window(core)
    window.hub.bridge._timer.setInterval(20)

    def stop_quietly() -> None:  # a failed test must not leave a modal "Stop the run?" open
        if window.hub.running:
            window.hub.stop_run()
            qtbot.waitUntil(lambda: not window.hub.running, timeout=20_000)

    qtbot.addWidget(window, before_close_func=lambda _w: stop_quietly())
    window.show()
    window.load()
    qtbot.waitUntil(
        lambda: bool(window.grid.cards) and bool(window.catalog.model.tracks), timeout=10_000
    )
    return window


def close_window(qtbot, window) -> None:
    """Close as an operator would; a run still going is stopped first (no modal question)."""
    if window.hub.running:
        window.hub.stop_run()
        qtbot.waitUntil(lambda: not window.hub.running, timeout=20_000)
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)
