"""One serial normalisation everywhere, and the ledger's memory of serials on evidence only.

Attacks on the station's serial handling, through the engine's run path on simulated disks
whose serials are served over the simulated pyusb backend: spellings of one serial that
differ only in case, whitespace, invisible or full-width characters are one disk for the
duplicate check, the binding, the ledger and every mask; a transient failure never brands
a good stick; a serial already bound to a disk turns up on other hardware and is refused.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time

import pytest

from engine_support import Env
from ledger_support import Publisher, passed_disk
from pressroom.drives.base import Drive
from pressroom.drives.identity import duplicate_key, judge
from pressroom.drives.simbackend import SimUsbBackend, SimUsbDevice
from pressroom.drives.simulated import add_sim_disk, set_plugged
from pressroom.drives.usb import UsbSerialReader
from pressroom.engine.recovery import VolumeMedium
from pressroom.ledger import Ledger
from pressroom.secure.identity import (
    DiskIdentity,
    mask_serial,
    normalise_serial,
    serial_hash,
)
from pressroom.secure.verifier import verify_disk

SERIAL = "4C530001231218115091"
FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in SERIAL)  # ４Ｃ５３... (NFKC folds it)
VARIANTS = {
    "lower case": SERIAL.lower(),
    "inner spaces": "4C53 0001 2312 1811 5091",
    "trailing zero-width space": SERIAL + "\u200b",
    "full-width digits and letters": FULL_WIDTH,
    "no-break spaces and a tab": "\u00a04C530001\t231218115091\u00a0",
    "mixed": " 4c53\u200b0001\u00a0２３１２18115091\n",
}


# --- one function ---------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_every_spelling_is_one_serial_to_every_consumer(variant):
    assert normalise_serial(variant) == SERIAL
    assert serial_hash(variant) == serial_hash(SERIAL)
    assert mask_serial(variant) == mask_serial(SERIAL) == "\u2022\u2022\u2022\u20225091"
    a = DiskIdentity.of(0x0781, 0x5581, SERIAL, 16 << 30)
    b = DiskIdentity.of(0x0781, 0x5581, variant, 16 << 30)
    assert a.hash() == b.hash() and a.masked_serial() == b.masked_serial()
    assert duplicate_key(_drive("a", SERIAL)) == duplicate_key(_drive("b", variant))


def test_duplicate_check_and_binding_agree_on_every_pair():
    """Two sticks the duplicate check calls different never bind to one identity, and
    two that bind to one identity are always duplicates."""
    spellings = [SERIAL, *VARIANTS.values(), SERIAL[:-1] + "2", "X" + SERIAL, SERIAL + "ß"]
    for s in spellings:
        for t in spellings:
            same_binding = (
                DiskIdentity.of(1, 2, s, 1 << 30).hash() == DiskIdentity.of(1, 2, t, 1 << 30).hash()
            )
            verdicts = judge([_drive("a", s), _drive("b", t)])
            assert (verdicts["a"].code == "duplicate") == same_binding, (s, t)


def test_a_serial_read_over_usb_is_normalised_before_anyone_compares_it():
    devices = [
        SimUsbDevice(0x0781, 0x5581, 1, 2, "SanDisk", "Cruzer", VARIANTS["mixed"]),
        SimUsbDevice(0x0781, 0x5581, 1, 3, "SanDisk", "Cruzer", "\u200b\u00a0"),
    ]
    with UsbSerialReader(SimUsbBackend(lambda: devices)) as reader:
        infos, error = reader.read_all()
    assert error is None
    assert infos[(1, 2)].serial == SERIAL
    assert infos[(1, 3)].serial == "" and infos[(1, 3)].serial_error is None


def test_the_one_mask_hides_length_and_never_more_than_half():
    assert mask_serial(None) == "(none)"
    assert mask_serial(" \u200b") == "(blank)"
    assert mask_serial("ab12") == "\u2022\u2022\u2022\u2022" + "12"
    assert mask_serial("E0D55EA574E3F4B1A9B2") == "\u2022\u2022\u2022\u2022" + "A9B2"
    assert len(mask_serial("A" * 9 + "1234")) == len(mask_serial("1234" * 20)) == 8


# --- through the engine ---------------------------------------------------------------


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    yield e
    e.close()


def _verify(env: Env, label: str):
    d = next(x for x in env.app.drive_provider.list_drives() if x.label.startswith(label))
    ident = DiskIdentity.of(d.vendor_id, d.product_id, d.serial, d.capacity)
    return verify_disk(VolumeMedium(env.app.drive_provider.open_volume(d)), ident, env.app.trust())


def _copy_disk(env: Env, src: str, dst: str) -> None:
    shutil.copytree(env.sim_dir / src / "media", env.sim_dir / dst / "media", dirs_exist_ok=True)


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_two_spellings_of_one_serial_in_one_run_are_refused_as_duplicates(env, variant):
    a = env.disk(SERIAL)
    b = env.disk(variant)
    other = env.disk(SERIAL[:-1] + "2")  # one real character differs: another disk
    summary = env.run(3)
    results = env.results(summary)
    assert results[a] == results[b] == ("fail", "identity-duplicate")
    assert results[other] == ("pass", "")
    assert env.app.ledger.get_grant(env.grant_id).copies_used == 1
    reasons = [d.reason for d in summary.disks.values() if d.reason_code == "identity-duplicate"]
    assert reasons and all(SERIAL not in r and mask_serial(SERIAL) in r for r in reasons)
    # The stick alone is made: a duplicate refusal is no evidence against it.
    set_plugged(env.sim_dir, b, False)
    set_plugged(env.sim_dir, other, False)
    assert env.results(env.run(1))[a] == ("pass", "")
    # The stick made next to them is another identity: its files never verify on either,
    # whichever spelling of the serial it reports.
    set_plugged(env.sim_dir, other, True)
    _copy_disk(env, other, a)
    assert _verify(env, a).code == "wrong-disk"
    set_plugged(env.sim_dir, a, False)
    set_plugged(env.sim_dir, b, True)
    _copy_disk(env, other, b)
    assert _verify(env, b).code == "wrong-disk"


def test_pressroom_drives_masks_every_spelling_alike(capsys):
    from pressroom.cli import main

    for variant in (SERIAL, VARIANTS["lower case"], VARIANTS["full-width digits and letters"]):
        assert main(["sim", "add", "--serial", variant]) == 0
    capsys.readouterr()
    assert main(["drives", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3
    assert {r["serial_masked"] for r in rows} == {mask_serial(SERIAL)}
    assert {r["serial"] for r in rows} == {SERIAL}
    assert {r["verdict"]["code"] for r in rows} == {"duplicate"}
    assert main(["drives"]) == 0
    table = capsys.readouterr().out
    assert table.count(mask_serial(SERIAL)) >= 3 and "5091" in table
    assert SERIAL not in table and SERIAL.lower() not in table


# --- the ledger's memory of serials -----------------------------------------------------


def test_a_transient_identify_failure_does_not_brand_the_stick(env):
    stick = env.disk(SERIAL)
    twin = env.disk(VARIANTS["trailing zero-width space"])  # seen twice through a bad hub
    reader = add_sim_disk(  # a card reader that happens to carry the same serial
        env.sim_dir, serial=SERIAL.lower(), vendor_id=0x0BDA, product_id=0x0177, size="1G"
    ).name
    small = add_sim_disk(env.sim_dir, serial=SERIAL, product_id=0x0BAD, size="300K").name
    summary = env.run(4)
    results = env.results(summary)
    assert results[stick] == results[twin] == ("fail", "identity-duplicate")
    assert results[reader] == ("fail", "identity-reader")
    assert results[small] == ("fail", "too-small")  # identified on other hardware, no licence
    rows = env.app.ledger.disks()
    assert {r.identity_hash is None for r in rows} == {True, False}
    assert len({r.serial_hash for r in rows}) == 1  # every spelling remembered as one serial
    for name in (twin, reader, small):
        set_plugged(env.sim_dir, name, False)
    summary = env.run(1)
    assert env.results(summary)[stick] == ("pass", "")
    assert _verify(env, stick).ok


def test_a_made_disks_serial_on_other_hardware_is_refused(env):
    made = env.disk(SERIAL)
    assert env.run(1).passed == 1
    set_plugged(env.sim_dir, made, False)
    other_model = add_sim_disk(
        env.sim_dir, serial=VARIANTS["mixed"], product_id=0x5053, size="1G"
    ).name
    other_size = add_sim_disk(env.sim_dir, serial=SERIAL.lower(), size="64G", bus=2).name
    summary = env.run(2)
    results = env.results(summary)
    assert results[other_model] == results[other_size] == ("fail", "identity-known-elsewhere")
    why = next(d.reason for d in summary.disks.values() if d.label == other_model)
    assert "cloned or counterfeit" in why and SERIAL not in why
    # The same stick back again is not a clone of itself.
    for name in (other_model, other_size):
        set_plugged(env.sim_dir, name, False)
    set_plugged(env.sim_dir, made, True)
    verdicts = env.app.station.disks.judge(env.app.drive_provider.list_drives())
    assert verdicts[env.drive_id(made)].code == "ok"


def test_known_identity_counts_made_and_burned_disks_only(tmp_path):
    publisher = Publisher()
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as ledger:
        grant = publisher.grant(copies=5)
        ledger.import_grant(grant.raw, publisher.trusted, time.time())
        serial = serial_hash(SERIAL)
        mine, theirs = "aa" * 32, "bb" * 32

        def sightings():
            return ledger.known_identity(identity_hash=mine, serial_hash=serial)

        fail = dict(result="fail", licence_id=None, serial_hash=serial)
        ledger.record_failure(passed_disk(1, identity_hash=None, reason="duplicate", **fail))
        ledger.record_failure(passed_disk(2, identity_hash=theirs, reason="too small", **fail))
        released = ledger.reserve(grant.id_hex, run_id=None, drive_id="d3")
        ledger.release(released, "bad chunk", disk=passed_disk(3, identity_hash=theirs, **fail))
        assert not sightings().known and not sightings().serial_clash
        ledger.commit(
            ledger.reserve(grant.id_hex, run_id=None, drive_id="d4"),
            passed_disk(4, identity_hash=mine, serial_hash=serial),
        )
        assert sightings().known and not sightings().serial_clash
        burned = ledger.reserve(grant.id_hex, run_id=None, drive_id="d5")
        ledger.burn(
            burned, "pulled while writing", disk=passed_disk(5, identity_hash=theirs, **fail)
        )
        clash = sightings()
        assert clash.serial_clash
        assert [m.identity_hash for m in clash.matches] == [mine, theirs]


def _drive(id: str, serial: str | None) -> Drive:
    return dataclasses.replace(_BASE, id=id, serial=serial)


_BASE = Drive(
    id="a",
    label="a",
    kind="sim",
    vendor_id=0x0781,
    product_id=0x5581,
    vendor="SanDisk",
    product="Cruzer Blade",
    serial=SERIAL,
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
