"""Icons, palette and style sheet from ``resources/``: one look for every window.

Resources live next to the source tree (``resources/icons/*.svg``,
``resources/style/pressroom.qss``); ``PRESSROOM_RESOURCES`` points elsewhere for an
installed build. A missing file degrades to Qt's defaults, never to a crash.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from pressroom import resources as _resources

PASS = "#1b7f3b"
FAIL = "#b3261e"
ACCENT = "#1f5fbf"
MUTED = "#5f6b7a"


def resources_dir() -> Path:
    """One lookup for checkout, wheel and bundle: see :mod:`pressroom.resources`."""
    return _resources.resources_dir()


@cache
def icon(name: str) -> QIcon:
    """An SVG icon by name (``pass``, ``fail``, ``retry``...); empty icon if missing."""
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


def style_sheet() -> str:
    path = resources_dir() / "style" / "pressroom.qss"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def apply(app: QApplication) -> None:
    """Fusion style, a light palette and the station's style sheet."""
    app.setStyle("Fusion")
    pal = app.palette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#f4f6f8"),
        (QPalette.ColorRole.Base, "#ffffff"),
        (QPalette.ColorRole.AlternateBase, "#f7f9fb"),
        (QPalette.ColorRole.Text, "#1d2530"),
        (QPalette.ColorRole.WindowText, "#1d2530"),
        (QPalette.ColorRole.ButtonText, "#1d2530"),
        (QPalette.ColorRole.Button, "#ffffff"),
        (QPalette.ColorRole.Highlight, ACCENT),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.ToolTipBase, "#1d2530"),
        (QPalette.ColorRole.ToolTipText, "#ffffff"),
    ):
        pal.setColor(role, QColor(colour))
    app.setPalette(pal)
    app.setStyleSheet(style_sheet())
    app.setWindowIcon(icon("app"))


def repolish(widget) -> None:
    """Re-apply the style sheet after a dynamic property (``state``) changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
