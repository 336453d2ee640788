"""docs/OPERATIONS.md quotes the program's own messages: if the code rewords one, this fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OPERATIONS = (ROOT / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
SOURCE = "\n".join(
    p.read_text(encoding="utf-8") for p in sorted((ROOT / "src" / "pressroom").rglob("*.py"))
)

# (fragment quoted in OPERATIONS.md, the same fragment as it appears in the source)
QUOTED = [
    "The disk reports no hardware serial number, so a copy cannot be bound to it.",
    "The disk's hardware serial number is blank, so a copy cannot be bound to it.",
    "The disk cannot be told apart from others:",
    "is a known placeholder",
    "is a vendor default (one character repeated with a short counter)",
    "on a different disk model or size; this may be a cloned or counterfeit disk.",
    "a copy bound to one would play on the other.",
    "This is a card reader: its serial belongs to the reader, not to the card inside,",
    "this may be a cloned or counterfeit disk.",
    "The disk has no USB identity to bind to.",
    "The disk is write-protected (read-only).",
    "The disk already holds a finished Pressroom copy; choose Retry to overwrite it.",
    "The disk ran out of space while writing.",
    "The disk was removed before it was finished; nothing was counted.",
    "The disk reported a write or read error: ",
    "The station may not write to this disk (",
    "The grant has no copies left; nothing was written.",
    "changed since it was imported.",
    "the disk returned other data than was written; it may be faulty or counterfeit.",
    "read back does not match its catalog source",
    "The licence read back from the disk differs.",
    "No USB library (libusb-1.0) was found, so hardware serials cannot be read.",
    "did not answer the serial-number request in time (USB timeout).",
    "was unplugged while its serial was being read.",
    "This disk's licence has been revoked.",
    "No grant allows this job:",
    "This station has no player key to wrap disk keys to;",
    "This machine has no USB bus",
    "is not installed, so only root can read USB",
    "Private key files readable by other users",
    "its audit chain breaks at row",
    "No rights grant is imported yet",
    "replacement(s) and all are used; ask the publisher for a grant with more replacements.",
    "was made at this station; 'pressroom report' lists the disks made.",
    "was already replaced by",
    "was not revoked and no replacement was counted; insert another disk and try again.",
    "was recorded as a request: only the publisher can sign revocation lists and this",
    "Only the publisher can revoke a station, and this station has no publisher key;",
    "which this station already has; the newer list was kept.",
]


def _flat(text: str) -> str:
    """Source strings are split over lines ('...' '...'); docs wrap too: compare flattened."""
    text = re.sub(r'"\s*\n\s*f?"', "", text)
    return " ".join(text.replace("\\'", "'").split())


@pytest.mark.parametrize("fragment", QUOTED)
def test_quoted_message_is_real_and_documented(fragment):
    assert fragment in _flat(SOURCE), "the code no longer says this"
    assert fragment in _flat(OPERATIONS), "docs/OPERATIONS.md does not explain this"


def _last_cell(row: str) -> set[str]:
    return set(re.findall(r"`([a-z-]+)`", row.rstrip(" |").rsplit("|", 1)[-1]))


def test_every_verifier_code_is_explained():
    fmt = (ROOT / "docs" / "FORMAT.md").read_text(encoding="utf-8")
    table = fmt[fmt.index("## 9. Verification") : fmt.index("### 9.1")]
    codes = set(re.findall(r'code="([a-z-]+)"', SOURCE))
    codes |= {c for row in table.splitlines() if row.startswith("| ") for c in _last_cell(row)}
    codes -= {"invalid"}  # the base class default, never shown alone
    missing = sorted(c for c in codes if f"`{c}`" not in OPERATIONS)
    assert not missing, f"docs/OPERATIONS.md section 9.4 lacks {missing}"
