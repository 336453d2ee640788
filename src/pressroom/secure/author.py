"""A reference disk writer for a plain directory.

The duplication engine runs the same steps as separate pipeline stages on a drive Volume
(paced, fault-injected, read back uncached). This function is the straight-line version:
tests, docs and `pressroom bench crypto` use it to make a valid disk to attack.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from pressroom.secure.container import DEFAULT_CHUNK, encrypt_track
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.licence import (
    LICENCE_FILE,
    LICENCE_VERSION,
    TRACKS_DIR,
    DiskBinder,
    track_file,
    track_metadata,
)
from pressroom.secure.rights import Rights


@dataclass(frozen=True)
class SourceTrack:
    path: Path
    track_id: bytes  # SHA-256 of the file
    title: str
    rights: Rights = field(default_factory=Rights)
    artist: str = ""
    album: str = ""
    number: int | None = None
    duration: float | None = None
    format: str = ""


def write_disk_to_directory(
    root: Path,
    identity: DiskIdentity,
    sources: list[SourceTrack],
    *,
    station_key: Ed25519PrivateKey,
    station_cert: bytes,
    grant: bytes,
    copy_index: int,
    player: X25519PublicKey,
    issued_at: int,
    kind: str = "sale",
    revocations: bytes | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    version: int = LICENCE_VERSION,
) -> bytes:
    """Write every track, then the licence last; returns the licence id.

    ``version=1`` writes the old format (clear identity hash and made-for map): tests use
    it to check that disks made before version 2 still verify. Stations never do.
    """
    binder = DiskBinder(identity, player, chunk_size=chunk_size, version=version)
    (root / TRACKS_DIR).mkdir(parents=True, exist_ok=True)
    entries = []
    for index, src in enumerate(sources):
        rel = track_file(index)
        size = src.path.stat().st_size
        key, header = binder.new_track(src.track_id, size)
        with open(src.path, "rb") as fin, open(root / rel, "wb") as fout:
            sealed = encrypt_track(fin, fout, key, header)
            fout.flush()
            os.fsync(fout.fileno())
        entries.append(
            binder.entry(
                file=rel,
                track_key=key,
                sealed=sealed,
                rights=src.rights,
                **track_metadata(src),
            )
        )
    data = binder.seal_licence(
        station_key,
        station_cert=station_cert,
        grant=grant,
        copy_index=copy_index,
        issued_at=issued_at,
        tracks=entries,
        kind=kind,
        revocations=revocations,
    )
    tmp = root / (LICENCE_FILE + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, root / LICENCE_FILE)
    return binder.licence_id
