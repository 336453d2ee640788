"""The one reader/writer for a disk's files: every byte on a disk is attacker input.

A disk may carry symbolic links (to the user's own files), FIFOs (a read that never
returns), device nodes, directories where files belong and files far larger than they
claim to be. :class:`DiskRoot` holds a directory descriptor of the disk root and reaches
every file *relative to it*, one path component at a time, each opened with
``O_NOFOLLOW`` (``openat``), so no link anywhere under the root is ever followed:

- reading accepts regular files only. The entry is ``lstat``-ed first (a device is
  refused without being opened: opening some devices has side effects), then opened
  with ``O_NONBLOCK`` (a FIFO swapped in meanwhile cannot block) and ``fstat``-ed again;
  ``O_NONBLOCK`` is cleared on the regular file. The size from ``fstat`` is checked
  against the caller's maximum *before* anything is read, and a file that grows or
  shrinks while it is read is refused;
- writing never goes through a link: a file is created with
  ``O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW`` under a temporary name in its own directory
  (a stale entry there is removed first with ``unlinkat``, which removes a link itself,
  never its target), written, fsynced, renamed over the final name with ``renameat``
  (which replaces a link, never its target) and the directory is fsynced;
- removal (``unlink``, ``rmtree``) works through directory descriptors and ``unlinkat``:
  a link inside the tree is removed, never followed.

Every refusal and every ``OSError`` becomes a :class:`MediaError` with a reason code of
its own (``symlink``, ``fifo``, ``socket``, ``device``, ``directory``, ``not-directory``,
``too-large``, ``changed``, ``bad-path``, ``missing``, ``io-error``) and one sentence
naming the file. ``MediaError`` is both a ``FormatError`` (for the verifier and the
player) and an ``OSError`` carrying the errno (for the engine, which maps errnos such as
ENODEV to "disk removed").

Other systems. macOS and the BSDs have ``openat``/``O_NOFOLLOW``/``O_DIRECTORY`` and
Python's ``dir_fd`` parameters as used here; on FreeBSD a trailing link under
``O_NOFOLLOW`` fails with ``EMLINK`` rather than ``ELOOP`` (the ``lstat`` after a failed
open still names it a link), and macOS has ``O_NOFOLLOW_ANY`` to refuse links in any
component in one call. Windows has no ``dir_fd``: the equivalent is ``CreateFileW``
with ``FILE_FLAG_OPEN_REPARSE_POINT`` for each component (a reparse point — symlink or
junction — is then opened itself, not followed), ``GetFileInformationByHandle`` /
``GetFileType`` to require a plain disk file and read its size from the handle, and
``CREATE_NEW`` plus ``SetFileInformationByHandle(FileRenameInfo)`` for create-then-rename.
That port is not written: on Windows :class:`DiskRoot` refuses to open a disk.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from pressroom.secure.errors import FormatError

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOCTTY = getattr(os, "O_NOCTTY", 0)
DIR_FLAGS = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _NONBLOCK | _CLOEXEC
READ_FLAGS = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _NOCTTY | _CLOEXEC
CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _NOCTTY | _CLOEXEC
MAX_TREE_DEPTH = 32  # rmtree refuses deeper trees: Pressroom itself writes two levels
TMP_SUFFIX = ".tmp"
_HAVE_DIR_FD = os.name != "nt" and os.supports_dir_fd >= {os.open, os.stat, os.unlink, os.mkdir}


class MediaError(FormatError, OSError):
    """A disk file that is refused or cannot be read: a reason code and one sentence."""

    code = "io-error"

    def __init__(
        self, message: str, *, code: str | None = None, file: str | None = None, err: int = 0
    ):
        super().__init__(message, code=code, file=file)
        self.errno = err or None


class MediaMissing(MediaError):
    """No entry at all under that name (callers word this one themselves)."""

    code = "missing"


_KINDS = (
    (stat.S_ISLNK, "symlink", "a symbolic link (links on a disk are never followed)"),
    (stat.S_ISFIFO, "fifo", "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "socket", "a socket"),
    (stat.S_ISCHR, "device", "a device node"),
    (stat.S_ISBLK, "device", "a device node"),
    (stat.S_ISDIR, "directory", "a directory"),
)


_ERRNOS = {"symlink": errno.ELOOP, "directory": errno.EISDIR, "not-directory": errno.ENOTDIR}


def _kind(mode: int) -> tuple[str, str]:
    for test, code, words in _KINDS:
        if test(mode):
            return code, words
    return "not-regular", "not a regular file"


def _refuse(rel: str, mode: int, want_dir: bool) -> None:
    """Raise unless ``mode`` is what is expected: a regular file, or a directory."""
    if (stat.S_ISDIR(mode) if want_dir else stat.S_ISREG(mode)) and not stat.S_ISLNK(mode):
        return
    if want_dir and stat.S_ISREG(mode):
        code, words = "not-directory", "a file"
    else:
        code, words = _kind(mode)
    what = "directory" if want_dir else "regular file"
    raise MediaError(
        f"{rel} on the disk is {words}, not a {what}; it was refused.",
        code=code,
        file=rel,
        err=_ERRNOS.get(code, errno.EINVAL),
    )


def split(rel: str) -> list[str]:
    """The components of a disk-relative path; ``""`` is the root itself."""
    if rel == "":
        return []
    parts = rel.split("/")
    if rel.startswith("/") or "\0" in rel or any(p in ("", ".", "..") for p in parts):
        raise MediaError(
            f"{rel!r} is not a plain path inside the disk; it was refused.",
            code="bad-path",
            file=rel,
            err=errno.EINVAL,
        )
    return parts


class DiskRoot:
    """A directory descriptor of a disk root; every path below it is opened without links."""

    def __init__(self, root: str | os.PathLike[str]):
        if not _HAVE_DIR_FD:
            raise MediaError(
                "Reading disks safely needs openat(); this system is not supported yet.",
                code="unsupported",
                err=errno.ENOSYS,
            )
        self.root = Path(root)
        try:
            self.fd = os.open(self.root, os.O_RDONLY | _DIRECTORY | _NONBLOCK | _CLOEXEC)
        except OSError as exc:
            raise _io_error(exc, str(self.root), "opened") from None

    def close(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)

    def __enter__(self) -> DiskRoot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- walking -------------------------------------------------------------------------
    @contextmanager
    def _dir(self, parts: list[str]) -> Iterator[int]:
        """A descriptor of the directory ``parts`` (the root for ``[]``), links refused."""
        fd, opened = self.fd, []
        try:
            for i, name in enumerate(parts):
                rel = "/".join(parts[: i + 1])
                try:
                    fd = os.open(name, DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    raise _failed(exc, fd, name, rel, want_dir=True) from None
                opened.append(fd)
            yield fd
        finally:
            for f in opened:
                os.close(f)

    @contextmanager
    def _parent(self, rel: str) -> Iterator[tuple[int, str]]:
        """The directory holding ``rel`` and the last component's name."""
        parts = split(rel)
        if not parts:
            raise MediaError("The disk root is not a file.", code="bad-path", err=errno.EISDIR)
        with self._dir(parts[:-1]) as dfd:
            yield dfd, parts[-1]

    def lstat(self, rel: str) -> os.stat_result | None:
        """The entry itself (a link is not followed), or None when there is none."""
        try:
            with self._parent(rel) as (dfd, name):
                return _lstat_at(dfd, name, rel)
        except MediaMissing:
            return None

    def exists(self, rel: str) -> bool:
        """Any entry at all (a link, a FIFO...): opening it then says what is wrong."""
        return self.lstat(rel) is not None

    # -- reading -------------------------------------------------------------------------
    def open_fd(self, rel: str, extra_flags: int = 0) -> tuple[int, os.stat_result]:
        """A read-only descriptor of the regular file ``rel`` and its ``fstat``."""
        with self._parent(rel) as (dfd, name):
            st = _lstat_at(dfd, name, rel)
            _refuse(rel, st.st_mode, want_dir=False)  # devices are never even opened
            try:
                fd = os.open(name, READ_FLAGS | extra_flags, dir_fd=dfd)
            except OSError as exc:
                raise _failed(exc, dfd, name, rel, want_dir=False) from None
        try:
            st = os.fstat(fd)
            _refuse(rel, st.st_mode, want_dir=False)
            os.set_blocking(fd, True)
        except OSError as exc:
            os.close(fd)
            raise _io_error(exc, rel, "read") from None
        return fd, st

    def open_read(self, rel: str, max_size: int | None = None) -> DiskFile:
        """The regular file ``rel`` for streaming; refused before reading if over ``max_size``."""
        fd, st = self.open_fd(rel)
        try:
            if max_size is not None:
                _check_size(rel, st.st_size, max_size)
        except MediaError:
            os.close(fd)
            raise
        return DiskFile(fd, rel, st.st_size, max_size)

    def read_bytes(self, rel: str, max_size: int) -> bytes:
        """The whole regular file ``rel``, at most ``max_size`` bytes, size checked first."""
        with self.open_read(rel, max_size) as fh:
            return fh.read_all()

    # -- writing -------------------------------------------------------------------------
    def create(self, rel: str, mode: int = 0o644) -> int:
        """A new file at ``rel`` (O_EXCL|O_NOFOLLOW); a stale file or link there goes first."""
        with self._parent(rel) as (dfd, name):
            _remove_stale(dfd, name, rel)
            try:
                return os.open(name, CREATE_FLAGS, mode, dir_fd=dfd)
            except OSError as exc:
                raise _failed(exc, dfd, name, rel, want_dir=False, verb="created") from None

    def write_atomic(self, rel: str, data: bytes) -> None:
        """``rel + ".tmp"`` created, written, fsynced, renamed over ``rel``, directory fsynced.

        A crash leaves the old file or the new one; a link at either name is replaced,
        never written through.
        """
        tmp = rel + TMP_SUFFIX
        fd = self.create(tmp)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError as exc:
            os.close(fd)
            with suppress(MediaError):
                self.unlink(tmp)
            raise _io_error(exc, tmp, "written") from None
        os.close(fd)
        self.replace(tmp, rel)

    def replace(self, src: str, dst: str, *, sync: bool = True) -> None:
        """Rename ``src`` over ``dst`` in one directory, then (``sync``) fsync that directory."""
        a, b = split(src), split(dst)
        if not a or a[:-1] != b[:-1]:
            raise MediaError(
                f"{src} and {dst} are not in one directory; the rename would not be atomic.",
                code="bad-path",
                err=errno.EXDEV,
            )
        with self._dir(a[:-1]) as dfd:
            try:
                os.replace(a[-1], b[-1], src_dir_fd=dfd, dst_dir_fd=dfd)
            except OSError as exc:
                raise _failed(exc, dfd, b[-1], dst, want_dir=False, verb="replaced") from None
            if sync:
                fsync_dir_fd(dfd)

    def makedirs(self, rel: str) -> None:
        """Create each missing directory of ``rel``; an existing link there is refused."""
        parts = split(rel)
        for i in range(len(parts)):
            with self._dir(parts[:i]) as dfd:
                try:
                    os.mkdir(parts[i], 0o755, dir_fd=dfd)
                except FileExistsError:
                    pass
                except OSError as exc:
                    raise _io_error(exc, "/".join(parts[: i + 1]), "created") from None
        with self._dir(parts):  # every component is now a real directory, or this says why
            pass

    def fsync_dir(self, rel: str = "") -> None:
        with self._dir(split(rel)) as dfd:
            fsync_dir_fd(dfd)

    def listdir(self, rel: str = "") -> list[str]:
        with self._dir(split(rel)) as dfd:
            try:
                return sorted(os.listdir(dfd))
            except OSError as exc:
                raise _io_error(exc, rel or ".", "listed") from None

    # -- removing ------------------------------------------------------------------------
    def unlink(self, rel: str) -> None:
        """Remove a non-directory entry (a link itself, never its target); none is fine."""
        with self._parent(rel) as (dfd, name):
            try:
                os.unlink(name, dir_fd=dfd)
            except FileNotFoundError:
                return
            except OSError as exc:
                raise _failed(exc, dfd, name, rel, want_dir=False, verb="removed") from None

    def remove(self, rel: str) -> None:
        """Remove whatever is at ``rel``: a file, a link, a special file or a whole tree."""
        st = self.lstat(rel)
        if st is None:
            return
        if stat.S_ISDIR(st.st_mode):
            self.rmtree(rel)
        else:
            self.unlink(rel)

    def rmtree(self, rel: str) -> None:
        """Remove the tree at ``rel`` through directory descriptors; links are unlinked."""
        with self._parent(rel) as (dfd, name):
            try:
                _rmtree_at(dfd, name, rel, 0)
            except FileNotFoundError:
                return
            except MediaError:
                raise
            except OSError as exc:
                raise _io_error(exc, rel, "removed") from None


class DiskFile:
    """A regular disk file open for reading, with its ``fstat`` size and a hard limit.

    Reading past ``max_size``, or past the size ``fstat`` gave, is refused: the file
    changed (or lies about its size) while it was being read.
    """

    def __init__(self, fd: int, rel: str, size: int, max_size: int | None = None):
        self.fd = fd
        self.file = rel
        self.size = size
        self.limit = size if max_size is None else min(size, max_size)
        self.done = 0

    def fileno(self) -> int:
        return self.fd

    def _count(self, n: int) -> int:
        self.done += n
        if self.done > self.limit:
            raise MediaError(
                f"{self.file} on the disk grew while it was read; it was refused.",
                code="changed",
                file=self.file,
                err=errno.EFBIG,
            )
        return n

    def readinto(self, buf: bytearray | memoryview, /) -> int:
        out = memoryview(buf).cast("B")
        # one byte more than the limit allows, so growth is seen rather than cut off
        room = self.limit + 1 - self.done
        try:
            n = os.readv(self.fd, [out[: max(0, min(len(out), room))]]) if room > 0 else 0
        except OSError as exc:
            raise _io_error(exc, self.file, "read") from None
        return self._count(n)

    def read(self, n: int = -1, /) -> bytes:
        want = self.limit + 1 - self.done if n < 0 else min(n, self.limit + 1 - self.done)
        chunks: list[bytes] = []
        while want > 0:
            try:
                b = os.read(self.fd, want)
            except OSError as exc:
                raise _io_error(exc, self.file, "read") from None
            if not b:
                break
            self._count(len(b))
            chunks.append(b)
            want -= len(b)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def read_all(self) -> bytes:
        """Everything, in one allocation where the kernel allows; exactly ``size`` bytes."""
        data = self.read(self.limit)  # exactly what fstat promised: no resize, no copy
        if len(data) != self.size or self.read(1):
            raise MediaError(
                f"{self.file} on the disk changed size while it was read; it was refused.",
                code="changed",
                file=self.file,
                err=errno.EIO,
            )
        return data

    def close(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)

    def __enter__(self) -> DiskFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fsync_dir_fd(fd: int) -> None:
    """fsync a directory; FAT over FUSE and others refuse, and their metadata is written
    with the file's own fsync, so that refusal is not a loss."""
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EBADF):
            raise _io_error(exc, ".", "synced") from None


def _check_size(rel: str, size: int, max_size: int) -> None:
    if size > max_size:
        raise MediaError(
            f"{rel} on the disk is {size} bytes, more than the {max_size} such a file may "
            "hold; it was not read.",
            code="too-large",
            file=rel,
            err=errno.EFBIG,
        )


def _lstat_at(dfd: int, name: str, rel: str) -> os.stat_result:
    try:
        return os.stat(name, dir_fd=dfd, follow_symlinks=False)
    except OSError as exc:
        raise _io_error(exc, rel, "found") from None


def _failed(
    exc: OSError, dfd: int, name: str, rel: str, *, want_dir: bool, verb: str = "opened"
) -> MediaError:
    """Say *why* an open failed: look at the entry itself (a link, a FIFO...)."""
    if exc.errno != errno.ENOENT:
        try:
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
        except OSError:
            pass
        else:
            try:
                _refuse(rel, st.st_mode, want_dir)
            except MediaError as refusal:
                return refusal
    return _io_error(exc, rel, verb)


def _io_error(exc: OSError, rel: str, verb: str) -> MediaError:
    if isinstance(exc, MediaError):
        return exc
    cls = MediaMissing if exc.errno == errno.ENOENT else MediaError
    why = exc.strerror or type(exc).__name__
    return cls(
        f"{rel} on the disk could not be {verb} ({why}).",
        file=rel,
        err=exc.errno or errno.EIO,
    )


def _remove_stale(dfd: int, name: str, rel: str) -> None:
    """Remove a leftover regular file or link at a name about to be created; refuse others."""
    try:
        st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _io_error(exc, rel, "checked") from None
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        _refuse(rel, st.st_mode, want_dir=False)
    try:
        os.unlink(name, dir_fd=dfd)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _io_error(exc, rel, "removed") from None


def _rmtree_at(dfd: int, name: str, rel: str, depth: int) -> None:
    st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(name, dir_fd=dfd)
        return
    if depth > MAX_TREE_DEPTH:
        raise MediaError(
            f"{rel} on the disk is nested deeper than {MAX_TREE_DEPTH} levels; not removed.",
            code="too-deep",
            file=rel,
            err=errno.ELOOP,
        )
    try:
        fd = os.open(name, DIR_FLAGS, dir_fd=dfd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # swapped for a link or file meanwhile
            os.unlink(name, dir_fd=dfd)
            return
        raise
    try:
        for child in os.listdir(fd):
            _rmtree_at(fd, child, f"{rel}/{child}", depth + 1)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=dfd)
