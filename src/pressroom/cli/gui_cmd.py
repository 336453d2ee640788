"""`pressroom gui [--demo] [--kiosk]` (and bare `pressroom`): the station window.

Qt is imported only once a display is known to exist, so a headless machine gets one
sentence and a suggestion instead of Qt aborting the process.
"""

from __future__ import annotations

import argparse

from pressroom.app import App
from pressroom.errors import SetupError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="the station window (the default command)")
    p.add_argument("--demo", dest="gui_demo", action="store_true", help="demo disks and tracks")
    p.add_argument("--kiosk", dest="gui_kiosk", action="store_true", help="full-screen kiosk")
    p.set_defaults(func=cmd_gui)


def cmd_gui(args: argparse.Namespace) -> int:
    from pressroom.display import has_display

    demo = bool(getattr(args, "gui_demo", False) or getattr(args, "demo_mode", False))
    kiosk = bool(getattr(args, "gui_kiosk", False) or getattr(args, "kiosk", False))
    if not has_display():
        raise SetupError(
            "There is no display to open the station window on (no DISPLAY or "
            "WAYLAND_DISPLAY); try 'pressroom demo' for a run without a window."
        )
    app = App.from_args(args, demo=demo)
    kiosk = kiosk or bool(app.config.settings.kiosk_mode)
    from pressroom.gui.launch import run_gui, run_kiosk  # the one way into the window

    if kiosk:
        return run_kiosk(app)
    try:
        return run_gui(app)
    finally:
        app.close()
