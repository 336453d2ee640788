"""Deadline pacing: simulated disks exactly as fast as configured, buses as a shared limit.

One :class:`BusClock` per simulated root bus schedules every transfer on that bus. A
transfer of n bytes on a disk is due at

    max(disk's start + n / disk rate,  bus's start + n / bus rate)

where each start is the end of that lane's previous booking (or *now* after an idle
gap): the disk's medium and the bus are two lanes, each booked back to back. The caller
sleeps once, until that deadline; nothing spins. Because deadlines follow one another on
a continuous schedule, a thread that oversleeps (a busy host, the GIL, the real I/O
itself) finds its next deadline already past and returns at once: the rate holds over
the whole run measured against wall time, not per chunk. A lane idle for longer than
``grace`` restarts from now, so an idle disk earns no burst.

The scheduler only does arithmetic under one short lock; the clock and the sleep are
injectable, so the model is unit-tested without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

GRACE_S = 0.05  # an idle gap shorter than this is owed back (oversleep, real I/O time)


@dataclass
class Lane:
    """The schedule of one resource (a disk's medium or a bus): when it is next free."""

    rate: float | None  # bytes per second; None = unlimited
    free_at: float | None = None  # monotonic time the last transfer ends

    def start(self, now: float, grace: float) -> float:
        if self.free_at is None or now - self.free_at > grace:
            return now
        return self.free_at  # may be in the past by up to ``grace``: owed time


class BusClock:
    """The shared clock of one root bus: one lock, deadlines for every disk on it."""

    def __init__(
        self,
        bytes_per_s: float | None = None,
        *,
        grace: float = GRACE_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if bytes_per_s is not None and bytes_per_s <= 0:
            raise ValueError("a bus rate must be positive")
        self.bus = Lane(bytes_per_s)
        self.grace = grace
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self.bytes = 0  # everything transferred on this bus (for the adaptive scheduler)

    @property
    def rate(self) -> float | None:
        return self.bus.rate

    def set_rate(self, bytes_per_s: float | None) -> None:
        with self._lock:
            self.bus.rate = bytes_per_s

    def deadline(self, disk: Lane, n: int, disk_rate: float) -> float:
        """Book ``n`` bytes on ``disk`` at ``disk_rate`` and return when they are done."""
        with self._lock:
            now = self._clock()
            end = disk.start(now, self.grace) + n / disk_rate
            if self.bus.rate is not None:
                self.bus.free_at = self.bus.start(now, self.grace) + n / self.bus.rate
                end = max(end, self.bus.free_at)
            disk.free_at = end
            self.bytes += n
            return end

    def transfer(self, disk: Lane, n: int, disk_rate: float) -> None:
        """Book the transfer and sleep once until it is due."""
        if n <= 0:
            return
        end = self.deadline(disk, n, disk_rate)
        wait = end - self._clock()
        if wait > 0:
            self._sleep(wait)


class Pace:
    """Byte rates of one disk; reads and writes share its medium and its bus."""

    def __init__(
        self,
        write_bytes_per_s: float,
        read_bytes_per_s: float,
        bus: BusClock | None = None,
    ):
        if write_bytes_per_s <= 0 or read_bytes_per_s <= 0:
            raise ValueError("disk speeds must be positive")
        self.write_rate = write_bytes_per_s
        self.read_rate = read_bytes_per_s
        self.bus = bus if bus is not None else BusClock()
        self.lane = Lane(None)

    def wrote(self, n: int) -> None:
        self.bus.transfer(self.lane, n, self.write_rate)

    def read(self, n: int) -> None:
        self.bus.transfer(self.lane, n, self.read_rate)
