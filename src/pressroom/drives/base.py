"""What a disk is, and the one protocol every source of disks implements.

The engine, the GUI and the CLI only ever see :class:`Drive`, :class:`DriveEvent`,
:class:`DriveProvider` and :class:`Volume`; whether a disk is a USB stick, a loop
device or a folder with a speed limit is the provider's business.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from pressroom.errors import PressroomError

DriveKind = Literal["sim", "usb", "loop"]
EventKind = Literal["added", "removed", "changed"]
# How a read-back reached (or failed to reach) the medium, strongest first:
#   direct            O_DIRECT read; a kernel file system reads the device itself
#   direct+blockdev   O_DIRECT read through a FUSE daemon, the block device's cache dropped first
#   fadvise           the file's cached pages dropped (O_DIRECT refused); kernel file system
#   fadvise+blockdev  the file's and the block device's cached pages dropped; FUSE
#   simulated         a simulated disk's own read path (its medium model, faults included)
#   cache-only        nothing could prove it: no block device to reach, or no access to it
CacheMode = Literal[
    "direct", "direct+blockdev", "fadvise", "fadvise+blockdev", "simulated", "cache-only"
]
CACHE_MODES: tuple[CacheMode, ...] = (
    "direct",
    "direct+blockdev",
    "fadvise",
    "fadvise+blockdev",
    "simulated",
    "cache-only",
)
FROM_MEDIA: frozenset[str] = frozenset(CACHE_MODES) - {"cache-only"}

# What the operator accepts as read-back (settings.toml ``verify_mode``):
#   media   read back from the medium wherever the disk allows; a disk that can only be
#           read back from the cache still passes, marked "verified from cache only"
#   strict  a disk that cannot be read back from the medium fails (verify-cache-only)
VerifyMode = Literal["media", "strict"]
VERIFY_MODES: tuple[VerifyMode, ...] = ("media", "strict")

# File systems whose files cannot reach 4 GiB (FAT's 32-bit file size field).
FAT_FILE_LIMIT = (1 << 32) - 1
_FILE_LIMITS = {"vfat": FAT_FILE_LIMIT, "fat": FAT_FILE_LIMIT, "msdos": FAT_FILE_LIMIT}


def weakest_cache_mode(modes: Iterable[str]) -> str:
    """The mode a whole disk can claim: the weakest of its files' read-backs."""
    seen = list(dict.fromkeys(modes))
    if not seen:
        return ""
    rank = {m: i for i, m in enumerate(CACHE_MODES)}
    return max(seen, key=lambda m: rank.get(m, len(CACHE_MODES)))


def max_file_size(filesystem: str) -> int | None:
    """The largest single file ``filesystem`` can hold, or None when it is not a concern."""
    return _FILE_LIMITS.get(filesystem.lower())


class DriveRefused(PressroomError):
    """The provider will not let anyone write this disk (system disk, not removable, gone)."""


@dataclass(frozen=True)
class Drive:
    """One attached disk as the station sees it: identity, place on the bus, space."""

    id: str
    label: str
    kind: DriveKind
    vendor_id: int | None
    product_id: int | None
    vendor: str
    product: str
    serial: str | None
    serial_error: str | None
    bus: int | None
    address: int | None
    port_path: str
    capacity: int
    free: int
    filesystem: str
    mount_point: Path | None
    removable: bool
    read_only: bool

    def to_json(self) -> dict[str, object]:
        """Plain JSON-able dict (paths as strings) for `--json` output and reports."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["mount_point"] = str(self.mount_point) if self.mount_point else None
        return data

    def same_state(self, other: Drive) -> bool:
        """Equal apart from free space, which changes on every write and is not news."""
        return {**self.__dict__, "free": 0} == {**other.__dict__, "free": 0}


@dataclass(frozen=True)
class DriveEvent:
    kind: EventKind
    drive: Drive


DriveCallback = Callable[[DriveEvent], None]


class Watcher(Protocol):
    def stop(self) -> None:
        """Stop watching and join the background thread; no callback runs afterwards."""


class Writer(Protocol):
    def write(self, b: bytes | bytearray | memoryview, /) -> int: ...
    def sync(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Writer: ...
    def __exit__(self, *exc: object) -> None: ...


class Reader(Protocol):
    cache_mode: CacheMode
    why_cache_only: str  # for "cache-only": one phrase saying why the medium was out of reach

    def readinto(self, buf: bytearray | memoryview, /) -> int: ...
    def read(self, n: int = -1, /) -> bytes: ...
    def close(self) -> None: ...
    def __enter__(self) -> Reader: ...
    def __exit__(self, *exc: object) -> None: ...


@runtime_checkable
class Volume(Protocol):
    """The only way the engine touches a disk's files, so pacing and faults always apply.

    Paths are relative to :attr:`root`. Errors are :class:`OSError` with a meaningful
    errno: ENOSPC (full), EROFS (read-only), ENODEV/EIO (disk removed or failing).
    """

    root: Path

    def open_write(self, relpath: str) -> Writer: ...
    def open_read(self, relpath: str, *, uncached: bool) -> Reader:
        """``uncached``: drop every cached copy first, so the read comes from the medium;
        the reader's ``cache_mode`` says how that was achieved, or "cache-only"."""
        ...

    def flush(self) -> None:
        """Make what was written and fsynced durable on the medium where fsync is not enough
        (a FUSE daemon's writes sit in the block device's cache)."""
        ...

    def rename(self, src: str, dst: str) -> None: ...
    def remove(self, relpath: str) -> None: ...
    def remove_tree(self, relpath: str) -> None: ...
    def makedirs(self, relpath: str) -> None: ...
    def sync_dir(self, relpath: str = "") -> None: ...
    def exists(self, relpath: str) -> bool: ...
    def listdir(self, relpath: str = "") -> list[str]: ...
    def size(self, relpath: str) -> int: ...
    def free_space(self) -> int: ...


@runtime_checkable
class DriveProvider(Protocol):
    def list_drives(self) -> list[Drive]: ...
    def watch(self, callback: DriveCallback) -> Watcher: ...
    def open_volume(self, drive: Drive) -> Volume: ...
    def eject(self, drive: Drive) -> None: ...
    def drive_for_path(self, path: str | os.PathLike[str]) -> Drive | None: ...
    def close(self) -> None: ...


def drive_holding(drives: Iterable[Drive], path: str | os.PathLike[str]) -> Drive | None:
    """The drive whose mount point contains ``path`` (deepest mount wins)."""
    target = Path(os.path.realpath(path))
    best: tuple[int, Drive] | None = None
    for drive in drives:
        if drive.mount_point is None:
            continue
        mount = Path(os.path.realpath(drive.mount_point))
        if (target == mount or mount in target.parents) and (
            best is None or len(mount.parts) > best[0]
        ):
            best = (len(mount.parts), drive)
    return best[1] if best else None


def diff_drives(old: dict[str, Drive], new: dict[str, Drive]) -> list[DriveEvent]:
    """Events that turn the ``old`` snapshot into ``new`` (both keyed by drive id)."""
    events = [DriveEvent("removed", d) for i, d in old.items() if i not in new]
    for i, d in new.items():
        if i not in old:
            events.append(DriveEvent("added", d))
        elif not old[i].same_state(d):
            events.append(DriveEvent("changed", d))
    return events


def format_size(n: int) -> str:
    """Human size in powers of 1000 as printed on disk packaging ("8.0 GB")."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


_SIZE_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str | int) -> int:
    """Parse "8G", "512M", "1.5G", "4096" (binary units) into bytes."""
    if isinstance(text, int):
        return text
    s = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = s[-1:] if s[-1:] in _SIZE_UNITS else ""
    number = s[: len(s) - len(unit)] if unit else s
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{text!r} is not a size (examples: 8G, 512M, 4096)") from None
    if value < 0:
        raise ValueError(f"{text!r} is negative")
    return int(value * _SIZE_UNITS[unit])
