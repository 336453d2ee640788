"""Simulated duplication towers: many disks behind hubs on several root buses.

A tower is laid out as real ones are: each root bus has root ports; each root port holds
a 4-port hub and each of its ports a 7-port hub, so a disk sits at ``bus-root.hub.port``
(``2-1.3.4``), 28 disks per root port. Each bus gets a bandwidth (USB 2.0 ~40 MB/s,
USB 3 ~400 MB/s); disks get mixed speeds drawn from a seeded generator: SD cards in
readers at 5-30 MB/s, sticks at 10-200 MB/s (slower on USB 2.0, which caps them anyway).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

from pressroom.drives.simspec import MAX_ADDRESS, SimDiskSpec, add_sim_disk, set_bus
from pressroom.errors import UsageError

BUS_KINDS = {"usb2": 40.0, "usb3": 400.0}  # MB/s a root bus carries in all
HUB_PORTS, LEAF_PORTS = 4, 7
PER_ROOT_PORT = HUB_PORTS * LEAF_PORTS


@dataclass(frozen=True)
class TowerBus:
    bus: int
    mbps: float


@dataclass(frozen=True)
class DiskSpeed:
    kind: str  # "sd" | "stick"
    write_mbps: float
    read_mbps: float


def parse_buses(text: str, first_bus: int = 1) -> list[TowerBus]:
    """``"usb3,usb3,usb2,usb3:200"`` -> buses numbered from ``first_bus``."""
    out = []
    for i, item in enumerate(t.strip() for t in text.split(",") if t.strip()):
        kind, _, rate = item.partition(":")
        try:
            mbps = float(rate) if rate else BUS_KINDS[kind.lower()]
        except (KeyError, ValueError):
            raise UsageError(
                f"{item!r} is not a bus; use usb2, usb3 or KIND:MBPS (e.g. usb3:350)."
            ) from None
        if mbps <= 0:
            raise UsageError("A bus bandwidth must be positive.")
        out.append(TowerBus(first_bus + i, mbps))
    if not out:
        raise UsageError("A tower needs at least one bus.")
    return out


def port_paths(bus: int, count: int) -> list[str]:
    """The first ``count`` ports of a bus in physical order."""
    out = []
    for i in range(count):
        root, rest = divmod(i, PER_ROOT_PORT)
        hub, port = divmod(rest, LEAF_PORTS)
        out.append(f"{bus}-{root + 1}.{hub + 1}.{port + 1}")
    return out


def draw_speed(rng: random.Random, bus_mbps: float, sd_share: float) -> DiskSpeed:
    """A realistic medium: an SD card (5-30 MB/s) or a stick (10-200, 10-35 on USB 2.0)."""
    if rng.random() < sd_share:
        w = rng.uniform(5, 30)
        return DiskSpeed("sd", round(w, 1), round(min(w * 2.5, 90), 1))
    top = 35.0 if bus_mbps <= BUS_KINDS["usb2"] else 200.0
    w = rng.uniform(10, top)
    return DiskSpeed("stick", round(w, 1), round(min(w * 2, 400), 1))


def build_tower(
    sim_dir: str | os.PathLike[str],
    disks: int,
    buses: list[TowerBus],
    *,
    seed: int = 1,
    sd_share: float = 0.4,
    size: str | int = "8G",
    serial_prefix: str = "TWR",
    speeds: list[DiskSpeed] | None = None,
    scale: float = 1.0,
) -> list[SimDiskSpec]:
    """Add ``disks`` simulated disks spread round-robin over ``buses`` (bandwidth set).

    ``scale`` multiplies every disk speed and bus bandwidth alike: a benchmark on a small
    host keeps the tower's shape (which bus saturates, how mixed the disks are) at an
    aggregate rate the host's CPU can actually move.
    """
    if scale <= 0:
        raise UsageError("A speed scale must be positive.")
    if disks < 1:
        raise UsageError("A tower needs at least one disk.")
    if disks > len(buses) * (MAX_ADDRESS - 1):
        raise UsageError(
            f"{disks} disks do not fit on {len(buses)} buses ({MAX_ADDRESS - 1} devices each)."
        )
    rng = random.Random(seed)
    per_bus = [
        disks // len(buses) + (1 if i < disks % len(buses) else 0) for i in range(len(buses))
    ]
    made: list[SimDiskSpec] = []
    for tb, count in zip(buses, per_bus, strict=True):
        set_bus(sim_dir, tb.bus, tb.mbps * scale)
        for j, port in enumerate(port_paths(tb.bus, count)):
            speed = speeds[len(made)] if speeds else draw_speed(rng, tb.mbps, sd_share)
            product = "SD Card" if speed.kind == "sd" else "Flash Drive"
            made.append(
                add_sim_disk(
                    sim_dir,
                    f"t{tb.bus}-{j + 1:03d}",
                    serial=f"{serial_prefix}{seed:02d}B{tb.bus:02d}P{j + 1:04d}X",
                    product=product,
                    size=size,
                    write_mbps=round(speed.write_mbps * scale, 4),
                    read_mbps=round(speed.read_mbps * scale, 4),
                    port_path=port,
                )
            )
    return made


def physical_limit_mbps(specs: list[SimDiskSpec], buses: dict[int, float]) -> float:
    """The most a tower can write: per bus, the smaller of its disks' sum and its limit."""
    total = 0.0
    for bus in {s.bus for s in specs}:
        media = sum(s.effective_write_mbps for s in specs if s.bus == bus)
        total += min(media, buses.get(bus, media))
    return total
