"""Hotplug by snapshot diffing, in one stoppable background thread.

Providers differ in *when* to look (a udev event, a timer) but not in *what changed*:
both re-list their drives and diff against the last snapshot, so a missed or
coalesced kernel event can never leave the GUI showing a disk that is gone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from pressroom.drives.base import Drive, DriveCallback, diff_drives

log = logging.getLogger(__name__)


class PollingWatcher:
    """Calls ``callback(DriveEvent)`` from its thread for every change of ``list_fn()``.

    ``wait(seconds)`` blocks until something may have changed or the time passed; the
    default just sleeps (interruptibly). ``stop()`` wakes and joins the thread.
    """

    def __init__(
        self,
        list_fn: Callable[[], list[Drive]],
        callback: DriveCallback,
        *,
        interval: float = 0.3,
        wait: Callable[[float], None] | None = None,
        name: str = "pressroom-drive-watch",
        on_stop: Callable[[], None] | None = None,
    ):
        self._list = list_fn
        self._callback = callback
        self._interval = interval
        self._stop = threading.Event()
        self._wait = wait or self._stop.wait
        self._on_stop = on_stop
        self._snapshot = {d.id: d for d in list_fn()}
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wait(self._interval)
            if self._stop.is_set():
                break
            try:
                current = {d.id: d for d in self._list()}
            except Exception:  # a transient sysfs/sim-dir race must not kill hotplug
                log.exception("listing drives failed; retrying")
                continue
            events = diff_drives(self._snapshot, current)
            self._snapshot = current
            for event in events:
                if self._stop.is_set():
                    return
                try:
                    self._callback(event)
                except Exception:
                    log.exception("drive event callback failed")

    def stop(self) -> None:
        self._stop.set()
        if threading.current_thread() is not self._thread:
            self._thread.join()
        if self._on_stop is not None:
            self._on_stop()
            self._on_stop = None
