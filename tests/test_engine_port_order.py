"""The order a run starts disks in: by port, numbers as numbers, any port name accepted.

A run sorts every attached drive by :func:`port_key`. Linux names a loop device "loop0"
and a port it cannot read "1-?"; these once made the sort compare a number with text and
raise ``TypeError`` inside the run, so a station with a loop disk beside a USB disk could
not start (or, after a disk finished, stopped starting the next one).
"""

from __future__ import annotations

from pressroom.engine.run import port_key


def test_ports_sort_with_numbers_as_numbers():
    ports = ["1-1.10", "1-1.2", "2-1", "1-1.9", "1-3"]
    assert sorted(ports, key=port_key) == ["1-1.2", "1-1.9", "1-1.10", "1-3", "2-1"]


def test_loop_devices_and_unknown_ports_sort_beside_usb_ports():
    ports = ["loop1", "1-1.2", "1-?", "sdb", "loop0", "2-1", "1-1"]
    assert sorted(ports, key=port_key) == ["1-1", "1-1.2", "1-?", "2-1", "loop0", "loop1", "sdb"]


def test_the_cli_sort_key_accepts_mixed_ports():
    # run_cmd and run_view sort (port_key(port), label): the same mix must not raise
    rows = [("loop0", "Loop loop0"), ("1-1.2", "USB A"), ("1-?", "USB B")]
    ordered = sorted(rows, key=lambda r: (port_key(r[0]), r[1]))
    assert [r[1] for r in ordered] == ["USB A", "USB B", "Loop loop0"]
