"""Is this disk's serial good enough to bind a copy to?

A copy is bound to (vendor id, product id, serial). If two disks can present the same
triple, a copy made for one plays on the other, so the station must refuse serials
that are absent, blank, factory placeholders or shared. A card reader's serial belongs
to the reader, not to the card in it; a serial the ledger holds evidence of on different
hardware (a disk made for it) hints at a cloned or counterfeit stick: both are refused,
or only warned about under the "warn" policy. Serials are compared normalised, with the
binding's own function, and judged by the placeholder families of
``pressroom.secure.identity``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from pressroom.drives.base import Drive
from pressroom.secure.identity import classify_serial, mask_serial, normalise_serial

Policy = Literal["refuse", "warn"]
# Given a drive, the (vendor id, product id, capacity) on which the ledger holds evidence
# of its normalised serial, or None when it holds none (see Ledger.known_identity).
KnownIdentity = Callable[[Drive], "tuple[int | None, int | None, int] | None"]

WARNABLE = frozenset({"reader", "known-elsewhere"})

# How drives.usb.explain_usb_error words a serial read that failed (a test holds the two
# together): the station may not read it (a setup step is missing, not a disk problem),
# or the disk did not answer (re-plugging may help).
NO_PERMISSION = "Permission denied reading the USB serial"
NO_ANSWER = (
    "did not answer the serial-number request",
    "was unplugged while its serial was being read",
)


# (vendor id, product id) of common USB card readers.
KNOWN_READERS = frozenset(
    {
        (0x0BDA, 0x0129),  # Realtek RTS5129 Card Reader Controller
        (0x0BDA, 0x0153),  # Realtek 3-in-1 Card Reader
        (0x0BDA, 0x0158),  # Realtek USB 2.0 multicard reader
        (0x0BDA, 0x0177),  # Realtek USB 2.0 card reader
        (0x0BDA, 0x0184),  # Realtek RTS5182 Card Reader
        (0x05E3, 0x0723),  # Genesys Logic GL827L SD/MMC/MS Flash Card Reader
        (0x05E3, 0x0727),  # Genesys Logic microSD Reader/Writer
        (0x05E3, 0x0743),  # Genesys Logic SDXC and SDHC Card Reader
        (0x058F, 0x6362),  # Alcor Micro Flash Card Reader/Writer
        (0x058F, 0x6366),  # Alcor Micro Multi Flash Reader
        (0x8564, 0x4000),  # Transcend RDF8/RDF9 card reader
    }
)
_READER_WORDS = re.compile(
    r"card[\s_-]*reader|sd/mmc|multi[\s_-]*card|multi[\s_-]*flash|flash[\s_-]*reader|"
    r"\breader\b|\bsdxc\b|\bsdhc\b|compact\s*flash|\bcf\s*card",
    re.IGNORECASE,
)
CAPACITY_TOLERANCE = 0.02  # re-partitioning may change the reported size a little


@dataclass(frozen=True)
class Verdict:
    ok: bool
    code: str
    reason: str
    warning: bool = False


def is_card_reader(drive: Drive) -> bool:
    if (drive.vendor_id, drive.product_id) in KNOWN_READERS:
        return True
    return bool(_READER_WORDS.search(f"{drive.vendor} {drive.product}"))


def _differs(known: tuple[int | None, int | None, int], drive: Drive) -> bool:
    vid, pid, capacity = known
    if (vid, pid) != (drive.vendor_id, drive.product_id):
        return True
    return abs(capacity - drive.capacity) > CAPACITY_TOLERANCE * max(capacity, drive.capacity)


def duplicate_key(d: Drive) -> tuple[int | None, int | None, str] | None:
    """What two attached disks must not share: USB ids and the *normalised* serial,
    exactly what the binding uses (docs/FORMAT.md section 6.1)."""
    if d.serial is None:
        return None
    serial = normalise_serial(d.serial)
    return (d.vendor_id, d.product_id, serial) if serial else None


def judge(
    drives: Iterable[Drive],
    *,
    policy: Policy = "refuse",
    known_identity: KnownIdentity | None = None,
) -> dict[str, Verdict]:
    """A verdict for every drive, judged together (duplicates need the whole set)."""
    if policy not in ("refuse", "warn"):
        raise ValueError(f"unknown identity policy {policy!r}")
    drives = list(drives)
    keys = Counter(k for k in map(duplicate_key, drives) if k is not None)
    verdicts: dict[str, Verdict] = {}
    for d in drives:
        code, reason = _problem(d, keys, known_identity)
        if code == "ok":
            verdicts[d.id] = Verdict(True, "ok", "The disk has a usable hardware serial.")
        elif policy == "warn" and code in WARNABLE:
            verdicts[d.id] = Verdict(True, code, reason, warning=True)
        else:
            verdicts[d.id] = Verdict(False, code, reason)
    return verdicts


def _problem(
    d: Drive, keys: Counter[tuple[int | None, int | None, str]], known: KnownIdentity | None
) -> tuple[str, str]:
    if d.serial is None and d.serial_error:
        why = f"The disk's serial could not be read: {d.serial_error}"
        if d.serial_error.startswith(NO_PERMISSION):
            return "permission", why
        if any(mark in d.serial_error for mark in NO_ANSWER):
            return "unreadable", why
        return "missing", why
    found = classify_serial(d.serial)
    if found is not None and found.family == "missing":
        return (
            "missing",
            "The disk reports no hardware serial number, so a copy cannot be bound to it.",
        )
    if found is not None and found.family == "blank":
        return (
            "blank",
            "The disk's hardware serial number is blank, so a copy cannot be bound to it.",
        )
    if found is not None:
        return "placeholder", f"The disk cannot be told apart from others: {found.reason}."
    key = duplicate_key(d)
    if key is not None and keys[key] > 1:
        return (
            "duplicate",
            f"Another attached disk reports the same serial ({mask_serial(d.serial)}); a copy "
            "bound to one would play on the other.",
        )
    if is_card_reader(d):
        return (
            "reader",
            "This is a card reader: its serial belongs to the reader, not to the card inside, "
            "so copies would play from any card in this reader.",
        )
    if known is not None:
        seen = known(d)
        if seen is not None and _differs(seen, d):
            return (
                "known-elsewhere",
                f"The ledger records a disk made for this serial ({mask_serial(d.serial)}) "
                "on a different disk model or size; this may be a cloned or counterfeit disk.",
            )
    return "ok", ""
