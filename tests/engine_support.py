"""A station with keys, a small catalog, a grant and simulated disks, for engine tests."""

from __future__ import annotations

from pathlib import Path

from pressroom.bench.station import ThrowawayStation
from pressroom.drives.simulated import SimFaults, _read_spec, _write_spec
from pressroom.engine.events import DiskState


class Env(ThrowawayStation):
    def __init__(self, root: Path, *, track_sizes=(300_000, 450_000, 120_000), copies=50):
        super().__init__(root, track_sizes=track_sizes, copies=copies)
        self.station = self.app.station.runs
        self.events: list = []

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
