"""Deterministic CBOR (RFC 8949 section 4.2.1) for everything that is signed or hashed.

Signed objects are stored as the exact bytes that were signed. On reading we decode and
re-encode: bytes that are not already canonical are rejected, so there is exactly one
encoding of each signed value and no parser differential to exploit.

Decoding is bounded before cbor2 sees a byte: :func:`scan` walks the item headers
(no allocation) and refuses more than ``MAX_ITEMS`` items, nesting deeper than
``MAX_DEPTH``, lengths that run past the end, indefinite lengths, tags, map keys other
than text, floats and simple values other than false/true/null. A licence of
16 MiB of empty arrays is then refused after ``MAX_ITEMS`` headers instead of building
16 million lists (docs/FORMAT.md, "Hostile media").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias, TypeVar

import cbor2

from pressroom.secure.errors import FormatError

# What the format holds (docs/FORMAT.md 2): no floats, no tags, text map keys only.
Cbor: TypeAlias = "bool | int | str | bytes | Sequence[Cbor] | Mapping[str, Cbor] | None"
_T = TypeVar("_T")


def encode(value: Cbor) -> bytes:
    return cbor2.dumps(value, canonical=True)


MAX_ITEMS = 1 << 17  # data items in one decoded object (a revocation list's ids count)
MAX_DEPTH = 16  # nesting of arrays and maps; the format's deepest value has 4 levels
_SIMPLE_OK = (20, 21, 22)  # false, true, null; no floats, no undefined (docs/FORMAT.md 2)


def _too_complex(what: str, why: str) -> FormatError:
    return FormatError(f"{what} is refused: {why}.", code="too-complex")


def scan(data: bytes, what: str, max_items: int = MAX_ITEMS, max_depth: int = MAX_DEPTH) -> int:
    """Walk the CBOR item headers of ``data`` without decoding; the number of items.

    Iterative (no recursion), at most ``max_items`` steps, and refuses what the format
    never uses, so the decode that follows allocates at most ``len(data)`` bytes of
    strings and ``max_items`` objects.
    """
    n, pos, items = len(data), 0, 0
    left = [1]  # items still expected at each open level; the top level holds one
    is_map = [False]
    while left:
        if left[-1] == 0:
            left.pop()
            is_map.pop()
            continue
        key = is_map[-1] and left[-1] % 2 == 0
        left[-1] -= 1
        if pos >= n:
            raise FormatError(f"{what} is not valid CBOR (it ends early).")
        head = data[pos]
        pos += 1
        major, info = head >> 5, head & 31
        if info < 24:
            arg = info
        elif info < 28:
            size = 1 << (info - 24)
            if pos + size > n:
                raise FormatError(f"{what} is not valid CBOR (it ends early).")
            arg = int.from_bytes(data[pos : pos + size], "big")
            pos += size
        else:
            raise FormatError(f"{what} is not valid CBOR (indefinite or reserved length).")
        items += 1
        if items > max_items:
            raise _too_complex(what, f"it holds more than {max_items} data items")
        if key and major != 3:
            raise FormatError(f"{what} has a map key that is not a text string.")
        if major in (2, 3):
            if arg > n - pos:
                raise FormatError(f"{what} is not valid CBOR (a string runs past the end).")
            pos += arg
        elif major in (4, 5):
            count = arg * 2 if major == 5 else arg
            if count > n - pos:  # every item takes at least one byte
                raise FormatError(f"{what} is not valid CBOR (a container runs past the end).")
            if len(left) > max_depth:
                raise _too_complex(what, f"it is nested deeper than {max_depth} levels")
            left.append(count)
            is_map.append(major == 5)
        elif major == 6:
            raise FormatError(f"{what} carries a CBOR tag; the format uses none.")
        elif major == 7 and info not in _SIMPLE_OK:
            raise FormatError(f"{what} carries a float or simple value the format never uses.")
    if pos != n:
        raise FormatError(f"{what} is not valid CBOR (extra bytes after the value).")
    return items


def decode(data: bytes, what: str) -> Cbor:
    """Decode canonical CBOR, bounded by :func:`scan` first."""
    scan(data, what)
    try:
        value: Cbor = cbor2.loads(data)  # scan let through only what Cbor holds
    except Exception as exc:  # cbor2 raises several types for malformed input
        raise FormatError(f"{what} is not valid CBOR ({exc}).") from None
    if not _encodes_to(value, data):
        raise FormatError(f"{what} is not in canonical CBOR form.")
    return value


class _Compare:
    """A write-only sink that compares what is written with ``data`` instead of storing it."""

    def __init__(self, data: bytes):
        self.view = memoryview(data)
        self.pos = 0
        self.same = True

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:
        n = len(b)
        if self.same and self.view[self.pos : self.pos + n] != b:
            self.same = False
        self.pos += n
        return n


def _encodes_to(value: object, data: bytes) -> bool:
    """``encode(value) == data`` without a second copy of ``data`` in memory."""
    sink = _Compare(data)
    try:
        cbor2.dump(value, sink, canonical=True)  # type: ignore[arg-type]
    except Exception:  # a value cbor2 decoded but cannot re-encode is not canonical either
        return False
    return sink.same and sink.pos == len(data)


def expect_map(value: Cbor, what: str, keys: tuple[str, ...]) -> dict[str, Cbor]:
    """Check that ``value`` is a map with exactly ``keys`` (no more, no fewer)."""
    if not isinstance(value, dict):
        raise FormatError(f"{what} is not a map.")
    if set(value) != set(keys):
        missing = sorted(set(keys) - set(value))
        extra = sorted(set(value) - set(keys), key=str)
        raise FormatError(f"{what} has missing fields {missing} or unknown fields {extra}.")
    return value


def expect(value: object, kind: type[_T], what: str) -> _T:
    """``value`` if it is a ``kind`` (a bool is not an int), else a format error."""
    if isinstance(value, bool) and kind is int:
        raise FormatError(f"{what} has the wrong type.")
    if not isinstance(value, kind):
        raise FormatError(f"{what} has the wrong type.")
    return value


def expect_optional(value: object, kind: type[_T], what: str) -> _T | None:
    """``None``, or ``value`` checked as by :func:`expect`."""
    return None if value is None else expect(value, kind, what)
