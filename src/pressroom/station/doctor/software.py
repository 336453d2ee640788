"""Is Pressroom installed with its dependencies?"""

from __future__ import annotations

import importlib.metadata
import platform
import sys

from pressroom import __version__
from pressroom.station.doctor.check import Check
from pressroom.station.doctor.context import Examination

CORE_DISTRIBUTIONS = ("PySide6", "cryptography", "pyusb", "libusb-package", "SQLAlchemy")


def check_python(d: Examination) -> Check:
    missing: list[str] = []
    versions: list[str] = []
    for dist in CORE_DISTRIBUTIONS:
        try:
            versions.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            missing.append(dist)
    frozen = " (bundle)" if getattr(sys, "frozen", False) else ""
    head = f"Pressroom {__version__}{frozen} on Python {platform.python_version()}"
    if missing and not frozen:
        return Check(
            "python",
            "fail",
            f"{head}, but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
            "not installed.",
            "Reinstall Pressroom with its dependencies (pip install pressroom).",
        )
    return Check("python", "ok", f"{head}; {', '.join(versions) or 'dependencies bundled'}.")
