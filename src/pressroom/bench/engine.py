"""`pressroom bench engine`: does the station keep every disk of a tower at its limit?

First the harness (:mod:`pressroom.bench.pacer`): simulated disks alone must hold their
nominal rate at the largest tower size, or the rest would measure the simulator. Then
the tower scenarios (:mod:`pressroom.bench.towers`) at 1, 16, 64 and 128 disks with
mixed speeds on several buses: the real engine (encrypt, write, fsync, uncached
read-back, licence, ledger, adaptive concurrency per bus) against the physical limit,
beside a plain paced copy and a lock-step copy of the same tracks on identical towers.
Reported per size: ``engine_ratio`` (shortest possible time over the engine's span;
target >= 0.95), the baselines' ratios, ``mean_done_s`` and ``cpu_s_per_gb``; and
``cpu_per_gb_growth_1_to_max`` (target <= 1.3).

Real path (:mod:`pressroom.bench.realpath`, root only): the engine on loop-backed disks
with real file systems (ext4, exFAT, FAT32) against a plain copy + durable sync +
uncached read + SHA-256 baseline; ``real_path.min_ratio`` (target >= 0.9).

Memory: a child process runs many disks with big tracks unpaced, and its peak RSS (VmHWM)
is compared for two track sizes: bounded memory means it does not grow with the track.
Simulated disks live on tmpfs where the host has it; the host's own fsync'd write rate is
still measured and reported, for context.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pressroom.bench.engine_run import MB, MiB, engine_run
from pressroom.bench.realpath import QUICK as realpath_quick
from pressroom.bench.station import ThrowawayStation


def host_write_mbps(directory: Path, size: int = 256 * MiB) -> float:
    """Plain sequential write + fdatasync on the host, for context and pacing sanity."""
    path = directory / "host-probe.bin"
    block = os.urandom(4 * MiB)
    t0 = time.perf_counter()
    with open(path, "wb", buffering=0) as fh:
        for _ in range(size // len(block)):
            fh.write(block)
        os.fdatasync(fh.fileno())
    elapsed = time.perf_counter() - t0
    path.unlink()
    return size / elapsed / MB


def marking_scenario(base: Path, n: int, *, mbps: float, seconds: float) -> dict:
    """The same audio tracks to ``n`` disks with and without per-copy watermarks.

    The A/B variants are prepared once before the marked run (not timed: it happens
    once per track, not per disk); the marked copies' write rate is compared with the
    unmarked ones' on the same pacing: a marked copy is a byte copy of cached frames."""
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        st = ThrowawayStation(Path(tmp), track_sizes=(), audio_seconds=(seconds, seconds))
        try:
            pace = {"mbps": mbps, "read_mbps": 3 * mbps}
            plain_disks = [st.disk(f"BENCHU{n:02d}{i:06d}", **pace) for i in range(n)]
            marked_disks = [st.disk(f"BENCHM{n:02d}{i:06d}", **pace) for i in range(n)]
            t0 = time.monotonic()
            st.app.station.marking.prepare(
                st.app.station.runs.plan(st.tracks, copies=1, rights="marked")
            )
            prepare_s = time.monotonic() - t0
            off = engine_run(st, plain_disks)
            on = engine_run(st, marked_disks, rights="marked")
        finally:
            st.close()
    return {
        "disks": n,
        "track_seconds": seconds,
        "prepare_s": round(prepare_s, 1),
        "marking_off_mbps": off["write_mbps"],
        "marking_on_mbps": on["write_mbps"],
        "disks_passed": [off["disks_passed"], on["disks_passed"]],
        "ratio": round(on["write_mbps"] / off["write_mbps"], 3),
        "cpu_s_per_gb": [off["cpu_s_per_gb"], on["cpu_s_per_gb"]],
    }


_MEMORY_CHILD = """
import json, sys, tempfile
from pathlib import Path
from pressroom.bench.engine_run import engine_run
from pressroom.bench.realpath import QUICK as realpath_quick
from pressroom.bench.station import ThrowawayStation
n, size, base = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
with tempfile.TemporaryDirectory(dir=base) as tmp:
    st = ThrowawayStation(Path(tmp), track_sizes=(size,))
    names = [
        st.disk(f"MEMDISK{i:06d}", mbps=100000, size="64G", bus=2 + i // 64) for i in range(n)
    ]
    result = engine_run(st, names)
    st.close()
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
result["peak_rss_mib"] = round(int(hwm.split()[1]) / 1024, 1)
print(json.dumps(result))
"""


_TOWER_CHILD = """
import json, sys, tempfile, time
from pathlib import Path
from pressroom.bench.engine_run import source_reads
from pressroom.bench.station import ThrowawayStation
from pressroom.engine.events import DiskProgress
n, size, seconds, mbps, base = (
    int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
)
with tempfile.TemporaryDirectory(dir=base) as tmp:
    st = ThrowawayStation(Path(tmp), track_sizes=(size,), sparse=True)
    names = [
        st.disk(f"BIGDISK{i:06d}", mbps=mbps, size="64G", bus=2 + i // 64) for i in range(n)
    ]
    ids = [d.id for d in st.app.drive_provider.list_drives() if d.label in names]
    runs = st.app.station.runs
    job = runs.plan(st.tracks, copies=n, grant_id=st.grant_id, drives=ids,
                    insert_and_go=False, rights="standard")
    done = {}
    def listen(ev):
        if isinstance(ev, DiskProgress):
            done[ev.drive_id] = ev.bytes_done
    run = runs.start(job, listen)
    time.sleep(seconds)
    written = sum(done.values())
    run.cancel()
    run.wait()
    result = {"disks": n, "track_mib": size >> 20, "seconds": seconds,
              "disk_write_mbps": mbps, "written_mb": round(written / 1e6, 1),
              **source_reads(run.sources, size)}
    st.close()
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
result["peak_rss_mib"] = round(int(hwm.split()[1]) / 1024, 1)
print(json.dumps(result))
"""


def tower_rss(
    base: Path, disks: int = 128, track_mib: int = 1024, seconds: float = 20.0, mbps: float = 1.0
) -> dict:
    """128 disks copying a 1 GB track (sparse, so it costs no space), stopped after
    ``seconds``: the peak RSS while every disk is in the middle of the big track.
    (Whole copies would need 128 GB of scratch; what is written stays on tmpfs.)"""
    import json

    out = subprocess.run(
        [
            sys.executable, "-c", _TOWER_CHILD, str(disks), str(track_mib * MiB),
            str(seconds), str(mbps), str(base),
        ],
        check=True,
        capture_output=True,
        text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def peak_rss(base: Path, disks: int, track_bytes: int) -> dict:
    import json

    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(disks), str(track_bytes), str(base)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(
    *,
    counts: tuple[int, ...] = (1, 16, 64, 128),
    payload_mb: float = 1.0,
    seconds: float = 12.0,
    memory_disks: int = 128,
    memory_track_mb: tuple[int, int] = (8, 24),
    real_path: dict | None = None,
    marking_disks: int = 16,
    marking_seconds: float = 60.0,
    base: str | None = None,
    tower_memory: dict | None = None,
) -> dict:
    from pressroom.bench import pacer, realpath, towers

    root = Path(base or tempfile.gettempdir())
    host = host_write_mbps(root)
    harness = pacer.run(disks=max(counts), seconds=min(6.0, seconds))
    tower = towers.run(counts=counts, payload_mb=payload_mb, seconds=seconds)
    scenarios = tower["scenarios"]
    mem_root = pacer.scratch_root()  # unpaced disks: tmpfs, so the host disk is not measured
    small, big = (peak_rss(mem_root, memory_disks, mb * MiB) for mb in memory_track_mb)
    gigabyte = tower_rss(mem_root, memory_disks, **(tower_memory or {}))
    real = realpath.run(base=str(root), **(real_path or {}))
    marking: dict = {"skipped": "needs ffmpeg (Debian package ffmpeg)"}
    if shutil.which("ffmpeg"):
        pace = min(10.0, host * 0.5 / marking_disks)  # the sum of paces under the host's rate
        marking = marking_scenario(root, marking_disks, mbps=pace, seconds=marking_seconds)
    return {
        "suite": "engine",
        "host_fsync_write_mbps": round(host, 1),
        "simulated_disks_on": str(pacer.scratch_root()),
        "harness": harness,
        "scenarios": scenarios,
        "min_engine_ratio": tower["min_engine_ratio"],
        "target_engine_ratio": 0.95,
        "cpu_per_gb_growth_1_to_max": tower["cpu_per_gb_growth"],
        "target_cpu_per_gb_growth": 1.3,
        "memory": {
            "disks": memory_disks,
            "track_mib": list(memory_track_mb),
            "peak_rss_mib": [small["peak_rss_mib"], big["peak_rss_mib"]],
            "target_peak_rss_mib": 300,
            "gigabyte_tracks": gigabyte,
        },
        "real_path": real,
        "marking": marking,
        "target_marking_ratio": 0.95,
        "pass": (
            real["pass"] is not False
            and harness["pass"]
            and tower["min_engine_ratio"] >= 0.95
            and (tower["cpu_per_gb_growth"] or 0) <= 1.3
            and big["peak_rss_mib"] < 300
            and gigabyte["peak_rss_mib"] < 300
            and tower["all_passed"]
            and marking.get("ratio", 1.0) >= 0.95
        ),
    }


QUICK = {
    "counts": (1, 8),
    "payload_mb": 0.5,
    "seconds": 2.0,
    "memory_disks": 4,
    "memory_track_mb": (8, 16),
    "real_path": realpath_quick,
    "marking_disks": 4,
    "marking_seconds": 30.0,
    "tower_memory": {"track_mib": 64, "seconds": 3.0},
}
