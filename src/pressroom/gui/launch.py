"""Start the station window: QApplication, theme, hub, first-start wizard, event loop."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from pressroom.gui import theme

MIN_SIZE = (1024, 640)


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


def build_window(core, *, demo: bool):
    """The window on an :class:`~pressroom.app.App`; demo setup runs first when asked."""
    from pressroom.gui.application import StationHub
    from pressroom.gui.main_window import MainWindow

    core.demo = demo
    hub = StationHub(core)
    window = MainWindow(hub, demo=demo)
    window.resize(1366, 768)
    window.setMinimumSize(*MIN_SIZE)
    return window


def run_gui(core, *, demo: bool) -> int:
    from pressroom.gui import setup_actions, tasks

    app = qapp()
    if demo:  # everything the demo needs, before the drive provider is built
        setup_actions.prepare_demo(core)
    window = build_window(core, demo=demo)
    window.show()
    window.load()
    if not demo and setup_actions.needs_setup(core):
        window.open_wizard()
    from pressroom.gui.gc_guard import collect_on_gui_thread

    with collect_on_gui_thread():
        code = app.exec()
        tasks.wait_all()
    return code
