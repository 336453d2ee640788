"""How many disks one USB bus writes at once: grow while the bus's rate grows.

A fixed cap is wrong both ways: too low for many slow cards on a fast bus (the bus idles),
pointless for fast sticks behind a USB 2.0 bus (they only share its ~40 MB/s). The
controller samples the bus's aggregate rate over windows and, once the disks it let in
have settled, compares the rate with the one before its last raise:

- the bus is *full* (as many disks running as allowed) and the rate grew by at least
  ``growth``: allow twice as many (up to the ceiling);
- it did not grow: the bus is saturated; hold, probing half as many again every
  ``probe_every`` windows (with mixed disks, a slow one admitted late delays the end of
  the run while costing the bus nothing);
- it fell: the bus is oversubscribed (a real hub thrashes); go back to the last limit;
- an I/O error on the bus: halve, and hold before growing again.

Pure logic over (time, bytes, active disks): :class:`~pressroom.engine.busgate.BusGate`
feeds it; tests drive it with a fake clock and fake rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Decision:
    limit: int
    why: str  # "start" | "grow" | "hold" | "saturated" | "probe" | "backoff" | "idle"


@dataclass
class BusController:
    ceiling: int = 127
    start: int = 4
    window_s: float = 0.5
    settle_windows: int = 1  # windows ignored after a change (new disks are starting)
    growth: float = 0.10  # a rate gain below this after a raise means saturated
    probe_every: int = 4
    limit: int = field(init=False)
    history: list[Decision] = field(init=False, default_factory=list)
    _t0: float | None = field(init=False, default=None)
    _bytes0: int = field(init=False, default=0)
    _settle: int = field(init=False, default=0)
    _before: float | None = field(init=False, default=None)  # rate at the previous limit
    _raised: bool = field(init=False, default=False)  # waiting to judge the last raise
    _prev_limit: int = field(init=False, default=1)  # the limit before the last raise
    _cooldown: int = field(init=False, default=0)  # windows without growth after an error
    _thrashed: int | None = field(init=False, default=None)  # a limit that made it fall
    _held: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if self.ceiling < 1 or self.start < 1:
            raise ValueError("a bus must allow at least one disk")
        self.limit = min(self.start, self.ceiling)
        self.history.append(Decision(self.limit, "start"))

    def _set(self, limit: int, why: str) -> Decision:
        limit = max(1, min(self.ceiling, limit))
        if limit != self.limit:
            self._settle = self.settle_windows
        self.limit = limit
        d = Decision(limit, why)
        self.history.append(d)
        return d

    def observe(self, now: float, total_bytes: int, active: int) -> Decision | None:
        """Feed the bus's byte counter; returns a decision at the end of each window."""
        if self._t0 is None:
            self._t0, self._bytes0 = now, total_bytes
            return None
        elapsed = now - self._t0
        if elapsed < self.window_s:
            return None
        rate = (total_bytes - self._bytes0) / elapsed
        self._t0, self._bytes0 = now, total_bytes
        if self._settle > 0:
            self._settle -= 1
            return None
        if active < self.limit:
            return Decision(self.limit, "idle")  # not enough disks to learn anything
        if self._cooldown > 0:
            self._cooldown -= 1
            self._before = rate
            return Decision(self.limit, "hold")
        before = self._before
        gained = before is None or rate >= before * (1 + self.growth)
        if self._raised and before is not None:  # the first window after a raise: did it pay?
            self._raised = False
            if rate < before * (1 - self.growth):  # oversubscribed: the bus thrashes
                self._held, self._thrashed = 0, self.limit
                return self._set(self._prev_limit, "backoff")
            if not gained:  # saturated: hold here (more disks cost nothing), probe later
                self._before, self._held = max(before, rate), 0
                d = Decision(self.limit, "saturated")
                self.history.append(d)
                return d
            self._before = rate
            return self._raise(self.limit * 2, "grow")
        first = self._before is None
        self._before = rate  # the rate at this limit now (the mix of disks changes)
        if first:
            return self._raise(self.limit * 2, "grow")
        self._held += 1
        if self._held >= self.probe_every:
            self._held = 0
            return self._raise(self.limit + max(1, self.limit // 2), "probe")
        return Decision(self.limit, "hold")

    def _raise(self, limit: int, why: str) -> Decision:
        if self._thrashed is not None:  # never again as many as made the bus fall
            limit = min(limit, self._thrashed - 1)
        if self.limit >= min(self.ceiling, limit):
            return Decision(self.limit, "hold")
        self._prev_limit, self._raised = self.limit, True
        return self._set(limit, why)

    def error(self) -> Decision:
        """An I/O error on this bus: halve, and hold a while before growing again."""
        self._raised, self._held = False, 0
        self._cooldown = self.probe_every
        return self._set(self.limit // 2, "backoff")
