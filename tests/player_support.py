"""A station with demo keys and simulated disks holding demo audio, for player tests.

The disks are written with the station's own keys, so the app's built-in player trust
(``App.trust()``) opens them, and their serials are read through the simulated USB bus
exactly as ``pressroom verify`` / ``pressroom play`` read them.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

from pressroom.app import App
from pressroom.catalog.demo import demo_dir
from pressroom.config import load_config
from pressroom.drives.simulated import MEDIA, add_sim_disk
from pressroom.secure.author import SourceTrack, write_disk_to_directory
from pressroom.secure.grant import create_grant
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.rights import Rights, RightsLimits

DEMO = {
    "02-serial-number.flac": "The Test Tones",
    "01-first-light.mp3": "The Test Tones",
    "02-quota.wav": "Duplicator Ensemble",
}
DAY = 86400
ALBUM = "Pressroom Demo Sampler"


class Station:
    """Keys in the (per-test) default data dir, a grant, and a way to make disks."""

    def __init__(self, data_dir: Path, now: int | None = None):
        self.now = now if now is not None else int(time.time())
        self.app = App(load_config(data_dir))
        self.app.station.keys.ensure(demo=True)
        self.sources = [self._source(name, artist) for name, artist in DEMO.items()]

    def _source(self, name: str, artist: str) -> SourceTrack:
        path = demo_dir() / name
        return SourceTrack(
            path,
            hashlib.sha256(path.read_bytes()).digest(),
            title=path.stem.split("-", 1)[1].replace("-", " ").title(),
            artist=artist,
            album=ALBUM,
            format=path.suffix[1:],
            duration=8.0,
        )

    def grant(self) -> bytes:
        ks = self.app.keystore
        return create_grant(
            ks.publisher_key(),
            title="Player test grant",
            tracks=[s.track_id for s in self.sources],
            copies=10,
            limits=RightsLimits(export=True),
            station=ks.station_id(),
            not_before=self.now - DAY,
            not_after=self.now + 365 * DAY,
            issued_at=self.now - DAY,
        ).raw

    def disk(self, serial: str, rights: list[Rights] | None = None, name: str | None = None):
        """A simulated disk with the demo tracks bound to ``serial``; returns its mount."""
        sim = self.app.config.sim_dir
        spec = add_sim_disk(sim, name, serial=serial, size="1G")
        mount = sim / spec.name / MEDIA
        self.write(mount, serial, rights)
        return mount

    def write(self, mount: Path, serial: str, rights: list[Rights] | None = None) -> None:
        ks = self.app.keystore
        rights = rights or [Rights()] * len(self.sources)
        sources = [
            SourceTrack(
                s.path,
                s.track_id,
                s.title,
                r,
                s.artist,
                album=s.album,
                format=s.format,
                duration=s.duration,
            )
            for s, r in zip(self.sources, rights, strict=True)
        ]
        write_disk_to_directory(
            mount,
            DiskIdentity.of(0x1209, 0x5052, serial, 1 << 30),
            sources,
            station_key=ks.station_key(),
            station_cert=ks.station_cert_bytes(),
            grant=self.grant(),
            copy_index=1,
            player=ks.player_public(),
            issued_at=self.now,
            chunk_size=16384,
        )

    def clone(self, mount: Path, serial: str) -> Path:
        """Copy every file of a disk onto a fresh simulated disk with another serial."""
        sim = self.app.config.sim_dir
        spec = add_sim_disk(sim, serial=serial, size="1G")
        target = sim / spec.name / MEDIA
        shutil.rmtree(target)
        shutil.copytree(mount, target)
        return target
