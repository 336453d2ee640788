"""The checks in report order, and the one place that runs them.

A check must never hide the others: whatever one raises becomes its own FAIL line.
"""

from __future__ import annotations

from collections.abc import Callable

from pressroom.station.doctor import data, desktop, fstools, grants, keys, ledger, software, usb
from pressroom.station.doctor.check import Check
from pressroom.station.doctor.context import Examination

CheckFn = Callable[[Examination], Check]

CHECKS: tuple[tuple[str, CheckFn], ...] = (
    ("python", software.check_python),
    ("libusb", usb.check_libusb),
    ("usb", usb.check_usb),
    ("udev", usb.check_udev_rule),
    ("group", usb.check_group),
    ("data", data.check_data_dir),
    ("keys", keys.check_keys),
    ("ledger", ledger.check_ledger),
    ("grant", grants.check_grants),
    ("display", desktop.check_display),
    ("qt", desktop.check_qt),
    ("audio", desktop.check_audio),
    ("fstools", fstools.check_fs_tools),
)


def run_checks(
    d: Examination, checks: tuple[tuple[str, CheckFn], ...] | None = None
) -> list[Check]:
    """Run ``checks`` (default: :data:`CHECKS`, read at call time) in order."""
    out: list[Check] = []
    for name, fn in CHECKS if checks is None else checks:
        try:
            out.append(fn(d))
        except Exception as exc:  # a check must never hide the others
            out.append(
                Check(
                    name,
                    "fail",
                    f"This check itself failed ({type(exc).__name__}: {exc}).",
                    "Report this to support with the output of 'pressroom doctor --json'.",
                )
            )
    return out
