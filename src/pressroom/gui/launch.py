"""The one way into the windows: station, kiosk and player (``pressroom gui``, ``play --gui``).

The command line imports only this module of the GUI, lazily, so ``cli`` and ``gui``
stay independent otherwise. Each entry takes the composition root (whose ``demo`` was
fixed when it was built) and runs the event loop until the window closes.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from pressroom.app import App
from pressroom.gui import theme

if TYPE_CHECKING:
    from pressroom.gui.main_window import MainWindow

MIN_SIZE = (1024, 600)  # the smallest shop screen the station is made for


def qapp() -> QApplication:
    """The process's QApplication, created once with high-DPI scaling that follows the OS."""
    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Pressroom")
        app.setOrganizationName("Pressroom")
        app.setApplicationDisplayName("Pressroom")
    theme.apply(app)
    return app  # type: ignore[return-value]


def build_window(core: App) -> MainWindow:
    """The station window on ``core`` (a demo window when ``core.demo``)."""
    from pressroom.gui.application import StationHub
    from pressroom.gui.main_window import MainWindow

    hub = StationHub(core)
    window = MainWindow(hub, demo=core.demo)
    window.setMinimumSize(*MIN_SIZE)
    from PySide6.QtWidgets import QApplication

    screen = QApplication.primaryScreen()
    room = screen.availableGeometry().size() if screen is not None else None
    # sized from the screen: 1366x768 where there is room, the whole screen where not
    width = max(MIN_SIZE[0], min(1366, room.width())) if room else 1366
    height = max(MIN_SIZE[1], min(768, room.height())) if room else 768
    window.resize(width, height)
    return window


def run_gui(core: App) -> int:
    from pressroom.gui import tasks

    app = qapp()
    theme.set_appearance(core.config.settings.appearance)  # light, dark or the system's
    if core.demo:  # everything the demo needs, before the drive provider is built
        core.station.setup.prepare_demo()
    window = build_window(core)
    window.show()
    window.load()
    if not core.demo and core.station.setup.needs_setup():
        window.open_wizard()
    from pressroom.gui.gc_guard import collect_on_gui_thread

    with collect_on_gui_thread():
        code = app.exec()
        tasks.wait_all()
    return code


def run_kiosk(core: App) -> int:
    """The kiosk full screen on ``core`` until the operator leaves with the PIN."""
    from pressroom.gui import tasks
    from pressroom.gui.application import StationHub
    from pressroom.gui.gc_guard import collect_on_gui_thread
    from pressroom.gui.kiosk.window import KioskWindow

    qt = qapp()
    theme.set_appearance(core.config.settings.appearance)
    if core.demo:  # keys, catalog, grant and sim disks; the disks wait outside the slots
        core.station.setup.prepare_demo()
        core.station.demo.unplug_all()
    window = KioskWindow(StationHub(core), demo=core.demo)
    window.exited.connect(qt.quit)
    window.load()
    window.present()
    with collect_on_gui_thread():
        code = qt.exec()
        window.exit_kiosk()  # the event loop may also end from outside (a signal)
        tasks.wait_all()
    return code


def run_player(core: App, mount: str | None = None) -> int:
    """``pressroom play --gui``: the player window on its own."""
    from pressroom.gui.player_window import run_player as run

    return run(core, mount)
