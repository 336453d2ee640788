"""A throwaway station (keys, catalog of generated tracks, grant, simulated disks).

Shared by the engine benchmark and the engine tests, so both measure the same thing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from pressroom.app import App
from pressroom.config import load_config
from pressroom.drives.simulated import SimFaults, add_sim_disk
from pressroom.secure.grant import create_grant
from pressroom.secure.rights import RightsLimits


def write_random_file(path: Path, size: int, block: int = 4 << 20) -> None:
    """Incompressible bytes, written in blocks so memory stays flat for big tracks."""
    pattern = os.urandom(min(block, max(size, 1)))
    with open(path, "wb") as fh:
        left = size
        while left > 0:
            n = min(left, len(pattern))
            fh.write(pattern[:n])
            left -= n


class ThrowawayStation:
    def __init__(
        self,
        root: Path,
        *,
        track_sizes: tuple[int, ...],
        copies: int = 1000,
        audio_seconds: tuple[float, ...] = (),
        sparse: bool = False,
    ):
        """``audio_seconds``: generated music-like FLAC tracks (for marked copies) instead of
        random bytes of ``track_sizes``; ``sparse``: tracks of zeros that take no space."""
        from pressroom.catalog import import_paths

        self.root = Path(root)
        self.app = App(load_config(self.root / "data"))
        self.app.station.keys.ensure(demo=True)
        src = self.root / "tracks"
        src.mkdir(parents=True, exist_ok=True)
        for i, size in enumerate(() if audio_seconds else track_sizes):
            if sparse:  # a big track that costs no space (reads as zeros)
                with open(src / f"track{i}.bin", "wb") as fh:
                    fh.truncate(size)
            else:
                write_random_file(src / f"track{i}.bin", size)
        if audio_seconds:
            from pressroom.watermark import audio

            for i, seconds in enumerate(audio_seconds):
                audio.encode_flac(audio.music_like(seconds, 500 + i), src / f"track{i}.flac")
        report = import_paths(sorted(src.iterdir()), self.app.catalog, other=True)
        self.tracks = sorted(t.content_hash for t in report.imported)
        self.grant_id = self.make_grant(copies)

    @property
    def sim_dir(self) -> Path:
        return self.app.config.sim_dir

    def make_grant(self, copies: int, limits: RightsLimits | None = None) -> str:
        now = int(time.time())
        ks = self.app.keystore
        grant = create_grant(
            ks.publisher_key(),
            title=f"throwaway grant ({copies} copies)",
            tracks=[bytes.fromhex(h) for h in self.tracks],
            copies=copies,
            replacements=2,
            limits=limits or RightsLimits(export=True),
            station=ks.station_id(),
            not_before=now - 60,
            not_after=now + 86400,
            issued_at=now,
        )
        self.app.ledger.import_grant(grant.raw, ks.trusted_publishers(), now)
        return grant.id_hex

    def disk(
        self, serial: str, *, mbps: float = 200, size="1G", read_mbps=None, bus: int = 1, **faults
    ) -> str:
        spec = add_sim_disk(
            self.sim_dir,
            bus=bus,
            serial=serial,
            size=size,
            write_mbps=mbps,
            read_mbps=read_mbps or mbps * 2,
            faults=SimFaults(**faults),
        )
        return spec.name

    def close(self) -> None:
        self.app.close()
