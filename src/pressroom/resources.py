"""Where the station's resources (icons, style sheet, demo tracks) are, however it was installed.

The files live once, in the top-level ``resources/`` of the source tree. A wheel and a
PyInstaller bundle carry a copy inside the package as ``pressroom/_resources`` (setup.py's
build step and packaging/pressroom.spec put it there), so one lookup serves a checkout,
an installed wheel and a frozen bundle alike. ``PRESSROOM_RESOURCES`` overrides both.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGED_NAME = "_resources"  # the copy's folder name inside the installed package

_PACKAGE_DIR = Path(__file__).resolve().parent


def candidates() -> list[Path]:
    """The places looked at, in order: the override, the packaged copy, the source tree.

    The source tree counts only from a ``src/pressroom`` checkout: an installed package's
    grandparent is site-packages, where some other distribution's ``resources`` may sit.
    """
    found: list[Path] = []
    env = os.environ.get("PRESSROOM_RESOURCES")
    if env:
        found.append(Path(env).expanduser())
    found.append(_PACKAGE_DIR / PACKAGED_NAME)
    if _PACKAGE_DIR.parent.name == "src":
        found.append(_PACKAGE_DIR.parents[1] / "resources")
    return found


def resources_dir() -> Path:
    """The first candidate that exists; else the last one (callers degrade when files lack)."""
    options = candidates()
    for path in options:
        if path.is_dir():
            return path
    return options[-1]


def resource(*parts: str) -> Path:
    """A path under the resources folder, e.g. ``resource("icons", "app.svg")``."""
    return resources_dir().joinpath(*parts)
