"""`pressroom gui [--demo] [--kiosk]` (and bare `pressroom`): the station window.

Qt is imported only once a display is known to exist, so a headless machine gets one
sentence and a suggestion instead of Qt aborting the process.
"""

from __future__ import annotations

import argparse
import importlib

from pressroom.app import App
from pressroom.errors import SetupError

KIOSK_MODULE = "pressroom.gui.kiosk"  # provides run_kiosk(app) -> int when built


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="the station window (the default command)")
    p.add_argument("--demo", dest="gui_demo", action="store_true", help="demo disks and tracks")
    p.add_argument("--kiosk", dest="gui_kiosk", action="store_true", help="full-screen kiosk")
    p.set_defaults(func=cmd_gui)


def cmd_gui(args: argparse.Namespace) -> int:
    from pressroom.gui.display import has_display

    demo = bool(getattr(args, "gui_demo", False) or getattr(args, "demo", False))
    kiosk = bool(getattr(args, "gui_kiosk", False) or getattr(args, "kiosk", False))
    if not has_display():
        raise SetupError(
            "There is no display to open the station window on (no DISPLAY or "
            "WAYLAND_DISPLAY); try 'pressroom demo' for a run without a window."
        )
    app = App.from_args(args)
    kiosk = kiosk or bool(app.config.settings.kiosk_mode)
    if kiosk:
        try:
            kiosk_mod = importlib.import_module(KIOSK_MODULE)
        except ModuleNotFoundError as exc:
            if exc.name != KIOSK_MODULE:
                raise
            raise SetupError("Kiosk mode is not available yet in this build.") from None
        return int(kiosk_mod.run_kiosk(app, demo=demo))
    from pressroom.gui.launch import run_gui

    try:
        return run_gui(app, demo=demo)
    finally:
        app.close()
