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
        ("AA00000000000485", "placeholder"),
        ("AA00000000000489", "placeholder"),
        ("aa 0000 0000 0004 89", "placeholder"),
        ("987654321", "placeholder"),
        ("FEDCBA9876543210", "placeholder"),
        ("ABABABAB", "placeholder"),
        ("12121212", "placeholder"),
        ("SER00000012", "placeholder"),
        ("\u200b", "blank"),
        ("\u00a0\t", "blank"),
    ],
)
def test_unusable_serials_are_always_refused(serial, code, policy):
    v = judge([disk(serial=serial)], policy=policy)["sim:a"]
    assert (v.ok, v.code) == (False, code)
    assert v.reason.endswith(".") and v.reason[0].isupper()


def test_missing_serial_reason_carries_the_read_error():
    v = judge([disk(serial=None, serial_error="Permission denied reading the USB serial of X.")])[
        "sim:a"
    ]
    assert v.code == "permission" and "Permission denied" in v.reason


# Serials shaped like those real sticks report (lsusb listings of common brands), which no
# placeholder family may refuse: docs/FORMAT.md section 6.1 says where the lines are drawn.
REAL_SHAPED = {
    "SanDisk Cruzer Blade": "4C530001231218115091",
    "SanDisk Cruzer Fit": "4C531001550413118414",
    "SanDisk Ultra (long hex, 20 zeros inside)": "0401396ecf0fbd53f02f8fbe2cca0b31a5fe1fa1adbe"
    "0e73d42bc43bd10af42a3410000000000000000000008d918b2eff118f00b58107ba2f6b33",
    "Kingston DataTraveler": "001CC0EC3450BB40F71A0093",
    "Kingston DataTraveler 3.0": "60A44C413A8CF13199EE0069",
    "Kingston DT 100 G3": "E0D55EA574E3F4B1A9B2",
    "Kingston DT SE9 (zeros near the end)": "001D0F0CAABFBB91A0000022",
    "Samsung BAR Plus": "0374115050002919",
    "Samsung FIT Plus": "0376221070002536",
    "Transcend JetFlash (8)": "14GRBEW9",
    "Transcend JetFlash (8, letters)": "538FNHYH",
    "Toshiba TransMemory": "C03FD5F7713EE1B15000D4C7",
    "Verbatim Store'n'Go": "070B6A41AB0E5E17",
    "Lexar JumpDrive": "AAB2ID89ZVVDCKRJ",
    "PNY (AA prefix, short zero run)": "AA04012700008177",
    "Corsair Voyager": "07052D07F3C61A66",
    "counter after a zero run, five significant": "AA0000000001F3A7",
    "Intenso (zero run after six digits)": "1403040000000010",
    "Phison controller": "0712284C3B3AD923",
    "date-like": "20080411",
    "shortest accepted": "AB12",
    "with separators": "SN-7F3A-99C2-1B04",
}


@pytest.mark.parametrize("serial", REAL_SHAPED.values(), ids=REAL_SHAPED.keys())
def test_real_looking_serials_are_not_placeholders(serial):
    assert placeholder_reason(serial) is None
    assert judge([disk(serial=serial)])["sim:a"].code == "ok"


def test_placeholder_reason_names_the_family_and_cuts_a_long_serial():
    v = judge([disk(serial="AA00000000000489")])["sim:a"]
    assert "vendor default" in v.reason and "AA00000000000489" in v.reason
    long = judge([disk(serial="0" * 100 + "1")])["sim:a"]
    assert long.code == "placeholder" and len(long.reason) < 200


def test_duplicate_reason_shows_the_mask_not_the_serial():
    verdicts = judge([disk("sim:a"), disk("sim:b", serial="4c53 0001 2311 0711 5344\u200b")])
    assert verdicts["sim:a"].code == verdicts["sim:b"].code == "duplicate"
    assert "4C530001231107115344" not in verdicts["sim:a"].reason
    assert "\u2022\u2022\u2022\u20225344" in verdicts["sim:a"].reason


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
