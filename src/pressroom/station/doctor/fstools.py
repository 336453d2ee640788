"""Are the optional filesystem tools there (only the real-disk loop-device tests need them)?"""

from __future__ import annotations

import os
import shutil

from pressroom.station.doctor.check import Check
from pressroom.station.doctor.context import Examination

FS_TOOLS = ("mkfs.ext4", "mkfs.vfat", "mkfs.exfat", "fusefat", "mount.exfat-fuse")


def check_fs_tools(d: Examination) -> Check:
    missing = [t for t in FS_TOOLS if _which(t) is None]
    if not missing:
        return Check("fstools", "ok", "Filesystem tools for real-disk tests are installed.")
    return Check(
        "fstools",
        "warn",
        f"Optional filesystem tools are missing ({', '.join(missing)}); only the "
        "real-disk (loop device) tests need them.",
        "sudo apt install e2fsprogs dosfstools exfatprogs exfat-fuse fusefat",
    )


def _which(tool: str) -> str | None:
    return shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
