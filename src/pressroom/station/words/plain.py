"""What one glossary entry is, and the developer vocabulary a shop must never read.

An entry says what happened and what to do, each in one short sentence. The raw sentence
the engine wrote (paths, USB ids, key names) is not here: front ends keep it for Details
and the logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Words:
    """A fact in a shop's words: a short title, what happened, what to do."""

    title: str
    what: str
    todo: str = ""
    customer: str = ""  # what a kiosk customer does, where it differs from ``todo``
    customer_title: str = ""  # the kiosk's heading, where it differs from ``title``

    @property
    def text(self) -> str:
        """The sentence a card, a banner or the command line shows."""
        return f"{self.what} {self.todo}".strip()

    @property
    def customer_heading(self) -> str:
        return self.customer_title or self.title

    @property
    def for_customer(self) -> str:
        """The sentence the kiosk shows a customer."""
        return f"{self.what} {self.customer or self.todo}".strip()


# Words and shapes that belong in Details and logs, never in what an operator reads.
BANNED_WORDS = (
    "udev",
    ".rules",
    "fadvise",
    "o_direct",
    "unwrap",
    "identity",
    "/dev/",
    "/tmp/",
    "/sys/",
    "errno",
    "eacces",
    "libusb",
    "pyusb",
    "page cache",
    "journal",
    "lease",
    "reservation",
    "exception",
    "traceback",
    "plugdev",
    "sudo",
    "chunk",
    "aead",
)
BANNED_SHAPES = (
    re.compile(r"\b[0-9a-f]{4}:[0-9a-f]{4}\b", re.IGNORECASE),  # a USB vendor:product id
    re.compile(r"\bbus \d+\b", re.IGNORECASE),
    re.compile(r"\baddress \d+\b", re.IGNORECASE),
    re.compile(r"\bgroup '"),
    re.compile(r"\b[0-9a-f]{16,}\b", re.IGNORECASE),  # a key id or hash
)


def _pattern(word: str) -> str:
    """A whole word ("lease", not "please"); paths and file endings as they are."""
    escaped = re.escape(word)
    return rf"\b{escaped}" if word[0].isalnum() else escaped


def developer_words(text: str) -> list[str]:
    """The developer vocabulary found in ``text`` (empty when a shop can read it)."""
    low = text.lower()
    found = [w for w in BANNED_WORDS if re.search(_pattern(w), low)]
    found += [m.group(0) for shape in BANNED_SHAPES for m in shape.finditer(text)]
    return found


UNEXPECTED = Words(
    "Something went wrong",
    "Something unexpected went wrong in the station.",
    "Try again; if it keeps happening, send the station's log to support.",
)
