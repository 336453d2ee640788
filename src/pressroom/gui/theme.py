"""Icons, colours and style sheet: one look for every window, light or dark.

Every colour the GUI shows is named here once, in a light and a dark scheme (``LIGHT``,
``DARK``); widgets, the style sheet (``resources/style/pressroom.qss``, whose ``$name``
tokens are filled from the scheme) and painted views look colours up by name. The scheme
follows the system's colour scheme (Qt 6.5+ ``QStyleHints.colorScheme``) unless the
operator's Appearance setting says Light or Dark, and changes live: the palette, the style
sheet and every icon from :func:`icon` repaint; widgets that hold their own style sheet
listen to :func:`notifier`.

Resources live next to the source tree (``resources/icons/*.svg``,
``resources/style/pressroom.qss``); ``PRESSROOM_RESOURCES`` points elsewhere for an
installed build. A missing file degrades to Qt's defaults, never to a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from string import Template

from PySide6.QtCore import QByteArray, QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

from pressroom import resources as _resources

APPEARANCES = {"system": "Follow system", "light": "Light", "dark": "Dark"}

# Names: *_ink is a colour for text (or thin lines) on window/base/its own *_bg; the plain
# name (accent, pass, fail) is a fill or a thick border, which carries on_accent text.
LIGHT: Mapping[str, str] = {
    "window": "#f4f6f8",
    "base": "#ffffff",
    "alt_base": "#f7f9fb",
    "text": "#1d2530",
    "muted": "#5f6b7a",
    "border": "#d5dbe3",
    "control_border": "#b9c2ce",
    "card_border": "#c9d1db",
    "header": "#eef1f5",
    "tab": "#e9edf2",
    "hover": "#eef3fb",
    "pressed": "#dfe7f3",
    "disabled_text": "#6b7582",
    "disabled_bg": "#eceff3",
    "accent": "#1f5fbf",
    "accent_hover": "#174a94",
    "accent_disabled": "#9fb3d1",
    "on_accent": "#ffffff",
    "accent_ink": "#1f5fbf",
    "pass": "#1b7f3b",
    "pass_ink": "#1b7f3b",
    "pass_bg": "#f1faf3",
    "pass_text": "#12562a",
    "fail": "#b3261e",
    "fail_ink": "#b3261e",
    "fail_bg": "#fdf1f0",
    "fail_text": "#7a1a14",
    "removed_bg": "#eceff3",
    "removed_border": "#8a94a3",
    "cancelled_ink": "#7a5f00",
    "banner_bg": "#fff4d6",
    "banner_border": "#e0c36a",
    "banner_text": "#5a3d00",
    "error_bg": "#fbe6e4",
    "error_border": "#e3a19b",
    "error_text": "#7a1a14",
    "selection_bg": "#cfe0f7",
    "selection_text": "#1d2530",
    "tooltip_bg": "#1d2530",
    "tooltip_text": "#ffffff",
    "grid": "#e6eaef",
    "track": "#dadce0",
    # progress bar fills: the bar's words ("Writing 40%", "Verified") sit on them
    "bar_run": "#a9c6f0",
    "bar_pass": "#9fd4ae",
    "bar_fail": "#f2b8b3",
    # icon inks: the colours the SVG files are drawn in (recoloured for the dark scheme)
    "icon_ink": "#2b3440",
    "icon_warning": "#8a5a00",
    "icon_star": "#f2c037",
}

DARK: Mapping[str, str] = {
    "window": "#1b1f24",
    "base": "#23282f",
    "alt_base": "#282e36",
    "text": "#e6e9ed",
    "muted": "#a3adba",
    "border": "#3a424d",
    "control_border": "#56606d",
    "card_border": "#46505c",
    "header": "#2a3038",
    "tab": "#262c33",
    "hover": "#2f3845",
    "pressed": "#364152",
    "disabled_text": "#8a94a1",
    "disabled_bg": "#2a2f36",
    "accent": "#2f66c0",
    "accent_hover": "#2857a6",
    "accent_disabled": "#34435a",
    "on_accent": "#ffffff",
    "accent_ink": "#8ab4f8",
    "pass": "#2e9a52",
    "pass_ink": "#6fcf8a",
    "pass_bg": "#16271c",
    "pass_text": "#9be0ad",
    "fail": "#d2453b",
    "fail_ink": "#ff8f85",
    "fail_bg": "#33191a",
    "fail_text": "#ffb4ab",
    "removed_bg": "#2a2e34",
    "removed_border": "#7d8794",
    "cancelled_ink": "#e0bd55",
    "banner_bg": "#3a2f12",
    "banner_border": "#8a6d1f",
    "banner_text": "#f5d58a",
    "error_bg": "#3d1f1d",
    "error_border": "#8c3b35",
    "error_text": "#ffc2bb",
    "selection_bg": "#2f4a73",
    "selection_text": "#f2f4f7",
    "tooltip_bg": "#e6e9ed",
    "tooltip_text": "#1b1f24",
    "grid": "#323943",
    "track": "#3a424d",
    "bar_run": "#2a5aa6",
    "bar_pass": "#1f6b3a",
    "bar_fail": "#8c2f29",
    "icon_ink": "#dfe4ea",
    "icon_warning": "#f0b949",
    "icon_star": "#f2c037",
}

SCHEMES: Mapping[str, Mapping[str, str]] = {"light": LIGHT, "dark": DARK}

# Every (text, background) pair the GUI draws, so a test holds both schemes to WCAG AA.
TEXT_PAIRS: tuple[tuple[str, str], ...] = (
    ("text", "window"),
    ("text", "base"),
    ("text", "alt_base"),
    ("text", "header"),
    ("text", "tab"),
    ("text", "hover"),
    ("text", "pressed"),
    ("muted", "window"),
    ("muted", "base"),
    ("muted", "removed_bg"),
    ("accent_ink", "window"),
    ("accent_ink", "base"),
    ("on_accent", "accent"),
    ("on_accent", "accent_hover"),
    ("pass_ink", "window"),
    ("pass_ink", "base"),
    ("pass_ink", "pass_bg"),
    ("pass_text", "pass_bg"),
    ("fail_ink", "window"),
    ("fail_ink", "base"),
    ("fail_ink", "fail_bg"),
    ("fail_text", "fail_bg"),
    ("fail_text", "base"),
    ("cancelled_ink", "base"),
    ("banner_text", "banner_bg"),
    ("banner_text", "base"),
    ("error_text", "error_bg"),
    ("selection_text", "selection_bg"),
    ("tooltip_text", "tooltip_bg"),
    ("text", "disabled_bg"),
    ("text", "pass_bg"),
    ("text", "fail_bg"),
    ("text", "removed_bg"),
    ("muted", "pass_bg"),
    ("muted", "fail_bg"),
    ("muted", "disabled_bg"),
    ("fail_text", "removed_bg"),
    ("banner_text", "removed_bg"),
    ("accent_ink", "alt_base"),
    ("text", "bar_run"),
    ("text", "bar_pass"),
    ("text", "bar_fail"),
)

# Names kept for code written before the schemes (``theme.PASS``): resolved when read.
_LEGACY = {"PASS": "pass_ink", "FAIL": "fail_ink", "ACCENT": "accent_ink", "MUTED": "muted"}


class _State:
    appearance = "system"  # the operator's setting: system | light | dark
    system_dark = False  # what the system said last
    connected = False
    fusion: object = None  # the application already given the Fusion style


_state = _State()


class ThemeNotifier(QObject):
    """``changed(scheme_name)`` after the scheme switched and the app was restyled."""

    changed = Signal(str)


@cache
def notifier() -> ThemeNotifier:
    return ThemeNotifier()


def __getattr__(name: str) -> str:
    if name in _LEGACY:
        return colour(_LEGACY[name])
    raise AttributeError(name)


def scheme_name() -> str:
    """``light`` or ``dark``: the setting, or the system's scheme when it says follow."""
    if _state.appearance in ("light", "dark"):
        return _state.appearance
    return "dark" if _state.system_dark else "light"


def colours() -> Mapping[str, str]:
    return SCHEMES[scheme_name()]


def colour(name: str) -> str:
    """The current scheme's colour ``name`` as ``#rrggbb`` (KeyError names a typo)."""
    return colours()[name]


def qcolour(name: str) -> QColor:
    return QColor(colour(name))


def resources_dir() -> Path:
    """One lookup for checkout, wheel and bundle: see :mod:`pressroom.resources`."""
    return _resources.resources_dir()


# --- icons ---------------------------------------------------------------------------------


class _SvgEngine(QIconEngine):
    """Paints an SVG in the current scheme's inks, so icons follow a live scheme change."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path

    def paint(self, painter: QPainter, rect, mode, state) -> None:
        renderer = _renderer(self._path, scheme_name())
        if mode == QIcon.Mode.Disabled:
            painter.save()
            painter.setOpacity(0.4)
            renderer.render(painter, QRectF(rect))
            painter.restore()
        else:
            renderer.render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode, state) -> QPixmap:
        pm = QPixmap(size)
        pm.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pm)
        self.paint(painter, pm.rect(), mode, state)
        painter.end()
        return pm

    def clone(self) -> QIconEngine:
        return _SvgEngine(self._path)


@cache
def _renderer(path: Path, scheme: str):
    from PySide6.QtSvg import QSvgRenderer

    return QSvgRenderer(QByteArray(recolour_svg(path.read_text(encoding="utf-8"), scheme)))


def recolour_svg(svg: str, scheme: str) -> str:
    """An icon drawn in the light scheme's colours, in ``scheme``'s colours."""
    if scheme == "light":
        return svg
    swaps = {
        LIGHT["icon_ink"]: "icon_ink",
        LIGHT["muted"]: "muted",
        LIGHT["accent"]: "accent_ink",
        LIGHT["pass"]: "pass_ink",
        LIGHT["fail"]: "fail_ink",
        LIGHT["icon_warning"]: "icon_warning",
    }
    out = svg
    for light, name in swaps.items():
        out = out.replace(f'"{light}"', f'"{SCHEMES[scheme][name]}"')
    return out


@cache
def icon(name: str) -> QIcon:
    """An SVG icon by name (``pass``, ``fail``, ``retry``...); empty icon if missing."""
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(_SvgEngine(path)) if path.is_file() else QIcon()


# --- style sheet and palette ---------------------------------------------------------------


def style_sheet() -> str:
    """The station's style sheet with the current scheme's colours filled in."""
    path = resources_dir() / "style" / "pressroom.qss"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    icons = (resources_dir() / "icons").as_posix()
    return Template(text).substitute(colours(), icons=icons)


def palette(base: QPalette | None = None) -> QPalette:
    """Qt's palette in the current scheme, for everything the style sheet does not reach."""
    pal = QPalette(base) if base is not None else QPalette()
    c = colours()
    Role, Group = QPalette.ColorRole, QPalette.ColorGroup
    for role, name in (
        (Role.Window, "window"),
        (Role.Base, "base"),
        (Role.AlternateBase, "alt_base"),
        (Role.Text, "text"),
        (Role.WindowText, "text"),
        (Role.ButtonText, "text"),
        (Role.Button, "base"),
        (Role.Highlight, "accent"),
        (Role.HighlightedText, "on_accent"),
        (Role.ToolTipBase, "tooltip_bg"),
        (Role.ToolTipText, "tooltip_text"),
        (Role.PlaceholderText, "muted"),
        (Role.Link, "accent_ink"),
        (Role.BrightText, "fail_ink"),
        (Role.Light, "base"),
        (Role.Midlight, "header"),
        (Role.Mid, "control_border"),
        (Role.Dark, "control_border"),
        (Role.Shadow, "text"),
    ):
        pal.setColor(role, QColor(c[name]))
    for role in (Role.Text, Role.WindowText, Role.ButtonText):
        pal.setColor(Group.Disabled, role, QColor(c["disabled_text"]))
    pal.setColor(Group.Disabled, Role.Button, QColor(c["disabled_bg"]))
    return pal


def _system_dark(app: QGuiApplication) -> bool:
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply(app: QApplication, appearance: str | None = None) -> None:
    """Fusion style, the palette and style sheet of the current scheme, and a watch on the
    system's colour scheme. ``appearance`` (system | light | dark) replaces the setting."""
    if appearance is not None:
        _state.appearance = appearance if appearance in APPEARANCES else "system"
    if not _state.connected:
        _state.system_dark = _system_dark(app)
        app.styleHints().colorSchemeChanged.connect(_on_system_scheme)
        _state.connected = True
    if _state.fusion is not app:  # once: a new style under live widgets can crash Qt
        app.setStyle("Fusion")
        _state.fusion = app
    app.setPalette(palette())
    app.setStyleSheet(style_sheet())
    app.setWindowIcon(icon("app"))
    notifier().changed.emit(scheme_name())


def set_appearance(appearance: str) -> None:
    """The operator changed Appearance: restyle the running application now."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply(app, appearance)
    else:
        _state.appearance = appearance if appearance in APPEARANCES else "system"


def _on_system_scheme(scheme: Qt.ColorScheme) -> None:
    _state.system_dark = scheme == Qt.ColorScheme.Dark
    app = QApplication.instance()
    if _state.appearance == "system" and isinstance(app, QApplication):
        apply(app)


def repolish(widget) -> None:
    """Re-apply the style sheet after a dynamic property (``state``) changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1.0 to 21.0)."""

    def luminance(hex_colour: str) -> float:
        rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
