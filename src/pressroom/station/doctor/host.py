"""Where the machine facts are read from (sysfs, /dev, udev rules, groups).

A dataclass so that tests can describe any machine with temporary folders.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

OPERATOR_GROUP = "pressroom"


def _euid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else -1


def _user_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(_euid())


@dataclass(frozen=True)
class Host:
    sys_usb: Path = Path("/sys/bus/usb")
    dev_usb: Path = Path("/dev/bus/usb")
    udev_rule_dirs: tuple[Path, ...] = (Path("/etc/udev/rules.d"), Path("/usr/lib/udev/rules.d"))
    group: str = OPERATOR_GROUP
    linux: bool = field(default_factory=lambda: sys.platform.startswith("linux"))
    euid: int = field(default_factory=_euid)
    user: str = field(default_factory=_user_name)
    groups: tuple[int, ...] = field(default_factory=lambda: tuple(os.getgroups()))
