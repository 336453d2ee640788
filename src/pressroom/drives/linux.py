"""Removable disks on Linux: sysfs/udev for the devices, mountinfo for the mounts.

Safety first: a disk that holds /, /boot, /boot/efi, a swap area or Pressroom's own
data directory is never offered, nor is a fixed (non-removable, non-USB) disk, and
``open_volume`` re-derives everything from the system instead of trusting the Drive it
was handed, so no caller can talk the provider into writing the system disk.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pressroom.drives.backing import Backing
from pressroom.drives.base import Drive, DriveCallback, DriveRefused, Watcher, drive_holding
from pressroom.drives.mounts import Mount, fuse_sources, read_mounts
from pressroom.drives.mounts import is_block as _is_block
from pressroom.drives.usb import UsbInfo, UsbSerialReader
from pressroom.drives.volume import LocalVolume, free_bytes
from pressroom.drives.watch import PollingWatcher
from pressroom.errors import PressroomError

SYSTEM_MOUNTS = ("/", "/boot", "/boot/efi")
_SKIP_PREFIXES = ("ram", "zram", "sr", "nbd", "dm-", "md", "fd")
_FS_NAMES = {"fuse.fusefat": "vfat", "fuse.exfat": "exfat", "msdos": "vfat"}


def _whole_disk_of_devno(devno: str) -> str | None:
    link = Path(f"/sys/dev/block/{devno}")
    if not link.exists():
        return None
    real = link.resolve()
    return real.parent.name if (real / "partition").exists() else real.name


def _whole_disk_of_path(dev_path: str) -> str | None:
    try:
        rdev = os.stat(dev_path).st_rdev
    except OSError:
        return None
    return _whole_disk_of_devno(f"{os.major(rdev)}:{os.minor(rdev)}")


def _with_lower_disks(names: set[str]) -> set[str]:
    """Add the disks underneath device-mapper/RAID (slaves) and loop (backing file)."""
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for slave in Path(f"/sys/block/{name}/slaves").glob("*"):
            todo.append(_whole_disk_of_devno(_read(slave / "dev")) or slave.name)
        backing = _read(Path(f"/sys/block/{name}/loop/backing_file"))
        if backing:
            with contextlib.suppress(OSError):
                st = os.stat(backing)
                if disk := _whole_disk_of_devno(f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"):
                    todo.append(disk)
    return seen


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _disk_of_mount(m: Mount, fuse: dict[Path, str]) -> str | None:
    return (
        _whole_disk_of_devno(m.devno)
        or (m.source.startswith("/dev/") and _whole_disk_of_path(m.source))
        or (m.mount_point in fuse and _whole_disk_of_path(fuse[m.mount_point]))
        or None
    )


def system_disks(mounts: list[Mount], protect: list[Path]) -> set[str]:
    """Whole-disk names that must never be offered."""
    fuse = fuse_sources(mounts)
    paths = [Path(p) for p in SYSTEM_MOUNTS] + protect
    names: set[str] = set()
    for path in paths:
        while not path.exists() and path != path.parent:
            path = path.parent
        real = Path(os.path.realpath(path))
        holder = max(
            (m for m in mounts if m.mount_point == real or m.mount_point in real.parents),
            key=lambda m: len(m.mount_point.parts),
            default=None,
        )
        if holder is not None and (disk := _disk_of_mount(holder, fuse)):
            names.add(disk)
    for line in _read(Path("/proc/swaps")).splitlines()[1:]:
        fields = line.split()
        if not fields:
            continue
        swap = fields[0].replace("\\040", " ")
        if _is_block(swap):
            disk = _whole_disk_of_path(swap)
        else:  # a swap file: protect the disk holding it
            with contextlib.suppress(OSError):
                st = os.stat(swap)
                disk = _whole_disk_of_devno(f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}")
        if disk:
            names.add(disk)
    return _with_lower_disks(names)


def _fs_of_fuseblk(dev_path: str) -> str:
    """fuseblk hides the filesystem's name; the boot sector tells it."""
    try:
        with open(dev_path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return "fuseblk"
    for magic, name in ((b"EXFAT   ", "exfat"), (b"NTFS    ", "ntfs")):
        if head[3:11] == magic:
            return name
    return "fuseblk"


@dataclass
class _Candidate:
    drive: Drive
    devices: list[str]  # /dev paths of the disk and its partitions
    mount_points: list[Path]
    sys_name: str
    backing: Backing | None = None


class LinuxProvider:
    """Removable block devices (and, for tests, loop devices) as Drives."""

    loops_only = False  # a subclass that serves only loop devices sets this

    def __init__(
        self,
        usb_reader: UsbSerialReader | None = None,
        *,
        protect: list[Path] | None = None,
        allow_loop: bool = False,
        loop_serials: Mapping[str, str] | Callable[[str], str | None] | None = None,
        poll_interval: float = 1.0,
    ):
        import pyudev

        self._pyudev = pyudev
        self._context = pyudev.Context()
        self._own_reader = usb_reader is None
        self._usb = usb_reader or UsbSerialReader()
        self._protect = [Path(p) for p in (protect or [])]
        self._allow_loop = allow_loop
        self._loop_serials = loop_serials
        self._poll = poll_interval
        self._usb_cache: dict[tuple[int, int, int, int], UsbInfo] = {}

    # -- discovery -----------------------------------------------------------------
    def _loop_serial(self, name: str, backing: str) -> str | None:
        table = self._loop_serials
        if table is None:
            return None
        if callable(table):
            return table(name)
        return table.get(name) or table.get(backing) or table.get(os.path.realpath(backing))

    def _usb_info(self, bus: int, address: int, vid: int, pid: int) -> UsbInfo | str:
        key = (bus, address, vid, pid)  # the address changes on every re-plug
        if key in self._usb_cache:
            return self._usb_cache[key]
        got = self._usb.read(bus, address)
        if isinstance(got, UsbInfo) and got.serial_error is None:
            self._usb_cache[key] = got
        return got

    def _candidates(self) -> list[_Candidate]:
        mounts = read_mounts()
        fuse = fuse_sources(mounts)
        forbidden = system_disks(mounts, self._protect)
        by_disk: dict[str, list[Mount]] = {}
        for m in mounts:
            dev_name = None
            if Path(f"/sys/dev/block/{m.devno}").exists():
                dev_name = Path(f"/sys/dev/block/{m.devno}").resolve().name
            elif m.source.startswith("/dev/") or m.mount_point in fuse:
                dev_name = Path(os.path.realpath(fuse.get(m.mount_point, m.source))).name
            if dev_name:
                by_disk.setdefault(dev_name, []).append(m)
        out = []
        for dev in self._context.list_devices(subsystem="block", DEVTYPE="disk"):
            cand = self._candidate(dev, forbidden, by_disk)
            if cand is not None:
                out.append(cand)
        return out

    def _candidate(self, dev, forbidden: set[str], by_dev: dict[str, list[Mount]]):
        name = dev.sys_name
        is_loop = name.startswith("loop")
        if (
            name in forbidden
            or name.startswith(_SKIP_PREFIXES)
            or (is_loop and not self._allow_loop)
            or (not is_loop and self.loops_only)
        ):
            return None
        sys_path = Path(dev.sys_path)
        backing = _read(sys_path / "loop" / "backing_file") if is_loop else ""
        usb_dev = dev.find_parent("usb", "usb_device")
        removable = _read(sys_path / "removable") == "1" or usb_dev is not None
        size = int(_read(sys_path / "size") or 0) * 512
        if (is_loop and not backing) or (not is_loop and not removable) or size == 0:
            return None
        parts = [c for c in dev.children if c.device_type == "partition"]
        devices = [name] + [p.sys_name for p in parts]
        placed = [(d, m) for d in devices for m in by_dev.get(d, [])]
        mounts = [m for _, m in placed]
        mount = mounts[0] if mounts else None
        fstype = mount.fstype if mount else ""
        if fstype == "fuseblk":
            fstype = _fs_of_fuseblk(f"/dev/{mounts[0].source.rsplit('/', 1)[-1]}")
        fstype = _FS_NAMES.get(fstype, fstype)
        free = 0
        medium = None
        if mount is not None:
            # the device this mount reads, as the read-back must reach it
            medium = Backing("fuse" if mount.is_fuse else "kernel", f"/dev/{placed[0][0]}", fstype)
            with contextlib.suppress(OSError):
                free = free_bytes(os.statvfs(mount.mount_point), medium)
        read_only = _read(sys_path / "ro") == "1" or bool(mount and "ro" in mount.options)
        common = dict(
            capacity=size,
            free=free,
            filesystem=fstype,
            mount_point=mount.mount_point if mount else None,
            removable=True,
            read_only=read_only,
        )
        if is_loop:
            drive = self._loop_drive(name, backing, common)
            if drive is None:
                return None
        elif usb_dev is not None:
            drive = self._usb_drive(name, usb_dev, common)
        else:  # removable but not USB (e.g. an internal SD slot on PCI/MMC)
            drive = Drive(
                id=f"block:{name}",
                label=_read(sys_path / "device" / "name") or name,
                kind="usb",
                vendor_id=None,
                product_id=None,
                vendor="",
                product=_read(sys_path / "device" / "name"),
                serial=None,
                serial_error="The disk is not on USB, so it has no USB serial.",
                bus=None,
                address=None,
                port_path=name,
                **common,  # type: ignore[arg-type]
            )
        return _Candidate(
            drive, [f"/dev/{d}" for d in devices], [m.mount_point for m in mounts], name, medium
        )

    def _loop_drive(self, name: str, backing: str, common: dict[str, object]) -> Drive | None:
        """The Drive for loop device ``name`` backed by the file ``backing`` (None: skip it).

        A hook: a subclass may give loop devices an identity of its own (for example the
        simulated USB identity of a loop-backed simulated disk).
        """
        serial = self._loop_serial(name, backing)
        return Drive(
            id=f"loop:{name}",
            label=f"Loop {name} ({Path(backing).name})",
            kind="loop",
            vendor_id=None,
            product_id=None,
            vendor="Linux",
            product="Loop device",
            serial=serial,
            serial_error=None if serial else "Loop devices have no USB serial; none was given.",
            bus=None,
            address=None,
            port_path=name,
            **common,  # type: ignore[arg-type]
        )

    def _usb_drive(self, name: str, usb_dev, common: dict[str, object]) -> Drive:
        attrs = Path(usb_dev.sys_path)
        vid = int(_read(attrs / "idVendor") or "0", 16)
        pid = int(_read(attrs / "idProduct") or "0", 16)
        bus = int(_read(attrs / "busnum") or 0)
        address = int(_read(attrs / "devnum") or 0)
        port = usb_dev.sys_name
        got = self._usb_info(bus, address, vid, pid)
        info = got if isinstance(got, UsbInfo) else None
        vendor = (info.manufacturer if info else "") or _read(attrs / "manufacturer")
        product = (info.product if info else "") or _read(attrs / "product")
        serial = info.serial if info else None
        return Drive(
            id=f"usb:{vid:04x}:{pid:04x}:{serial or port}",
            label=f"{vendor} {product}".strip() or name,
            kind="usb",
            vendor_id=vid,
            product_id=pid,
            vendor=vendor,
            product=product,
            serial=serial,
            serial_error=info.serial_error if info else str(got),
            bus=bus,
            address=address,
            port_path=port,
            **common,  # type: ignore[arg-type]
        )

    # -- DriveProvider -----------------------------------------------------------------
    def list_drives(self) -> list[Drive]:
        return [c.drive for c in self._candidates()]

    def _current(self, drive: Drive) -> _Candidate:
        for cand in self._candidates():
            if cand.drive.id == drive.id:
                return cand
        raise DriveRefused(
            f"{drive.label} is not an attached removable disk Pressroom may write "
            "(system disks and fixed disks are never offered)."
        )

    def open_volume(self, drive: Drive) -> LocalVolume:
        cand = self._current(drive)
        mount_point = cand.drive.mount_point
        if mount_point is None:
            raise DriveRefused(f"{cand.drive.label} is not mounted; mount it first.")
        sys_dir = Path(f"/sys/class/block/{cand.sys_name}")

        def present() -> bool:
            return sys_dir.exists() and os.path.ismount(mount_point)

        return LocalVolume(mount_point, present=present, backing=cand.backing)

    def eject(self, drive: Drive) -> None:
        cand = self._current(drive)
        os.sync()
        for mp in cand.mount_points:
            _run(["umount", str(mp)], f"Could not unmount {mp}")
        device = cand.devices[0]
        if cand.drive.kind == "loop":
            _run(["losetup", "-d", device], f"Could not detach {device}")
        elif shutil.which("udisksctl"):
            _run(["udisksctl", "power-off", "-b", device], f"Could not power off {device}")
        else:
            delete = Path(f"/sys/block/{cand.sys_name}/device/delete")
            if delete.exists():
                try:
                    delete.write_text("1")
                except OSError as exc:
                    raise PressroomError(
                        f"{drive.label} was unmounted but could not be powered off "
                        f"({exc.strerror}); it is safe to remove."
                    ) from None

    def drive_for_path(self, path: str | os.PathLike[str]) -> Drive | None:
        return drive_holding(self.list_drives(), path)

    def watch(self, callback: DriveCallback) -> Watcher:
        try:
            source = "udev" if Path("/run/udev/control").exists() else "kernel"
            monitor = self._pyudev.Monitor.from_netlink(self._context, source=source)
            monitor.filter_by("block")
            monitor.start()
        except (OSError, ValueError):
            return PollingWatcher(self.list_drives, callback, interval=self._poll)

        def wait(timeout: float) -> None:
            if monitor.poll(timeout=timeout) is not None:
                while monitor.poll(timeout=0.05) is not None:  # let a burst settle
                    pass

        return PollingWatcher(self.list_drives, callback, interval=self._poll, wait=wait)

    def close(self) -> None:
        if self._own_reader:
            self._usb.close()

    def __enter__(self) -> LinuxProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _run(cmd: list[str], what: str) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PressroomError(f"{what}: {exc}.") from None
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise PressroomError(f"{what}: {detail[-1] if detail else 'exit ' + str(proc.returncode)}.")
