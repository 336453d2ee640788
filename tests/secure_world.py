"""A complete trust world for format tests: publisher, certified station, player, grant."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pressroom.secure.author import SourceTrack, write_disk_to_directory
from pressroom.secure.cert import issue_station_cert
from pressroom.secure.grant import create_grant
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.keys import key_id, raw_public
from pressroom.secure.rights import Rights, RightsLimits
from pressroom.secure.verifier import DirectoryMedium, DiskReport, Trust, verify_disk

YEAR = 365 * 86400


def identity(serial: str = "4C530001230807114364", capacity: int = 16 * 10**9) -> DiskIdentity:
    return DiskIdentity.of(0x0781, 0x5583, serial, capacity)


@dataclass
class World:
    root: Path
    now: int = field(default_factory=lambda: int(time.time()))

    def __post_init__(self) -> None:
        self.publisher = Ed25519PrivateKey.generate()
        self.station = Ed25519PrivateKey.generate()
        self.player = X25519PrivateKey.generate()
        self.cert = issue_station_cert(
            self.publisher,
            self.station.public_key(),
            name="Test Shop",
            not_before=self.now - YEAR,
            not_after=self.now + YEAR,
        ).to_bytes()
        self.tracks = [self.make_track(f"t{i}.bin", 100_000 + i * 77_777) for i in range(3)]
        self.grant = self.make_grant(copies=5)

    @property
    def publishers(self):
        return {key_id(raw_public(self.publisher.public_key())): self.publisher.public_key()}

    def trust(self, revocations: tuple[bytes | None, ...] = ()) -> Trust:
        return Trust(self.publishers, self.player, revocations)

    def make_track(self, name: str, size: int) -> SourceTrack:
        path = self.root / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
        return SourceTrack(path, hashlib.sha256(path.read_bytes()).digest(), title=name)

    def make_grant(self, *, copies: int = 5, publisher=None, limits=None, **kw) -> bytes:
        return create_grant(
            publisher or self.publisher,
            title="Test grant",
            tracks=[t.track_id for t in self.tracks],
            copies=copies,
            limits=limits or RightsLimits(export=True),
            station=key_id(raw_public(self.station.public_key())),
            not_before=kw.pop("not_before", self.now - 86400),
            not_after=kw.pop("not_after", self.now + YEAR),
            issued_at=self.now - 86400,
            **kw,
        ).raw

    def make_disk(self, name: str, ident: DiskIdentity, **kw) -> Path:
        root = self.root / name
        root.mkdir(parents=True, exist_ok=True)
        sources = kw.pop("sources", self.tracks)
        write_disk_to_directory(
            root,
            ident,
            sources,
            station_key=kw.pop("station_key", self.station),
            station_cert=kw.pop("station_cert", self.cert),
            grant=kw.pop("grant", self.grant),
            copy_index=kw.pop("copy_index", 1),
            player=self.player.public_key(),
            issued_at=kw.pop("issued_at", self.now),
            chunk_size=kw.pop("chunk_size", 16384),
            **kw,
        )
        return root

    def verify(self, root: Path, ident: DiskIdentity, **kw) -> DiskReport:
        return verify_disk(DirectoryMedium(root), ident, self.trust(**kw))


class FakeClock:
    """A settable clock for expiry tests: ``clock.now = ...`` winds it either way."""

    def __init__(self, now: int):
        self.now = now

    def __call__(self) -> float:
        return float(self.now)


def rights(**kw) -> Rights:
    return Rights(**kw)
