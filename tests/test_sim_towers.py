"""Simulated towers: the deadline pacer's model (fake clock), buses, hubs, port paths."""

from __future__ import annotations

import json

import pytest

from pressroom.cli import main
from pressroom.drives.pacing import BusClock, Lane, Pace
from pressroom.drives.simtower import (
    DiskSpeed,
    TowerBus,
    build_tower,
    parse_buses,
    physical_limit_mbps,
    port_paths,
)
from pressroom.drives.simulated import (
    SimulatedProvider,
    add_sim_disk,
    hub_of,
    list_sim_disks,
    read_buses,
    set_bus,
)
from pressroom.errors import UsageError

MB = 1_000_000


class FakeTime:
    """A clock that only moves when someone sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


def test_a_disk_alone_runs_at_its_own_rate_sleeping_once_per_transfer():
    t = FakeTime()
    bus = BusClock(None, clock=t.clock, sleep=t.sleep)
    pace = Pace(10 * MB, 30 * MB, bus)
    for _ in range(40):
        pace.wrote(250_000)
    assert t.now - 100.0 == pytest.approx(1.0)  # 10 MB at 10 MB/s
    assert len(t.slept) == 40


def test_oversleeping_is_paid_back_so_the_run_holds_the_rate():
    t = FakeTime()
    bus = BusClock(None, clock=t.clock, sleep=lambda s: t.sleep(s * 1.5))  # sleeps run long
    pace = Pace(10 * MB, 30 * MB, bus)
    for _ in range(40):
        pace.wrote(250_000)
    # each oversleep finds the next deadline already (partly) past: at most one overshoot
    assert t.now - 100.0 <= 1.0 + 0.025 * 0.5 + 1e-9


def test_an_idle_disk_earns_no_burst():
    t = FakeTime()
    bus = BusClock(None, clock=t.clock, sleep=t.sleep)
    pace = Pace(10 * MB, 30 * MB, bus)
    pace.wrote(1 * MB)
    t.now += 5.0  # idle far longer than the grace
    before = t.now
    pace.wrote(1 * MB)
    assert t.now - before == pytest.approx(0.1)


def test_disks_on_one_bus_share_its_bandwidth_and_reads_share_the_medium():
    t = FakeTime()
    bus = BusClock(40 * MB, clock=t.clock, sleep=lambda s: None)
    disks = [Lane(None) for _ in range(12)]
    ends = [bus.deadline(d, 4 * MB, 100 * MB) for _ in range(5) for d in disks]
    # 12 x 20 MB through a 40 MB/s bus: 6 s, whatever the disks could do
    assert max(ends) - 100.0 == pytest.approx(240 / 40)
    solo = Lane(None)
    t2 = FakeTime()
    free = BusClock(None, clock=t2.clock, sleep=lambda s: None)
    free.deadline(solo, 10 * MB, 10 * MB)  # write 1 s
    assert free.deadline(solo, 30 * MB, 30 * MB) - 100.0 == pytest.approx(2.0)  # read after it


def test_media_limited_bus_runs_each_disk_at_its_own_speed():
    t = FakeTime()
    bus = BusClock(400 * MB, clock=t.clock, sleep=lambda s: None)
    slow, fast = Lane(None), Lane(None)
    assert bus.deadline(slow, 5 * MB, 5 * MB) - 100.0 == pytest.approx(1.0)
    assert bus.deadline(fast, 20 * MB, 20 * MB) - 100.0 == pytest.approx(1.0)


def test_rates_must_be_positive():
    with pytest.raises(ValueError):
        BusClock(0)
    with pytest.raises(ValueError):
        Pace(0, 1)


def test_port_paths_follow_hubs_and_more_than_127_disks_fit_on_several_buses(tmp_path):
    assert port_paths(2, 30)[:2] == ["2-1.1.1", "2-1.1.2"]
    assert port_paths(2, 30)[7] == "2-1.2.1" and port_paths(2, 30)[28] == "2-2.1.1"
    assert hub_of("2-1.3.4") == "2-1.3" and hub_of("1-4") == "1"
    specs = build_tower(tmp_path, 130, parse_buses("usb3,usb2", 2), size="64M")
    assert len(specs) == len(list_sim_disks(tmp_path)) == 130
    assert {s.bus for s in specs} == {2, 3}
    assert len({(s.bus, s.address) for s in specs}) == 130
    assert read_buses(tmp_path) == {2: 400.0, 3: 40.0}
    sd = [s for s in specs if s.product == "SD Card"]
    assert sd and all(5 <= s.write_mbps <= 30 for s in sd)
    assert all(10 <= s.write_mbps <= 200 for s in specs if s.product == "Flash Drive")
    assert all(s.write_mbps <= 35 for s in specs if s.bus == 3 and s.product == "Flash Drive")


def test_the_provider_reports_tower_ports_and_paces_each_bus_on_its_own_clock(tmp_path):
    build_tower(tmp_path, 4, [TowerBus(2, 40), TowerBus(5, 400)], size="64M")
    with SimulatedProvider(tmp_path) as p:
        drives = p.list_drives()
        assert sorted(d.port_path for d in drives) == ["2-1.1.1", "2-1.1.2", "5-1.1.1", "5-1.1.2"]
        assert all(d.serial for d in drives)  # read through the pyusb backend
        assert p.bus_clock(2).rate == 40 * MB and p.bus_clock(5).rate == 400 * MB
        vols = [p.open_volume(d) for d in drives if d.bus == 2]
        assert vols[0].state.pace.bus is vols[1].state.pace.bus
        set_bus(tmp_path, 2, 35)
        p.list_drives()
        assert vols[0].state.pace.bus.rate == 35 * MB  # a changed bandwidth applies at once


def test_physical_limit_is_the_smaller_of_media_and_bus():
    speeds = [DiskSpeed("stick", 100, 200)] * 12
    from pressroom.drives.simspec import SimDiskSpec

    specs = [
        SimDiskSpec(name=f"d{i}", serial="x", bus=2, write_mbps=s.write_mbps)
        for i, s in enumerate(speeds)
    ]
    assert physical_limit_mbps(specs, {2: 40.0}) == 40.0
    slow = [SimDiskSpec(name=f"s{i}", serial="x", bus=3, write_mbps=5) for i in range(60)]
    assert physical_limit_mbps(slow, {3: 400.0}) == 300.0


def test_bad_ports_buses_and_full_buses_are_one_sentence(tmp_path):
    for bad in ("2", "2-", "0-1", "2-1.99", "x-1"):
        with pytest.raises(UsageError, match="not a USB port path"):
            add_sim_disk(tmp_path, serial="S", port_path=bad)
    add_sim_disk(tmp_path, "a", serial="S1", port_path="3-1.2.3")
    with pytest.raises(UsageError, match="already holds"):
        add_sim_disk(tmp_path, "b", serial="S2", port_path="3-1.2.3")
    with pytest.raises(UsageError, match="not a bus"):
        parse_buses("usb9")
    with pytest.raises(UsageError, match="do not fit"):
        build_tower(tmp_path / "t", 300, parse_buses("usb3,usb3"))
    with pytest.raises(UsageError, match="positive"):
        set_bus(tmp_path, 2, 0)


def test_cli_builds_a_tower_and_sets_a_bus(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PRESSROOM_DATA_DIR", str(tmp_path / "data"))
    assert main(["sim", "tower", "--disks", "10", "--buses", "usb2,usb3:300", "--size", "64M"]) == 0
    out = capsys.readouterr().out
    assert "Bus 2 (40 MB/s): 5 disks, ports 2-1.1.1 to 2-1.1.5" in out
    assert "Bus 3 (300 MB/s)" in out
    assert main(["sim", "bus", "3", "--mbps", "350"]) == 0
    assert main(["sim", "add", "--serial", "ONE1234567", "--port", "4-2.1", "--size", "64M"]) == 0
    capsys.readouterr()
    assert main(["sim", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert any(r["port_path"] == "4-2.1" and r["bus"] == 4 for r in rows)
    assert main(["sim", "tower", "--disks", "2", "--buses", "usb7"]) == 2
    assert "not a bus" in capsys.readouterr().err


def test_bench_pacer_smoke(capsys):
    """Only that the harness check runs and reports; its figures are a benchmark's job."""
    assert main(["bench", "pacer", "--quick", "--json"]) in (0, 1)
    out = json.loads(capsys.readouterr().out)
    assert out["suite"] == "pacer" and out["disks"] == 8 and out["wall_s"] > 0
    assert out["ratio"] > 0 and out["physical_limit_mbps"] > 0


def test_bench_disks_out_of_range_is_one_sentence(capsys):
    assert main(["bench", "pacer", "--disks", "0"]) == 2
    assert "--disks takes a number of disks" in capsys.readouterr().err
