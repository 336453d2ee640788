"""The operator PIN, stored only as a salted scrypt hash in ``kiosk_pin_hash``.

Stored format (one string, ``$``-separated, base64 without padding for bytes)::

    scrypt$<n>$<r>$<p>$<salt>$<hash>

A four-digit PIN has few possibilities, so the cost parameters make each guess slow
(about 50 ms) and the random 16-byte salt keeps one station's hash useless on another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

N, R, P, DKLEN = 1 << 14, 8, 1, 32
MIN_DIGITS = 4


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii").rstrip("=")


def _unb64(s: str) -> bytes:
    return base64.b64decode(s + "=" * (-len(s) % 4))


def _derive(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=DKLEN, maxmem=128 * r * n * 2
    )


def hash_pin(pin: str) -> str:
    """A new salted hash of ``pin`` in the stored format."""
    if len(pin) < MIN_DIGITS or not pin.isdigit():
        raise ValueError(f"The PIN must be at least {MIN_DIGITS} digits.")
    salt = os.urandom(16)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_derive(pin, salt, N, R, P))}"


def check_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` matches ``stored``; a malformed or empty hash never matches."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = _derive(pin, _unb64(salt), int(n), int(r), int(p))
        return hmac.compare_digest(got, _unb64(digest))
    except (ValueError, TypeError):
        return False
