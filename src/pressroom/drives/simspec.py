"""Simulated disks, the descriptors: what a virtual disk *is* (identity, port, size,
speeds, faults) and the sim directory that holds them.

Layout of the sim directory (``Config.sim_dir``)::

    buses.toml           optional: the bandwidth of each simulated root bus (MB/s)
    <name>/disk.toml     descriptor (or disk.json): identity, port, size, speeds, faults
    <name>/media/        the disk's files (its "mount point")
    <name>/unplugged     present while the disk is pulled out (fault or eject)
    <name>/disk.img      loop-backed disks only: the image with a real file system,
                         mounted at <name>/media through a loop device (root only)

A descriptor with a ``[backing]`` table describes a loop-backed disk: its identity comes
from here like any simulated disk's, but its files live on a real file system written
through the Linux provider (:mod:`pressroom.drives.loopsim`). The paced volume is in
:mod:`pressroom.drives.simvolume`, the provider in :mod:`pressroom.drives.simprovider`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import tomli_w

from pressroom.drives.base import parse_size
from pressroom.drives.simbackend import SimUsbDevice
from pressroom.errors import UsageError

MB = 1_000_000  # disk speeds are quoted in decimal megabytes per second
SLOW_WRITE_MBPS, SLOW_READ_MBPS = 1.5, 4.0
DESCRIPTOR, DESCRIPTOR_JSON, MEDIA, UNPLUGGED = "disk.toml", "disk.json", "media", "unplugged"
IMAGE = "disk.img"
BUSES = "buses.toml"
MAX_ADDRESS = 127  # a USB bus addresses 127 devices
_PORT_RE = re.compile(r"^(\d{1,3})-(\d{1,2}(?:\.\d{1,2}){0,6})$")
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


# Parsed descriptors by path, kept while the file is unchanged: a tower's watcher lists
# 128 disks every 0.3 s, and parsing their TOML each time was a quarter of all the GIL
# time of a 128-disk run (py-spy --gil), time the window's thread waited for.
_PARSED: dict[Path, tuple[tuple[int, int, int], SimDiskSpec]] = {}


def _read_spec(disk_dir: Path) -> SimDiskSpec | None:
    path = disk_dir / DESCRIPTOR
    try:
        st = path.stat()
    except OSError:
        return _parse_spec(disk_dir)
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    cached = _PARSED.get(path)
    if cached is not None and cached[0] == stamp:
        return replace(cached[1])  # a copy: callers may set fields on what they get
    spec = _parse_spec(disk_dir)
    if spec is not None:
        _PARSED[path] = (stamp, replace(spec))
    return spec


def _parse_spec(disk_dir: Path) -> SimDiskSpec | None:
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
    port_path: str | None = None,
    backing_fs: str | None = None,
) -> SimDiskSpec:
    """Create a virtual disk (descriptor + empty media folder) on the next free port.

    ``port_path`` places it behind hubs (``"2-1.3.4"``: bus 2, root port 1, hub port 3,
    port 4); by default it takes the next port of bus ``bus``'s first hub. With
    ``backing_fs`` the descriptor only *describes* a loop-backed disk (image path, file
    system, mount point); :func:`pressroom.drives.loopsim.add_loop_disk` makes the image
    and mounts it.
    """
    root = Path(sim_dir)
    root.mkdir(parents=True, exist_ok=True)
    existing = list_sim_disks(root)
    taken = {s.name for s in existing} | {p.name for p in root.iterdir()}
    if name is None:
        name = next(f"disk{i}" for i in range(1, 100_000) if f"disk{i}" not in taken)
    if not _NAME_RE.match(name):
        raise UsageError(f"{name!r} is not a valid disk name (letters, digits, '.', '_', '-').")
    if name in taken:
        raise UsageError(f"A simulated disk named {name!r} already exists.")
    if write_mbps <= 0 or read_mbps <= 0:
        raise UsageError("Disk speeds must be positive.")
    if port_path is not None:
        bus = parse_port_path(port_path)[0]
    on_bus = [s for s in existing if s.bus == bus]
    address = max((s.address for s in on_bus), default=1) + 1
    if address > MAX_ADDRESS:
        raise UsageError(f"USB bus {bus} is full ({MAX_ADDRESS} devices).")
    if port_path is None:
        hub1 = [s for s in on_bus if s.port_path.startswith(f"{bus}-1.")]
        port = max((int(s.port_path.rsplit(".", 1)[-1]) for s in hub1), default=0) + 1
        port_path = f"{bus}-1.{port}"
    if any(s.port_path == port_path for s in on_bus):
        raise UsageError(f"Port {port_path} already holds a simulated disk.")
    spec = SimDiskSpec(
        name=name,
        serial=serial,
        vendor_id=vendor_id,
        product_id=product_id,
        vendor=vendor,
        product=product,
        bus=bus,
        address=address,
        port_path=port_path,
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


# -- root buses ----------------------------------------------------------------------------


def parse_port_path(text: str) -> tuple[int, tuple[int, ...]]:
    """``"2-1.3.4"`` -> ``(2, (1, 3, 4))``: the bus and the port at each hop (1-31, 7 hops)."""
    m = _PORT_RE.match(text.strip())
    ports = tuple(int(p) for p in m.group(2).split(".")) if m else ()
    if m is None or not 1 <= int(m.group(1)) <= 127 or not all(1 <= p <= 31 for p in ports):
        raise UsageError(f"{text!r} is not a USB port path (bus-port.port..., e.g. 2-1.3.4).")
    return int(m.group(1)), ports


def hub_of(port_path: str) -> str:
    """The hub a port belongs to (its path without the last hop): ``2-1.3.4`` -> ``2-1.3``."""
    head, _, _ = port_path.rpartition(".")
    return head or port_path.split("-", 1)[0]


def read_buses(sim_dir: str | os.PathLike[str]) -> dict[int, float]:
    """Each simulated root bus's bandwidth in MB/s (a bus not listed is unlimited)."""
    path = Path(sim_dir) / BUSES
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        table = data.get("bus", {})
        out = {int(k): float(v["mbps"]) for k, v in table.items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}  # a hand-broken file: buses unlimited, as without it
    return {k: v for k, v in out.items() if v > 0}


def set_bus(sim_dir: str | os.PathLike[str], bus: int, mbps: float | None) -> dict[int, float]:
    """Set (or with ``None`` remove) the bandwidth limit of one simulated root bus."""
    if not 1 <= bus <= 127:
        raise UsageError(f"{bus} is not a USB bus number (1-127).")
    if mbps is not None and mbps <= 0:
        raise UsageError("A bus bandwidth must be positive.")
    root = Path(sim_dir)
    root.mkdir(parents=True, exist_ok=True)
    buses = read_buses(root)
    if mbps is None:
        buses.pop(bus, None)
    else:
        buses[bus] = float(mbps)
    doc = {"bus": {str(k): {"mbps": v} for k, v in sorted(buses.items())}}
    tmp = root / (BUSES + ".tmp")
    tmp.write_text(tomli_w.dumps(doc), encoding="utf-8")
    os.replace(tmp, root / BUSES)
    return buses
