"""A Volume over a mounted directory, with reads that reach the medium.

Read-back verification is only worth something if it reads the media, not the copy of
the data the kernel still holds in RAM. So an uncached reader opens with ``O_DIRECT``
(reading into page-aligned mmap buffers, as the kernel requires) and, where the
filesystem refuses ``O_DIRECT`` (tmpfs, some FUSE filesystems answer EINVAL), falls
back to ``posix_fadvise(DONTNEED)``. Under a FUSE daemon it also drops the block
device's cache, which the daemon reads through. ``cache_mode`` says what was proven;
"cache-only" when nothing could be (no block device, or no access to it).

Every path on the volume is reached through :class:`pressroom.secure.diskfs.DiskRoot`:
relative to a descriptor of the volume root, ``O_NOFOLLOW`` at every component, files
created with ``O_CREAT|O_EXCL|O_NOFOLLOW``, removal through ``unlinkat`` (a link on the
disk is removed, never followed). A disk brought to the station may be hostile too.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
from collections.abc import Callable
from pathlib import Path

from pressroom.drives.backing import Backing, backing_of, syncfs
from pressroom.drives.base import CacheMode
from pressroom.drives.fatfs import fat_free_bytes
from pressroom.secure.diskfs import DiskRoot, MediaError, split

Opener = Callable[[Path, int], int]  # (path, flags) -> fd, as os.open

DIRECT_CHUNK = 1 << 20  # one aligned read; a multiple of every logical block size


class FileWriter:
    """Unbuffered writer: every ``write`` reaches the kernel, ``sync`` reaches the media."""

    def __init__(self, fd: int, on_error: Callable[[OSError], OSError] | None = None):
        self._fd = fd
        self._on_error = on_error or (lambda e: e)

    def write(self, b: bytes | bytearray | memoryview, /) -> int:
        view = memoryview(b).cast("B")
        done = 0
        try:
            while done < len(view):
                done += os.write(self._fd, view[done:])
        except OSError as exc:
            raise self._on_error(exc) from None
        return done

    def sync(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise self._on_error(exc) from None

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FileReader:
    """Sequential reader; ``cache_mode`` tells how (and whether) the read reached the medium.

    Uncached, it drops every cached copy before the first read: the file's own pages
    (``O_DIRECT``, else ``posix_fadvise(DONTNEED)``) and, on FUSE, the block device's
    pages the daemon would otherwise answer from (see :mod:`pressroom.drives.backing`).
    """

    cache_mode: CacheMode

    def __init__(
        self,
        path: Path,
        *,
        uncached: bool,
        on_error: Callable[[OSError], OSError] | None = None,
        opener: Opener | None = None,
        backing: Backing | None = None,
    ):
        self._path = path
        self._open = opener or os.open  # LocalVolume passes a no-follow DiskRoot opener
        self._on_error = on_error or (lambda e: e)
        self._mm: mmap.mmap | None = None
        self._pending = memoryview(b"")
        self._fd = -1
        self.cache_mode = "cache-only"
        self.why_cache_only = "read through the page cache on purpose" if not uncached else ""
        self._backing = backing
        self._blockdev_note = ""
        if uncached:
            self._drop_device_cache()
        if uncached and hasattr(os, "O_DIRECT"):
            try:
                self._fd = self._open(path, os.O_RDONLY | os.O_DIRECT | os.O_CLOEXEC)
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise self._on_error(exc) from None
            else:
                self._mm = mmap.mmap(-1, DIRECT_CHUNK)  # anonymous maps are page-aligned
                # FUSE may keep the file's pages even for O_DIRECT opens: drop them too
                with contextlib.suppress(OSError):
                    os.posix_fadvise(self._fd, 0, 0, os.POSIX_FADV_DONTNEED)
                self.cache_mode = self._proven("direct")
        if self._fd < 0:
            self._open_buffered(uncached)

    def _drop_device_cache(self) -> None:
        """Find the medium under the file and, for FUSE, drop the block device's cache."""
        if self._backing is None:
            self._backing = backing_of(self._path)
        b = self._backing
        if b.kind == "none":
            self._blockdev_note = b.why_none or "no block device is known for this volume"
        elif b.via_fuse:
            self._blockdev_note = b.drop()

    def _proven(self, how: str) -> CacheMode:
        """The cache mode a read by ``how`` ("direct"/"fadvise") can claim on this backing."""
        b = self._backing
        if b is None or self._blockdev_note:
            self.why_cache_only = self._blockdev_note
            return "cache-only"
        if b.via_fuse:
            return "direct+blockdev" if how == "direct" else "fadvise+blockdev"
        return "direct" if how == "direct" else "fadvise"

    def _open_buffered(self, uncached: bool) -> None:
        try:
            self._fd = self._open(self._path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise self._on_error(exc) from None
        if uncached:
            os.posix_fadvise(self._fd, 0, 0, os.POSIX_FADV_DONTNEED)
            self.cache_mode = self._proven("fadvise")

    def _fall_back_to_fadvise(self) -> None:
        """Some filesystems accept the O_DIRECT open but refuse the read itself."""
        os.close(self._fd)
        self._fd = -1
        self._release_buffer()
        self._open_buffered(True)

    def readinto(self, buf: bytearray | memoryview, /) -> int:
        out = memoryview(buf).cast("B")
        if not out:
            return 0
        try:
            if self._mm is None:
                return os.readv(self._fd, [out])
            if not self._pending:
                assert self._mm is not None
                try:
                    n = os.readv(self._fd, [self._mm])
                except OSError as exc:
                    if exc.errno != errno.EINVAL or os.lseek(self._fd, 0, os.SEEK_CUR) != 0:
                        raise
                    self._fall_back_to_fadvise()
                    return os.readv(self._fd, [out])
                self._pending = memoryview(self._mm)[:n]
            k = min(len(out), len(self._pending))
            out[:k] = self._pending[:k]
            self._pending = self._pending[k:]
            return k
        except OSError as exc:
            raise self._on_error(exc) from None

    def read(self, n: int = -1, /) -> bytes:
        chunks: list[bytes] = []
        want = n if n >= 0 else None
        while want is None or want > 0:
            buf = bytearray(DIRECT_CHUNK if want is None else min(want, DIRECT_CHUNK))
            got = self.readinto(buf)
            if got == 0:
                break
            chunks.append(bytes(buf[:got]))
            if want is not None:
                want -= got
        return b"".join(chunks)

    def _release_buffer(self) -> None:
        self._pending.release()
        self._pending = memoryview(b"")
        if self._mm is not None:
            self._mm.close()
            self._mm = None

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)
        self._release_buffer()

    def __enter__(self) -> FileReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalVolume:
    """Volume over a directory tree. ``present`` lets a provider turn I/O errors on a
    vanished disk into ENODEV so the engine can say "disk removed" rather than "I/O error".
    """

    def __init__(
        self,
        root: Path,
        present: Callable[[], bool] | None = None,
        *,
        backing: Backing | None = None,
    ):
        self.root = Path(root)
        self._present = present
        self._backing = backing

    @property
    def backing(self) -> Backing:
        """The block device under the volume (found from the mount table if not given)."""
        if self._backing is None:
            self._backing = backing_of(self.root)
        return self._backing

    # -- helpers --------------------------------------------------------------------------
    def path(self, relpath: str) -> Path:
        """Where ``relpath`` is, for display and size accounting; never opened by path.

        Raises ValueError for a path that is not plainly inside the volume (``..``, absolute).
        """
        try:
            parts = [] if relpath in ("", ".") else split(relpath)
        except MediaError:
            raise ValueError(f"{relpath!r} is outside the volume") from None
        return self.root.joinpath(*parts)

    def disk(self) -> DiskRoot:
        """The volume root as a directory descriptor; every access goes through it."""
        return DiskRoot(self.root)

    def opener(self, relpath: str) -> Opener:
        """An opener for :class:`FileReader`: ``relpath`` opened read-only, regular files only."""

        def open_fd(_path: Path, flags: int) -> int:
            with self.disk() as d:
                return d.open_fd(relpath, flags & ~(os.O_RDONLY | os.O_WRONLY | os.O_RDWR))[0]

        return open_fd

    def create_fd(self, relpath: str) -> int:
        """A new file (O_CREAT|O_EXCL|O_NOFOLLOW; a stale file or link there goes first)."""
        self.path(relpath)

        def create() -> int:
            with self.disk() as d:
                return d.create(relpath)

        return self._call(create)  # type: ignore[return-value]

    def check_present(self) -> None:
        if self._present is not None and not self._present():
            raise OSError(errno.ENODEV, "the disk was removed", str(self.root))

    def translate(self, exc: OSError) -> OSError:
        """Map an error on a disk that has gone away to ENODEV."""
        if self._present is not None and exc.errno != errno.ENODEV and not self._present():
            return OSError(errno.ENODEV, "the disk was removed", exc.filename)
        return exc

    def _call(self, fn: Callable[[], object]) -> object:
        self.check_present()
        try:
            return fn()
        except OSError as exc:
            raise self.translate(exc) from None

    # -- the Volume API -------------------------------------------------------------------
    def open_write(self, relpath: str) -> FileWriter:
        return FileWriter(self.create_fd(relpath), self.translate)

    def open_read(self, relpath: str, *, uncached: bool) -> FileReader:
        self.check_present()
        return FileReader(
            self.path(relpath),
            uncached=uncached,
            on_error=self.translate,
            backing=self.backing if uncached else None,
            opener=self.opener(relpath),
        )

    def flush(self) -> None:
        """Durable beyond fsync: under FUSE, syncfs and flush the block device.

        fusefat's fsync leaves the written blocks in the block device's page cache; only
        a flush of the device puts them on the medium. A kernel file system's fsync of the
        file and its directory already did, so nothing more is done there.
        """
        backing = self.backing
        if not backing.via_fuse:
            return

        def flush_all() -> None:
            syncfs(self.root)
            backing.flush()

        self._call(flush_all)

    def _on_disk(self, fn: Callable[[DiskRoot], object], *relpaths: str) -> object:
        for rel in relpaths:
            self.path(rel)

        def run() -> object:
            with self.disk() as d:
                return fn(d)

        return self._call(run)

    def rename(self, src: str, dst: str) -> None:
        if self.path(src).parent != self.path(dst).parent:
            raise ValueError("rename is only atomic within one directory")
        self._on_disk(lambda d: d.replace(src, dst, sync=False), src, dst)

    def remove(self, relpath: str) -> None:
        """Remove whatever is there (a link itself, never its target); nothing is fine."""
        self._on_disk(lambda d: d.remove(relpath), relpath)

    def remove_tree(self, relpath: str) -> None:
        if self.path(relpath) == self.root:
            raise ValueError("refusing to remove the whole volume")
        self._on_disk(lambda d: d.remove(relpath), relpath)

    def makedirs(self, relpath: str) -> None:
        self._on_disk(lambda d: d.makedirs(relpath), relpath)

    def sync_dir(self, relpath: str = "") -> None:
        self._on_disk(lambda d: d.fsync_dir(relpath), relpath)

    def exists(self, relpath: str) -> bool:
        """Any entry, a link included (not followed): writing there then replaces it.

        False when a parent is not a real directory (a link, a file, a FIFO): nothing
        under it is on this disk, and the engine's clean step removes it.
        """

        def probe(d: DiskRoot) -> bool:
            try:
                return d.exists(relpath)
            except MediaError as exc:
                if exc.code == "io-error":
                    raise
                return False

        return bool(self._on_disk(probe, relpath))

    def listdir(self, relpath: str = "") -> list[str]:
        return self._on_disk(lambda d: d.listdir(relpath), relpath)  # type: ignore[return-value]

    def size(self, relpath: str) -> int:
        st = self._on_disk(lambda d: d.lstat(relpath), relpath)
        if not isinstance(st, os.stat_result):
            raise OSError(errno.ENOENT, "no such file on the disk", relpath)
        return st.st_size

    def free_space(self) -> int:
        st = self._call(lambda: os.statvfs(self.root))
        return free_bytes(st, self.backing)  # type: ignore[arg-type]


def free_bytes(st: os.statvfs_result, backing: Backing) -> int:
    """Free bytes from statvfs, or from the FAT itself where the driver reports no blocks
    (fusefat on FAT32 answers statvfs with zeros)."""
    if st.f_blocks == 0 and backing.device is not None:
        counted = fat_free_bytes(backing.device)
        if counted is not None:
            return counted
    return st.f_bavail * st.f_frsize
