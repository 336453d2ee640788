"""A station with keys, a small catalog, a grant and simulated disks, for engine tests."""

from __future__ import annotations

import os
import time
from pathlib import Path

from pressroom.app import App
from pressroom.catalog import import_paths
from pressroom.cli.keys_cmd import ensure_keys
from pressroom.config import load_config
from pressroom.drives.simulated import SimFaults, _read_spec, _write_spec, add_sim_disk
from pressroom.engine import Station
from pressroom.engine.events import DiskState
from pressroom.secure.grant import create_grant
from pressroom.secure.rights import RightsLimits


class Env:
    def __init__(self, root: Path, *, track_sizes=(300_000, 450_000, 120_000), copies=50):
        self.root = root
        self.app = App(load_config(root / "data"))
        self.app.demo = False
        ensure_keys(self.app, demo=True)
        src = root / "tracks"
        src.mkdir()
        for i, size in enumerate(track_sizes):
            (src / f"track{i}.bin").write_bytes(os.urandom(size))
        report = import_paths(sorted(src.iterdir()), self.app.catalog, other=True)
        self.tracks = sorted(t.content_hash for t in report.imported)
        self.grant_id = self.make_grant(copies)
        self.station = Station(self.app)
        self.events: list = []

    @property
    def sim_dir(self) -> Path:
        return self.app.config.sim_dir

    def make_grant(self, copies: int, limits: RightsLimits | None = None) -> str:
        now = int(time.time())
        ks = self.app.keystore
        grant = create_grant(
            ks.publisher_key(),
            title=f"test grant {copies}",
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

    def disk(self, serial: str, *, mbps: float = 200, size="1G", **faults) -> str:
        spec = add_sim_disk(
            self.sim_dir,
            serial=serial,
            size=size,
            write_mbps=mbps,
            read_mbps=mbps * 2,
            faults=SimFaults(**faults),
        )
        return spec.name

    def set_faults(self, name: str, **faults) -> None:
        disk_dir = self.sim_dir / name
        spec = _read_spec(disk_dir)
        spec.faults = SimFaults(**faults)
        _write_spec(disk_dir, spec)

    def drive_id(self, name: str) -> str:
        return next(d.id for d in self.app.drive_provider.list_drives() if d.label.startswith(name))

    def plan(self, copies: int, **kw):
        kw.setdefault("insert_and_go", False)
        return self.station.plan(
            self.tracks, copies=copies, grant_id=kw.pop("grant", None) or self.grant_id, **kw
        )

    def run(self, copies: int, timeout: float = 60, **kw):
        run = self.station.start(self.plan(copies, **kw), self.events.append)
        summary = run.wait(timeout)
        assert run.done, "the run did not finish in time"
        return summary

    def results(self, summary) -> dict[str, tuple[str, str]]:
        """label -> (state, reason_code) for disks that ran."""
        return {
            d.label: (d.state.value, d.reason_code)
            for d in summary.disks.values()
            if d.state not in (DiskState.IDLE,)
        }

    def close(self) -> None:
        self.app.close()
