"""The operator PIN at rest: a salted scrypt hash, parameters stored with it.

Stored format (one string in ``settings.toml``, base64 without padding for bytes)::

    scrypt$<n>$<r>$<p>$<salt>$<hash>

A PIN has few possibilities, so the hash only buys time against someone who has read
it: scrypt with n = 2**17, r = 8 (128 MiB and about a quarter of a second per guess
here) makes each offline guess cost memory as well as time, and the random 16-byte salt
makes every station's hash its own. The real protection of the hash is the file's mode
(0600 in a 0700 folder, :mod:`pressroom.datadir`). Hashes written with older parameters
(n = 2**14 before) still verify and are rewritten at the next correct entry.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from pressroom.pin.rules import pin_problem

SCHEME = "scrypt"
N, R, P, DKLEN, SALT_BYTES = 1 << 17, 8, 1, 32, 16
MAX_N, MAX_RP = 1 << 20, 64  # a stored hash never makes us allocate more than 1 GiB


@dataclass(frozen=True)
class StoredHash:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii").rstrip("=")


def _unb64(s: str) -> bytes:
    return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)


def _kdf(salt: bytes, n: int, r: int, p: int) -> Scrypt:
    return Scrypt(salt=salt, length=DKLEN, n=n, r=r, p=p)


def hash_pin(pin: str) -> str:
    """A new salted hash of ``pin``; refuses a PIN the rules do not allow (ValueError)."""
    problem = pin_problem(pin)
    if problem:
        raise ValueError(problem)
    salt = os.urandom(SALT_BYTES)
    digest = _kdf(salt, N, R, P).derive(pin.encode("ascii"))
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def parse_hash(stored: str) -> StoredHash | None:
    """The parts of a stored hash, or None when it is malformed or asks for absurd costs."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        h = StoredHash(int(n), int(r), int(p), _unb64(salt), _unb64(digest))
    except (ValueError, TypeError):
        return None
    power_of_two = h.n > 1 and h.n & (h.n - 1) == 0
    if scheme != SCHEME or not power_of_two or h.n > MAX_N:
        return None
    if not (1 <= h.r <= MAX_RP and 1 <= h.p <= MAX_RP and h.r * h.p <= MAX_RP):
        return None
    if len(h.salt) < 8 or len(h.digest) != DKLEN:
        return None
    return h


def verify_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` matches ``stored`` (constant-time); a malformed hash never matches."""
    h = parse_hash(stored)
    if h is None or not pin.isascii():
        return False
    try:
        _kdf(h.salt, h.n, h.r, h.p).verify(pin.encode("ascii"), h.digest)
    except InvalidKey:
        return False
    return True


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with weaker parameters than today's."""
    h = parse_hash(stored)
    return h is None or h.n < N or h.r < R or h.p < P
