"""Image files as real disks: mkfs, loop devices and mounts, each failure one sentence.

A loop-backed simulated disk is a sparse image file formatted with a real file system,
attached to a loop device and mounted, so the station writes it through the kernel (ext4,
and exFAT/FAT where the kernel has the module) or a FUSE daemon (exfat-fuse, fusefat),
exactly as it writes a USB stick. Everything here shells out to the standard tools and
needs root; nothing here knows about Pressroom's disks, drives or Qt.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from pressroom.errors import PressroomError, SetupError

FILESYSTEMS = ("ext4", "exfat", "fat32", "fat16")
_FAT16_MAX = 4 << 30  # 64 KiB clusters x 65524: the most FAT16 can address
_FAT32_MIN = 33 << 20  # 65525 clusters of 512 bytes: below this mkfs.vfat refuses FAT32
_MIN_SIZE = 16 << 20
_CLUSTER_SECTORS = (1, 2, 4, 8, 16, 32, 64, 128)


@dataclass(frozen=True)
class Tool:
    command: str
    package: str


_MKFS = {
    "ext4": (Tool("mkfs.ext4", "e2fsprogs"), ["-q", "-F", "-m", "0", "-L", "{label}"]),
    "exfat": (Tool("mkfs.exfat", "exfatprogs"), ["-L", "{label}"]),
    "fat32": (Tool("mkfs.vfat", "dosfstools"), ["-F", "32", "-n", "{label}"]),
    "fat16": (Tool("mkfs.vfat", "dosfstools"), ["-F", "16", "-n", "{label}"]),
}
_KERNEL_FS = {"ext4": "ext4", "exfat": "exfat", "fat32": "vfat", "fat16": "vfat"}
_FUSE = {
    "exfat": (Tool("mount.exfat-fuse", "exfat-fuse"), []),
    "fat32": (Tool("fusefat", "fusefat"), ["-o", "rw+"]),
    "fat16": (Tool("fusefat", "fusefat"), ["-o", "rw+"]),
}
_LOSETUP = Tool("losetup", "mount")
_MOUNT = Tool("mount", "mount")
_UMOUNT = Tool("umount", "mount")


@dataclass(frozen=True)
class MountPlan:
    """How a file system will be mounted: by the kernel, or by a FUSE daemon."""

    fs: str
    driver: str  # "kernel" | "fuse"
    argv_prefix: tuple[str, ...]


def require_root(what: str = "Loop-backed disks need") -> None:
    """``what`` starts the sentence and ends with its verb ("... need", "... needs")."""
    if os.geteuid() != 0:
        raise SetupError(
            f"{what} root (to attach loop devices and mount file systems); run the command as root."
        )


def check_fs(fs: str, size: int) -> None:
    """Refuse a file system name or size the tools would refuse, before touching anything."""
    if fs not in FILESYSTEMS:
        raise PressroomError(f"Unknown backing {fs!r}; choose one of {', '.join(FILESYSTEMS)}.")
    if size < _MIN_SIZE:
        raise PressroomError("A loop-backed disk needs at least 16 MiB.")
    if fs == "fat16" and size > _FAT16_MAX:
        raise PressroomError("FAT16 cannot hold more than 4 GiB; choose fat32 or exfat.")
    if fs == "fat32" and size < _FAT32_MIN:
        raise PressroomError("FAT32 needs at least 33 MiB; choose fat16 for smaller disks.")


def _kernel_has(fstype: str) -> bool:
    """Whether the running kernel mounts ``fstype`` itself (loading its module if it can)."""

    def listed() -> bool:
        try:
            text = Path("/proc/filesystems").read_text(encoding="ascii", errors="replace")
        except OSError:
            return False
        return any(line.split()[-1:] == [fstype] for line in text.splitlines())

    if listed():
        return True
    if shutil.which("modprobe"):
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run(["modprobe", "-q", fstype], capture_output=True, timeout=20)
    return listed()


def mount_plan(fs: str) -> MountPlan:
    """Kernel driver when present, else the FUSE daemon; SetupError naming the package."""
    kernel = _KERNEL_FS[fs]
    if fs == "ext4" or _kernel_has(kernel):
        if fs == "ext4" and not _kernel_has("ext4"):
            raise SetupError("This kernel cannot mount ext4 (no ext4 driver).")
        return MountPlan(fs, "kernel", (_MOUNT.command, "-t", kernel))
    tool, options = _FUSE[fs]
    _need(tool, f"the kernel has no {kernel} driver, so {fs} is mounted with FUSE")
    return MountPlan(fs, "fuse", (tool.command, *options))


def check_tools(fs: str) -> MountPlan:
    """Every tool ``create`` will need is installed (else SetupError naming the package)."""
    for tool in (_LOSETUP, _MOUNT, _UMOUNT, _MKFS[fs][0]):
        _need(tool)
    return mount_plan(fs)


def _need(tool: Tool, why: str = "") -> None:
    if shutil.which(tool.command) is None:
        because = f" ({why})" if why else ""
        raise SetupError(
            f"{tool.command} is not installed{because}; install the Debian package {tool.package}."
        )


def _run(argv: list[str], what: str, package: str = "", timeout: float = 120) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        hint = f"; install the Debian package {package}" if package else ""
        raise SetupError(f"{argv[0]} is not installed{hint}.") from None
    except subprocess.TimeoutExpired:
        raise PressroomError(f"{what}: {argv[0]} did not finish in {timeout:.0f} s.") from None
    except OSError as exc:
        raise PressroomError(f"{what}: {exc.strerror or exc}.") from None
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        detail = lines[-1].rstrip(".") if lines else f"{argv[0]} exited {proc.returncode}"
        raise PressroomError(f"{what}: {detail}.")
    return proc.stdout.strip()


def make_image(image: Path, size: int, fs: str, label: str) -> None:
    """A sparse file of ``size`` bytes formatted with ``fs`` (removed again on failure)."""
    check_fs(fs, size)
    tool, args = _MKFS[fs]
    label = (label.upper() if fs.startswith("fat") else label)[: 11 if fs != "ext4" else 16]
    fd = os.open(image, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.ftruncate(fd, size)
    finally:
        os.close(fd)
    try:
        argv = [tool.command, *(a.format(label=label) for a in args), str(image)]
        _run(argv, f"Could not format {image.name} as {fs}", tool.package)
    except BaseException:
        image.unlink(missing_ok=True)
        raise


def loop_of(image: Path) -> str | None:
    """The loop device (/dev/loopN) currently backed by ``image``, if any."""
    target = os.path.realpath(image)
    for backing in sorted(Path("/sys/block").glob("loop*/loop/backing_file")):
        with contextlib.suppress(OSError):
            text = backing.read_text(encoding="utf-8", errors="replace").strip()
            if text == target:
                return f"/dev/{backing.parent.parent.name}"
    return None


def attach(image: Path) -> str:
    """Attach ``image`` to a free loop device (or return the one it already has)."""
    if not image.is_file():
        raise PressroomError(f"The disk image {image} is missing.")
    existing = loop_of(image)
    if existing:
        return existing
    if not Path("/dev/loop-control").exists():
        raise SetupError("This system has no loop devices (/dev/loop-control is missing).")
    return _run(
        [_LOSETUP.command, "--find", "--show", str(image)],
        f"Could not attach {image.name} to a loop device",
        _LOSETUP.package,
    )


def mount_device(device: str, mount_point: Path, fs: str) -> MountPlan:
    plan = mount_plan(fs)
    mount_point.mkdir(parents=True, exist_ok=True)
    if os.path.ismount(mount_point):
        raise PressroomError(f"Something is already mounted at {mount_point}.")
    _run(
        [*plan.argv_prefix, device, str(mount_point)],
        f"Could not mount {device} ({fs}) at {mount_point}",
    )
    if not _wait(lambda: os.path.ismount(mount_point), 10):
        raise PressroomError(f"{device} did not appear mounted at {mount_point}.")
    return plan


def unmount(mount_point: Path) -> None:
    """Flush and unmount (a no-op when nothing is mounted there)."""
    if not os.path.ismount(mount_point):
        return
    os.sync()
    _run([_UMOUNT.command, str(mount_point)], f"Could not unmount {mount_point}")


def detach(device: str) -> None:
    """Detach a loop device and wait until it is gone (a FUSE daemon may hold it a moment)."""
    name = Path(device).name
    backing = Path(f"/sys/block/{name}/loop/backing_file")
    if not backing.exists():
        return
    _run([_LOSETUP.command, "-d", device], f"Could not detach {device}")
    if not _wait(lambda: not backing.exists(), 10):
        raise PressroomError(f"{device} is still attached (something holds it open).")


def _wait(cond, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if cond():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
