"""Read-back must reach the medium, on every file system a shop uses (issue 19).

Real file systems on loop devices, mounted by the kernel or by the FUSE daemon Debian
ships, written through the real LinuxProvider + LocalVolume + engine. Between the
engine's durable write and its read-back the backing image is changed behind the
engine's back (the same bytes stay in every page cache): a corrupted disk must FAIL with
its chunk named, a disk whose writes were silently dropped must FAIL, an untouched
control must PASS, each saying how its read-back reached the medium.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from engine_support import Env
from loop_support import make_loop_disk
from pressroom.cli.run_view import disk_json
from pressroom.config import Settings
from pressroom.drives.backing import Backing, backing_of, backing_of_mount
from pressroom.drives.base import Drive, DriveEvent, max_file_size, weakest_cache_mode
from pressroom.drives.fatfs import fat_free_bytes, parse_boot_sector
from pressroom.drives.mounts import Mount
from pressroom.drives.volume import LocalVolume
from pressroom.engine.events import DiskState
from pressroom.errors import UsageError
from pressroom.secure.container import HEADER_LEN, TAG_LEN
from pressroom.secure.licence import LICENCE_FILE, TRACKS_DIR

pytestmark = pytest.mark.root
CHUNK = 256 << 10
TRACK_SIZES = (1_100_000, 200_000)  # 5 chunks of 256 KiB, and 1 (files named by hash order)
BLOCK = 512  # file data sits on sector boundaries in every image
USB = {"vendor_id": 0x0781, "product_id": 0x5581}


def expected_mode(disk) -> str:
    """A kernel file system's O_DIRECT reaches the device; a FUSE daemon needs its block
    device's cache dropped as well (this machine's kernel has no vfat or exfat module)."""
    return "direct" if disk.driver.startswith("kernel") else "direct+blockdev"


class LoopUsbProvider:
    """The real LinuxProvider, showing only this test's loop disks, each with a USB
    vendor and product id (loop devices have none) so the engine can bind to them."""

    def __init__(self, inner, serials: dict[str, str]):
        self.inner = inner
        self.serials = serials
        self.names = set(serials)

    def _mine(self, drives: list[Drive]) -> list[Drive]:
        return [dataclasses.replace(d, **USB) for d in drives if d.port_path in self.names]

    def list_drives(self) -> list[Drive]:
        return self._mine(self.inner.list_drives())

    def watch(self, callback):
        def relay(event: DriveEvent) -> None:
            for d in self._mine([event.drive]):
                callback(DriveEvent(event.kind, d))

        return self.inner.watch(relay)

    def open_volume(self, drive: Drive):
        return self.inner.open_volume(drive)

    def eject(self, drive: Drive) -> None:
        self.inner.eject(drive)

    def drive_for_path(self, path):
        return next((d for d in self.list_drives() if d.mount_point == Path(path)), None)

    def close(self) -> None:
        self.inner.close()


# -- finding a file's bytes in its disk image ----------------------------------------------


def image_offsets(image: Path, data: bytes) -> dict[int, int]:
    """File offset -> image offset for every whole 512-byte block of ``data``."""
    wanted = {data[i : i + BLOCK]: i for i in range(0, len(data) - BLOCK + 1, BLOCK)}
    found: dict[int, int] = {}
    with open(image, "rb") as fh:
        pos = 0
        while block := fh.read(1 << 20):
            for j in range(0, len(block), BLOCK):
                at = wanted.get(block[j : j + BLOCK])
                if at is not None:
                    found[at] = pos + j
            pos += len(block)
    return found


def patch_image(image: Path, offset: int, data: bytes) -> None:
    fd = os.open(image, os.O_WRONLY)
    try:
        os.pwrite(fd, data, offset)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_through_mount(volume, rel: str) -> bytes:
    """What the file system (and its caches) says the file holds."""
    with volume.open_read(rel, uncached=False) as fh:
        return fh.read()


class Tamper:
    """The engine's after-durable-write seam: change the image under chosen disks."""

    def __init__(self, disks: dict[str, object]):
        self.by_drive = {f"loop:{d.name}": (role, d) for role, d in disks.items()}
        self.flipped_chunk: int | None = None
        self.flipped_file = ""
        self.errors: list[str] = []

    def __call__(self, drive: Drive, volume, files: list[str]) -> None:
        role, disk = self.by_drive[drive.id]
        try:
            for rel in files:
                data = read_through_mount(volume, rel)
                where = image_offsets(disk.image, data)
                # the write is durable: every block is on the medium, no sync(1) needed
                if len(where) != len(data) // BLOCK:
                    self.errors.append(f"{role}: {rel} not durable in the image after flush")
                    return
                if role == "corrupt" and len(data) > 4 * CHUNK:  # the 5-chunk track
                    start = HEADER_LEN + 2 * (CHUNK + TAG_LEN)  # chunk 3 of 5 starts here
                    at = (start // BLOCK + 2) * BLOCK
                    self.flipped_chunk = (at - HEADER_LEN) // (CHUNK + TAG_LEN) + 1
                    self.flipped_file = rel.removeprefix(f"{TRACKS_DIR}/").removesuffix(".part")
                    flipped = bytes(b ^ 0xFF for b in data[at : at + 64])
                    patch_image(disk.image, where[at], flipped)
                if role == "dropped":  # the stick kept its old (blank) content
                    for image_at in where.values():
                        patch_image(disk.image, image_at, bytes(BLOCK))
        except Exception as exc:  # reported by the test, not swallowed by the engine
            self.errors.append(f"{role}: {exc!r}")


@pytest.fixture
def station(tmp_path):
    env = Env(tmp_path / "station", track_sizes=TRACK_SIZES)
    yield env
    env.close()


def attach(env: Env, disks: dict[str, object]) -> None:
    from pressroom.drives.linux import LinuxProvider

    serials = {
        d.name: f"RB{role.upper()[:4]}{i:04d}X7" for i, (role, d) in enumerate(disks.items())
    }
    inner = LinuxProvider(allow_loop=True, loop_serials=serials)
    env.app.__dict__["drive_provider"] = LoopUsbProvider(inner, serials)


def run(env: Env, drive_ids: list[str], hook=None):
    job = env.plan(len(drive_ids), drives=drive_ids)
    r = env.station.start(job, env.events.append, after_durable_write=hook)
    summary = r.wait(120)
    assert r.done, "the run did not finish in time"
    return {d.drive_id: d for d in summary.disks.values() if d.state != DiskState.IDLE}


# -- the corruption test, per file system ------------------------------------------------


@pytest.mark.parametrize("fs", ["ext4", "exfat", "fat32", "fat16", "ntfs"])
def test_a_disk_changed_behind_the_caches_fails_and_the_control_passes(
    tmp_path, station, fs, capsys
):
    disks = {}
    try:
        for role in ("corrupt", "dropped", "control"):
            disks[role] = make_loop_disk(tmp_path, fs, tag=f"-{role}")
        attach(station, disks)
        tamper = Tamper(disks)
        results = run(station, [f"loop:{d.name}" for d in disks.values()], tamper)
        verified = verify_cli(station, disks["control"], capsys)
        corrupt_after_the_fact(disks["control"])
        reverified = verify_cli(station, disks["control"], capsys)
    finally:
        for d in disks.values():
            d.cleanup()
    assert not tamper.errors, tamper.errors
    bad = results[f"loop:{disks['corrupt'].name}"]
    dropped = results[f"loop:{disks['dropped'].name}"]
    good = results[f"loop:{disks['control'].name}"]

    assert (bad.state, bad.reason_code) == (DiskState.FAIL, "bad-chunk"), bad.reason
    assert tamper.flipped_chunk == 3
    assert f"({tamper.flipped_file}, chunk 3 of 5)" in bad.reason

    assert dropped.state == DiskState.FAIL, dropped.reason
    assert dropped.reason.startswith("Read-back check failed (01.prt")

    mode = expected_mode(disks["control"])
    assert good.state == DiskState.PASS, good.reason
    assert good.cache_mode == mode and good.reason == ""
    assert (disk_json(good)["cache_mode"], disk_json(good)["from_media"]) == (mode, True)
    assert bad.cache_mode == mode

    # `pressroom verify` reads from the media too: it passes the good disk, and fails it
    # once its image has been changed, although the page cache still holds the good bytes
    assert verified["ok"] and verified["read_back"]["cache_mode"] == mode
    assert verified["read_back"]["from_media"] is True
    assert not reverified["ok"] and reverified["tracks"][0]["code"] == "bad-chunk"


def verify_cli(env: Env, disk, capsys) -> dict:
    from pressroom.cli import main

    lic = LICENCE_FILE
    assert (disk.mnt / lic).exists()
    capsys.readouterr()
    data_dir = str(env.app.config.data_dir)
    serial = env.app.drive_provider.serials[disk.name]
    main(["--data-dir", data_dir, "verify", str(disk.mnt), "--serial", serial, "--json"])
    return json.loads(capsys.readouterr().out)


def corrupt_after_the_fact(disk) -> None:
    """Flip 64 bytes of the first track in the image, after the disk has passed."""
    vol = LocalVolume(disk.mnt)
    rel = f"{TRACKS_DIR}/01.prt"
    data = read_through_mount(vol, rel)
    where = image_offsets(disk.image, data)
    at = 2 * BLOCK  # inside chunk 1
    patch_image(disk.image, where[at], bytes(b ^ 0xFF for b in data[at : at + 64]))


# -- when nothing can prove it: verified from cache only ---------------------------------


class FolderProvider:
    """One disk over a folder with no block device under it (tmpfs)."""

    def __init__(self, root: Path):
        self.drive = Drive(
            id="usb:0781:5581:TMPFS0001",
            label="tmpfs disk",
            kind="usb",
            vendor="SanDisk",
            product="Ultra",
            serial="TMPFSDISK0001",
            serial_error=None,
            bus=1,
            address=9,
            port_path="1-9",
            capacity=1 << 30,
            free=1 << 29,
            filesystem="tmpfs",
            mount_point=root,
            removable=True,
            read_only=False,
            **USB,
        )

    def list_drives(self):
        return [self.drive]

    def watch(self, callback):
        class _W:
            def stop(self) -> None:
                pass

        return _W()

    def open_volume(self, drive):
        return LocalVolume(self.drive.mount_point)

    def eject(self, drive) -> None:
        pass

    def drive_for_path(self, path):
        return self.drive

    def close(self) -> None:
        pass


@pytest.fixture
def tmpfs_dir():
    if backing_of("/dev/shm").fstype != "tmpfs":
        pytest.skip("/dev/shm is not tmpfs here")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as d:
        yield Path(d)


@pytest.mark.parametrize("mode", ["media", "strict"])
def test_a_disk_that_can_only_be_read_from_the_cache_says_so(station, tmpfs_dir, mode):
    station.app.config.settings.verify_mode = mode
    station.app.__dict__["drive_provider"] = FolderProvider(tmpfs_dir)
    before = station.app.ledger.get_grant(station.grant_id).copies_remaining
    (d,) = run(station, ["usb:0781:5581:TMPFS0001"]).values()
    assert d.cache_mode == "cache-only"
    after = station.app.ledger.get_grant(station.grant_id).copies_remaining
    if mode == "media":
        assert d.state == DiskState.PASS
        assert d.reason == "Verified from cache only: tmpfs has no block device."
        assert disk_json(d)["from_media"] is False and after == before - 1
    else:
        assert (d.state, d.reason_code) == (DiskState.FAIL, "verify-cache-only")
        assert "tmpfs has no block device" in d.reason and after == before
        assert not (tmpfs_dir / LICENCE_FILE).exists() and not any(tmpfs_dir.rglob("*.prt*"))


def test_a_fuse_disk_whose_block_device_cannot_be_opened_is_cache_only(tmp_path):
    """Not root, or the device went away: the file is read, but nothing proves the medium."""
    vol = LocalVolume(tmp_path, backing=Backing("fuse", str(tmp_path / "no-such-dev"), "fuseblk"))
    (tmp_path / "f").write_bytes(b"abc" * 1000)
    with vol.open_read("f", uncached=True) as r:
        assert r.read() == b"abc" * 1000
        assert r.cache_mode == "cache-only" and "cannot be opened" in r.why_cache_only


def test_verify_mode_values():
    for old in ("auto", "direct", "fadvise"):  # settings files written by older versions
        s = Settings(verify_mode=old)
        s.validate()
        assert s.verify_mode == "media"
    Settings(verify_mode="strict").validate()
    with pytest.raises(UsageError, match="'media' or 'strict'"):
        Settings(verify_mode="cached").validate()


def test_a_disk_claims_the_weakest_of_its_read_backs():
    assert weakest_cache_mode(["direct", "direct+blockdev"]) == "direct+blockdev"
    assert weakest_cache_mode(["direct", "cache-only", "direct"]) == "cache-only"
    assert weakest_cache_mode([]) == ""


# -- FAT32: free space and the 4 GiB file limit ------------------------------------------


def _mkfs_image(tmp_path: Path, args: list[str], size_mb: int) -> Path:
    if not shutil.which("mkfs.vfat") or not shutil.which("fsck.fat"):
        pytest.skip("mkfs.vfat and fsck.fat not installed (Debian package dosfstools)")
    img = tmp_path / "fat.img"
    with open(img, "wb") as fh:
        fh.truncate(size_mb << 20)
    subprocess.run(["mkfs.vfat", *args, str(img)], check=True, capture_output=True)
    return img


def _fsck_free_bytes(img: Path, cluster: int) -> int:
    """dosfstools' own count, as an independent check of the parser."""
    out = subprocess.run(["fsck.fat", "-n", "-v", str(img)], capture_output=True, text=True)
    used, total = map(int, re.search(r"(\d+)/(\d+) clusters", out.stdout).groups())
    return (total - used) * cluster


@pytest.mark.parametrize(
    ("args", "size_mb", "cluster"),
    [(["-F", "12"], 8, 4096), (["-F", "16"], 40, 2048), (["-F", "32"], 80, 512)],
)
def test_fat_free_space_is_counted_from_the_fat(tmp_path, args, size_mb, cluster):
    img = _mkfs_image(tmp_path, [*args, "-S", "512", "-s", str(cluster // 512)], size_mb)
    got = fat_free_bytes(str(img))
    assert got == _fsck_free_bytes(img, cluster) and got > 0.9 * (size_mb << 20)


def test_a_hostile_boot_sector_is_not_believed(tmp_path):
    img = _mkfs_image(tmp_path, ["-F", "32", "-s", "1"], 80)
    boot = bytearray(img.read_bytes()[:512])
    size = img.stat().st_size
    assert parse_boot_sector(bytes(boot), size) is not None
    for offset, value in (
        (11, b"\x00\x03"),  # 768 bytes per sector
        (13, b"\x03"),  # 3 sectors per cluster
        (32, b"\xff\xff\xff\x7f"),  # more sectors than the device has
        (36, b"\xff\xff\xff\x0f"),  # a FAT bigger than the volume
        (510, b"\x00\x00"),  # no boot signature
    ):
        bad = bytearray(boot)
        bad[offset : offset + len(value)] = value
        assert parse_boot_sector(bytes(bad), size) is None, offset
    assert fat_free_bytes(str(tmp_path / "missing")) is None


def test_fat32_through_fusefat_shows_its_real_free_space(tmp_path):
    disk = make_loop_disk(tmp_path, "fat32")
    try:
        from pressroom.drives.linux import LinuxProvider

        with LinuxProvider(allow_loop=True, loop_serials={disk.name: "FAT32DISK0001"}) as p:
            st = os.statvfs(disk.mnt)
            drive = next(d for d in p.list_drives() if d.port_path == disk.name)
            vol = p.open_volume(drive)
            free = vol.free_space()
            assert drive.free == free and 60 << 20 < free < 64 << 20
            if disk.driver == "fusefat":
                assert st.f_blocks == 0  # the quirk this works around
            with vol.open_write("x.bin") as w:
                w.write(os.urandom(1 << 20))
                w.sync()
            vol.flush()
            assert free - vol.free_space() >= 1 << 20
    finally:
        disk.cleanup()


def test_a_track_too_big_for_fat_is_refused_before_anything_is_written(tmp_path, station):
    assert max_file_size("vfat") == (1 << 32) - 1 and max_file_size("exfat") is None
    disk = make_loop_disk(tmp_path, "fat32")
    try:
        attach(station, {"big": disk})
        drive_id = f"loop:{disk.name}"
        job = station.plan(1, drives=[drive_id])
        huge = dataclasses.replace(job.tracks[0], size=5 << 30)
        job = dataclasses.replace(job, tracks=(huge, *job.tracks[1:]))
        r = station.station.start(job, station.events.append)
        (d,) = (x for x in r.wait(60).disks.values() if x.drive_id == drive_id)
        assert (d.state, d.reason_code) == (DiskState.FAIL, "file-too-large")
        assert "at most 4 GiB - 1 byte per file" in d.reason
        assert os.listdir(disk.mnt) == []
    finally:
        disk.cleanup()


# -- which medium a mount reads: the mount table's word for it (no root needed) ----------


def _some_block_device() -> str | None:
    for name in sorted(os.listdir("/sys/class/block")) if os.path.isdir("/sys/class/block") else []:
        dev = f"/dev/{name}"
        if os.path.exists(dev) and os.path.realpath(dev) == dev:
            with contextlib.suppress(OSError):
                if stat.S_ISBLK(os.stat(dev).st_mode):
                    return dev
    return None


def test_the_medium_under_each_kind_of_mount():
    dev = _some_block_device()
    if dev is None:
        pytest.skip("no block device node in /dev to name in a mount entry")
    opts = frozenset({"rw"})
    fuse = Mount("0:77", Path("/media/a"), "fuseblk", dev, opts)
    assert backing_of_mount(fuse) == Backing("fuse", dev, "fuseblk")
    nameless = Mount("0:78", Path("/media/b"), "fuse.sshfs", "host:/x", opts)
    got = backing_of_mount(nameless, [nameless])
    assert got.kind == "none" and "does not name a block device" in got.why_none
    tmpfs = Mount("0:79", Path("/dev/shm"), "tmpfs", "tmpfs", opts)
    assert backing_of_mount(tmpfs) == Backing("none", None, "tmpfs", "tmpfs has no block device")
    btrfs = Mount("0:80", Path("/srv"), "btrfs", dev, opts)  # anonymous devno, real source
    assert backing_of_mount(btrfs) == Backing("kernel", dev, "btrfs")


def test_a_fuse_read_says_fadvise_blockdev_when_o_direct_is_refused(tmp_path, monkeypatch):
    real_open = os.open

    def no_direct(path, flags, *args, **kwargs):
        if flags & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, *args, **kwargs)

    dropped = []
    monkeypatch.setattr(Backing, "drop", lambda self: dropped.append(self.device) or "")
    vol = LocalVolume(tmp_path, backing=Backing("fuse", "/dev/sdz", "fuse.fusefat"))
    (tmp_path / "f").write_bytes(b"xyz" * 1000)
    monkeypatch.setattr(os, "open", no_direct)
    with vol.open_read("f", uncached=True) as r:
        assert r.read() == b"xyz" * 1000 and r.cache_mode == "fadvise+blockdev"
    assert dropped == ["/dev/sdz"]  # the block device's cache went before the read


def test_the_station_window_shows_a_cache_only_pass(qtbot):
    pytest.importorskip("PySide6.QtWidgets", exc_type=ImportError)
    from pressroom.engine.events import DiskProgress, Stage
    from pressroom.gui.drive_card import DriveCard

    card = DriveCard("usb:x")
    qtbot.addWidget(card)
    warning = "Verified from cache only: tmpfs has no block device."
    card.update_progress(
        DiskProgress("usb:x", "tmpfs disk", "1-9", DiskState.PASS, Stage.DONE, reason=warning)
    )
    assert card.reason.isVisibleTo(card) and card.reason.text() == warning
    card.update_progress(DiskProgress("usb:x", "tmpfs disk", "1-9", DiskState.PASS, Stage.DONE))
    assert not card.reason.isVisibleTo(card)
