"""Waiting out a ledger outage at a safe point, with backoff, cancellable.

A run touches the ledger at a few points only (judging serials, reserving a copy,
committing or settling it, recording the run's end). When the database cannot be reached
at one of those points the disk neither fails nor loses what it made: it waits there,
says so ("ledger unreachable: waiting"), and tries again with a growing delay until the
database is back or the operator cancels.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from pressroom.ledger.errors import LedgerUnreachable

T = TypeVar("T")

WAITING = "ledger unreachable: waiting"


class StillUnreachable(Exception):
    """Cancelled while the ledger was unreachable; ``cause`` is the last outage."""

    def __init__(self, cause: LedgerUnreachable) -> None:
        super().__init__(str(cause))
        self.cause = cause


@dataclass(frozen=True)
class Backoff:
    """Delays between attempts: ``first``, doubling, at most ``cap`` seconds."""

    first: float = 0.5
    cap: float = 10.0

    def delays(self) -> Callable[[], float]:
        state = {"next": self.first}

        def step() -> float:
            delay = state["next"]
            state["next"] = min(self.cap, delay * 2)
            return delay

        return step


DEFAULT_BACKOFF = Backoff()


def until_reachable(
    call: Callable[[], T],
    *,
    cancel: threading.Event,
    backoff: Backoff,
    waiting: Callable[[str], None],
) -> T:
    """``call()``, retried while the ledger is unreachable.

    ``waiting`` is told each time (one sentence for the disk's card). Raises
    :class:`StillUnreachable` when ``cancel`` is set while waiting: the caller decides
    what is safe to leave for the journal."""
    next_delay = backoff.delays()
    while True:
        try:
            return call()
        except LedgerUnreachable as exc:
            if cancel.is_set():
                raise StillUnreachable(exc) from None
            delay = next_delay()
            waiting(f"{WAITING} (trying again in {delay:.0f} s): {exc}")
            if cancel.wait(delay):
                raise StillUnreachable(exc) from None
