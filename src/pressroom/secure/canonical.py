"""Deterministic CBOR (RFC 8949 section 4.2.1) for everything that is signed or hashed.

Signed objects are stored as the exact bytes that were signed. On reading we decode and
re-encode: bytes that are not already canonical are rejected, so there is exactly one
encoding of each signed value and no parser differential to exploit.
"""

from __future__ import annotations

from typing import Any

import cbor2

from pressroom.secure.errors import FormatError


def encode(value: Any) -> bytes:
    return cbor2.dumps(value, canonical=True)


def decode(data: bytes, what: str) -> Any:
    try:
        value = cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several types for malformed input
        raise FormatError(f"{what} is not valid CBOR ({exc}).") from None
    if encode(value) != data:
        raise FormatError(f"{what} is not in canonical CBOR form.")
    return value


def expect_map(value: Any, what: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """Check that ``value`` is a map with exactly ``keys`` (no more, no fewer)."""
    if not isinstance(value, dict):
        raise FormatError(f"{what} is not a map.")
    if set(value) != set(keys):
        missing = sorted(set(keys) - set(value))
        extra = sorted(set(value) - set(keys), key=str)
        raise FormatError(f"{what} has missing fields {missing} or unknown fields {extra}.")
    return value


def expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if isinstance(value, bool) and kind is int:
        raise FormatError(f"{what} has the wrong type.")
    if not isinstance(value, kind):
        raise FormatError(f"{what} has the wrong type.")
    return value
