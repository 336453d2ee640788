"""Tower scenarios of `pressroom bench engine`: mixed disks on several buses.

Each scenario builds three identical towers (same seeded speeds, each on its own buses,
run one after the other) on tmpfs, and moves the same tracks to every disk three ways:

- the **engine** (encrypt, write, fsync, uncached read-back and authentication, licence,
  ledger), with its adaptive per-bus concurrency;
- a **plain paced copy**: every disk by its own thread, write + sync + read back, no
  crypto: what the simulated hardware allows this host to do;
- a **lock-step** copy (every disk advances chunk by chunk together, as whole-image
  duplicators do): the whole tower moves at its slowest disk's pace. Its end is no later
  than the others' (the slowest disk sets that too); what it loses is that no disk is
  done before the slowest, so ``mean_done_s`` (when, on average, a disk can come out
  and the port take the next one) shows the gain of letting each disk run at its own
  speed.

The reference is the physical limit: the shortest time the tower could possibly take,
per bus the larger of its slowest disk's own time (payload / write speed + payload /
read speed) and all its bytes (written and read back) over the bus bandwidth. Each
ratio is that time over the measured span (first byte written to last byte read back);
``limit_mbps`` reports the same limit as a rate (per bus, the smaller of the summed
disk speeds and the bus bandwidth). Speeds are scaled alike (``speed_scale``) so that a
scenario's limit fits what this 2-core host can encrypt and copy; the shape of the
tower (which buses saturate, how mixed the disks are) is unchanged.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from pressroom.bench.pacer import scratch_root
from pressroom.bench.station import ThrowawayStation
from pressroom.drives.simspec import SimDiskSpec, read_buses
from pressroom.drives.simtower import build_tower, parse_buses, physical_limit_mbps

MB = 1_000_000
CHUNK = 256 << 10
BUSES = "usb3,usb3,usb3,usb2"


def nominal_seconds(specs: list[SimDiskSpec], buses: dict[int, float], payload: int) -> float:
    """The shortest possible write + read-back of ``payload`` bytes on every disk."""
    worst = 0.0
    for bus in {s.bus for s in specs}:
        on = [s for s in specs if s.bus == bus]
        media = max(
            payload / (s.effective_write_mbps * MB) + payload / (s.effective_read_mbps * MB)
            for s in on
        )
        wire = 2 * payload * len(on) / (buses[bus] * MB) if bus in buses else 0.0
        worst = max(worst, media, wire)
    return worst


def _copy_all(st: ThrowawayStation, names: list[str], *, lockstep: bool) -> tuple[float, float]:
    """Plain copy (write, sync, uncached read-back) on every disk: the span, and when on
    average a disk was done."""
    provider = st.app.drive_provider
    drives = [d for d in provider.list_drives() if d.label in names]
    sources = [Path(st.app.catalog.get(h).path) for h in st.tracks]
    data = b"".join(p.read_bytes() for p in sources)
    chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
    step = threading.Barrier(len(drives)) if lockstep else None
    ready = threading.Barrier(len(drives) + 1)
    done: list[float] = []

    def copy(drive) -> None:
        vol = provider.open_volume(drive)
        ready.wait()
        with vol.open_write("plain.bin") as out:
            for c in chunks:
                out.write(c)
                if step is not None:
                    step.wait()
            out.sync()
        buf = bytearray(CHUNK)
        with vol.open_read("plain.bin", uncached=True) as fh:
            for _ in chunks:
                fh.readinto(buf)
                if step is not None:
                    step.wait()
        done.append(time.monotonic())

    threads = [threading.Thread(target=copy, args=(d,), daemon=True) for d in drives]
    for t in threads:
        t.start()
    ready.wait()
    t0 = time.monotonic()
    for t in threads:
        t.join()
    return time.monotonic() - t0, sum(done) / len(done) - t0


def tower(root: Path, n: int, kinds: list[str], first_bus: int, **kw) -> list[SimDiskSpec]:
    """USB 3 buses share 7/8 of the disks, one USB 2.0 bus (if any) the rest."""
    fast = [k for k in kinds if k != "usb2"]
    slow = n // 8 if "usb2" in kinds and n >= 8 else 0
    specs = build_tower(root, n - slow, parse_buses(",".join(fast), first_bus), **kw)
    if slow:
        specs += build_tower(root, slow, parse_buses("usb2", first_bus + len(fast)), **kw)
    return specs


def scenario(n: int, *, payload_mb: float, seconds: float, seed: int = 7) -> dict:
    """``n`` disks, ``payload_mb`` each, speeds scaled so the shortest run is ``seconds``."""
    from pressroom.bench.engine_run import engine_run

    kinds = BUSES.split(",") if n >= 8 else ["usb3"]
    payload = int(payload_mb * MB)
    with tempfile.TemporaryDirectory(dir=scratch_root(), prefix="pressroom-towers-") as tmp:
        probe_dir = Path(tmp) / "probe"
        probe = tower(probe_dir, n, kinds, 2, seed=seed, size="1G")
        scale = nominal_seconds(probe, read_buses(probe_dir), payload) / seconds
        st = ThrowawayStation(Path(tmp), track_sizes=(payload * 6 // 10, payload * 4 // 10))
        try:
            sets = {}
            for k, kind in enumerate(("engine", "plain", "lockstep")):
                sets[kind] = tower(
                    st.sim_dir,
                    n,
                    kinds,
                    2 + 4 * k,
                    seed=seed,
                    size="1G",
                    scale=scale,
                    serial_prefix=kind[:3],
                )
            limits = read_buses(st.sim_dir)
            specs = sets["engine"]
            payload = sum(st.app.catalog.get(h).size for h in st.tracks)
            nominal = nominal_seconds(specs, limits, payload)
            plain, plain_mean = _copy_all(st, [s.name for s in sets["plain"]], lockstep=False)
            lock, lock_mean = _copy_all(st, [s.name for s in sets["lockstep"]], lockstep=True)
            engine = engine_run(st, [s.name for s in specs])
        finally:
            st.close()
    cycle = engine.pop("cycle_s")
    mean = engine.pop("mean_done_s")
    return {
        "disks": n,
        "buses": kinds,
        "speed_scale": round(scale, 4),
        "limit_mbps": round(physical_limit_mbps(specs, limits), 2),
        "disk_write_mbps": [
            round(min(s.write_mbps for s in specs), 3),
            round(max(s.write_mbps for s in specs), 3),
        ],
        "payload_mb_per_disk": round(payload / MB, 2),
        "nominal_s": round(nominal, 2),
        "engine_s": round(cycle, 2),
        "engine_ratio": round(nominal / cycle, 3) if cycle else 0.0,
        "plain_copy_s": round(plain, 2),
        "plain_copy_ratio": round(nominal / plain, 3),
        "lockstep_s": round(lock, 2),
        "lockstep_ratio": round(nominal / lock, 3),
        # disks come out of the tower as they finish: how soon, on average
        "mean_done_s": {
            "engine": round(mean, 2),
            "plain_copy": round(plain_mean, 2),
            "lockstep": round(lock_mean, 2),
        },
        **{k: v for k, v in engine.items() if k != "write_mbps"},
    }


def run(
    *,
    counts: tuple[int, ...] = (1, 16, 64, 128),
    payload_mb: float = 1.0,
    seconds: float = 12.0,
) -> dict:
    """Every scenario with the same payload per disk (so CPU per GB compares), its
    speeds scaled so that the shortest possible run lasts ``seconds``."""
    scenarios = [scenario(n, payload_mb=payload_mb, seconds=seconds) for n in counts]
    first, last = scenarios[0], scenarios[-1]
    growth = (
        round(last["cpu_s_per_gb"] / first["cpu_s_per_gb"], 2)
        if first.get("cpu_s_per_gb") and last.get("cpu_s_per_gb")
        else None
    )
    return {
        "scenarios": scenarios,
        "min_engine_ratio": min(s["engine_ratio"] for s in scenarios),
        "target_engine_ratio": 0.95,
        "cpu_per_gb_growth": growth,
        "target_cpu_per_gb_growth": 1.3,
        "all_passed": all(s["disks_passed"] == s["disks"] for s in scenarios),
    }
