"""Which folders the player accepts as a disk, and the identity it reads from them.

``device_identity`` is fed by the drive providers: here the simulated provider (serials
over the simulated pyusb backend) and, as root, the Linux provider on a real loop device.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pressroom.drives.simulated import MEDIA, SimFaults, SimulatedProvider, add_sim_disk
from pressroom.secure.identity import DiskIdentity
from pressroom.station.device import DeviceRefused, device_identity


@pytest.fixture
def sim(tmp_path):
    sim_dir = tmp_path / "sim"
    add_sim_disk(sim_dir, "good", serial="AA11BB22CC33", size="1G")
    add_sim_disk(sim_dir, "deaf", serial="DD44EE55FF66", size="1G", faults=SimFaults(usb="timeout"))
    add_sim_disk(sim_dir, "blank", serial="00000000", size="1G")
    provider = SimulatedProvider(sim_dir)
    yield sim_dir, provider
    provider.close()


def refused(provider, path: Path) -> DeviceRefused:
    with pytest.raises(DeviceRefused) as err:
        device_identity(provider, path)
    return err.value


def test_the_serial_comes_from_the_simulated_usb_bus(sim):
    sim_dir, provider = sim
    found = device_identity(provider, sim_dir / "good" / MEDIA)
    assert found.identity == DiskIdentity.of(0x1209, 0x5052, "AA11BB22CC33", 1 << 30)
    assert found.source == "serial read over the simulated USB bus from good"
    # A symlink to the mount is the same disk (the provider resolves it) ...
    link = sim_dir.parent / "link"
    link.symlink_to(sim_dir / "good" / MEDIA)
    assert device_identity(provider, link).identity == found.identity


def test_folders_that_are_not_an_identifiable_disk(sim, tmp_path):
    sim_dir, provider = sim
    plain = tmp_path / "plain"
    plain.mkdir()
    assert refused(provider, plain).code == "no-device"
    assert refused(provider, sim_dir / "good").code == "no-device"  # the descriptor's folder
    inner = sim_dir / "good" / MEDIA / "PRESSROOM"
    inner.mkdir()
    err = refused(provider, inner)
    assert err.code == "not-disk-root" and err.headline == "Not the disk itself"
    err = refused(provider, sim_dir / "deaf" / MEDIA)
    assert err.code == "no-serial" and "cannot be read" in str(err)
    err = refused(provider, sim_dir / "blank" / MEDIA)
    assert err.code == "serial-refused" and "cannot be told apart" in str(err)


def test_an_unplugged_disk_is_no_disk(sim):
    sim_dir, provider = sim
    (sim_dir / "good" / "unplugged").write_text("pulled")
    assert refused(provider, sim_dir / "good" / MEDIA).code == "no-device"


NEEDS_ROOT = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("losetup") or not Path("/dev/loop-control").exists(),
    reason="needs root, losetup (Debian package mount) and /dev/loop-control for loop devices",
)


@NEEDS_ROOT
@pytest.mark.root
def test_linux_provider_a_block_device_without_usb_identity_never_plays(tmp_path):
    """The Linux path on a real ext4 loop device: the mount maps to its block device; a
    loop device is not on USB, so even with a serial configured it has no hardware
    identity to play from. A folder on the system disk is no disk at all."""
    pytest.importorskip("pyudev")
    if not shutil.which("mkfs.ext4"):
        pytest.skip("mkfs.ext4 not installed (Debian package e2fsprogs)")
    from pressroom.drives.linux import LinuxProvider
    from test_drives_linux import LoopDisk

    disk = LoopDisk(tmp_path, "ext4")
    provider = LinuxProvider(allow_loop=True, loop_serials={disk.name: "LOOPSERIAL0001"})
    try:
        err = refused(provider, disk.mnt)
        assert err.code == "no-serial" and "has no USB serial number" in str(err)
        assert refused(provider, tmp_path).code == "no-device"
    finally:
        provider.close()
        disk.cleanup()
