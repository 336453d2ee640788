"""The slot a disk holds on its USB bus while it writes: admission by the bus controller.

A disk enters the gate before it touches the medium and leaves it when done; the gate
lets in as many disks as :class:`~pressroom.engine.buscontrol.BusController` allows now.
The run feeds it the bus's progress (bytes written and read back); an :class:`OSError`
leaving the gate counts as an error on the bus.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

from pressroom.engine.buscontrol import BusController, Decision


class BusGate:
    def __init__(
        self,
        controller: BusController,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_decision: Callable[[Decision], None] | None = None,
    ):
        self.controller = controller
        self._clock = clock
        self._on_decision = on_decision
        self._cond = threading.Condition()
        self.active = 0
        self.bytes = 0

    @property
    def limit(self) -> int:
        return self.controller.limit

    def __enter__(self) -> BusGate:
        with self._cond:
            while self.active >= self.controller.limit:
                self._cond.wait(timeout=1.0)
            self.active += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        decision = None
        with self._cond:
            self.active -= 1
            if isinstance(exc, OSError):
                decision = self.controller.error()
            self._cond.notify_all()
        if decision is not None and self._on_decision is not None:
            self._on_decision(decision)

    def progress(self, nbytes: int) -> None:
        """``nbytes`` more moved on this bus (write or read-back)."""
        with self._cond:
            self.bytes += nbytes
            before = self.controller.limit
            decision = self.controller.observe(self._clock(), self.bytes, self.active)
            if self.controller.limit > before:
                self._cond.notify_all()
        if decision is not None and decision.limit != before and self._on_decision is not None:
            self._on_decision(decision)
