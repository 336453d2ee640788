"""Every identity verdict, under both policies."""

from __future__ import annotations

import dataclasses

import pytest

from pressroom.drives.base import Drive
from pressroom.drives.identity import judge
from pressroom.secure.identity import placeholder_reason

BASE = Drive(
    id="sim:a",
    label="a",
    kind="sim",
    vendor_id=0x0781,
    product_id=0x5581,
    vendor="SanDisk",
    product="Ultra",
    serial="4C530001231107115344",
    serial_error=None,
    bus=1,
    address=2,
    port_path="1-1.1",
    capacity=16 << 30,
    free=16 << 30,
    filesystem="vfat",
    mount_point=None,
    removable=True,
    read_only=False,
)


def disk(id: str = "sim:a", **kw) -> Drive:
    return dataclasses.replace(BASE, id=id, **kw)


def test_good_serial_is_ok():
    v = judge([disk()])["sim:a"]
    assert (v.ok, v.code, v.warning) == (True, "ok", False)


@pytest.mark.parametrize("policy", ["refuse", "warn"])
@pytest.mark.parametrize(
    ("serial", "code"),
    [
        (None, "missing"),
        ("", "blank"),
        ("   ", "blank"),
        ("000000000000", "placeholder"),
        ("FFFFFFFF", "placeholder"),
        ("0123456789ABCDEF", "placeholder"),
        ("000000000001", "placeholder"),
        ("1234567890", "placeholder"),
        ("To be filled by O.E.M.", "placeholder"),
        ("A1", "placeholder"),
    ],
)
def test_unusable_serials_are_always_refused(serial, code, policy):
    v = judge([disk(serial=serial)], policy=policy)["sim:a"]
    assert (v.ok, v.code) == (False, code)
    assert v.reason.endswith(".") and v.reason[0].isupper()


def test_missing_serial_reason_carries_the_read_error():
    v = judge([disk(serial=None, serial_error="Permission denied reading X.")])["sim:a"]
    assert v.code == "missing" and "Permission denied" in v.reason


def test_real_looking_serials_are_not_placeholders():
    for s in ("4C530001231107115344", "0712284C3B3AD923", "E0D55EA574E3F4B1A9B2", "SER0000A1B2C"):
        assert placeholder_reason(s) is None, s


def test_duplicate_serials_are_refused_even_under_warn():
    drives = [disk("sim:a"), disk("sim:b"), disk("sim:c", serial="AB12CD34EF56")]
    for policy in ("refuse", "warn"):
        verdicts = judge(drives, policy=policy)
        assert [verdicts[i].code for i in ("sim:a", "sim:b", "sim:c")] == [
            "duplicate",
            "duplicate",
            "ok",
        ]
        assert not verdicts["sim:a"].ok


@pytest.mark.parametrize(
    "changes",
    [
        {"vendor_id": 0x0BDA, "product_id": 0x0129},
        {"product": "USB3.0 Card Reader"},
        {"product": "SD/MMC"},
        {"product": "Multi-Card"},
    ],
)
def test_card_readers_are_refused_or_warned(changes):
    d = disk(**changes)
    assert judge([d])["sim:a"].code == "reader" and not judge([d])["sim:a"].ok
    warned = judge([d], policy="warn")["sim:a"]
    assert (warned.ok, warned.code, warned.warning) == (True, "reader", True)


def test_serial_known_on_other_hardware():
    other_model = lambda drive: (0x0951, 0x1666, 16 << 30)  # noqa: E731
    same_disk = lambda drive: (0x0781, 0x5581, 16 << 30)  # noqa: E731
    other_size = lambda drive: (0x0781, 0x5581, 64 << 30)  # noqa: E731
    unknown = lambda drive: None  # noqa: E731
    assert judge([disk()], known_identity=other_model)["sim:a"].code == "known-elsewhere"
    assert judge([disk()], known_identity=other_size)["sim:a"].code == "known-elsewhere"
    assert not judge([disk()], known_identity=other_model)["sim:a"].ok
    assert judge([disk()], known_identity=same_disk)["sim:a"].code == "ok"
    assert judge([disk()], known_identity=unknown)["sim:a"].code == "ok"
    warned = judge([disk()], policy="warn", known_identity=other_model)["sim:a"]
    assert warned.ok and warned.warning


def test_unknown_policy_is_rejected():
    with pytest.raises(ValueError):
        judge([disk()], policy="maybe")  # type: ignore[arg-type]
