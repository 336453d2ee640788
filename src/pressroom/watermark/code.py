"""The payload's bits: 48 bits of copy id, 32 keyed check bits, a convolutional code.

Why keyed check bits: a random excerpt passes a 32-bit check with probability 2**-32
(the false-positive bound), and a forger without the key cannot make a valid payload.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

PAYLOAD_BITS = 48
CHECK_BITS = 32
INFO_BITS = PAYLOAD_BITS + CHECK_BITS
K = 7  # constraint length of the (133, 171) code, as in 802.11 and audiowmark
POLYS = (0o133, 0o171)
CODED_BITS = (INFO_BITS + K - 1) * 2
REPLACEMENT_BIT = 0x8000


@dataclass(frozen=True)
class Payload:
    """What a copy carries: a 32-bit tag of its grant and its 16-bit copy index."""

    grant_tag: int
    copy_index: int

    @classmethod
    def for_copy(cls, tag: int, copy_index: int, *, replacement: bool = False) -> Payload:
        """A grant's copy: the index in 15 bits, the top bit set for a replacement copy."""
        if not 0 < copy_index < REPLACEMENT_BIT:
            raise ValueError(f"copy index {copy_index} does not fit the mark's 15 bits")
        return cls(tag, copy_index | (REPLACEMENT_BIT if replacement else 0))

    @property
    def index(self) -> int:
        return self.copy_index & (REPLACEMENT_BIT - 1)

    @property
    def replacement(self) -> bool:
        return bool(self.copy_index & REPLACEMENT_BIT)

    def to_int(self) -> int:
        return (self.grant_tag << 16) | self.copy_index

    @classmethod
    def from_int(cls, value: int) -> Payload:
        return cls(grant_tag=value >> 16, copy_index=value & 0xFFFF)


def grant_tag(grant_id: str) -> int:
    """The 32 bits of a grant id a mark carries (the ledger resolves them back)."""
    return int.from_bytes(hashlib.sha256(grant_id.encode()).digest()[:4], "big")


def _check(key: bytes, payload: int) -> int:
    mac = hmac.new(key, b"pressroom-wm-check" + payload.to_bytes(6, "big"), "sha256")
    return int.from_bytes(mac.digest()[:4], "big")


def _bits(value: int, n: int) -> list[int]:
    return [(value >> (n - 1 - i)) & 1 for i in range(n)]


def _value(bits: list[int]) -> int:
    out = 0
    for b in bits:
        out = (out << 1) | b
    return out


def encode(key: bytes, payload: Payload) -> npt.NDArray[np.int8]:
    """The coded bits (0/1) for a payload: info + keyed check, convolutionally coded."""
    value = payload.to_int()
    info = _bits(value, PAYLOAD_BITS) + _bits(_check(key, value), CHECK_BITS) + [0] * (K - 1)
    state = 0
    out: list[int] = []
    for bit in info:
        state = ((state << 1) | bit) & ((1 << K) - 1)
        for poly in POLYS:
            out.append(bin(state & poly).count("1") & 1)
    return np.array(out, dtype=np.int8)


def _transitions() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """For each next state and each of its two predecessors: the expected ±1 symbols."""
    n = 1 << (K - 1)
    prev = np.zeros((n, 2), dtype=np.int64)
    sym = np.zeros((n, 2, 2), dtype=np.float64)
    for nxt in range(n):
        bit = nxt & 1
        for j in range(2):
            p = (nxt >> 1) | (j << (K - 2))
            prev[nxt, j] = p
            full = (p << 1) | bit
            for s, poly in enumerate(POLYS):
                sym[nxt, j, s] = 1.0 if bin(full & poly).count("1") & 1 else -1.0
    return prev, sym


_PREV, _SYM = _transitions()


def decode(key: bytes, soft: npt.NDArray[np.float64]) -> Payload | None:
    """Soft-decision Viterbi (positive soft value = bit 1); None if the check fails."""
    n = 1 << (K - 1)
    steps = len(soft) // 2
    metric = np.full(n, -1e18)
    metric[0] = 0.0
    choice = np.zeros((steps, n), dtype=np.int8)
    for t in range(steps):
        pair = soft[2 * t : 2 * t + 2]
        cand = metric[_PREV] + _SYM @ pair  # (n, 2)
        j = np.argmax(cand, axis=1)
        choice[t] = j
        metric = cand[np.arange(n), j]
    state = 0  # the tail bits return the encoder to state 0
    bits: list[int] = []
    for t in range(steps - 1, -1, -1):
        bits.append(state & 1)
        state = int(_PREV[state, choice[t, state]])
    bits.reverse()
    value = _value(bits[:PAYLOAD_BITS])
    check = _value(bits[PAYLOAD_BITS:INFO_BITS])
    if not hmac.compare_digest(check.to_bytes(4, "big"), _check(key, value).to_bytes(4, "big")):
        return None
    return Payload.from_int(value)
