"""What makes an acceptable operator PIN: six digits or more, and not a guessable pattern.

A PIN is typed on the kiosk's own keypad, in view of customers, so it stays digits only;
its strength comes from length and the lockout (:mod:`pressroom.pin.lockout`), not from
an alphabet. Patterns a guesser tries first are refused outright.
"""

from __future__ import annotations

import itertools

MIN_DIGITS = 6
MAX_DIGITS = 12  # the keypad's field; longer input is a mistake, not more security


def pin_problem(pin: str) -> str | None:
    """Why ``pin`` may not become the operator PIN (one sentence), or None if it may."""
    if pin and not (pin.isascii() and pin.isdigit()):
        return "Use digits only."
    if len(pin) < MIN_DIGITS:
        return f"Use at least {MIN_DIGITS} digits."
    if len(pin) > MAX_DIGITS:
        return f"Use at most {MAX_DIGITS} digits."
    if _is_run(pin):
        return "Too easy to guess (a run such as 123456). Choose another."
    if _is_repeat(pin):
        return "Too easy to guess (a repeated pattern such as 111111). Choose another."
    return None


def _is_run(pin: str) -> bool:
    """Consecutive digits up or down: 012345, 456789, 987654..."""
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    return steps in ({1}, {-1})


def _is_repeat(pin: str) -> bool:
    """One block of one to three digits repeated: 111111, 121212, 123123."""
    return any(
        len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size) for size in (1, 2, 3)
    )
