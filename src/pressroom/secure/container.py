"""Track files: an authenticated header and chunked AES-256-GCM (docs/FORMAT.md, "Track file").

Each chunk's nonce is ``prefix(7) || counter(4, big-endian) || last(1)``, the STREAM
construction of Hoang, Reyhanitabar, Rogaway and Vizar: reordering or duplicating chunks
changes the counter, truncating at a chunk boundary turns a non-final chunk into the last
one, and both fail the tag. Every chunk carries SHA-256(header) as associated data, so the
header cannot be altered or spliced onto another track either.

Memory is bounded by the chunk size whatever the track size: encryption reads into one
reusable buffer and writes from another (``encrypt_into``/``decrypt_into``).
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pressroom.secure.errors import FormatError, IntegrityError

MAGIC = b"PRTK"
VERSION = 2  # what stations write: the header's identity field is the keyed commitment
VERSIONS = (1, 2)  # version 1 headers carry the disk's clear identity hash there
TAG_LEN = 16
PREFIX_LEN = 7
DEFAULT_CHUNK = 256 << 10  # see `pressroom bench crypto`: best ratio to raw AES-GCM
MIN_CHUNK = 4096
MAX_CHUNK = 16 << 20
# magic, version, flags, header length, chunk size, plaintext length, nonce prefix,
# reserved, licence id, track id, identity field (v1: identity hash; v2: identity commitment)
_HEADER = struct.Struct(">4sBBHIQ7sx16s32s32s")
HEADER_LEN = _HEADER.size  # 108


class Readable(Protocol):
    def readinto(self, buf: memoryview, /) -> int | None: ...


class Writable(Protocol):
    def write(self, data: bytes | memoryview, /) -> int | None: ...


Progress = Callable[[int], None]  # called with the number of plaintext bytes just done


@dataclass(frozen=True)
class TrackHeader:
    chunk_size: int
    plain_len: int
    nonce_prefix: bytes
    licence_id: bytes
    track_id: bytes
    identity_tag: bytes  # the licence's identity field: never the clear hash from v2 on
    version: int = VERSION

    @classmethod
    def new(
        cls,
        *,
        plain_len: int,
        licence_id: bytes,
        track_id: bytes,
        identity_tag: bytes,
        chunk_size: int = DEFAULT_CHUNK,
        version: int = VERSION,
    ) -> TrackHeader:
        return cls(
            chunk_size,
            plain_len,
            os.urandom(PREFIX_LEN),
            licence_id,
            track_id,
            identity_tag,
            version,
        )

    def to_bytes(self) -> bytes:
        return _HEADER.pack(
            MAGIC,
            self.version,
            0,
            HEADER_LEN,
            self.chunk_size,
            self.plain_len,
            self.nonce_prefix,
            self.licence_id,
            self.track_id,
            self.identity_tag,
        )

    @classmethod
    def from_bytes(cls, data: bytes, file: str = "track") -> TrackHeader:
        if len(data) < HEADER_LEN:
            raise FormatError(f"{file}: the file is shorter than a track header.", file=file)
        magic, version, flags, hlen, chunk, plain, prefix, lid, tid, ih = _HEADER.unpack(
            data[:HEADER_LEN]
        )
        if magic != MAGIC:
            raise FormatError(f"{file}: not a Pressroom track file (bad magic).", file=file)
        if version not in VERSIONS or flags != 0 or hlen != HEADER_LEN:
            raise FormatError(f"{file}: unsupported track format version.", file=file)
        if not MIN_CHUNK <= chunk <= MAX_CHUNK:
            raise FormatError(f"{file}: chunk size {chunk} is out of range.", file=file)
        return cls(chunk, plain, prefix, lid, tid, ih, version)

    @property
    def chunk_count(self) -> int:
        return max(1, -(-self.plain_len // self.chunk_size))

    @property
    def file_size(self) -> int:
        return HEADER_LEN + self.plain_len + self.chunk_count * TAG_LEN

    def nonce(self, index: int, last: bool) -> bytes:
        return self.nonce_prefix + struct.pack(">IB", index, 1 if last else 0)

    def sha256(self) -> bytes:
        return hashlib.sha256(self.to_bytes()).digest()


@dataclass(frozen=True)
class SealedTrack:
    header: TrackHeader
    header_sha256: bytes
    chunks: int
    file_size: int


def _read_exact(src: Readable, view: memoryview) -> int:
    got = 0
    while got < len(view):
        n = src.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def encrypt_track(
    src: Readable, dst: Writable, key: bytes, header: TrackHeader, progress: Progress | None = None
) -> SealedTrack:
    """Stream ``header.plain_len`` bytes from ``src`` into a sealed track written to ``dst``.

    No plaintext hash is taken here: the track id *is* the SHA-256 of the source, and the
    read-back verification (as a player would) recomputes it from the media before the
    licence is written, which also catches a source file that changed since import.
    """
    aead = AESGCM(key)
    hbytes = header.to_bytes()
    aad = hashlib.sha256(hbytes).digest()
    inbuf = memoryview(bytearray(header.chunk_size))
    outbuf = memoryview(bytearray(header.chunk_size + TAG_LEN))
    dst.write(hbytes)
    remaining = header.plain_len
    count = header.chunk_count
    for index in range(count):
        want = min(header.chunk_size, remaining)
        got = _read_exact(src, inbuf[:want])
        if got != want:
            raise FormatError("The source track ended before its announced length.")
        plain = inbuf[:want]
        n = aead.encrypt_into(
            header.nonce(index, index == count - 1), plain, aad, outbuf[: want + TAG_LEN]
        )
        dst.write(outbuf[:n])
        remaining -= want
        if progress:
            progress(want)
    return SealedTrack(header, aad, count, header.file_size)


def read_header(src: Readable, file: str) -> tuple[TrackHeader, bytes]:
    buf = bytearray(HEADER_LEN)
    got = _read_exact(src, memoryview(buf))
    return TrackHeader.from_bytes(bytes(buf[:got]), file), bytes(buf)


def iter_plaintext(
    src: Readable, key: bytes, header: TrackHeader, header_bytes: bytes, file: str
) -> Iterator[memoryview]:
    """Authenticate and decrypt chunk by chunk, after the header has been read.

    Yields views into one reused buffer: consume each before asking for the next.
    Raises IntegrityError on the first chunk whose tag fails, or on trailing bytes.
    """
    aead = AESGCM(key)
    aad = hashlib.sha256(header_bytes).digest()
    inbuf = memoryview(bytearray(header.chunk_size + TAG_LEN))
    outbuf = memoryview(bytearray(header.chunk_size))
    remaining = header.plain_len
    count = header.chunk_count
    for index in range(count):
        want = min(header.chunk_size, remaining)
        got = _read_exact(src, inbuf[: want + TAG_LEN])
        if got != want + TAG_LEN:
            raise IntegrityError(
                f"{file}: the track is truncated at chunk {index + 1} of {count}.",
                code="truncated",
                file=file,
            )
        try:
            n = aead.decrypt_into(
                header.nonce(index, index == count - 1), inbuf[: want + TAG_LEN], aad, outbuf[:want]
            )
        except InvalidTag:
            raise IntegrityError(
                f"{file}: chunk {index + 1} of {count} does not authenticate "
                "(altered, reordered or from another file).",
                code="bad-chunk",
                file=file,
            ) from None
        remaining -= want
        yield outbuf[:n]
    if _read_exact(src, memoryview(bytearray(1))):
        raise IntegrityError(
            f"{file}: extra bytes follow the last chunk.", code="trailing-data", file=file
        )
