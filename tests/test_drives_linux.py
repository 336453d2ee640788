"""LinuxProvider on real filesystems on loop devices (root only), and system-disk safety."""

from __future__ import annotations

import dataclasses
import errno
import os
import threading
from pathlib import Path

import pytest

from loop_support import LoopDisk, make_loop_disk, root_and_loop_reason
from pressroom.drives.backing import Backing, backing_of
from pressroom.drives.base import DriveRefused
from pressroom.drives.volume import LocalVolume

pytest.importorskip("pyudev")
from pressroom.drives.linux import LinuxProvider, read_mounts, system_disks

pytestmark = pytest.mark.root
NEEDS_ROOT = pytest.mark.skipif(
    root_and_loop_reason() is not None, reason=root_and_loop_reason() or ""
)


@pytest.fixture
def loop_disk(tmp_path, request):
    disk = make_loop_disk(tmp_path, getattr(request, "param", "ext4"))
    yield disk
    disk.cleanup()


@pytest.fixture
def provider(loop_disk):
    p = LinuxProvider(allow_loop=True, loop_serials={loop_disk.name: "LOOPSERIAL0001"})
    yield p
    p.close()


@NEEDS_ROOT
@pytest.mark.parametrize("loop_disk", ["ext4", "vfat", "exfat"], indirect=True)
def test_loop_disk_is_offered_and_written_uncached(loop_disk, provider):
    fs = loop_disk.image.stem.split("-")[0]
    drive = next(d for d in provider.list_drives() if d.id == f"loop:{loop_disk.name}")
    assert (drive.kind, drive.serial, drive.filesystem) == ("loop", "LOOPSERIAL0001", fs)
    assert drive.mount_point == loop_disk.mnt and drive.capacity == 32 << 20
    assert 0 < drive.free < drive.capacity and not drive.read_only
    vol = provider.open_volume(drive)
    vol.makedirs("d")
    payload = os.urandom(300_000)
    with vol.open_write("d/t.tmp") as w:
        w.write(payload)
        w.sync()
    vol.rename("d/t.tmp", "d/t.bin")
    vol.sync_dir("d")
    with vol.open_read("d/t.bin", uncached=True) as r:
        assert r.read() == payload
        # a FUSE daemon reads the block device through its cache: that is dropped too
        kernel = loop_disk.driver.startswith("kernel")
        assert r.cache_mode == ("direct" if kernel else "direct+blockdev")
    assert provider.drive_for_path(loop_disk.mnt / "d").id == drive.id


@NEEDS_ROOT
def test_root_disk_is_never_offered_whatever_the_caller_asks(loop_disk, provider):
    root_disks = system_disks(read_mounts(), [])
    assert root_disks, "the disk holding / must be found"
    drives = provider.list_drives()
    assert not any(d.port_path in root_disks for d in drives)
    forged = dataclasses.replace(drives[0], id="usb:0000:0000:ROOT", mount_point=Path("/"))
    with pytest.raises(DriveRefused):
        provider.open_volume(forged)
    # the data directory's disk is protected too: protect the loop disk's mount
    with LinuxProvider(allow_loop=True, protect=[loop_disk.mnt]) as guarded:
        assert all(d.id != f"loop:{loop_disk.name}" for d in guarded.list_drives())
    with LinuxProvider() as plain:  # loop devices only when explicitly allowed
        assert all(d.kind != "loop" for d in plain.list_drives())


@NEEDS_ROOT
def test_hotplug_and_eject(tmp_path, loop_disk):
    events, seen = [], threading.Event()
    with LinuxProvider(allow_loop=True, poll_interval=0.2) as p:
        watcher = p.watch(lambda e: (events.append(e), seen.set()))
        try:
            second = LoopDisk(tmp_path, "ext4", tag="-hotplug")
            try:
                assert seen.wait(5)
                added = next(e.drive for e in events if e.kind == "added")
                assert added.id == f"loop:{second.name}"
                p.eject(added)
                assert not os.path.ismount(second.mnt)
                removed = ("removed", added.id)
                # An unmount may be reported as "changed" first; wait for the removal itself.
                for _ in range(100):
                    if removed in [(e.kind, e.drive.id) for e in events]:
                        break
                    seen.clear()
                    seen.wait(0.1)
            finally:
                second.cleanup()
        finally:
            watcher.stop()
    kinds = [(e.kind, e.drive.id) for e in events if e.drive.id == f"loop:{second.name}"]
    assert (
        kinds[0] == ("added", f"loop:{second.name}") and ("removed", f"loop:{second.name}") in kinds
    )


def test_when_o_direct_is_refused_reads_fall_back_to_fadvise(tmp_path, monkeypatch):
    """tmpfs (before Linux 6.6) and some FUSE filesystems answer EINVAL to O_DIRECT."""
    real_open = os.open

    def no_direct(path, flags, *args, **kwargs):
        if flags & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, *args, **kwargs)

    vol = LocalVolume(tmp_path, backing=Backing("kernel", fstype="ext4"))
    with vol.open_write("f") as w:
        w.write(b"abc" * 1000)
    monkeypatch.setattr(os, "open", no_direct)
    with vol.open_read("f", uncached=True) as r:
        assert r.read() == b"abc" * 1000 and r.cache_mode == "fadvise"


def test_uncached_read_reports_direct_on_a_disk_filesystem(tmp_path):
    vol = LocalVolume(tmp_path)
    data = os.urandom(3 * (1 << 20) + 123)  # several aligned chunks and a short tail
    with vol.open_write("f") as w:
        w.write(data)
        w.sync()
    with vol.open_read("f", uncached=True) as r:
        buf = bytearray(100_000)
        got = bytearray()
        while n := r.readinto(buf):
            got += buf[:n]
        assert bytes(got) == data
        if backing_of(tmp_path).kind == "kernel":
            assert r.cache_mode in ("direct", "fadvise")
        else:  # an overlay or tmpfs /tmp (containers): honestly unproven
            assert r.cache_mode == "cache-only" and r.why_cache_only


def test_volume_reports_enodev_when_the_disk_is_gone(tmp_path):
    present = [True]
    vol = LocalVolume(tmp_path, present=lambda: present[0])
    w = vol.open_write("f")
    present[0] = False
    with pytest.raises(OSError) as exc:
        vol.open_read("f", uncached=False)
    assert exc.value.errno == errno.ENODEV
    w.close()
