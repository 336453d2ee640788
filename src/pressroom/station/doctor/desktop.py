"""Can the window and the player open: a display, Qt (loaded in a child process), audio.

Qt is loaded only in a child process (``pressroom doctor --probe-qt``): a broken Qt
install aborts its process, and the doctor must report that as one line, not die of it.
"""

from __future__ import annotations

import ctypes.util
import importlib
import os
import subprocess
import sys

from pressroom.display import has_display
from pressroom.station.doctor.check import Check
from pressroom.station.doctor.context import Examination

QT_PROBE_TIMEOUT = 60.0
# What the Qt probe imports in its own process: the station window's modules...
QT_MODULES = ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets")
# ...and the player's decoder; it needs libpulse, which the station window itself does not.
QT_MULTIMEDIA = "PySide6.QtMultimedia"
NO_MULTIMEDIA = "no-multimedia"


def check_display(d: Examination) -> Check:
    if has_display():
        where = os.environ.get("WAYLAND_DISPLAY") or os.environ.get("DISPLAY")
        platform_name = os.environ.get("QT_QPA_PLATFORM")
        shown = f" ({where})" if where else f" (QT_QPA_PLATFORM={platform_name})"
        return Check("display", "ok", f"A display is available{shown if d.host.linux else ''}.")
    return Check(
        "display",
        "warn",
        "There is no display, so the station window cannot open; "
        "the command line ('pressroom demo', 'pressroom run') works without one.",
        "Start Pressroom from a desktop session (DISPLAY or WAYLAND_DISPLAY set).",
    )


def qt_probe_command() -> list[str]:
    """This same program, asked to load Qt in a fresh process (a bundle has no `-m`)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "doctor", "--probe-qt"]
    return [sys.executable, "-m", "pressroom", "doctor", "--probe-qt"]


def run_qt_probe() -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        qt_probe_command(),
        capture_output=True,
        text=True,
        timeout=QT_PROBE_TIMEOUT,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def probe_qt() -> int:
    """Child side of the Qt check: import the Qt modules the station uses, print the version.

    Imported by name so that no Qt-free module depends on PySide6; only this child
    process ever loads it.
    """
    for name in QT_MODULES:
        importlib.import_module(name)
    try:
        importlib.import_module(QT_MULTIMEDIA)
    except ImportError as exc:  # a shared library is missing (libpulse.so.0)
        print(f"{NO_MULTIMEDIA}: {exc}")
    print(importlib.import_module("PySide6").__version__)
    return 0


def check_qt(d: Examination) -> Check:
    try:
        result = d.qt_answer(run_qt_probe)
    except subprocess.TimeoutExpired:
        return Check(
            "qt",
            "fail",
            f"Loading Qt took longer than {QT_PROBE_TIMEOUT:.0f} s.",
            "Reinstall PySide6.",
        )
    if result.returncode == 0:
        lines = result.stdout.strip().splitlines()
        version = lines[-1] if lines else "?"
        # QtMultimedia is the audio check's to judge: one fact, one line
        return Check("qt", "ok", f"Qt (PySide6 {version}) loads, so the station window can open.")
    detail = (result.stderr.strip().splitlines() or ["no message"])[-1]
    if result.returncode < 0:
        detail = f"it crashed with signal {-result.returncode}; {detail}"
    return Check(
        "qt",
        "fail",
        f"Qt cannot be loaded, so the station window and player cannot open ({detail}).",
        "Install the system libraries Qt needs: sudo apt install libegl1 libgl1 "
        "libxkbcommon0 libfontconfig1 libdbus-1-3 libpulse0; then reinstall Pressroom.",
    )


def check_audio(d: Examination) -> Check:
    """Whether the player can play: QtMultimedia actually loaded in the Qt child process
    (a libpulse file on disk proves nothing when Qt cannot load it)."""
    try:
        result = d.qt_answer(run_qt_probe)
    except subprocess.TimeoutExpired:
        result = None
    if result is None or result.returncode != 0:
        return Check(
            "audio",
            "warn",
            "Audio could not be checked because Qt itself does not load (see the qt line).",
        )
    lines = result.stdout.strip().splitlines()
    missing = next((ln for ln in lines if ln.startswith(NO_MULTIMEDIA)), None)
    if missing is None:
        return Check("audio", "ok", "QtMultimedia loads, so the player can play tracks.")
    why = missing.split(": ", 1)[-1]
    pulse = "libpulse" in why or (d.host.linux and not _find_library("pulse"))
    return Check(
        "audio",
        "warn",
        f"The player cannot play tracks: QtMultimedia does not load ({why}); the station "
        "and the disk checks work without it.",
        "sudo apt install libpulse0" if pulse else "Reinstall PySide6.",
    )


def _find_library(name: str) -> str | None:
    return ctypes.util.find_library(name)
