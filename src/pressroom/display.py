"""Can this process open a window? Answered without importing Qt (Qt aborts otherwise)."""

from __future__ import annotations

import os
import sys


def has_display() -> bool:
    """A display server is reachable, or Qt was told to use a platform that needs none."""
    if not sys.platform.startswith("linux"):
        return True
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return True
    platform = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0]
    return platform not in ("", "xcb", "wayland", "wayland-egl")
