"""The kiosk's operator PIN: its rules, its hash, and the lockout that slows guessing.

Qt-free on purpose: the kiosk window only renders what :class:`PinGate` answers, so the
rules hold for any front end and are tested without a screen.
"""

from __future__ import annotations

from pressroom.pin.gate import PinGate, Verdict
from pressroom.pin.hashing import hash_pin, needs_rehash, verify_pin
from pressroom.pin.lockout import LOCKOUT_FILE, Lockout, LockoutPolicy, wait_words
from pressroom.pin.rules import MIN_DIGITS, pin_problem

__all__ = [
    "LOCKOUT_FILE",
    "MIN_DIGITS",
    "Lockout",
    "LockoutPolicy",
    "PinGate",
    "Verdict",
    "hash_pin",
    "needs_rehash",
    "pin_problem",
    "verify_pin",
    "wait_words",
]
