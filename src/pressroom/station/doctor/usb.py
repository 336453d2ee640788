"""Can this user read USB serials: libusb, the device nodes, the udev rule, the group."""

from __future__ import annotations

import os
from pathlib import Path

from pressroom.station.doctor.check import Check
from pressroom.station.doctor.context import Examination
from pressroom.station.doctor.host import Host

UDEV_RULE_NAME = "70-pressroom.rules"
UDEV_RULE_SOURCE = "packaging/udev/70-pressroom.rules"


def check_libusb(d: Examination) -> Check:
    import libusb_package

    from pressroom.drives.usb import default_backend, explain_usb_error

    path = libusb_package.find_library("usb-1.0")
    try:
        default_backend()
    except Exception as exc:
        return Check(
            "libusb",
            "fail",
            explain_usb_error(exc, "libusb"),
            "Reinstall Pressroom (the libusb-package wheel ships libusb) "
            "or install the system's: sudo apt install libusb-1.0-0.",
        )
    where = f" from {path}" if path else " from the system"
    return Check("libusb", "ok", f"libusb-1.0 loads{where}, so USB serials can be read.")


def usb_disks(host: Host) -> list[Path]:
    """Device nodes of attached USB devices that have a mass-storage interface (class 08)."""
    nodes = []
    for dev in sorted(host.sys_usb.glob("devices/*")):
        busnum, devnum = dev / "busnum", dev / "devnum"
        if not (busnum.is_file() and devnum.is_file()):
            continue  # an interface, not a device
        classes = {_read(i / "bInterfaceClass") for i in dev.glob(f"{dev.name}:*")}
        if "08" in classes:
            node = host.dev_usb / f"{int(_read(busnum)):03d}" / f"{int(_read(devnum)):03d}"
            nodes.append(node)
    return nodes


def check_usb(d: Examination) -> Check:
    host = d.host
    if not host.linux:
        return Check("usb", "warn", "USB access is only checked on Linux.")
    if not host.sys_usb.is_dir():
        return Check(
            "usb",
            "warn",
            f"This machine has no USB bus ({host.sys_usb} is absent), "
            "so only simulated demo disks can be written here.",
            "Use a PC with USB ports for real disks; 'pressroom demo' works meanwhile.",
        )
    if not host.dev_usb.is_dir():
        return Check(
            "usb",
            "fail",
            f"{host.dev_usb} is missing, so no USB device can be opened to read its serial.",
            "Make sure udev runs (systemctl status systemd-udevd).",
        )
    disks = usb_disks(host)
    if not disks:
        return Check("usb", "ok", "USB is present; no USB disk is attached right now.")
    blocked = [n for n in disks if not _can_open(n)]
    if not blocked:
        return Check("usb", "ok", f"All {len(disks)} attached USB disks can be opened.")
    return Check(
        "usb",
        "fail",
        f"{len(blocked)} of {len(disks)} attached USB disks cannot be opened by user "
        f"{host.user} ({', '.join(map(str, blocked))}), so their serials cannot be read "
        "and they will be refused.",
        "Install the udev rule and join the group (see the next two lines), then re-plug.",
    )


def check_udev_rule(d: Examination) -> Check:
    host = d.host
    if not host.linux:
        return Check("udev", "ok", "No udev rule is needed on this system.")
    for folder in host.udev_rule_dirs:
        if (folder / UDEV_RULE_NAME).is_file():
            return Check("udev", "ok", f"The udev rule is installed: {folder / UDEV_RULE_NAME}.")
    where = host.udev_rule_dirs[0]
    return Check(
        "udev",
        "warn",
        f"The udev rule {UDEV_RULE_NAME} is not installed, so only root can read USB "
        "serials and write removable disks.",
        f"sudo cp {UDEV_RULE_SOURCE} {where}/ && sudo udevadm control --reload "
        "&& sudo udevadm trigger",
    )


def check_group(d: Examination) -> Check:
    host = d.host
    if not host.linux:
        return Check("group", "ok", "No operator group is needed on this system.")
    import grp  # Unix only, like the udev rule it serves

    try:
        group = grp.getgrnam(host.group)
    except KeyError:
        return Check(
            "group",
            "warn",
            f"There is no '{host.group}' group, which the udev rule gives the disks to.",
            f"sudo groupadd {host.group} && sudo usermod -aG {host.group} {host.user}",
        )
    if host.euid == 0:
        return Check("group", "ok", "Running as root: group membership is not needed.")
    if group.gr_gid in host.groups:
        return Check("group", "ok", f"User {host.user} is in the '{host.group}' group.")
    if host.user in group.gr_mem:
        return Check(
            "group",
            "warn",
            f"User {host.user} was added to '{host.group}' after this session started.",
            "Log out and in again so the membership applies.",
        )
    return Check(
        "group",
        "warn",
        f"User {host.user} is not in the '{host.group}' group, so disks stay root-only.",
        f"sudo usermod -aG {host.group} {host.user}, then log out and in again.",
    )


def _can_open(node: Path) -> bool:
    """libusb opens the device node read-write to send the string-descriptor requests."""
    return os.access(node, os.R_OK | os.W_OK)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
