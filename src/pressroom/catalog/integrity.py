"""Cheap checks that a file's audio stream is whole, where mutagen does not look.

mutagen reads headers and tags only, so a FLAC, Ogg, WAV or MP4 file cut short by an
interrupted copy loads without complaint and reports its *declared* duration. Writing
such a file to hundreds of disks would be an expensive mistake, so the importer asks
these functions, each reading only the end of the file, whether the stream ends where
its headers say it does. Each returns ``None`` when the stream looks whole, or a plain
sentence saying what is wrong.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

from mutagen.ogg import OggPage

# --- FLAC --------------------------------------------------------------------------------

_FLAC_TAIL_FALLBACK = 1 << 20  # when STREAMINFO does not say how large a frame can be


def _crc8_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return table


def _crc16_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return table


_CRC8 = _crc8_table()
_CRC16 = _crc16_table()


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = _CRC8[crc ^ byte]
    return crc


def _crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[(crc >> 8) ^ byte]
    return crc


def _flac_frame_header(data: bytes, pos: int) -> tuple[int, int, bool] | None:
    """Parse a frame header at ``pos``: (coded number, block size, variable) if its CRC-8 holds."""
    if len(data) - pos < 6 or data[pos] != 0xFF or data[pos + 1] & 0xFE != 0xF8:
        return None
    variable = bool(data[pos + 1] & 1)
    size_code, rate_code = data[pos + 2] >> 4, data[pos + 2] & 0x0F
    if size_code == 0 or rate_code == 0x0F or data[pos + 3] & 1 or (data[pos + 3] >> 4) > 10:
        return None
    i = pos + 4
    first = data[i]
    ones = 0
    while ones < 8 and first & (0x80 >> ones):  # UTF-8-like coded number: ones give length
        ones += 1
    if ones == 1 or ones == 8:
        return None
    extra = max(0, ones - 1)
    number = first & (0xFF >> (ones + 1)) if ones else first
    if i + 1 + extra > len(data):
        return None
    for byte in data[i + 1 : i + 1 + extra]:
        if byte & 0xC0 != 0x80:
            return None
        number = (number << 6) | (byte & 0x3F)
    i += 1 + extra
    if size_code == 1:
        block = 192
    elif size_code <= 5:
        block = 576 << (size_code - 2)
    elif size_code == 6:
        if i + 1 > len(data):
            return None
        block, i = data[i] + 1, i + 1
    elif size_code == 7:
        if i + 2 > len(data):
            return None
        block, i = struct.unpack_from(">H", data, i)[0] + 1, i + 2
    else:
        block = 256 << (size_code - 8)
    i += {12: 1, 13: 2, 14: 2}.get(rate_code, 0)
    if i >= len(data) or _crc8(data[pos:i]) != data[i]:
        return None
    return number, block, variable


def check_flac(fileobj: BinaryIO, info) -> str | None:
    """The last frame must end at the end of the file (CRC-16) and on the last sample."""
    size = fileobj.seek(0, os.SEEK_END)
    max_frame = getattr(info, "max_framesize", 0) or _FLAC_TAIL_FALLBACK
    start = max(0, size - max_frame - 64)
    fileobj.seek(start)
    data = fileobj.read()
    if len(data) >= 128 and data[-128:-125] == b"TAG":  # a trailing ID3v1 tag is tolerated
        data = data[:-128]
    if len(data) < 8:
        return "truncated FLAC stream: it has no audio frames."
    pos = len(data) - 8
    while pos >= 0:
        pos = data.rfind(b"\xff", 0, pos + 1)
        if pos < 0:
            break
        header = _flac_frame_header(data, pos)
        if header and _crc16(data[pos:-2]) == struct.unpack(">H", data[-2:])[0]:
            number, block, variable = header
            first_sample = number if variable else number * info.max_blocksize
            total = getattr(info, "total_samples", 0)
            if total and first_sample + block != total:
                return (
                    f"truncated FLAC stream: the audio ends at sample {first_sample + block} "
                    f"of {total}."
                )
            return None
        pos -= 1
    return "truncated FLAC stream: the last audio frame is incomplete."


# --- Ogg ---------------------------------------------------------------------------------


def check_ogg(fileobj: BinaryIO, codec: str) -> str | None:
    """The logical stream must reach its end-of-stream page."""
    fileobj.seek(0)
    first = OggPage(fileobj)
    last = OggPage.find_last(fileobj, first.serial)
    if last is None or not last.last:
        return f"truncated {codec} stream: the Ogg stream has no end-of-stream page."
    return None


# --- RIFF/WAVE ---------------------------------------------------------------------------


def check_wave(fileobj: BinaryIO) -> str | None:
    """The ``data`` chunk must hold as many bytes as its header declares."""
    size = fileobj.seek(0, os.SEEK_END)
    pos = 12
    while pos + 8 <= size:
        fileobj.seek(pos)
        chunk_id, chunk_size = struct.unpack("<4sI", fileobj.read(8))
        if chunk_id == b"data":
            if pos + 8 + chunk_size > size:
                return (
                    f"truncated WAV file: the data chunk declares {chunk_size} bytes "
                    f"but {size - pos - 8} are present."
                )
            return None
        pos += 8 + chunk_size + (chunk_size & 1)
    return "truncated WAV file: it has no data chunk."


# --- MP4 ---------------------------------------------------------------------------------


def check_mp4(fileobj: BinaryIO) -> str | None:
    """Every top-level atom (``mdat`` holds the audio) must fit inside the file."""
    size = fileobj.seek(0, os.SEEK_END)
    pos = 0
    while pos + 8 <= size:
        fileobj.seek(pos)
        atom_size, name = struct.unpack(">I4s", fileobj.read(8))
        if atom_size == 1:
            atom_size = struct.unpack(">Q", fileobj.read(8))[0]
        elif atom_size == 0:  # extends to the end of the file by definition
            return None
        if atom_size < 8:
            return f"corrupt MP4 file: the atom at byte {pos} has an impossible size."
        if pos + atom_size > size:
            label = name.decode("latin-1", "replace")
            return f"truncated MP4 file: the '{label}' atom runs past the end of the file."
        pos += atom_size
    return None
