"""Kiosk mode for retail: ``pressroom gui --kiosk``.

Full screen, no menus, large touch controls: a customer picks an album, inserts a disk,
watches one progress bar and takes the disk. An operator PIN leaves kiosk mode.
"""

from __future__ import annotations


def run_kiosk(app, *, demo: bool = False) -> int:
    """Show the kiosk full screen on ``app`` until the operator leaves with the PIN."""
    from pressroom.gui import setup_actions, tasks
    from pressroom.gui.application import StationHub
    from pressroom.gui.kiosk.demo import unplug_all
    from pressroom.gui.kiosk.window import KioskWindow
    from pressroom.gui.launch import qapp

    qt = qapp()
    app.demo = demo
    if demo:  # keys, catalog, grant and sim disks; the disks wait outside the slots
        setup_actions.prepare_demo(app)
        unplug_all(app.config.sim_dir)
    window = KioskWindow(StationHub(app), demo=demo)
    window.exited.connect(qt.quit)
    window.load()
    window.present()
    from pressroom.gui.gc_guard import collect_on_gui_thread

    with collect_on_gui_thread():
        code = qt.exec()
        window.exit_kiosk()  # the event loop may also end from outside (a signal)
        tasks.wait_all()
    return code
