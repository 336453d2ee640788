"""A per-disk time budget, so a simulated disk is exactly as fast as configured.

The bucket counts *device seconds*: writing n bytes at W B/s costs n/W, reading costs
n/R, and all readers and writers of one disk draw from the same bucket, as they share
one real medium. Callers may overdraw; each then sleeps only its own deficit. Time spent
doing the real I/O therefore counts as device time instead of being added on top of a
fixed sleep, which keeps many concurrent disks at their rate even on a busy host.
"""

from __future__ import annotations

import threading
import time


class DeviceClock:
    def __init__(self, burst_seconds: float = 0.05):
        self._lock = threading.Lock()
        # Idle time earns at most this much credit: enough to absorb the real I/O time
        # between two charges, too little to let a fresh disk start with a free burst.
        self._burst = burst_seconds
        self._credit = 0.0  # device seconds available now; negative = owed
        self._last: float | None = None  # the clock starts with the first charge

    def spend(self, seconds: float) -> None:
        """Charge ``seconds`` of device time, sleeping until it has been earned."""
        if seconds <= 0:
            return
        with self._lock:
            now = time.monotonic()
            earned = 0.0 if self._last is None else now - self._last
            self._credit = min(self._burst, self._credit + earned) - seconds
            self._last = now
            deficit = -self._credit
        if deficit > 0:
            time.sleep(deficit)


class Pace:
    """Byte rates of one disk on top of a shared :class:`DeviceClock`."""

    def __init__(self, write_bytes_per_s: float, read_bytes_per_s: float):
        if write_bytes_per_s <= 0 or read_bytes_per_s <= 0:
            raise ValueError("disk speeds must be positive")
        self.write_rate = write_bytes_per_s
        self.read_rate = read_bytes_per_s
        self.clock = DeviceClock()

    def wrote(self, n: int) -> None:
        self.clock.spend(n / self.write_rate)

    def read(self, n: int) -> None:
        self.clock.spend(n / self.read_rate)
