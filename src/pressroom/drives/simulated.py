"""Simulated disks: folders with a USB identity, a speed limit and injectable faults.

Layout of the sim directory (``Config.sim_dir``)::

    <name>/disk.toml     descriptor (or disk.json): identity, size, speeds, faults
    <name>/media/        the disk's files (its "mount point")
    <name>/unplugged     present while the disk is pulled out (fault or eject)
    <name>/disk.img      loop-backed disks only: the image with a real file system,
                         mounted at <name>/media through a loop device (root only)

A descriptor with a ``[backing]`` table describes a loop-backed disk: its identity comes
from here like any simulated disk's, but its files live on a real file system written
through the Linux provider (:mod:`pressroom.drives.loopsim`), not through
:class:`SimVolume`. :class:`SimulatedProvider` leaves those disks alone.

Serials are *not* taken from the descriptor directly: they are served by
:class:`~pressroom.drives.simbackend.SimUsbBackend` and read back through
:mod:`pressroom.drives.usb`, so demos and tests run the hardware code path.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import stat
import threading
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import tomli_w

from pressroom.drives.backing import Backing
from pressroom.drives.base import (
    Drive,
    DriveCallback,
    DriveRefused,
    Watcher,
    drive_holding,
    parse_size,
)
from pressroom.drives.pacing import Pace
from pressroom.drives.simbackend import SimUsbBackend, SimUsbDevice
from pressroom.drives.usb import UsbSerialReader
from pressroom.drives.volume import FileReader, FileWriter, LocalVolume
from pressroom.drives.watch import PollingWatcher
from pressroom.errors import UsageError

MB = 1_000_000  # disk speeds are quoted in decimal megabytes per second
SLOW_WRITE_MBPS, SLOW_READ_MBPS = 1.5, 4.0
DESCRIPTOR, DESCRIPTOR_JSON, MEDIA, UNPLUGGED = "disk.toml", "disk.json", "media", "unplugged"
IMAGE = "disk.img"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass
class SimFaults:
    fail_after: int | None = None  # EIO once this many bytes were written
    flaky_after: int | None = None  # one EIO after this many bytes; the disk works afterwards
    unplug_after: int | None = None  # the disk vanishes once this many bytes were written
    bitflip_on_read: int | None = None  # byte offset (in every file) read back with a bit flipped
    read_only: bool = False
    fake_capacity: int | None = None  # real bytes; beyond this much usage, data is lost
    slow: bool = False
    usb: str | None = None  # "permission" | "timeout": the serial cannot be read

    def describe(self) -> list[str]:
        out = [f"{k.replace('_', '-')}={v}" for k, v in asdict(self).items() if v not in (None, 0)]
        return [s.removesuffix("=True") for s in out]


@dataclass
class SimBacking:
    """A loop-backed disk's real storage: what ``sim add --backing`` set up.

    ``loop_device`` and ``driver`` record the last attach; loop devices vanish on reboot,
    so the provider always looks the device up from ``image`` and never trusts this field.
    """

    fs: str  # ext4 | exfat | fat32 | fat16
    image: str  # absolute path of the image file
    mount_point: str  # absolute path where it is mounted (the disk's media folder)
    loop_device: str = ""  # /dev/loopN at the last attach
    driver: str = ""  # kernel | fuse (how it was mounted at the last attach)


@dataclass
class SimDiskSpec:
    """The descriptor of one simulated disk (what ``disk.toml`` holds)."""

    name: str
    serial: str
    vendor_id: int = 0x1209
    product_id: int = 0x5052
    vendor: str = "Pressroom"
    product: str = "Virtual Disk"
    bus: int = 1
    address: int = 2
    port_path: str = "1-1"
    size: int = 8 << 30
    write_mbps: float = 30.0
    read_mbps: float = 90.0
    faults: SimFaults = field(default_factory=SimFaults)
    backing: SimBacking | None = None

    @property
    def effective_write_mbps(self) -> float:
        return min(self.write_mbps, SLOW_WRITE_MBPS) if self.faults.slow else self.write_mbps

    @property
    def effective_read_mbps(self) -> float:
        return min(self.read_mbps, SLOW_READ_MBPS) if self.faults.slow else self.read_mbps

    def usb_device(self) -> SimUsbDevice:
        ports = tuple(int(p) for p in self.port_path.split("-", 1)[-1].split(".") if p.isdigit())
        return SimUsbDevice(
            vendor_id=self.vendor_id,
            product_id=self.product_id,
            bus=self.bus,
            address=self.address,
            manufacturer=self.vendor,
            product=self.product,
            serial=self.serial,
            port_numbers=ports or (1,),
            fault=self.faults.usb,  # type: ignore[arg-type]
        )

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["faults"] = {k: v for k, v in data["faults"].items() if v not in (None, False)}
        if data["backing"] is None:
            del data["backing"]  # TOML has no null; folder disks have no backing table
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SimDiskSpec:
        raw = dict(data)
        faults = SimFaults(**raw.pop("faults", {}) or {})  # type: ignore[arg-type]
        back = raw.pop("backing", None)
        backing = SimBacking(**back) if back else None  # type: ignore[arg-type]
        known = set(cls.__dataclass_fields__) - {"faults", "backing"}
        spec = cls(
            **{k: v for k, v in raw.items() if k in known},  # type: ignore[arg-type]
            faults=faults,
            backing=backing,
        )
        spec.size = parse_size(spec.size)  # type: ignore[arg-type]
        return spec


# -- the sim directory -----------------------------------------------------------------


def _read_spec(disk_dir: Path) -> SimDiskSpec | None:
    try:
        if (disk_dir / DESCRIPTOR).exists():
            data = tomllib.loads((disk_dir / DESCRIPTOR).read_text(encoding="utf-8"))
        elif (disk_dir / DESCRIPTOR_JSON).exists():
            data = json.loads((disk_dir / DESCRIPTOR_JSON).read_text(encoding="utf-8"))
        else:
            return None
        data.setdefault("name", disk_dir.name)
        return SimDiskSpec.from_dict(data)
    except (OSError, ValueError, TypeError):
        return None  # half-written or hand-broken descriptor: not a disk (yet)


def _write_spec(disk_dir: Path, spec: SimDiskSpec) -> None:
    tmp = disk_dir / (DESCRIPTOR + ".tmp")
    tmp.write_text(tomli_w.dumps(spec.to_dict()), encoding="utf-8")
    os.replace(tmp, disk_dir / DESCRIPTOR)


def is_plugged(sim_dir: Path, name: str) -> bool:
    return not (Path(sim_dir) / name / UNPLUGGED).exists()


def list_sim_disks(sim_dir: str | os.PathLike[str]) -> list[SimDiskSpec]:
    """Every disk described in ``sim_dir``, plugged or not, sorted by port."""
    root = Path(sim_dir)
    if not root.is_dir():
        return []
    specs = [s for d in root.iterdir() if d.is_dir() and (s := _read_spec(d)) is not None]
    return sorted(specs, key=lambda s: (s.bus, s.port_path, s.name))


def add_sim_disk(
    sim_dir: str | os.PathLike[str],
    name: str | None = None,
    *,
    serial: str,
    vendor: str = "Pressroom",
    product: str = "Virtual Disk",
    vendor_id: int = 0x1209,
    product_id: int = 0x5052,
    size: int | str = "8G",
    write_mbps: float = 30.0,
    read_mbps: float = 90.0,
    faults: SimFaults | None = None,
    bus: int = 1,
    backing_fs: str | None = None,
) -> SimDiskSpec:
    """Create a virtual disk (descriptor + empty media folder) on the next free port.

    With ``backing_fs`` the descriptor only *describes* a loop-backed disk (image path,
    file system, mount point); :func:`pressroom.drives.loopsim.add_loop_disk` makes the
    image and mounts it.
    """
    root = Path(sim_dir)
    root.mkdir(parents=True, exist_ok=True)
    existing = list_sim_disks(root)
    taken = {s.name for s in existing} | {p.name for p in root.iterdir()}
    if name is None:
        name = next(f"disk{i}" for i in range(1, 10_000) if f"disk{i}" not in taken)
    if not _NAME_RE.match(name):
        raise UsageError(f"{name!r} is not a valid disk name (letters, digits, '.', '_', '-').")
    if name in taken:
        raise UsageError(f"A simulated disk named {name!r} already exists.")
    if write_mbps <= 0 or read_mbps <= 0:
        raise UsageError("Disk speeds must be positive.")
    on_bus = [s for s in existing if s.bus == bus]
    address = max((s.address for s in on_bus), default=1) + 1
    if address > 127:
        raise UsageError(f"USB bus {bus} is full (127 devices).")
    port = max((int(s.port_path.rsplit(".", 1)[-1]) for s in on_bus), default=0) + 1
    spec = SimDiskSpec(
        name=name,
        serial=serial,
        vendor_id=vendor_id,
        product_id=product_id,
        vendor=vendor,
        product=product,
        bus=bus,
        address=address,
        port_path=f"{bus}-1.{port}",
        size=parse_size(size),
        write_mbps=float(write_mbps),
        read_mbps=float(read_mbps),
        faults=faults or SimFaults(),
    )
    disk_dir = root / name
    if backing_fs is not None:
        base = Path(os.path.abspath(disk_dir))
        spec.backing = SimBacking(
            fs=backing_fs, image=str(base / IMAGE), mount_point=str(base / MEDIA)
        )
    (disk_dir / MEDIA).mkdir(parents=True)
    _write_spec(disk_dir, spec)
    return spec


def remove_sim_disk(sim_dir: str | os.PathLike[str], name: str) -> None:
    """Delete a disk and its files; a loop-backed one is unmounted and detached first."""
    disk_dir = Path(sim_dir) / name
    spec = _read_spec(disk_dir)
    if spec is None:
        raise UsageError(f"There is no simulated disk named {name!r}.")
    if spec.backing is not None:
        from pressroom.drives import loopback

        image, media = backing_paths(disk_dir, spec.backing)
        device = loopback.loop_of(image)
        if device or os.path.ismount(media):
            loopback.require_root(f"Removing the attached loop-backed disk {name!r} needs")
            loopback.unmount(media)
            if device:
                loopback.detach(device)
        if os.path.ismount(media):  # never delete through a mounted file system
            raise UsageError(f"{media} is still mounted; unmount it first.")
    shutil.rmtree(disk_dir)


def backing_paths(disk_dir: Path, backing: SimBacking) -> tuple[Path, Path]:
    """The image and mount point of a loop-backed disk, refused unless they are the disk's
    own ``disk.img`` and ``media`` (so an edited descriptor cannot have the station mount
    over, or unmount, some other place)."""
    base = Path(os.path.realpath(disk_dir))
    image, media = Path(backing.image), Path(backing.mount_point)
    if (
        Path(os.path.realpath(image.parent)) != base
        or image.name != IMAGE
        or Path(os.path.realpath(media.parent)) != base
        or media.name != MEDIA
    ):
        raise UsageError(
            f"The descriptor of {disk_dir.name} names an image or mount point outside "
            "its own folder; refusing to use it."
        )
    return base / IMAGE, base / MEDIA


def set_backing(sim_dir: str | os.PathLike[str], name: str, backing: SimBacking) -> SimDiskSpec:
    """Record where a loop-backed disk is attached now (after ``attach``)."""
    disk_dir = Path(sim_dir) / name
    spec = _read_spec(disk_dir)
    if spec is None:
        raise UsageError(f"There is no simulated disk named {name!r}.")
    spec.backing = backing
    _write_spec(disk_dir, spec)
    return spec


def set_plugged(sim_dir: str | os.PathLike[str], name: str, plugged: bool, why: str = "") -> None:
    """Plug a disk back in (or pull it out) without changing its files."""
    disk_dir = Path(sim_dir) / name
    if _read_spec(disk_dir) is None:
        raise UsageError(f"There is no simulated disk named {name!r}.")
    marker = disk_dir / UNPLUGGED
    if plugged:
        marker.unlink(missing_ok=True)
    else:
        marker.write_text(why or "unplugged", encoding="utf-8")


def parse_fault(text: str, faults: SimFaults | None = None) -> SimFaults:
    """Apply one ``--fault`` option ("fail-after=1M", "read-only", ...) to ``faults``."""
    f = replace(faults) if faults else SimFaults()
    key, _, value = text.partition("=")
    key = key.strip().lower().replace("_", "-")
    sized = {
        "fail-after": "fail_after",
        "flaky-after": "flaky_after",
        "unplug-after": "unplug_after",
    }
    try:
        if key in sized:
            setattr(f, sized[key], parse_size(value))
        elif key == "bitflip-on-read":
            f.bitflip_on_read = parse_size(value)
        elif key == "fake-capacity":
            f.fake_capacity = parse_size(value)
        elif key in ("read-only", "slow") and not value:
            setattr(f, key.replace("-", "_"), True)
        elif key in ("usb-permission", "usb-timeout") and not value:
            f.usb = key.removeprefix("usb-")
        else:
            raise ValueError
    except ValueError:
        raise UsageError(
            f"Unknown fault {text!r}; use fail-after=N, flaky-after=N, unplug-after=N, "
            "bitflip-on-read=N, "
            "read-only, fake-capacity=SIZE, slow, usb-permission or usb-timeout."
        ) from None
    return f


DEMO_DISKS = (
    ("SanDisk", "Ultra", 0x0781, 0x5581, "4C530001141023108573", "16G", 30, 90),
    ("Kingston", "DataTraveler 3.0", 0x0951, 0x1666, "E0D55EA574E3F4B1A9B2", "8G", 25, 80),
    ("Verbatim", "STORE N GO", 0x18A5, 0x0302, "0712284C3B3AD923", "8G", 20, 60),
    ("Samsung", "Flash Drive FIT", 0x090C, 0x1000, "0374819040005218", "32G", 35, 100),
)


def ensure_demo_disks(sim_dir: str | os.PathLike[str]) -> list[SimDiskSpec]:
    """Give an empty sim directory a few realistic, healthy disks for the demo."""
    if not list_sim_disks(sim_dir):
        for vendor, product, vid, pid, serial, size, w, r in DEMO_DISKS:
            add_sim_disk(
                sim_dir,
                serial=serial,
                vendor=vendor,
                product=product,
                vendor_id=vid,
                product_id=pid,
                size=size,
                write_mbps=w,
                read_mbps=r,
            )
    return list_sim_disks(sim_dir)


# -- runtime state and the Volume -------------------------------------------------------


def _tree_size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.lstat(os.path.join(dirpath, f)).st_size
    return total


class SimDiskState:
    """Counters shared by every open file of one disk: bytes used and written, pacing."""

    def __init__(self, disk_dir: Path, spec: SimDiskSpec):
        self.disk_dir = disk_dir
        self.media = disk_dir / MEDIA
        self.spec = spec
        self.pace = Pace(spec.effective_write_mbps * MB, spec.effective_read_mbps * MB)
        self.lock = threading.Lock()
        self.used = _tree_size(self.media)
        self.written = 0
        self.flaky_spent = False  # a loose connection fails once, then holds
        self.open_writers = 0
        self.unplugged = False

    def present(self) -> bool:
        return (
            not self.unplugged and self.media.is_dir() and not (self.disk_dir / UNPLUGGED).exists()
        )

    def check_alive(self) -> None:
        if self.unplugged:
            raise OSError(errno.ENODEV, "the disk was removed", str(self.media))

    def unplug(self, why: str) -> None:
        self.unplugged = True
        with contextlib.suppress(OSError):
            (self.disk_dir / UNPLUGGED).write_text(why, encoding="utf-8")

    def resync_used(self) -> None:
        with self.lock:
            if self.open_writers == 0:
                self.used = _tree_size(self.media)


class SimWriter(FileWriter):
    def __init__(self, fd: int, volume: SimVolume):
        super().__init__(fd, volume.translate)
        self._state = volume.state
        self._pos = 0

    def write(self, b: bytes | bytearray | memoryview, /) -> int:
        view = memoryview(b).cast("B")
        n = len(view)
        st, f = self._state, self._state.spec.faults
        st.check_alive()
        fault: tuple[int, str] | None = None
        with st.lock:
            if st.used + n > st.spec.size:
                raise OSError(errno.ENOSPC, "no space left on the disk", st.spec.name)
            keep = n
            flaky = None if st.flaky_spent else f.flaky_after
            for limit, code, msg in (
                (f.fail_after, errno.EIO, "write error (simulated failing disk)"),
                (flaky, errno.EIO, "write error (simulated loose connection)"),
                (f.unplug_after, errno.ENODEV, "the disk was removed"),
            ):
                allowed = None if limit is None else max(0, limit - st.written)
                if allowed is not None and allowed < n and allowed <= keep:
                    keep, fault = allowed, (code, msg)
            if fault is not None and "loose connection" in fault[1]:
                st.flaky_spent = True
            data: bytes | memoryview = view[:keep]
            if f.fake_capacity is not None:
                real_left = max(0, f.fake_capacity - st.used)
                if real_left < keep:  # a counterfeit stick drops what it cannot hold
                    data = bytes(view[:real_left]) + bytes(keep - real_left)
            st.used += keep
            st.written += keep
        st.pace.wrote(keep)
        if keep:
            super().write(data)
        if fault is not None:
            if fault[0] == errno.ENODEV:
                st.unplug(f"unplugged by fault after {f.unplug_after} bytes")
            raise OSError(fault[0], fault[1], st.spec.name)
        return n

    def close(self) -> None:
        if self._fd >= 0:
            with self._state.lock:
                self._state.open_writers -= 1
        super().close()


# The backing files live on the host's own file system, read by the kernel directly.
_SIM_BACKING = Backing("kernel", fstype="simfs")


class SimReader(FileReader):
    """Reads the disk's backing file through the simulated medium (pacing, bit flips).

    An uncached read says ``cache_mode = "simulated"``: what it proves is the simulator's
    model of a medium (its backing files, read around the host's page cache where the host
    allows, with the disk's faults applied), not any hardware.
    """

    def __init__(self, relpath: str, volume: SimVolume, *, uncached: bool):
        super().__init__(
            volume.path(relpath),
            uncached=uncached,
            on_error=volume.translate,
            opener=volume.opener(relpath),  # no link followed, regular files only
            backing=_SIM_BACKING,
        )
        if uncached:
            self.cache_mode = "simulated"
        self._state = volume.state
        self._pos = 0

    def readinto(self, buf: bytearray | memoryview, /) -> int:
        self._state.check_alive()
        n = super().readinto(buf)
        self._state.pace.read(n)
        flip = self._state.spec.faults.bitflip_on_read
        if flip is not None and self._pos <= flip < self._pos + n:
            out = memoryview(buf).cast("B")
            out[flip - self._pos] ^= 0x01
        self._pos += n
        return n


class SimVolume(LocalVolume):
    """A LocalVolume over ``media/`` with the disk's speed, capacity and faults applied."""

    def __init__(self, state: SimDiskState):
        super().__init__(state.media, present=state.present)
        self.state = state

    def _writable(self) -> None:
        self.check_present()
        if self.state.spec.faults.read_only:
            raise OSError(errno.EROFS, "the disk is read-only", self.state.spec.name)

    def _release(self, nbytes: int) -> None:
        with self.state.lock:
            self.state.used = max(0, self.state.used - nbytes)

    def _size_or_zero(self, path: Path) -> int:
        try:  # the entry itself: a link on the disk is not followed
            st = path.lstat()
            return _tree_size(path) if stat.S_ISDIR(st.st_mode) else st.st_size
        except FileNotFoundError:
            return 0

    def open_write(self, relpath: str) -> SimWriter:
        self._writable()
        path = self.path(relpath)
        old = self._size_or_zero(path)
        fd = self.create_fd(relpath)  # O_CREAT|O_EXCL|O_NOFOLLOW under the root descriptor
        self._release(old)
        with self.state.lock:
            self.state.open_writers += 1
        return SimWriter(fd, self)  # type: ignore[arg-type]

    def open_read(self, relpath: str, *, uncached: bool) -> SimReader:
        self.check_present()
        return SimReader(relpath, self, uncached=uncached)

    def rename(self, src: str, dst: str) -> None:
        self._writable()
        replaced = self._size_or_zero(self.path(dst))
        super().rename(src, dst)
        self._release(replaced)

    def remove(self, relpath: str) -> None:
        self._writable()
        freed = self._size_or_zero(self.path(relpath))
        super().remove(relpath)
        self._release(freed)

    def remove_tree(self, relpath: str) -> None:
        self._writable()
        freed = self._size_or_zero(self.path(relpath))
        super().remove_tree(relpath)
        self._release(freed)

    def makedirs(self, relpath: str) -> None:
        self._writable()
        super().makedirs(relpath)

    def free_space(self) -> int:
        self.check_present()
        return max(0, self.state.spec.size - self.state.used)

    def flush(self) -> None:
        """A simulated disk's medium is its backing files: their fsync made them durable."""
        self.check_present()


# -- the provider ------------------------------------------------------------------------


class SimulatedProvider:
    """DriveProvider over a sim directory; serials read through pyusb + the sim backend."""

    def __init__(
        self,
        sim_dir: str | os.PathLike[str],
        usb_reader: UsbSerialReader | None = None,
        *,
        poll_interval: float = 0.3,
    ):
        self.sim_dir = Path(sim_dir)
        self._own_reader = usb_reader is None
        self._usb = usb_reader or UsbSerialReader(SimUsbBackend(self._usb_devices))
        self._poll = poll_interval
        self._states: dict[str, SimDiskState] = {}
        self._lock = threading.Lock()

    def _usb_devices(self) -> list[SimUsbDevice]:
        return [s.usb_device() for s in self._plugged_specs()]

    def _plugged_specs(self) -> list[SimDiskSpec]:
        return [
            s
            for s in list_sim_disks(self.sim_dir)
            if s.backing is None and is_plugged(self.sim_dir, s.name)
        ]

    def _state(self, spec: SimDiskSpec) -> SimDiskState:
        """The runtime state of a disk; renewed when the descriptor changes or it is re-plugged."""
        with self._lock:
            st = self._states.get(spec.name)
            if st is None or st.spec != spec or st.unplugged:
                st = SimDiskState(self.sim_dir / spec.name, spec)
                self._states[spec.name] = st
            return st

    def list_drives(self) -> list[Drive]:
        specs = self._plugged_specs()
        usb_infos, bus_error = self._usb.read_all() if specs else ({}, None)
        drives = []
        for spec in specs:
            st = self._state(spec)
            st.resync_used()
            info = usb_infos.get((spec.bus, spec.address))
            drives.append(
                Drive(
                    id=f"sim:{spec.name}",
                    label=spec.name,
                    kind="sim",
                    vendor_id=spec.vendor_id,
                    product_id=spec.product_id,
                    vendor=(info.manufacturer if info else "") or spec.vendor,
                    product=(info.product if info else "") or spec.product,
                    serial=info.serial if info else None,
                    serial_error=(
                        info.serial_error
                        if info
                        else bus_error or "The disk's USB device was not found on the bus."
                    ),
                    bus=spec.bus,
                    address=spec.address,
                    port_path=info.port_path if info else spec.port_path,
                    capacity=spec.size,
                    free=max(0, spec.size - st.used),
                    filesystem="simfs",
                    mount_point=st.media,
                    removable=True,
                    read_only=spec.faults.read_only,
                )
            )
        return drives

    def _spec_for(self, drive: Drive) -> SimDiskSpec:
        name = drive.id.removeprefix("sim:")
        spec = next((s for s in self._plugged_specs() if s.name == name), None)
        if drive.kind != "sim" or spec is None:
            raise DriveRefused(f"The simulated disk {drive.label!r} is no longer attached.")
        return spec

    def open_volume(self, drive: Drive) -> SimVolume:
        return SimVolume(self._state(self._spec_for(drive)))

    def eject(self, drive: Drive) -> None:
        spec = self._spec_for(drive)
        self._state(spec).unplug("ejected")

    def drive_for_path(self, path: str | os.PathLike[str]) -> Drive | None:
        return drive_holding(self.list_drives(), path)

    def watch(self, callback: DriveCallback) -> Watcher:
        return PollingWatcher(self.list_drives, callback, interval=self._poll)

    def close(self) -> None:
        if self._own_reader:
            self._usb.close()

    def __enter__(self) -> SimulatedProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
