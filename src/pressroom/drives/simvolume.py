"""Simulated disks, the medium: a paced, fault-injecting Volume over a disk's folder.

Every read and write is booked on the disk's root-bus clock
(:class:`~pressroom.drives.pacing.BusClock`), so a disk runs at its own speed and all
disks of a bus share the bus's bandwidth. Faults (write errors, unplugging, bit flips,
read-only, counterfeit capacity) are applied at the byte where the descriptor puts them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import threading
from pathlib import Path

from pressroom.drives.backing import Backing
from pressroom.drives.pacing import BusClock, Pace
from pressroom.drives.simspec import MB, MEDIA, UNPLUGGED, SimDiskSpec
from pressroom.drives.volume import FileReader, FileWriter, LocalVolume


def _tree_size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.lstat(os.path.join(dirpath, f)).st_size
    return total


class SimDiskState:
    """Counters shared by every open file of one disk: bytes used and written, pacing."""

    def __init__(self, disk_dir: Path, spec: SimDiskSpec, bus: BusClock | None = None):
        self.disk_dir = disk_dir
        self.media = disk_dir / MEDIA
        self.spec = spec
        self.pace = Pace(spec.effective_write_mbps * MB, spec.effective_read_mbps * MB, bus)
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
