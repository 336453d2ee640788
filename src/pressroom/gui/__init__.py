"""The PySide6 station window. The only package that imports Qt.

Entry points: :func:`pressroom.gui.application.run_gui` (used by ``pressroom gui``) and
:mod:`pressroom.gui.bench_gui` (the event-loop stall benchmark).
"""
