"""The mount table as data: which file system sits where, and on which device.

Shared by the Linux provider (which disks may be offered) and the read-back code
(which block device a volume's bytes really come from). FUSE mounts are the awkward
case: fusefat names its source "fusefat", so the device is read from the daemon's
command line.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

MOUNTINFO = "/proc/self/mountinfo"


@dataclass(frozen=True)
class Mount:
    devno: str  # "major:minor" as in mountinfo
    mount_point: Path
    fstype: str
    source: str
    options: frozenset[str]

    @property
    def is_fuse(self) -> bool:
        return self.fstype == "fuseblk" or self.fstype.startswith("fuse.")


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def read_mounts(path: str = MOUNTINFO) -> list[Mount]:
    mounts = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            left, _, right = line.partition(" - ")
            a, b = left.split(), right.split()
            if len(a) < 6 or len(b) < 2:
                continue
            mounts.append(
                Mount(
                    devno=a[2],
                    mount_point=Path(_unescape(a[4])),
                    fstype=b[0],
                    source=_unescape(b[1]),
                    options=frozenset(a[5].split(",")),
                )
            )
    return mounts


def is_block(path: str) -> bool:
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        return False


def fuse_sources(mounts: list[Mount]) -> dict[Path, str]:
    """Mount point -> block device for FUSE mounts that do not name their device
    (fusefat shows its source as "fusefat"): read it from the daemon's command line."""
    wanted = {
        m.mount_point: m
        for m in mounts
        if m.fstype.startswith("fuse") and not m.source.startswith("/dev/")
    }
    if not wanted:
        return {}
    found: dict[Path, str] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        args = [a for a in argv[1:] if a and a[0] != "-"]
        devices = [a for a in args if a.startswith("/dev/") and is_block(a)]
        # Daemons chdir("/") and may have been given a relative mount point: match
        # an absolute argument exactly, a relative one as a path suffix.
        points = [
            mp
            for mp in wanted
            for a in args
            if (a.startswith("/") and Path(os.path.realpath(a)) == mp)
            or (not a.startswith("/") and str(mp).endswith("/" + a.rstrip("/")))
        ]
        if len(set(points)) == 1 and devices:
            found[points[0]] = os.path.realpath(devices[0])
    return found


def mount_holding(path: str | os.PathLike[str], mounts: list[Mount]) -> Mount | None:
    """The mount a path lives on: the deepest mount point above it with its device number."""
    real = Path(os.path.realpath(path))
    try:
        st = os.stat(real)
        devno = f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"
    except OSError:
        devno = ""
    above = [m for m in mounts if m.mount_point == real or m.mount_point in real.parents]
    same_dev = [m for m in above if m.devno == devno] or above
    # the last of the deepest wins: a later mount on the same point hides the earlier
    return max(reversed(same_dev), key=lambda m: len(m.mount_point.parts), default=None)
