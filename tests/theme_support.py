"""Switch the whole application to one colour scheme for a test, and put it back after."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtGui import QPalette

from pressroom.gui import theme


@contextmanager
def scheme(qapp, appearance: str) -> Iterator[None]:
    """The app styled as ``appearance`` (light | dark | system) inside the block only."""
    before = (theme._state.appearance, qapp.styleSheet(), QPalette(qapp.palette()))
    theme.apply(qapp, appearance)
    try:
        yield
    finally:
        theme._state.appearance = before[0]
        qapp.setStyleSheet(before[1])
        qapp.setPalette(before[2])
        theme.notifier().changed.emit(theme.scheme_name())
