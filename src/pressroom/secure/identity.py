"""The canonical identity of a disk, the only thing a copy is bound to.

Identity = USB vendor id, product id, the iSerialNumber string (normalised), and a
capacity class. Never the filesystem volume serial: that changes on every format and is
trivially forged. The identity hash salts the binding key derivation (docs/FORMAT.md).

This module is the one place serials are normalised, judged and masked: the binding,
duplicate detection, the ledger's memory of serials and every display use it, so two
spellings of one serial can never be "two disks" in one place and "one disk" in another.
"""

from __future__ import annotations

import hashlib
import itertools
import unicodedata
from dataclasses import dataclass
from typing import Literal

from pressroom.secure import canonical
from pressroom.secure.errors import IdentityRefused

IDENTITY_DOMAIN = "pressroom/v1/disk-identity"
GiB = 1 << 30
MIN_SERIAL_LENGTH = 4  # letters and digits; fewer cannot tell a production run apart

# Strings that firmware and BIOS vendors ship unchanged on whole production runs and that
# no family below catches by shape (0123456789ABCDEF is a "sequence", AA00000000000485
# "filler", FFFFFFFFFFFF "repeated"). Compared normalised and as letters and digits only.
KNOWN_PLACEHOLDERS = (
    "NONE",
    "NULL",
    "N/A",
    "DEFAULT",
    "DEFAULT STRING",
    "SERIAL",
    "SERIALNUMBER",
    "SERIAL NUMBER",
    "TO BE FILLED BY O.E.M.",
    "UNKNOWN",
    "GENERIC",
    "USB",
    "USB2.0",
    "USB3.0",
    "DEMO",
)

Family = Literal[
    "missing",  # no serial string at all
    "blank",  # nothing left after normalisation, or no letter or digit
    "unstable",  # normalising the normalised serial changes it again
    "known",  # a listed placeholder
    "repeated",  # one character, or all but one character the same
    "pattern",  # a short group repeated
    "sequence",  # counting up or down (0-9, A-Z, 9 wraps to 0)
    "filler",  # short prefix + a long run of one character + at most 3 significant chars
    "short",  # fewer than MIN_SERIAL_LENGTH letters and digits
]

FILLER_RUN = 6  # a run of one character at least this long is filler...
FILLER_PREFIX = 4  # ...when at most this many characters precede it
FILLER_TAIL = 3  # ...and at most this many significant characters follow it
PATTERN_GROUP = 4  # a group of up to this many characters repeated twice is a pattern
SEQUENCE_MIN = 4  # a pure counting sequence at least this long
SEQUENCE_BROKEN_MIN = 8  # two counting runs joined by one break, at least this long


def normalise_serial(serial: str) -> str:
    """NFKC, drop whitespace and control/format characters (category C*), upper-case.

    The binding's normalisation (docs/FORMAT.md section 6.1). A zero-width space, a
    no-break space, full-width digits or a different case never make another disk.
    """
    s = unicodedata.normalize("NFKC", serial)
    s = "".join(ch for ch in s if not ch.isspace() and unicodedata.category(ch)[0] != "C")
    return s.upper()


def _letters_and_digits(norm: str) -> str:
    return "".join(ch for ch in norm if ch.isalnum())


_KNOWN = frozenset(normalise_serial(p) for p in KNOWN_PLACEHOLDERS) | frozenset(
    _letters_and_digits(normalise_serial(p)) for p in KNOWN_PLACEHOLDERS
)


@dataclass(frozen=True)
class Placeholder:
    """Why a serial cannot tell one disk from another: its family and one sentence part."""

    family: Family
    reason: str  # lower-case clause: "the disk's serial number ... is ..."


def _shown(norm: str) -> str:
    """A serial quoted for a message, cut short: a hostile device may send 126 characters."""
    return repr(norm if len(norm) <= 32 else norm[:32] + "…")


def classify_serial(serial: str | None) -> Placeholder | None:
    """The placeholder family a serial belongs to, or None when it can identify one disk.

    Families are documented with their reasons in docs/FORMAT.md section 6.1. Shapes are
    judged on the letters and digits of the normalised serial: punctuation carries no
    information about which disk this is.
    """
    if serial is None:
        return Placeholder("missing", "the disk reports no serial number")
    norm = normalise_serial(serial)
    if not norm:
        return Placeholder("blank", "the disk's serial number is blank")
    if normalise_serial(norm) != norm:
        return Placeholder(
            "unstable",
            f"the disk's serial number {_shown(norm)} changes each time it is normalised",
        )
    shown = _shown(norm)
    s = _letters_and_digits(norm)
    if norm in _KNOWN or s in _KNOWN:
        return Placeholder("known", f"the disk's serial number {shown} is a known placeholder")
    if not s:
        return Placeholder("blank", f"the disk's serial number {shown} has no letter or digit")
    if set(s) <= {"0"}:
        return Placeholder("repeated", f"the disk's serial number {shown} is all zeros")
    if len(set(s)) == 1:
        return Placeholder(
            "repeated", f"the disk's serial number {shown} is one repeated character"
        )
    if len(s) >= 6 and max(s.count(ch) for ch in set(s)) >= len(s) - 1:
        return Placeholder(
            "repeated", f"the disk's serial number {shown} is one character but for one"
        )
    if _is_pattern(s):
        return Placeholder("pattern", f"the disk's serial number {shown} is a repeated pattern")
    if _is_sequence(s):
        return Placeholder("sequence", f"the disk's serial number {shown} is a counting sequence")
    if _is_filler(s):
        return Placeholder(
            "filler",
            f"the disk's serial number {shown} is a vendor default (one character repeated "
            "with a short counter)",
        )
    if len(s) < MIN_SERIAL_LENGTH:
        return Placeholder("short", f"the disk's serial number {shown} is too short to be unique")
    return None


def placeholder_reason(serial: str | None) -> str | None:
    """Why a serial cannot identify one disk, or None when it can."""
    found = classify_serial(serial)
    return found.reason if found else None


def _period(s: str) -> int:
    """The smallest p such that s is s[:p] repeated (the last repeat may be cut short)."""
    for p in range(1, len(s)):
        if all(s[i] == s[i - p] for i in range(p, len(s))):
            return p
    return len(s)


def _is_pattern(s: str) -> bool:
    """ABABABAB, 12121212, ABC1ABC1: a group of up to 4 characters repeated at least
    twice, or any group repeated at least three times."""
    p = _period(s)
    return (p <= PATTERN_GROUP and len(s) >= 2 * p) or len(s) >= 3 * p


_ORDER = {ch: i for i, ch in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


def _step(a: str, b: str) -> int:
    """+1 for a counting step up, -1 down (9 -> 0 counts up, as on a keyboard), else 0."""
    if a not in _ORDER or b not in _ORDER:
        return 0
    if (a, b) == ("9", "0"):
        return 1
    if (a, b) == ("0", "9"):
        return -1
    d = _ORDER[b] - _ORDER[a]
    return d if d in (1, -1) else 0


def _is_sequence(s: str) -> bool:
    """0123456789ABCDEF, 123456789, 987654321, 1234567890ABCDEF: counting up or down,
    all the way (at least 4 characters) or with one break (at least 8)."""
    steps = [_step(a, b) for a, b in itertools.pairwise(s)]
    for direction in (1, -1):
        misses = sum(1 for st in steps if st != direction)
        if misses == 0 and len(s) >= SEQUENCE_MIN:
            return True
        if misses <= 1 and len(s) >= SEQUENCE_BROKEN_MIN:
            return True
    return False


def _is_filler(s: str) -> bool:
    """AA00000000000485, 000000000001, FFFFFFFFFFFF0042: at most 4 characters, a run of
    at least 6 of one character, then at most 3 significant characters (zeros leading
    the tail are filler too). Such a serial counts at most a few thousand disks."""
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        if j - i >= FILLER_RUN and i <= FILLER_PREFIX and len(s[j:].lstrip("0")) <= FILLER_TAIL:
            return True
        i = j
    return False


def mask_serial(serial: str | None) -> str:
    """The one way a serial is shown: normalised, four dots, and at most its last four
    characters, never more than half of it (enough to match a label, not to clone a
    disk; the dots do not give the length away)."""
    if serial is None:
        return "(none)"
    norm = normalise_serial(serial)
    if not norm:
        return "(blank)"
    tail = min(4, len(norm) // 2)
    return "\u2022" * 4 + norm[len(norm) - tail :]


def serial_hash(serial: str) -> str:
    """SHA-256 of the normalised serial alone: the ledger's memory of serials (hex)."""
    return hashlib.sha256(b"pressroom/v1/serial\0" + normalise_serial(serial).encode()).hexdigest()


def capacity_class(capacity_bytes: int) -> int:
    """Capacity rounded up to a power of two GiB: stable across partitioning and formats."""
    gib = max(1, -(-capacity_bytes // GiB))
    return 1 << (gib - 1).bit_length()


@dataclass(frozen=True)
class DiskIdentity:
    vendor_id: int
    product_id: int
    serial: str
    capacity_class: int  # GiB, a power of two

    @classmethod
    def of(cls, vendor_id: int, product_id: int, serial: str | None, capacity: int) -> DiskIdentity:
        """Build an identity, refusing serials that cannot bind a copy to one disk."""
        reason = placeholder_reason(serial)
        if reason:
            raise IdentityRefused(f"Refusing to bind a copy to this disk: {reason}.")
        assert serial is not None
        return cls(vendor_id, product_id, normalise_serial(serial), capacity_class(capacity))

    def canonical_bytes(self) -> bytes:
        return canonical.encode(
            [IDENTITY_DOMAIN, self.vendor_id, self.product_id, self.serial, self.capacity_class]
        )

    def hash(self) -> bytes:
        return hashlib.sha256(self.canonical_bytes()).digest()

    def masked_serial(self) -> str:
        return mask_serial(self.serial)
