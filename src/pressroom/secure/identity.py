"""The canonical identity of a disk, the only thing a copy is bound to.

Identity = USB vendor id, product id, the iSerialNumber string (normalised), and a
capacity class. Never the filesystem volume serial: that changes on every format and is
trivially forged. The identity hash salts the binding key derivation (docs/FORMAT.md).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from pressroom.secure import canonical
from pressroom.secure.errors import IdentityRefused

IDENTITY_DOMAIN = "pressroom/v1/disk-identity"
GiB = 1 << 30

# Serials seen on counterfeit or generic sticks and in reader firmware.
_PLACEHOLDERS = {
    "0123456789ABCDEF",
    "123456789ABCDEF",
    "1234567890",
    "123456789",
    "0123456789",
    "FFFFFFFFFFFF",
    "NONE",
    "NULL",
    "N/A",
    "DEFAULT",
    "SERIAL",
    "SERIALNUMBER",
    "TO BE FILLED BY O.E.M.",
}


def _normalised_placeholders() -> frozenset[str]:
    return frozenset(normalise_serial(p) for p in _PLACEHOLDERS)


def normalise_serial(serial: str) -> str:
    """NFKC, strip, uppercase, drop whitespace and control characters."""
    s = unicodedata.normalize("NFKC", serial)
    s = "".join(ch for ch in s if not ch.isspace() and unicodedata.category(ch)[0] != "C")
    return s.upper()


_NORMALISED_PLACEHOLDERS = _normalised_placeholders()


def placeholder_reason(serial: str | None) -> str | None:
    """Why a serial cannot identify one disk, or None when it can."""
    if serial is None:
        return "the disk reports no serial number"
    norm = normalise_serial(serial)
    if not norm:
        return "the disk's serial number is blank"
    if set(norm) <= {"0"}:
        return "the disk's serial number is all zeros"
    if len(set(norm)) == 1:
        return f"the disk's serial number is one repeated character ({norm[0]!r})"
    if norm in _NORMALISED_PLACEHOLDERS:
        return f"the disk's serial number {norm!r} is a known placeholder"
    if len(norm) < 4:
        return f"the disk's serial number {norm!r} is too short to be unique"
    return None


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
        return "\u2022" * 4 + self.serial[-4:]
