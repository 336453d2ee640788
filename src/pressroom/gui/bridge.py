"""The one bridge from engine threads to the GUI thread.

Engine workers, the run's hotplug watcher and the window's own drive watcher call
:meth:`EngineBridge.post` from any thread; it only appends to a locked deque. A QTimer
on the GUI thread drains the queue every ``interval_ms`` within a time budget, coalescing
progress per drive to the latest snapshot, so 16 disks at 10 events/s each cost the
event loop one short batch per tick instead of 160 queued signal deliveries.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal

from pressroom.drives.base import DriveEvent
from pressroom.engine.events import DiskProgress, LogLine, RunProgress


class EngineBridge(QObject):
    """Thread-safe inbox; emits batches on the GUI thread."""

    disk_progress = Signal(object)  # DiskProgress (latest per drive in this batch)
    run_progress = Signal(object)  # RunProgress
    log_line = Signal(object)  # LogLine
    drive_event = Signal(object)  # DriveEvent (hotplug)

    def __init__(
        self, parent: QObject | None = None, *, interval_ms: int = 50, budget_ms: int = 12
    ):
        super().__init__(parent)
        self._queue: deque[object] = deque()
        self._lock = threading.Lock()
        self.budget = budget_ms / 1000
        self.delivered = 0  # events delivered (after coalescing), for tests and the bench
        self.received = 0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.drain)
        self._timer.start()

    def post(self, event: object) -> None:
        """Called from any thread: engine events and drive events."""
        with self._lock:
            self._queue.append(event)
            self.received += 1

    def stop(self) -> None:
        """Stop delivering (window closing); later posts are dropped at the next drain."""
        self._timer.stop()
        with self._lock:
            self._queue.clear()

    def drain(self) -> None:
        """Deliver queued events on the GUI thread, oldest first, within the time budget.

        Consecutive progress of one drive collapses to its newest snapshot, but a drive's
        progress is never reordered past its own run or hotplug events.
        """
        with self._lock:
            batch = list(self._queue)
            self._queue.clear()
        if not batch:
            return
        started = time.perf_counter()
        out = _coalesce(batch)
        for i, ev in enumerate(out):
            self._deliver(ev)
            if time.perf_counter() - started > self.budget and i + 1 < len(out):
                with self._lock:  # out of budget: the rest goes first next tick
                    self._queue.extendleft(reversed(out[i + 1 :]))
                return

    def _deliver(self, ev: object) -> None:
        self.delivered += 1
        if isinstance(ev, DiskProgress):
            self.disk_progress.emit(ev)
        elif isinstance(ev, RunProgress):
            self.run_progress.emit(ev)
        elif isinstance(ev, LogLine):
            self.log_line.emit(ev)
        elif isinstance(ev, DriveEvent):
            self.drive_event.emit(ev)


def _coalesce(batch: list[object]) -> list[object]:
    """Keep only the newest DiskProgress per drive unless its state changed in between."""
    out: list[object] = []
    slot: dict[str, int] = {}  # drive id -> index in out of its pending progress
    for ev in batch:
        if isinstance(ev, DiskProgress):
            i = slot.get(ev.drive_id)
            prev = out[i] if i is not None else None
            if isinstance(prev, DiskProgress) and prev.state == ev.state:
                out[i] = ev  # same state: the newer snapshot says everything
                continue
            slot[ev.drive_id] = len(out)
        elif isinstance(ev, DriveEvent):
            slot.pop(ev.drive.id, None)
        out.append(ev)
    return out
