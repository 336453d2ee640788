"""One operator-PIN try, start to end: lockout, count, hash check, reset.

The kiosk calls :meth:`PinGate.try_pin` from a worker thread (the hash takes about a
quarter of a second) and shows the :class:`Verdict`; it decides nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from pressroom.pin.hashing import needs_rehash, verify_pin
from pressroom.pin.lockout import Locked, Lockout
from pressroom.pin.rules import pin_problem


@dataclass(frozen=True)
class Verdict:
    ok: bool
    locked_for: float = 0.0  # seconds before the next try is allowed
    must_change: bool = False  # right, but the PIN breaks today's rules (e.g. 4 digits)
    rehash: bool = False  # right, and stored with weaker hash parameters than today's
    checked: bool = True  # False: refused without looking at the PIN (a wait was running)


class PinGate:
    def __init__(self, lockout: Lockout):
        self.lockout = lockout

    def locked_for(self) -> float:
        return self.lockout.remaining()

    def try_pin(self, pin: str, stored: str) -> Verdict:
        """Check ``pin`` against ``stored`` unless a wait runs; every checked try counts."""
        try:
            self.lockout.record_attempt()  # counted first: killing us mid-check costs a try
        except Locked as exc:
            return Verdict(ok=False, locked_for=exc.remaining, checked=False)
        if not verify_pin(pin, stored):
            return Verdict(ok=False, locked_for=self.lockout.remaining())
        self.lockout.succeeded()
        weak = pin_problem(pin) is not None
        return Verdict(ok=True, must_change=weak, rehash=not weak and needs_rehash(stored))
