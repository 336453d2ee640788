"""The disk licence: one signed file, written last, that makes a disk count.

It carries everything a player needs offline: the station certificate and the grant (both
publisher-signed), what the disk was made for, the media key wrapped to the player, the
newest revocation list the station had, and per track its metadata, rights, hashes and
wrapped key. The station signs the canonical CBOR body (docs/FORMAT.md, "Licence").

Stations write format version 2, which names the disk only through a commitment and a
sealed made-for map keyed under the media key (``pressroom.secure.commitment``); readers
also accept version 1, whose identity hash and made-for map are in the clear.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Protocol, TypedDict

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from pressroom.secure import canonical
from pressroom.secure.binding import (
    WrappedMediaKey,
    binding_key,
    random_key,
    unwrap_track_key,
    wrap_media_key,
    wrap_track_key,
)
from pressroom.secure.canonical import Cbor
from pressroom.secure.commitment import (
    SealedBox,
    commitment_matches,
    identity_commitment,
    open_made_for,
    seal_made_for,
)
from pressroom.secure.container import DEFAULT_CHUNK, SealedTrack, TrackHeader
from pressroom.secure.errors import FormatError
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.keys import Envelope, sign
from pressroom.secure.rights import Rights

LICENCE_TYPE = "licence"
DISK_DIR = "PRESSROOM"
LICENCE_FILE = f"{DISK_DIR}/licence.prl"
TRACKS_DIR = f"{DISK_DIR}/tracks"
KINDS = ("sale", "replacement")
LICENCE_VERSION = 2  # what stations write
READABLE_VERSIONS = (1, 2)


def _optional_ms(value: object) -> float | None:
    return None if value is None else canonical.expect(value, int, "track duration") / 1000


TRACK_METADATA = ("title", "artist", "album", "number", "duration", "format")


class TrackMetadata(TypedDict):
    """The licence's per-track metadata fields (``TRACK_METADATA``)."""

    title: str
    artist: str
    album: str
    number: int | None
    duration: float | None
    format: str


class TrackLike(Protocol):
    """Anything that carries the metadata fields (the engine's job track)."""

    @property
    def title(self) -> str: ...
    @property
    def artist(self) -> str: ...
    @property
    def album(self) -> str: ...
    @property
    def number(self) -> int | None: ...
    @property
    def duration(self) -> float | None: ...
    @property
    def format(self) -> str: ...


def track_metadata(track: TrackLike) -> TrackMetadata:
    """The licence's per-track metadata fields, taken from any track-like object."""
    return TrackMetadata(
        title=track.title,
        artist=track.artist,
        album=track.album,
        number=track.number,
        duration=track.duration,
        format=track.format,
    )


def track_file(index: int) -> str:
    return f"{TRACKS_DIR}/{index + 1:02d}.prt"


@dataclass(frozen=True)
class TrackEntry:
    track_id: bytes  # SHA-256 of the source file: the grant names tracks by it
    file: str
    title: str
    artist: str
    album: str
    number: int | None
    duration: float | None
    format: str
    rights: Rights
    plain_len: int
    plain_sha256: bytes
    header_sha256: bytes
    chunks: int
    # as read: unwrap_track_key checks its shape, so a malformed one fails only its track
    wrapped_key: Cbor

    def to_cbor(self) -> dict[str, Cbor]:
        return {
            "track_id": self.track_id,
            "file": self.file,
            "title": self.title,
            "artist": self.artist,
            "album": self.album,
            "number": self.number,
            "duration_ms": None if self.duration is None else round(self.duration * 1000),
            "format": self.format,
            "rights": self.rights.to_cbor(),
            "plain_len": self.plain_len,
            "plain_sha256": self.plain_sha256,
            "header_sha256": self.header_sha256,
            "chunks": self.chunks,
            "wrapped_key": self.wrapped_key,
        }

    @classmethod
    def from_cbor(cls, raw: Cbor) -> TrackEntry:
        m = canonical.expect_map(
            raw,
            "licence track",
            (
                "track_id",
                "file",
                "title",
                "artist",
                "album",
                "number",
                "duration_ms",
                "format",
                "rights",
                "plain_len",
                "plain_sha256",
                "header_sha256",
                "chunks",
                "wrapped_key",
            ),
        )
        file = canonical.expect(m["file"], str, "track file name")
        if not file.startswith(TRACKS_DIR + "/") or ".." in file or "\\" in file:
            raise FormatError(f"The licence names a track file outside {TRACKS_DIR}: {file!r}.")
        return cls(
            track_id=canonical.expect(m["track_id"], bytes, "track id"),
            file=file,
            title=canonical.expect(m["title"], str, "track title"),
            artist=canonical.expect(m["artist"], str, "track artist"),
            album=canonical.expect(m["album"], str, "track album"),
            number=canonical.expect_optional(m["number"], int, "track number"),
            duration=_optional_ms(m["duration_ms"]),
            format=canonical.expect(m["format"], str, "track format"),
            rights=Rights.from_cbor(m["rights"]),
            plain_len=canonical.expect(m["plain_len"], int, "track length"),
            plain_sha256=canonical.expect(m["plain_sha256"], bytes, "track hash"),
            header_sha256=canonical.expect(m["header_sha256"], bytes, "header hash"),
            chunks=canonical.expect(m["chunks"], int, "chunk count"),
            wrapped_key=m["wrapped_key"],
        )


@dataclass(frozen=True)
class MadeFor:
    """Which disk the licence was made for, to explain a mismatch.

    Not a security check: binding is cryptographic. It lets a support desk say "made for a
    disk whose serial ends in 1A2B" and check "as if the disk had serial S" (`--serial`).
    In version 1 it is in the clear; in version 2 it is sealed under the media key.
    """

    vendor_id: int
    product_id: int
    capacity_class: int
    serial_hint: str  # last four characters of the normalised serial

    @classmethod
    def of(cls, identity: DiskIdentity) -> MadeFor:
        return cls(
            identity.vendor_id, identity.product_id, identity.capacity_class, identity.serial[-4:]
        )

    def to_cbor(self) -> dict[str, Cbor]:
        return {
            "vid": self.vendor_id,
            "pid": self.product_id,
            "cap": self.capacity_class,
            "hint": self.serial_hint,
        }

    @classmethod
    def from_cbor(cls, raw: Cbor) -> MadeFor:
        m = canonical.expect_map(raw, "made-for", ("vid", "pid", "cap", "hint"))
        return cls(
            canonical.expect(m["vid"], int, "vendor id"),
            canonical.expect(m["pid"], int, "product id"),
            canonical.expect(m["cap"], int, "capacity class"),
            canonical.expect(m["hint"], str, "serial hint"),
        )

    def identity_with_serial(self, serial: str) -> DiskIdentity:
        from pressroom.secure.identity import normalise_serial, placeholder_reason

        reason = placeholder_reason(serial)
        if reason:
            raise FormatError(f"Cannot check as serial {serial!r}: {reason}.")
        return DiskIdentity(
            self.vendor_id, self.product_id, normalise_serial(serial), self.capacity_class
        )


@dataclass(frozen=True)
class Licence:
    licence_id: bytes
    issued_at: int
    station_cert: bytes
    grant: bytes
    copy_index: int
    kind: str
    replaces: bytes | None
    # v1: SHA-256(identity bytes), in the clear; v2: the keyed identity commitment
    identity_tag: bytes
    made_for: MadeFor | SealedBox  # v1: MadeFor in the clear; v2: sealed under the media key
    media_key: WrappedMediaKey
    revocations: bytes | None
    tracks: tuple[TrackEntry, ...]
    version: int = LICENCE_VERSION
    signer: bytes = field(default=b"", compare=False)  # key id in the envelope
    raw: bytes = field(default=b"", compare=False, repr=False)

    @property
    def id_hex(self) -> str:
        return self.licence_id.hex()

    def names_identity(self, identity: DiskIdentity, media_key: bytes) -> bool:
        """Was this licence made for ``identity``? (Explains a mismatch; binding is the check.)"""
        if self.version == 1:
            return identity.hash() == self.identity_tag
        return commitment_matches(
            self.identity_tag, media_key, self.licence_id, identity.canonical_bytes()
        )

    def made_for_with(self, media_key: bytes) -> MadeFor:
        """The made-for map: in the clear in v1, opened with the media key in v2."""
        if isinstance(self.made_for, MadeFor):
            return self.made_for
        plain = open_made_for(self.made_for, media_key, self.licence_id)
        return MadeFor.from_cbor(canonical.decode(plain, "sealed made-for map"))

    def body_cbor(self) -> dict[str, Cbor]:
        body: dict[str, Cbor] = {
            "v": self.version,
            "licence_id": self.licence_id,
            "issued_at": self.issued_at,
            "station_cert": self.station_cert,
            "grant": self.grant,
            "copy_index": self.copy_index,
            "kind": self.kind,
            "replaces": self.replaces,
            "media_key": self.media_key.to_cbor(),
            "revocations": self.revocations,
            "tracks": [t.to_cbor() for t in self.tracks],
        }
        if self.version == 1:
            body["identity_hash"] = self.identity_tag
            body["made_for"] = self.made_for.to_cbor()
        else:
            body["identity_commitment"] = self.identity_tag
            body["sealed_made_for"] = self.made_for.to_cbor()
        return body


_COMMON_FIELDS = (
    "v",
    "licence_id",
    "issued_at",
    "station_cert",
    "grant",
    "copy_index",
    "kind",
    "replaces",
    "media_key",
    "revocations",
    "tracks",
)
_BODY_FIELDS = {
    1: (*_COMMON_FIELDS, "identity_hash", "made_for"),
    2: (*_COMMON_FIELDS, "identity_commitment", "sealed_made_for"),
}


def _version(body: Cbor) -> int:
    """The body's version, refused unless this reader knows it (before any other field)."""
    v = body.get("v") if isinstance(body, dict) else None
    if type(v) is not int or v not in READABLE_VERSIONS:  # not True, not 2.0
        raise FormatError(f"licence version {v!r} is not supported.")
    return v


def _identity_fields(m: dict[str, Cbor], version: int) -> tuple[bytes, MadeFor | SealedBox]:
    if version == 1:
        tag = canonical.expect(m["identity_hash"], bytes, "identity hash")
        return tag, MadeFor.from_cbor(m["made_for"])
    tag = canonical.expect(m["identity_commitment"], bytes, "identity commitment")
    return tag, SealedBox.from_cbor(m["sealed_made_for"], "sealed made-for")


def parse_licence(data: bytes) -> tuple[Envelope, Licence]:
    """Parse without trusting anything yet: the verifier checks signatures in order."""
    env = Envelope.from_bytes(data, "licence", LICENCE_TYPE)
    body = canonical.decode(env.body, "licence body")
    version = _version(body)
    m = canonical.expect_map(body, "licence", _BODY_FIELDS[version])
    if m["kind"] not in KINDS:
        raise FormatError(f"licence kind {m['kind']!r} is unknown.")
    tracks = tuple(TrackEntry.from_cbor(t) for t in canonical.expect(m["tracks"], list, "tracks"))
    if len({t.file for t in tracks}) != len(tracks):
        raise FormatError("The licence names one track file twice.")
    identity_tag, made_for = _identity_fields(m, version)
    lic = Licence(
        licence_id=canonical.expect(m["licence_id"], bytes, "licence id"),
        issued_at=canonical.expect(m["issued_at"], int, "issue time"),
        station_cert=canonical.expect(m["station_cert"], bytes, "station certificate"),
        grant=canonical.expect(m["grant"], bytes, "grant"),
        copy_index=canonical.expect(m["copy_index"], int, "copy index"),
        kind=m["kind"],
        replaces=canonical.expect_optional(m["replaces"], bytes, "replaced licence id"),
        identity_tag=identity_tag,
        made_for=made_for,
        media_key=WrappedMediaKey.from_cbor(m["media_key"]),
        revocations=canonical.expect_optional(m["revocations"], bytes, "revocation list"),
        tracks=tracks,
        version=version,
        signer=env.kid,
        raw=data,
    )
    return env, lic


class DiskBinder:
    """Station-side key material for one disk being made.

    Holds the media key and binding key in memory only for the life of one disk's pipeline.
    ``version`` is the licence format version to write: 2 for every disk a station makes;
    1 only so tests can make the disks older stations made and check they still verify.
    """

    def __init__(
        self,
        identity: DiskIdentity,
        player: X25519PublicKey,
        *,
        licence_id: bytes | None = None,
        chunk_size: int = DEFAULT_CHUNK,
        version: int = LICENCE_VERSION,
    ):
        if version not in READABLE_VERSIONS:
            raise ValueError(f"cannot write licence format version {version}")
        self.identity = identity
        self.version = version
        self.licence_id = licence_id or uuid.uuid4().bytes
        self.chunk_size = chunk_size
        self._media_key = random_key()
        self._binding = binding_key(self._media_key, identity.hash())
        self.wrapped_media_key = wrap_media_key(self._media_key, player, licence_id=self.licence_id)
        if version == 1:  # the clear identity hash and made-for map of format version 1
            self.identity_tag = identity.hash()
            self._made_for: MadeFor | SealedBox = MadeFor.of(identity)
        else:
            self.identity_tag = identity_commitment(
                self._media_key, self.licence_id, identity.canonical_bytes()
            )
            plain = canonical.encode(MadeFor.of(identity).to_cbor())
            self._made_for = seal_made_for(self._media_key, self.licence_id, plain)

    def new_track(self, track_id: bytes, plain_len: int) -> tuple[bytes, TrackHeader]:
        """A fresh random key and header for one track on this disk."""
        header = TrackHeader.new(
            plain_len=plain_len,
            licence_id=self.licence_id,
            track_id=track_id,
            identity_tag=self.identity_tag,
            chunk_size=self.chunk_size,
            version=self.version,
        )
        return random_key(), header

    def entry(
        self,
        *,
        file: str,
        track_key: bytes,
        sealed: SealedTrack,
        rights: Rights,
        title: str,
        artist: str = "",
        album: str = "",
        number: int | None = None,
        duration: float | None = None,
        format: str = "",
        plain_sha256: bytes | None = None,
    ) -> TrackEntry:
        """``plain_sha256``: the hash of what was sealed when it is not the catalog source
        (a watermarked copy); by default the content hash the track id already is."""
        track_id = sealed.header.track_id
        return TrackEntry(
            track_id=track_id,
            file=file,
            title=title,
            artist=artist,
            album=album,
            number=number,
            duration=duration,
            format=format,
            rights=rights,
            plain_len=sealed.header.plain_len,
            plain_sha256=plain_sha256 or track_id,  # read-back checks it from the media
            header_sha256=sealed.header_sha256,
            chunks=sealed.chunks,
            wrapped_key=wrap_track_key(
                track_key, self._binding, licence_id=self.licence_id, track_id=track_id
            ),
        )

    def unwrap(self, entry: TrackEntry) -> bytes:
        """The track key as a player will get it: unwrapped from the licence entry.

        The station reads each track back with this key, not the one it kept in memory,
        so a fault in key wrapping fails the disk before it counts.
        """
        return unwrap_track_key(
            entry.wrapped_key,
            self._binding,
            licence_id=self.licence_id,
            track_id=entry.track_id,
            file=entry.file,
        )

    def seal_licence(
        self,
        station: Ed25519PrivateKey,
        *,
        station_cert: bytes,
        grant: bytes,
        copy_index: int,
        issued_at: int,
        tracks: list[TrackEntry],
        kind: str = "sale",
        replaces: bytes | None = None,
        revocations: bytes | None = None,
    ) -> bytes:
        lic = Licence(
            licence_id=self.licence_id,
            issued_at=issued_at,
            station_cert=station_cert,
            grant=grant,
            copy_index=copy_index,
            kind=kind,
            replaces=replaces,
            identity_tag=self.identity_tag,
            made_for=self._made_for,
            media_key=self.wrapped_media_key,
            revocations=revocations,
            tracks=tuple(tracks),
            version=self.version,
        )
        return sign(station, LICENCE_TYPE, canonical.encode(lic.body_cbor())).to_bytes()
