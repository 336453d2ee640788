"""Run Python's cyclic garbage collector on the GUI thread only.

CPython runs a collection in whichever thread happens to allocate past the threshold. If
that is an engine worker or a pool thread and the garbage holds Qt objects (a widget in a
reference cycle with a lambda, say), their C++ destructors run off the GUI thread and Qt
crashes. pyqtgraph solved this with a timer-driven collector; this is the same idea:
automatic collection off, and the same thresholds checked on a GUI-thread timer.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, QTimer

SWITCH_S = 0.002  # GIL switch interval while the window runs (CPython's default: 5 ms)


class MainThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = 500):
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)

    def start(self) -> None:
        # with a tower's many worker threads runnable, the GUI thread waits for the GIL in
        # turns of the switch interval: a shorter turn bounds how long it waits
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_S)
        gc.disable()
        # everything alive after start-up (Qt wrappers, modules, the catalog) is frozen
        # out of the collector's reach: later collections walk only what the run creates
        gc.collect()
        gc.freeze()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        sys.setswitchinterval(self._switch)
        gc.unfreeze()
        gc.collect()
        gc.enable()

    def check(self) -> None:
        count = gc.get_count()
        for generation in (2, 1, 0):
            if count[generation] > self.threshold[generation]:
                gc.collect(generation)
                return


@contextmanager
def collect_on_gui_thread(parent: QObject | None = None) -> Iterator[MainThreadCollector]:
    """Around an event loop: collections happen only on this (the GUI) thread."""
    collector = MainThreadCollector(parent)
    collector.start()
    try:
        yield collector
    finally:
        collector.stop()
