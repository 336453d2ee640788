"""Where a volume's bytes really live, and how to make the kernel forget its copies.

Read-back proves a disk only if the bytes come from the medium, not from RAM:

- A kernel file system (ext4, vfat, exfat) reads file data from the device itself, so
  reading the file with ``O_DIRECT`` (or after dropping its pages) reaches the medium.
- A FUSE daemon (fusefat, exfat-fuse, ntfs-3g) reads the block device with ordinary
  buffered I/O, so the block device's own page cache still holds what was just written:
  an ``O_DIRECT`` read of the file is answered from that cache. The device's pages must
  be flushed and dropped as well. fusefat's ``fsync`` does not flush them either, so for
  FUSE the block device is also where a write becomes durable.
- tmpfs, network and overlay file systems have no block device Pressroom can reach:
  whatever is read back may come from a cache, and the station says so.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pressroom.drives.mounts import Mount, fuse_sources, is_block, mount_holding, read_mounts

BackingKind = Literal["kernel", "fuse", "none"]

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def syncfs(path: str | os.PathLike[str]) -> None:
    """syncfs(2) on the file system holding ``path`` (os.syncfs does not exist in 3.11)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.syncfs(fd) != 0:
            err = ctypes.get_errno()
            if err not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
                raise OSError(err, os.strerror(err), str(path))
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Backing:
    """The block device under a volume, and whether a FUSE daemon sits in between."""

    kind: BackingKind
    device: str | None = None  # /dev path of the block device the file system reads
    fstype: str = ""
    why_none: str = ""  # for kind "none": why there is no medium to reach

    @property
    def via_fuse(self) -> bool:
        return self.kind == "fuse"

    def _device_fd(self) -> int:
        assert self.device is not None
        return os.open(self.device, os.O_RDONLY | os.O_CLOEXEC)

    def flush(self) -> None:
        """Push the daemon's buffered writes out of the block device's cache to the medium.

        Only FUSE needs it: a kernel file system's fsync already reached the device.
        """
        if not self.via_fuse or self.device is None:
            return
        fd = self._device_fd()
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def drop(self) -> str:
        """Flush and forget the block device's cached pages; "" on success, else why not.

        After this, a FUSE daemon's next read of the device goes to the medium.
        """
        if self.device is None:
            return self.why_none or "no block device is known for this volume"
        try:
            fd = self._device_fd()
        except OSError as exc:
            return f"the block device {self.device} cannot be opened ({exc.strerror})"
        try:
            os.fsync(fd)  # DONTNEED leaves dirty pages in place: write them first
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError as exc:
            return f"the cache of {self.device} could not be dropped ({exc.strerror})"
        finally:
            os.close(fd)
        return ""


def _block_device(devno: str) -> str | None:
    link = Path(f"/sys/dev/block/{devno}")
    if not link.exists():
        return None
    dev = f"/dev/{link.resolve().name}"
    return dev if is_block(dev) else None


def backing_of_mount(m: Mount, mounts: list[Mount] | None = None) -> Backing:
    """The Backing of one mount table entry."""
    if m.is_fuse:
        device = m.source if m.source.startswith("/dev/") else None
        if device is None:
            device = fuse_sources(mounts if mounts is not None else [m]).get(m.mount_point)
        if device and is_block(device):
            return Backing("fuse", os.path.realpath(device), m.fstype)
        return Backing(
            "none",
            fstype=m.fstype,
            why_none=f"the FUSE file system ({m.fstype}) does not name a block device",
        )
    device = _block_device(m.devno)
    if device is None and m.source.startswith("/dev/") and is_block(m.source):
        device = os.path.realpath(m.source)  # btrfs and others show an anonymous devno
    if device is not None:
        return Backing("kernel", device, m.fstype)
    return Backing("none", fstype=m.fstype, why_none=f"{m.fstype} has no block device")


def backing_of(path: str | os.PathLike[str]) -> Backing:
    """The Backing of the file system holding ``path``."""
    with contextlib.suppress(OSError):
        mounts = read_mounts()
        m = mount_holding(path, mounts)
        if m is not None:
            return backing_of_mount(m, mounts)
    return Backing("none", why_none="the mount table does not show this folder's file system")
