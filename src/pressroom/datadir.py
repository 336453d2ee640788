"""The data directory's permissions: the station's secrets are the owner's alone.

The data directory holds the kiosk PIN hash (``settings.toml``), the ledger, the run
journals, crash logs and the keys. Any local user who can read them can crack the PIN
offline or read the sales record, so the directory is 0700 and those files 0600. They
are *created* so (each writer passes an explicit mode; SQLite gives its ``-wal``,
``-shm`` and ``-journal`` files the mode of the database file) and *repaired* at every
start by :func:`repair_data_dir`, which the composition root (``pressroom.app``) calls
for every front end, with one log line per file it tightens.

Only group and other bits are removed (``0644`` becomes ``0600``, ``0755`` becomes
``0700``); an owner who made a file read-only keeps it so. Symbolic links are never
followed, and a file that cannot be changed (another owner) is logged, not fatal.

On Windows, mode bits mean only "read-only"; the per-user profile folder's ACL keeps
other users out, so the repair does nothing there and files are created with the
profile's default ACL. On macOS the calls are the same as on Linux.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# flags missing on some systems (Windows) are simply not asked for there
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)
POSIX_MODES = os.name == "posix"

DIR_MODE = 0o700
FILE_MODE = 0o600
# Sub-directories kept 0700 (with their sub-folders), and which of their files are
# private: every file of journal/ and logs/; in keys/ the private keys (public keys,
# certificates and revocation lists are public by nature). Other folders (sim/, reports/,
# player/) are covered by the data directory's own 0700.
PRIVATE_SUBDIRS: dict[str, str] = {"keys": ".key", "journal": "", "logs": ""}
_WALK_LIMIT = 10_000  # entries per folder: a repair never runs away on a huge folder


@dataclass(frozen=True)
class Repair:
    """One file or folder whose mode was tightened (or could not be)."""

    path: Path
    old: int
    new: int
    error: str = ""


def make_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` and any missing parents with mode 0700 (whatever the umask)."""
    path = Path(path)
    missing: list[Path] = []
    p = path
    while not p.exists() and p != p.parent:
        if p.is_symlink():  # a dangling link: let mkdir report it
            break
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # another process made it meanwhile; the repair tightens it
        os.chmod(d, DIR_MODE)  # mkdir's mode is masked by the umask
    return path


def create_private_file(path: str | os.PathLike[str]) -> None:
    """Make sure ``path`` exists; a new file is created 0600 (an existing one is kept)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_CLOEXEC, FILE_MODE)
    except FileExistsError:
        return  # opened as it is; a loose mode is the start-up repair's job
    os.close(fd)


def write_private(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` atomically with ``data``, mode 0600: a crash leaves old or new.

    The temporary file is created with ``O_EXCL|O_NOFOLLOW`` next to the target, so a
    link planted at its name is never written through; ``rename`` replaces a link at the
    target itself rather than following it.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW | O_CLOEXEC | _BINARY
    try:
        fd = os.open(tmp, flags, FILE_MODE)
    except FileExistsError:  # left over by a killed process with our pid
        os.unlink(tmp)
        fd = os.open(tmp, flags, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):  # the rename itself survives a power cut (POSIX)
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | O_CLOEXEC)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def repair_data_dir(root: str | os.PathLike[str]) -> list[Repair]:
    """Tighten the data directory and its private files; one log line per change.

    A missing data directory is left missing (it is created 0700 at first write); a
    path that is not a directory is left for the command that needs it to report.
    """
    root = Path(root)
    if not POSIX_MODES:
        return []
    try:
        st = os.stat(root)  # the data directory itself may be a link the operator made
    except OSError:
        return []
    if not stat.S_ISDIR(st.st_mode):
        return []
    root = Path(os.path.realpath(root))  # below the root itself no link is followed
    repairs: list[Repair] = []
    _tighten(root, DIR_MODE, repairs)
    for entry in _entries(root):
        if entry.name in PRIVATE_SUBDIRS and entry.is_dir(follow_symlinks=False):
            _tighten_tree(Path(entry.path), PRIVATE_SUBDIRS[entry.name], repairs)
        elif entry.is_file(follow_symlinks=False):
            _tighten(Path(entry.path), FILE_MODE, repairs)
    return repairs


def _tighten_tree(folder: Path, suffix: str, repairs: list[Repair], depth: int = 0) -> None:
    _tighten(folder, DIR_MODE, repairs)
    for entry in _entries(folder):
        if entry.is_dir(follow_symlinks=False) and depth < 4:
            _tighten_tree(Path(entry.path), suffix, repairs, depth + 1)
        elif entry.is_file(follow_symlinks=False) and entry.name.endswith(suffix):
            _tighten(Path(entry.path), FILE_MODE, repairs)


def _entries(folder: Path) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            for n, entry in enumerate(it):
                if n >= _WALK_LIMIT:
                    log.warning("%s has more than %d entries; not all were checked.", folder, n)
                    return
                yield entry
    except OSError as exc:
        log.warning("Cannot list %s to check its permissions: %s.", folder, exc.strerror)


def _tighten(path: Path, limit: int, repairs: list[Repair]) -> None:
    """Remove every permission bit outside ``limit`` from ``path``, never through a link."""
    try:
        first = os.lstat(path)
    except OSError:
        return  # gone meanwhile
    if not (stat.S_ISREG(first.st_mode) or stat.S_ISDIR(first.st_mode)):
        return  # links, FIFOs, sockets, devices: never opened, followed or changed
    try:
        fd: int | None = os.open(path, os.O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    except OSError:
        fd = None  # unreadable to its owner (e.g. 0200): a chmod of the checked path
    old = new = 0
    try:
        st = os.fstat(fd) if fd is not None else os.lstat(path)
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            return  # replaced by something else since the lstat
        old = stat.S_IMODE(st.st_mode)
        new = old & limit
        if new == old:
            return
        if fd is not None:
            os.fchmod(fd, new)
        else:
            os.chmod(path, new)
    except OSError as exc:
        repairs.append(Repair(path, old, old, exc.strerror or str(exc)))
        log.warning("%s is readable by other users and could not be tightened: %s.", path, exc)
        return
    finally:
        if fd is not None:
            os.close(fd)
    repairs.append(Repair(path, old, new))
    log.warning(
        "Tightened the permissions of %s from %04o to %04o (other users could read it).",
        path,
        old,
        new,
    )
