"""The PySide6 station window, kiosk and player. The only package that imports Qt.

Entry points: :mod:`pressroom.gui.launch` (``run_gui``, ``run_kiosk``, ``run_player``:
the only module the command line imports, lazily) and :mod:`pressroom.gui.bench_gui`
(the event-loop stall benchmark). Widgets call the application layer
(``app.station``) through the hub, never the parts.
"""
