"""FLAC frames as A/B segments: find each frame of a fixed-block-size stream, splice two.

Two encodings of the same length with the same fixed block size have frame i at the
same samples and the same frame number in its header, so frame i of either can follow
frame i-1 of either: the result is a valid FLAC stream. STREAMINFO's frame-size bounds
and MD5 are set to "unknown" (0) and a SEEKTABLE becomes PADDING, since both change with
the choice of frames.
"""

from __future__ import annotations

from dataclasses import dataclass

MAGIC = b"fLaC"
STREAMINFO, PADDING, SEEKTABLE = 0, 1, 3


class FlacError(Exception):
    pass


def _crc8_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xFF if c & 0x80 else (c << 1) & 0xFF
        table.append(c)
    return table


_CRC8 = _crc8_table()


def crc8(data: bytes) -> int:
    c = 0
    for b in data:
        c = _CRC8[c ^ b]
    return c


@dataclass(frozen=True)
class FlacLayout:
    header: bytes  # "fLaC" and the metadata blocks, patched for splicing
    frames: tuple[tuple[int, int], ...]  # (offset, length) of each frame in the file
    block_size: int


def _coded_number(data: bytes, at: int) -> tuple[int, int] | None:
    """FLAC's UTF-8-like frame number at ``at``: (value, bytes used)."""
    first = data[at]
    if first < 0x80:
        return first, 1
    n = 0
    while n < 7 and first & (0x80 >> n):
        n += 1
    if n < 2 or n > 7 or at + n > len(data):
        return None
    value = first & (0x7F >> n)
    for b in data[at + 1 : at + n]:
        if b & 0xC0 != 0x80:
            return None
        value = (value << 6) | (b & 0x3F)
    return value, n


def _frame_header_ok(data: bytes, at: int, number: int) -> bool:
    if at + 6 > len(data) or data[at] != 0xFF or data[at + 1] != 0xF8:
        return False
    coded = _coded_number(data, at + 4)
    if coded is None or coded[0] != number:
        return False
    end = at + 4 + coded[1]
    bs_code, sr_code = data[at + 2] >> 4, data[at + 2] & 0x0F
    end += {6: 1, 7: 2}.get(bs_code, 0) + {12: 1, 13: 2, 14: 2}.get(sr_code, 0)
    return end < len(data) and crc8(data[at:end]) == data[end]


def parse(data: bytes) -> FlacLayout:
    """The patched header and every frame of a fixed-block-size FLAC stream."""
    if not data.startswith(MAGIC):
        raise FlacError("not a FLAC stream")
    pos, header = 4, bytearray(MAGIC)
    block_size = total = 0
    while True:
        if pos + 4 > len(data):
            raise FlacError("metadata cut short")
        kind, length = data[pos] & 0x7F, int.from_bytes(data[pos + 1 : pos + 4], "big")
        last = data[pos] & 0x80
        body = bytearray(data[pos + 4 : pos + 4 + length])
        if kind == STREAMINFO:
            block_size = int.from_bytes(body[0:2], "big")
            if block_size != int.from_bytes(body[2:4], "big"):
                raise FlacError("variable block size")
            body[4:10] = bytes(6)  # min/max frame size: unknown
            body[18:34] = bytes(16)  # MD5: unknown (it depends on the copy)
            total = int.from_bytes(body[13:18], "big") & ((1 << 36) - 1)
        elif kind == SEEKTABLE:
            kind, body = PADDING, bytearray(length)
        header += bytes([kind | last]) + length.to_bytes(3, "big") + body
        pos += 4 + length
        if last:
            break
    starts: list[int] = []
    at, number = pos, 0
    while at < len(data):
        if not _frame_header_ok(data, at, number):
            raise FlacError(f"frame {number} not found where expected")
        starts.append(at)
        number += 1
        nxt = at + 1
        while True:
            nxt = data.find(b"\xff\xf8", nxt)
            if nxt < 0 or _frame_header_ok(data, nxt, number):
                break
            nxt += 1
        at = len(data) if nxt < 0 else nxt
    expected = -(-total // block_size) if block_size else 0
    if total and len(starts) != expected:
        raise FlacError(f"{len(starts)} frames found, {expected} expected")
    ends = [*starts[1:], len(data)]
    frames = tuple((s, e - s) for s, e in zip(starts, ends, strict=True))
    return FlacLayout(bytes(header), frames, block_size)
