"""Is this disk's serial good enough to bind a copy to?

A copy is bound to (vendor id, product id, serial). If two disks can present the same
triple, a copy made for one plays on the other, so the station must refuse serials
that are absent, blank, factory placeholders or shared. A card reader's serial belongs
to the reader, not to the card in it; a serial the ledger saw on different hardware
hints at a cloned or counterfeit stick: both are refused, or only warned about under
the "warn" policy.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from pressroom.drives.base import Drive

Policy = Literal["refuse", "warn"]
KnownIdentity = Callable[[str], "tuple[int | None, int | None, int] | None"]

WARNABLE = frozenset({"reader", "known-elsewhere"})

# Serials that firmware vendors ship unchanged on whole production runs.
KNOWN_PLACEHOLDERS = frozenset(
    {
        "0123456789ABCDEF",
        "123456789ABCDEF",
        "1234567890ABCDEF",
        "000000000001",
        "0000000000000001",
        "1234567890",
        "123456789",
        "12345678",
        "123456",
        "AA00000000000485",
        "TO BE FILLED BY O.E.M.",
        "DEFAULT STRING",
        "SERIAL",
        "SERIALNUMBER",
        "SERIAL NUMBER",
        "NONE",
        "N/A",
        "UNKNOWN",
        "GENERIC",
        "USB",
        "USB2.0",
        "DEMO",
    }
)
_SEQUENCE = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MIN_SERIAL_LENGTH = 4

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


def normalise_serial(serial: str) -> str:
    return serial.strip()


def placeholder_reason(serial: str) -> str | None:
    """Why ``serial`` is a placeholder, or None if it looks like a real one."""
    s = normalise_serial(serial).upper()
    compact = re.sub(r"[^0-9A-Z]", "", s)
    if s in KNOWN_PLACEHOLDERS or compact in KNOWN_PLACEHOLDERS:
        return f"its serial {serial.strip()!r} is a factory placeholder shared by many disks"
    if not compact or len(set(compact)) == 1:
        return f"its serial {serial.strip()!r} is one character repeated, a factory placeholder"
    if len(compact) >= 6 and compact.count("0") >= len(compact) - 1:
        return f"its serial {serial.strip()!r} is almost all zeros, a factory placeholder"
    if len(compact) >= 5 and (compact in _SEQUENCE or compact in _SEQUENCE[::-1]):
        return f"its serial {serial.strip()!r} is a counting sequence, a factory placeholder"
    if len(compact) < MIN_SERIAL_LENGTH:
        return f"its serial {serial.strip()!r} is too short to tell disks apart"
    return None


def is_card_reader(drive: Drive) -> bool:
    if (drive.vendor_id, drive.product_id) in KNOWN_READERS:
        return True
    return bool(_READER_WORDS.search(f"{drive.vendor} {drive.product}"))


def _differs(known: tuple[int | None, int | None, int], drive: Drive) -> bool:
    vid, pid, capacity = known
    if (vid, pid) != (drive.vendor_id, drive.product_id):
        return True
    return abs(capacity - drive.capacity) > CAPACITY_TOLERANCE * max(capacity, drive.capacity)


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
    keys = Counter(
        (d.vendor_id, d.product_id, normalise_serial(d.serial))
        for d in drives
        if d.serial and d.serial.strip()
    )
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
    if d.serial is None:
        if d.serial_error:
            return "missing", f"The disk's serial could not be read: {d.serial_error}"
        return (
            "missing",
            "The disk reports no hardware serial number, so a copy cannot be bound to it.",
        )
    if not d.serial.strip():
        return (
            "blank",
            "The disk's hardware serial number is blank, so a copy cannot be bound to it.",
        )
    why = placeholder_reason(d.serial)
    if why:
        return "placeholder", f"The disk cannot be told apart from others: {why}."
    serial = normalise_serial(d.serial)
    if keys[(d.vendor_id, d.product_id, serial)] > 1:
        return (
            "duplicate",
            f"Another attached disk reports the same serial {serial!r}; a copy bound to one "
            "would play on the other.",
        )
    if is_card_reader(d):
        return (
            "reader",
            "This is a card reader: its serial belongs to the reader, not to the card inside, "
            "so copies would play from any card in this reader.",
        )
    if known is not None:
        seen = known(serial)
        if seen is not None and _differs(seen, d):
            return (
                "known-elsewhere",
                f"The ledger has seen serial {serial!r} on a different disk model or size; "
                "this may be a cloned or counterfeit disk.",
            )
    return "ok", ""
