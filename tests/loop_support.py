"""Real file systems on loop devices (root only), for the Linux provider and read-back tests.

Each file system is mounted the way a shop's station would: by the kernel when it has the
driver, else by the FUSE daemon Debian ships (this machine's kernel has no vfat or exfat
module, so FAT goes through fusefat and exFAT through exfat-fuse).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class FsKind:
    mkfs: tuple[str, ...]
    kernel: str | None  # kernel file system type, when the kernel may have it
    fuse: tuple[str, ...] | None  # FUSE mount command (device and mount point appended)
    packages: str  # Debian packages that provide the tools
    size_mb: int = 32


FILESYSTEMS = {
    "ext4": FsKind(("mkfs.ext4", "-q"), "ext4", None, "e2fsprogs"),
    # mkfs.vfat picks FAT16 at 32 MB: kept as "vfat" for the provider tests
    "vfat": FsKind(("mkfs.vfat",), "vfat", ("fusefat", "-o", "rw+"), "dosfstools fusefat"),
    "fat16": FsKind(
        ("mkfs.vfat", "-F", "16"), "vfat", ("fusefat", "-o", "rw+"), "dosfstools fusefat"
    ),
    # FAT32 needs at least 65525 clusters: 64 MB of 512-byte clusters
    "fat32": FsKind(
        ("mkfs.vfat", "-F", "32", "-s", "1"),
        "vfat",
        ("fusefat", "-o", "rw+"),
        "dosfstools fusefat",
        size_mb=64,
    ),
    "exfat": FsKind(("mkfs.exfat",), "exfat", ("mount.exfat-fuse",), "exfatprogs exfat-fuse"),
    "ntfs": FsKind(("mkntfs", "-Q", "-F"), None, ("ntfs-3g",), "ntfs-3g"),
}


def sh(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def root_and_loop_reason() -> str | None:
    """Why loop devices cannot be used here, or None."""
    if os.geteuid() != 0 or not shutil.which("losetup") or not Path("/dev/loop-control").exists():
        return "needs root, losetup (Debian package mount) and /dev/loop-control"
    return None


def missing_tools(fs: str) -> str | None:
    """A one-line skip reason naming the Debian packages, or None when all tools exist."""
    kind = FILESYSTEMS[fs]
    tools = [kind.mkfs[0]] + ([kind.fuse[0]] if kind.fuse and not _kernel_has(kind) else [])
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        return f"{', '.join(missing)} not installed (Debian packages {kind.packages})"
    return None


def _kernel_has(kind: FsKind) -> bool:
    if kind.kernel is None:
        return False
    try:
        names = Path("/proc/filesystems").read_text().split()
    except OSError:
        return False
    return kind.kernel in names


class LoopDisk:
    def __init__(self, tmp: Path, fs: str, size_mb: int | None = None, tag: str = ""):
        kind = FILESYSTEMS[fs]
        self.fs = fs
        self.image = tmp / f"{fs}{tag}.img"
        self.mnt = tmp / f"mnt-{fs}{tag}"
        self.mnt.mkdir()
        with open(self.image, "wb") as fh:
            fh.truncate((size_mb or kind.size_mb) << 20)
        sh(*kind.mkfs, str(self.image))
        self.dev = sh("losetup", "-f", "--show", str(self.image))
        self.name = Path(self.dev).name
        try:
            if _kernel_has(kind):
                sh("mount", "-t", str(kind.kernel), self.dev, str(self.mnt))
                self.driver = f"kernel {kind.kernel}"
            elif kind.fuse is not None:
                sh(*kind.fuse, self.dev, str(self.mnt))
                self.driver = kind.fuse[0]
            else:
                sh("mount", self.dev, str(self.mnt))
                self.driver = "kernel"
        except subprocess.CalledProcessError:
            subprocess.run(["losetup", "-d", self.dev], capture_output=True)
            raise

    def cleanup(self) -> None:
        for _ in range(20):  # a FUSE daemon may still be finishing a request
            if subprocess.run(["umount", str(self.mnt)], capture_output=True).returncode == 0:
                break
            if not os.path.ismount(self.mnt):
                break
            time.sleep(0.1)
        subprocess.run(["losetup", "-d", self.dev], capture_output=True)


def make_loop_disk(tmp: Path, fs: str, **kw) -> LoopDisk:
    """A LoopDisk, or a skip naming what is missing."""
    why = root_and_loop_reason() or missing_tools(fs)
    if why:
        pytest.skip(why)
    return LoopDisk(tmp, fs, **kw)
