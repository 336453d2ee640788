"""Offline verification of a whole disk, as a player does it before playing.

Order matters: nothing in the licence is believed before the signature that covers it
verifies. 1. station certificate under a trusted publisher, 2. licence under the
certified station key, 3. revocations, 4. grant under a trusted publisher and the
licence within it, 5. media key unwrapped with the player key, 6. binding key from the
*actual* disk identity, 7. per track: key unwrap, header hash, every chunk's tag, the
plaintext hash. The first failure of a track is reported with its file and reason; the
other tracks are still checked so ``--json`` shows the whole picture.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pressroom.secure.binding import binding_key, unwrap_media_key, unwrap_track_key
from pressroom.secure.canonical import Cbor
from pressroom.secure.cert import RevocationList, StationCert, load_station_cert, newest
from pressroom.secure.container import Readable, iter_plaintext, read_header
from pressroom.secure.diskfs import DiskRoot, MediaMissing
from pressroom.secure.errors import (
    FormatError,
    GrantError,
    IntegrityError,
    SecureError,
    TrustError,
)
from pressroom.secure.grant import Grant, load_grant
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.keys import Envelope
from pressroom.secure.licence import LICENCE_FILE, Licence, MadeFor, TrackEntry, parse_licence

MAX_LICENCE_BYTES = 16 << 20


class Medium(Protocol):
    """Read access to a disk's files (a mounted folder, or a drive Volume read uncached).

    ``open`` streams a file (tracks, in bounded memory). A medium may also offer
    ``read(relpath, limit) -> bytes`` for a whole small file, refusing one larger than
    ``limit`` *before* reading it (:class:`DirectoryMedium` does, through ``fstat``);
    without it the licence is read through ``open``, at most ``limit + 1`` bytes.
    """

    def open(self, relpath: str) -> AbstractContextManager[Readable]: ...

    def exists(self, relpath: str) -> bool: ...


@dataclass(frozen=True)
class DirectoryMedium:
    """A mounted disk (or a simulated disk's folder), read only through :class:`DiskRoot`:
    no link is followed, only regular files are read (secure/diskfs.py)."""

    root: Path

    def disk(self) -> DiskRoot:
        return DiskRoot(self.root)

    def open(self, relpath: str) -> AbstractContextManager[Readable]:
        with self.disk() as d:
            return d.open_read(relpath)

    def read(self, relpath: str, limit: int) -> bytes:
        with self.disk() as d:
            return d.read_bytes(relpath, limit)

    def exists(self, relpath: str) -> bool:
        """Any entry, even a link or a FIFO: opening it then refuses it with its own code."""
        with self.disk() as d:
            return d.exists(relpath)


@dataclass(frozen=True)
class Trust:
    """What a player holds: trusted publisher keys, its own key, the newest revocations."""

    publishers: dict[bytes, Ed25519PublicKey]
    player_key: X25519PrivateKey
    revocations: tuple[bytes | None, ...] = ()


@dataclass
class TrackResult:
    file: str
    title: str
    ok: bool
    code: str = "ok"
    reason: str = ""
    bytes: int = 0
    chunks: int = 0
    rights: dict[str, Cbor] = field(default_factory=dict)


@dataclass
class DiskReport:
    ok: bool
    code: str = "ok"
    reason: str = ""
    file: str | None = None
    licence: Licence | None = None
    grant: Grant | None = None
    station: StationCert | None = None
    revocations: RevocationList | None = None
    tracks: list[TrackResult] = field(default_factory=list)

    @classmethod
    def refused(cls, err: SecureError, file: str | None = None) -> DiskReport:
        """A report for a disk refused before any track was looked at."""
        return _fail(cls(ok=False), err, file)

    def as_json(self) -> dict[str, object]:
        lic = self.licence
        return {
            "ok": self.ok,
            "code": self.code,
            "reason": self.reason,
            "file": self.file,
            "licence_id": lic.id_hex if lic else None,
            "copy_index": lic.copy_index if lic else None,
            "kind": lic.kind if lic else None,
            "station": self.station.name if self.station else None,
            "station_id": self.station.station.hex() if self.station else None,
            "grant_id": self.grant.id_hex if self.grant else None,
            "grant_title": self.grant.title if self.grant else None,
            "tracks": [t.__dict__ for t in self.tracks],
        }


def _fail(report: DiskReport, err: SecureError, file: str | None) -> DiskReport:
    report.ok = False
    report.code = err.code
    report.reason = str(err)
    report.file = getattr(err, "file", None) or file
    return report


def check_licence(
    lic: Licence,
    signer_ok: Callable[[StationCert], None],
    publishers: dict[bytes, Ed25519PublicKey],
    revocations: tuple[bytes | None, ...] = (),
) -> tuple[StationCert, RevocationList, Grant]:
    """Steps 1-4: who made this disk, was it allowed to, and is it revoked.

    Needs no player key, so a station can run it on the licence it just wrote.
    """
    cert = load_station_cert(lic.station_cert, publishers)
    signer_ok(cert)
    if not cert.not_before <= lic.issued_at <= cert.not_after:
        raise TrustError(
            f"The licence was issued outside the station certificate's validity ({cert.name}).",
            code="station-expired",
        )
    revoked = newest([*revocations, lic.revocations], publishers)
    if cert.station in revoked.stations:
        raise TrustError(
            f"The station {cert.name!r} that made this disk has been revoked.",
            code="station-revoked",
        )
    if lic.licence_id in revoked.licences:
        raise TrustError("This disk's licence has been revoked.", code="licence-revoked")
    grant = load_grant(lic.grant, publishers)
    if grant.station is not None and grant.station != cert.station:
        raise GrantError("The grant was issued to another station.", code="grant-station")
    try:
        grant.check_valid_at(lic.issued_at)
    except GrantError as exc:
        raise GrantError(
            f"The disk was made outside its grant's validity: {exc}", code=exc.code
        ) from None
    limit = grant.copies if lic.kind == "sale" else grant.replacements
    if not 1 <= lic.copy_index <= limit:
        raise GrantError(
            f"The disk is {lic.kind} copy {lic.copy_index}, but the grant allows only {limit}.",
            code="grant-exceeded",
        )
    for t in lic.tracks:
        if not grant.covers_track(t.track_id):
            raise GrantError(f"{t.file}: the grant does not cover this track.", code="grant-track")
        why = grant.limits.violation(t.rights, lic.issued_at)
        if why:
            raise GrantError(f"{t.file}: its rights exceed the grant: {why}.", code="grant-rights")
    return cert, revoked, grant


def read_licence(medium: Medium) -> bytes:
    """The licence file's bytes, read once; over 16 MiB it is refused before reading."""
    missing = FormatError(
        f"{LICENCE_FILE}: no licence on this disk (never finished, or not a Pressroom disk).",
        code="no-licence",
        file=LICENCE_FILE,
    )
    if not medium.exists(LICENCE_FILE):
        raise missing
    try:
        read = getattr(medium, "read", None)
        if read is not None:
            return read(LICENCE_FILE, MAX_LICENCE_BYTES)  # type: ignore[no-any-return]
        with medium.open(LICENCE_FILE) as fh:
            data = fh.read(MAX_LICENCE_BYTES + 1)  # type: ignore[attr-defined]
    except (MediaMissing, FileNotFoundError):
        raise missing from None
    except SecureError:
        raise
    except OSError as exc:
        raise FormatError(
            f"{LICENCE_FILE}: the disk could not be read ({exc.strerror or exc}).",
            code="io-error",
            file=LICENCE_FILE,
        ) from None
    if len(data) > MAX_LICENCE_BYTES:
        raise FormatError(
            f"{LICENCE_FILE} is larger than {MAX_LICENCE_BYTES} bytes; it was not read further.",
            code="too-large",
            file=LICENCE_FILE,
        )
    return bytes(data)


def load_licence(
    medium: Medium, trust: Trust, data: bytes | None = None
) -> tuple[Licence, StationCert, RevocationList, Grant]:
    """Read (unless ``data`` was already read) and parse the licence, then check steps 1-4."""
    if data is None:
        data = read_licence(medium)
    return check_parsed(*parse_licence(data), trust)


def check_parsed(
    env: Envelope, lic: Licence, trust: Trust
) -> tuple[Licence, StationCert, RevocationList, Grant]:
    """Steps 1-4 on a licence already parsed (nothing in it believed yet)."""

    def signer_ok(cert: StationCert) -> None:
        # Verified under the certified key whatever key id the envelope claims.
        env.verify(cert.station_key, "licence")

    cert, revoked, grant = check_licence(lic, signer_ok, trust.publishers, trust.revocations)
    return lic, cert, revoked, grant


def track_key_for(lic: Licence, entry: TrackEntry, identity: DiskIdentity, trust: Trust) -> bytes:
    media = unwrap_media_key(lic.media_key, trust.player_key, licence_id=lic.licence_id)
    binding = binding_key(media, identity.hash())
    try:
        return unwrap_track_key(
            entry.wrapped_key,
            binding,
            licence_id=lic.licence_id,
            track_id=entry.track_id,
            file=entry.file,
        )
    except SecureError as exc:
        # Only now, with the media key unwrapped, can a v2 licence say which disk it was for.
        hint = _made_for_hint(lic, identity, media)
        if hint is not None:
            exc.args = (
                f"{entry.file}: the track key does not unwrap under this disk's identity: the "
                f"copy was made for the disk whose serial ends in {hint!r}, "
                f"not for this one (serial ending in {identity.serial[-4:]!r}).",
            )
        raise


def _made_for_hint(lic: Licence, identity: DiskIdentity, media: bytes) -> str | None:
    """The intended disk's serial tail when ``identity`` is not the licence's disk."""
    try:
        if lic.names_identity(identity, media):
            return None
        return lic.made_for_with(media).serial_hint
    except SecureError:  # a sealed made-for that does not open: keep the plain sentence
        return None


def identity_for_serial(lic: Licence, serial: str, trust: Trust) -> DiskIdentity:
    """The licence's disk as if its serial were ``serial`` (support desk, never a play).

    Vendor, product and capacity class come from the made-for map, which a version-2
    licence seals under the media key: this needs the player key.
    """
    if isinstance(lic.made_for, MadeFor):  # version 1: in the clear
        return lic.made_for.identity_with_serial(serial)
    media = unwrap_media_key(lic.media_key, trust.player_key, licence_id=lic.licence_id)
    return lic.made_for_with(media).identity_with_serial(serial)


def open_track(medium: Medium, entry: TrackEntry) -> AbstractContextManager[Readable]:
    """A track file for streaming; ``missing`` when there is none (a link, FIFO... is
    refused by the medium with its own code)."""
    missing = FormatError(
        f"{entry.file}: the track file is missing.", code="missing", file=entry.file
    )
    if not medium.exists(entry.file):
        raise missing
    try:
        return medium.open(entry.file)
    except (MediaMissing, FileNotFoundError):
        raise missing from None


def verify_track(
    medium: Medium,
    lic: Licence,
    entry: TrackEntry,
    key: bytes,
    progress: Callable[[int], None] | None = None,
) -> TrackResult:
    result = TrackResult(
        file=entry.file, title=entry.title, ok=False, rights=entry.rights.to_cbor()
    )
    with open_track(medium, entry) as fh:
        header, hbytes = read_header(fh, entry.file)
        digest = hashlib.sha256()
        for plain in iter_plaintext(fh, key, header, hbytes, entry.file):
            digest.update(plain)
            result.bytes += len(plain)
            result.chunks += 1
            if progress:
                progress(len(plain))
    # Every chunk authenticated under a key only this licence's disk unwraps; these two
    # checks bind the file to this licence entry as well (defence in depth).
    if hashlib.sha256(hbytes).digest() != entry.header_sha256:
        raise IntegrityError(
            f"{entry.file}: the track header is not the one the licence signed.",
            code="bad-header",
            file=entry.file,
        )
    if digest.digest() != entry.plain_sha256 or result.chunks != entry.chunks:
        raise IntegrityError(
            f"{entry.file}: the decrypted track does not match the licence's hash.",
            code="bad-hash",
            file=entry.file,
        )
    result.ok = True
    return result


def verify_disk(
    medium: Medium,
    identity: DiskIdentity,
    trust: Trust,
    progress: Callable[[int], None] | None = None,
    *,
    licence: bytes | None = None,
) -> DiskReport:
    """Authenticate everything on the disk; ``report.ok`` only if every check passed.

    ``licence``: the licence bytes when the caller has already read them (read once).
    """
    report = DiskReport(ok=True)
    try:
        lic, cert, revoked, grant = load_licence(medium, trust, licence)
    except SecureError as exc:
        return _fail(report, exc, LICENCE_FILE)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:  # malformed beyond our checks
        err: SecureError = FormatError(
            f"The licence is malformed ({type(exc).__name__}).", file=LICENCE_FILE
        )
        return _fail(report, err, LICENCE_FILE)
    report.licence, report.station, report.revocations, report.grant = lic, cert, revoked, grant
    for entry in lic.tracks:
        try:
            key = track_key_for(lic, entry, identity, trust)
            result = verify_track(medium, lic, entry, key, progress)
        except SecureError as exc:
            result = TrackResult(
                file=entry.file,
                title=entry.title,
                ok=False,
                code=exc.code,
                reason=str(exc),
                rights=entry.rights.to_cbor(),
            )
            if report.ok:
                _fail(report, exc, entry.file)
        except OSError as exc:
            err = IntegrityError(
                f"{entry.file}: the disk could not be read ({exc.strerror or exc}).",
                code="io-error",
                file=entry.file,
            )
            result = TrackResult(entry.file, entry.title, False, err.code, str(err))
            if report.ok:
                _fail(report, err, entry.file)
        report.tracks.append(result)
    if report.ok and not lic.tracks:
        return _fail(report, FormatError("The licence lists no tracks."), LICENCE_FILE)
    return report
