"""`pressroom bench identity`: what it costs to get a disk's serial back from its files.

Three attackers, each searching 10-digit numeric serials (10^10 candidates) with one CPU
core, as fast as Python and OpenSSL's SHA-256 let them:

* **v1, no key.** A format-1 licence holds SHA-256(identity bytes) with vendor, product,
  capacity class and the serial's last four characters in the clear: each guess is one
  SHA-256 compared with the stored hash. Measured, and the hint cuts 10^10 to 10^6.
* **v2, no player key.** The stored value is an HMAC under a key derived from the media
  key, which is wrapped to the player key: a serial guess cannot be checked at all. What
  remains is guessing the 256-bit media key (one HKDF and one HMAC per guess, measured);
  the figure reported is for 2^128 guesses, a deliberately low floor (X25519's strength).
* **v2, with the player key.** Such a player can unwrap the media key, open the sealed
  last-four hint and test guesses at HMAC speed (measured). It can also decrypt every
  track, so it gains nothing it needs a serial for; docs/SECURITY.md says so.

A measurement, not a target: the pass criterion is that a v2 search without the player key
costs at least one CPU-year.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time

from pressroom.secure import canonical
from pressroom.secure.binding import hkdf
from pressroom.secure.commitment import INFO_COMMITMENT
from pressroom.secure.identity import IDENTITY_DOMAIN

QUICK = {"guesses": 20_000}
YEAR = 365.25 * 86400
SERIAL_SPACE = 10**10  # 10-digit numeric serials
HINTED_SPACE = 10**6  # the same, with the last four digits known


def _identity_prefix_suffix(vendor: int, product: int, capacity: int) -> tuple[bytes, bytes]:
    """Identity bytes around a 10-character serial, exactly as DiskIdentity encodes them."""
    marker = "\x00" * 10
    whole = canonical.encode([IDENTITY_DOMAIN, vendor, product, marker, capacity])
    at = whole.index(marker.encode())
    return whole[:at], whole[at + 10 :]


def _rate(fn, guesses: int) -> float:
    start = time.perf_counter()
    fn(guesses)
    return guesses / (time.perf_counter() - start)


def v1_rate(guesses: int) -> float:
    """Guesses per second against a v1 licence's clear identity hash (a real search loop)."""
    prefix, suffix = _identity_prefix_suffix(0x0781, 0x5583, 16)
    target = hashlib.sha256(prefix + b"9999999999" + suffix).digest()  # never found early
    sha256 = hashlib.sha256

    def search(n: int) -> None:
        for i in range(n):
            if sha256(prefix + b"%010d" % i + suffix).digest() == target:
                raise AssertionError("found too early")

    return _rate(search, guesses)


def v2_key_holder_rate(guesses: int) -> float:
    """Guesses per second for a holder of the player key (commitment key derived once)."""
    prefix, suffix = _identity_prefix_suffix(0x0781, 0x5583, 16)
    key = hkdf(os.urandom(32), salt=os.urandom(16), info=INFO_COMMITMENT)
    target = os.urandom(32)

    def search(n: int) -> None:
        for i in range(n):
            mac = hmac.new(key, prefix + b"%010d" % i + suffix, hashlib.sha256).digest()
            if hmac.compare_digest(mac, target):
                raise AssertionError("found by chance")

    return _rate(search, guesses)


def v2_media_key_rate(guesses: int) -> float:
    """Media-key guesses per second for an attacker without the player key."""
    ident = canonical.encode([IDENTITY_DOMAIN, 0x0781, 0x5583, "3141592653", 16])
    licence_id, target = os.urandom(16), os.urandom(32)

    def search(n: int) -> None:
        for _ in range(n):
            key = hkdf(os.urandom(32), salt=licence_id, info=INFO_COMMITMENT)
            if hmac.compare_digest(hmac.new(key, ident, hashlib.sha256).digest(), target):
                raise AssertionError("found by chance")

    return _rate(search, max(1, guesses // 10))


def run(*, guesses: int = 1_000_000) -> dict:
    v1 = v1_rate(guesses)
    holder = v2_key_holder_rate(guesses)
    media = v2_media_key_rate(guesses)
    floor_years = 2.0**128 / media / YEAR
    return {
        "suite": "identity",
        "v1_guesses_per_s": round(v1),
        "v1_seconds_all_10_digit": round(SERIAL_SPACE / v1, 1),
        "v1_seconds_with_clear_hint": round(HINTED_SPACE / v1, 3),
        "v2_no_key_serial_oracle": "none: the commitment is keyed under the media key",
        "v2_no_key_media_key_guesses_per_s": round(media),
        "v2_no_key_cpu_years_for_2^128_guesses": f"{floor_years:.2e}",
        "v2_player_key_guesses_per_s": round(holder),
        "v2_player_key_seconds_all_10_digit": round(SERIAL_SPACE / holder, 1),
        "v2_player_key_seconds_with_sealed_hint": round(HINTED_SPACE / holder, 3),
        "pass": floor_years >= 1.0,
    }
