"""One measured run of the real engine on a throwaway station's simulated disks: when each
disk started writing, finished writing and was read back, the CPU it cost, and what was
read from the source tracks. The tower, real-path, memory and marking scenarios of
``pressroom bench engine`` all measure through this one function."""

from __future__ import annotations

import threading
import time

from pressroom.bench.station import ThrowawayStation
from pressroom.engine.events import DiskProgress, DiskState, Stage

MB = 1_000_000
MiB = 1 << 20


def engine_run(st: ThrowawayStation, names: list[str], rights: str = "standard") -> dict:
    station = st.app.station.runs
    ids = [d.id for d in st.app.drive_provider.list_drives() if d.label in names]
    job = station.plan(
        st.tracks,
        copies=len(ids),
        grant_id=st.grant_id,
        drives=ids,
        insert_and_go=False,
        rights=rights,
    )
    first_write: dict[str, float] = {}
    write_end: dict[str, float] = {}
    verify_end: dict[str, float] = {}
    lock = threading.Lock()

    def listen(ev) -> None:
        if not isinstance(ev, DiskProgress):
            return
        with lock:
            if ev.stage == Stage.WRITE:
                first_write.setdefault(ev.drive_id, ev.at)
            elif ev.stage == Stage.VERIFY:
                write_end.setdefault(ev.drive_id, ev.at)
            elif ev.stage == Stage.LICENCE:
                verify_end.setdefault(ev.drive_id, ev.at)

    cpu0, t0 = time.process_time(), time.monotonic()
    run = station.start(job, listen)
    summary = run.wait()
    wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
    sources = run.sources
    passed = [d for d in summary.disks.values() if d.state == DiskState.PASS]
    payload = sum(d.bytes_total // 2 for d in passed)
    span = max(write_end.values()) - min(first_write.values())
    # write + fsync + read-back of every disk (what the real-path baseline does too)
    cycle = max(verify_end.values()) - min(first_write.values()) if verify_end else 0.0
    return {
        "disks_passed": len(passed),
        "failures": [d.reason for d in summary.disks.values() if d.state == DiskState.FAIL],
        "payload_mb": round(payload / MB, 1),
        "write_mbps": round(payload / span / MB, 2),
        "wall_s": round(wall, 2),
        "cycle_s": cycle,
        # when, on average, a disk was done (written and read back) after the first write
        "mean_done_s": (
            sum(verify_end.values()) / len(verify_end) - min(first_write.values())
            if verify_end
            else 0.0
        ),
        # how far apart the disks began writing (identify, space check, reservation)
        "start_spread_s": max(first_write.values()) - min(first_write.values()),
        "cpu_s_per_gb": round(cpu / (2 * payload / 1e9), 2) if payload else None,
        **source_reads(sources, payload / max(1, len(passed))),
    }


def source_reads(sources, track_bytes: float) -> dict:
    """What the disks took from the source tracks, and what was read from the files:
    once per run where the disks keep together, once per disk where they don't."""
    return {
        "source_mb_read": round(sources.bytes_read / MB, 2),
        "source_mb_per_disk_reads": round(sources.bytes_served / MB, 2),
        "source_reads_per_track": round(sources.bytes_read / track_bytes, 2)
        if track_bytes
        else None,
        "source_peak_held_mib": round(sources.peak_held / MiB, 1),
    }
