"""The harness checked first: do simulated disks hold their nominal rate at tower scale?

``n`` simulated disks (a tower of mixed speeds on several buses, data on tmpfs where
available) are each written through the real :class:`~pressroom.drives.simvolume.SimVolume`
by their own thread, in 256 KiB chunks, for about ``seconds``. The ratio is the nominal
time of the whole run (per bus, its slowest disk's bytes over its speed or all its bytes
over the bus bandwidth) over the wall time from the common start to the last disk's end.
The aggregate rate is reported beside the tower's physical limit (per bus, the smaller of
its disks' summed speeds and its bandwidth). No engine is
involved: if this ratio is low, an engine benchmark on these disks measures the harness.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from pressroom.drives.simprovider import SimulatedProvider
from pressroom.drives.simspec import read_buses
from pressroom.drives.simtower import build_tower, parse_buses, physical_limit_mbps

MB = 1_000_000
CHUNK = 256 << 10


def scratch_root() -> Path:
    """tmpfs when the host has it (no host-disk limit to stay under), else the temp dir."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() else Path(tempfile.gettempdir())


def run(
    *,
    disks: int = 128,
    buses: str = "usb3,usb3,usb3,usb2",
    seconds: float = 6.0,
    scale: float = 0.1,
) -> dict:
    with tempfile.TemporaryDirectory(dir=scratch_root(), prefix="pressroom-pacer-") as tmp:
        sim = Path(tmp)
        specs = build_tower(sim, disks, parse_buses(buses, 2), size="64G", scale=scale)
        limit = physical_limit_mbps(specs, read_buses(sim))
        provider = SimulatedProvider(sim)
        drives = provider.list_drives()
        # each disk writes what it gets in ``seconds``: its own speed, or on a saturated
        # bus its max-min fair share of the bandwidth (what the deadline scheduler gives)
        bus_rate = read_buses(sim)
        share: dict[str, float] = {}
        for bus in {s.bus for s in specs}:
            on = sorted((s for s in specs if s.bus == bus), key=lambda s: s.write_mbps)
            left = bus_rate.get(bus, float("inf"))
            for k, s in enumerate(on):
                share[s.name] = min(s.write_mbps, left / (len(on) - k))
                left -= share[s.name]
        plan = {d.id: int(share[d.label] * MB * seconds) // CHUNK * CHUNK for d in drives}
        buf = bytes(CHUNK)
        done: dict[str, float] = {}
        start = threading.Barrier(len(drives) + 1)

        def write(drive) -> None:
            vol = provider.open_volume(drive)
            start.wait()
            with vol.open_write("pace.bin") as out:
                for _ in range(plan[drive.id] // CHUNK):
                    out.write(buf)
            done[drive.id] = time.monotonic()

        threads = [threading.Thread(target=write, args=(d,), daemon=True) for d in drives]
        for t in threads:
            t.start()
        cpu0 = time.process_time()
        start.wait()
        t0 = time.monotonic()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        cpu = time.process_time() - cpu0
        provider.close()
    total = sum(plan.values())
    rate = total / wall / MB
    # the nominal time of the whole run: per bus, its slowest disk or its bandwidth
    by_name = {f"sim:{s.name}": s for s in specs}
    nominal = 0.0
    for bus in {s.bus for s in specs}:
        mine = {i: n for i, n in plan.items() if by_name[i].bus == bus}
        media = max(n / (by_name[i].write_mbps * MB) for i, n in mine.items())
        wire = sum(mine.values()) / (bus_rate[bus] * MB) if bus in bus_rate else 0.0
        nominal = max(nominal, media, wire)
    return {
        "suite": "pacer",
        "disks": disks,
        "buses": buses,
        "speed_scale": scale,
        "physical_limit_mbps": round(limit, 1),
        "achieved_mbps": round(rate, 1),
        "nominal_s": round(nominal, 3),
        "wall_s": round(wall, 3),
        "ratio": round(nominal / wall, 4),
        "cpu_s": round(cpu, 2),
        "target_ratio": 0.98,
        "pass": nominal / wall >= 0.98,
    }


QUICK = {"disks": 8, "seconds": 1.0}
