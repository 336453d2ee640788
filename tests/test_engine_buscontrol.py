"""The adaptive bus controller and gate, driven by a fake clock and a model of a bus."""

from __future__ import annotations

import threading

import pytest

from pressroom.engine.buscontrol import BusController
from pressroom.engine.busgate import BusGate

MB = 1_000_000


def drive(
    ctl: BusController,
    disks: int,
    disk_mbps: float,
    bus_mbps: float,
    seconds: float,
    thrash_above: int | None = None,
):
    """Run the model: the bus moves min(active x disk speed, bus bandwidth) each 0.1 s
    (halved above ``thrash_above`` disks, as an oversubscribed hub)."""
    t, total = 0.0, 0
    ctl.observe(t, total, 0)
    while t < seconds:
        active = min(ctl.limit, disks)
        rate = min(active * disk_mbps, bus_mbps)
        if thrash_above is not None and active > thrash_above:
            rate /= 2
        total += int(rate * MB * 0.1)
        t += 0.1
        ctl.observe(t, total, active)
    return [d.why for d in ctl.history], ctl.limit


def test_media_limited_bus_grows_until_every_card_runs():
    # 60 slow cards (2 MB/s) on a USB 3 bus: the rate keeps growing, so the limit does
    whys, limit = drive(BusController(ceiling=127), 60, 2, 400, 10)
    assert limit >= 60
    assert whys[:5] == ["start", "grow", "grow", "grow", "grow"]


def test_bus_limited_bus_holds_where_it_saturates_and_only_probes_beyond():
    # 12 fast sticks (35 MB/s) behind one USB 2.0 bus (40 MB/s): two already fill it
    ctl = BusController(ceiling=127, start=2)
    whys, limit = drive(ctl, 12, 35, 40, 4)
    assert whys[:3] == ["start", "grow", "saturated"]
    assert set(whys[3:]) <= {"probe", "saturated"}
    assert limit <= 6  # held: no doubling once the rate stopped growing


def test_an_oversubscribed_bus_goes_back_to_the_last_limit():
    ctl = BusController(ceiling=127, start=4, probe_every=2)
    whys, limit = drive(ctl, 40, 35, 40, 20, thrash_above=6)
    assert "backoff" in whys
    assert limit <= 6


def test_errors_halve_and_hold_before_growing_again():
    ctl = BusController(ceiling=64, start=16, probe_every=4)
    assert ctl.error().limit == 8
    assert ctl.error().limit == 4
    t, total = 0.0, 0
    ctl.observe(t, total, 4)
    for _ in range(4 * 5):  # four windows of cooldown (plus the settle window)
        t += 0.1
        total += int(8 * MB * 0.1)
        ctl.observe(t, total, 4)
    assert ctl.limit == 4  # held through the cooldown despite a steady rate
    assert ctl.error().limit == 2 and ctl.error().limit == 1 and ctl.error().limit == 1


def test_idle_bus_and_ceiling():
    ctl = BusController(ceiling=6, start=4)
    whys, limit = drive(ctl, 3, 2, 400, 3)
    assert limit == 4 and "grow" not in whys  # only 3 disks: nothing to learn
    whys, limit = drive(BusController(ceiling=6, start=4), 60, 2, 400, 5)
    assert limit == 6
    with pytest.raises(ValueError):
        BusController(ceiling=0)


def test_gate_admits_up_to_the_limit_and_an_io_error_backs_off():
    now = [0.0]
    gate = BusGate(BusController(ceiling=8, start=2), clock=lambda: now[0])
    inside = threading.Semaphore(0)
    release = threading.Event()

    def disk() -> None:
        with gate:
            inside.release()
            release.wait(5)

    threads = [threading.Thread(target=disk) for _ in range(3)]
    for t in threads:
        t.start()
    assert inside.acquire(timeout=5) and inside.acquire(timeout=5)
    assert not inside.acquire(timeout=0.2)  # the third waits for a slot
    assert gate.active == 2
    release.set()
    for t in threads:
        t.join(5)
    assert gate.active == 0
    with pytest.raises(OSError), gate:
        raise OSError(5, "write error")
    assert gate.limit == 1
    with pytest.raises(ValueError), gate:
        raise ValueError("not the bus's fault")
    assert gate.limit == 1 and gate.active == 0
