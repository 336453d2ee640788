"""Light and dark: one place for every colour, readable text in both, the system followed.

With PRESSROOM_SCREENSHOTS=1 the station and the kiosk are also saved in both schemes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from tests.gui_support import close_window, make_core, no_qt_leaks, open_window  # noqa: F401
from tests.theme_support import scheme

from pressroom.errors import UsageError
from pressroom.gui import theme

ROOT = Path(__file__).resolve().parents[1]
GUI = ROOT / "src" / "pressroom" / "gui"
OUT = ROOT / "docs" / "screenshots"
SAVE = os.environ.get("PRESSROOM_SCREENSHOTS") == "1"
AA_TEXT = 4.5  # WCAG 2 AA for body text


def blend(fg: str, bg: str, alpha: int) -> str:
    """``fg`` painted at ``alpha`` (0-255) over ``bg``, as the tower view paints its cells."""
    a = alpha / 255
    mix = [round(int(fg[i : i + 2], 16) * a + int(bg[i : i + 2], 16) * (1 - a)) for i in (1, 3, 5)]
    return "#" + "".join(f"{v:02x}" for v in mix)


def test_contrast_ratio_matches_wcag_reference_values():
    assert theme.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert theme.contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert theme.contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_both_schemes_name_the_same_colours():
    assert set(theme.LIGHT) == set(theme.DARK)
    for colours in theme.SCHEMES.values():
        assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours.values())


@pytest.mark.parametrize("name", ["light", "dark"])
def test_every_text_pair_is_readable(name):
    colours = theme.SCHEMES[name]
    low = {
        (fg, bg): round(theme.contrast(colours[fg], colours[bg]), 2)
        for fg, bg in theme.TEXT_PAIRS
        if theme.contrast(colours[fg], colours[bg]) < AA_TEXT
    }
    assert not low, f"{name}: text below {AA_TEXT}:1 -> {low}"


@pytest.mark.parametrize("name", ["light", "dark"])
def test_tower_cells_keep_their_text_readable(name):
    from pressroom.gui.tower_view import _COLOURS, FILL_ALPHA

    c = theme.SCHEMES[name]
    for state, ink in _COLOURS.items():
        for ground in ("window", "base"):
            fill = blend(c[ink], c[ground], FILL_ALPHA[state])
            ratio = theme.contrast(c["text"], fill)
            assert ratio >= AA_TEXT, (name, state, ground, ratio)


def test_the_text_pairs_are_the_pairs_the_style_sheet_uses():
    """Each colour/background pair of a style rule is in TEXT_PAIRS (or is disabled text)."""
    qss = (ROOT / "resources" / "style" / "pressroom.qss").read_text()
    pairs = set(theme.TEXT_PAIRS)
    for rule in re.findall(r"\{([^}]*)\}", qss):
        fg = re.search(r"(?<![-\w])color: \$(\w+)", rule)
        bg = re.search(r"background: \$(\w+)", rule)
        if fg and bg and fg.group(1) != "disabled_text":
            assert (fg.group(1), bg.group(1)) in pairs, rule


def test_no_colour_is_written_outside_the_theme():
    hex_colour = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|QColor\(\s*[\"']|rgba?\(")
    named = re.compile(r"Qt\.GlobalColor\.(?!transparent)\w+|Qt\.(?:red|green|blue|gray|black)\b")
    offenders = []
    for path in [*GUI.rglob("*.py"), ROOT / "resources" / "style" / "pressroom.qss"]:
        if path.name == "theme.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if hex_colour.search(line) or named.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("name", ["light", "dark"])
def test_style_sheets_fill_every_colour(name, qapp):
    from pressroom.gui.kiosk.style import Sizes, kiosk_qss

    with scheme(qapp, name):
        for qss in (theme.style_sheet(), kiosk_qss(Sizes(1.0))):
            assert "$" not in qss
            assert theme.SCHEMES[name]["window"] in qss
        images = re.findall(r'url\("([^"]+)"\)', theme.style_sheet())
        assert images and all(Path(i).is_file() for i in images)


def test_the_system_scheme_is_followed_live(qapp):
    hints = qapp.styleHints()
    seen: list[str] = []
    theme.notifier().changed.connect(seen.append)
    try:
        with scheme(qapp, "system"):
            hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
            assert theme.scheme_name() == "dark" and seen[-1] == "dark"
            window = qapp.palette().color(QPalette.ColorRole.Window).name()
            assert window == theme.DARK["window"]
            assert theme.DARK["window"] in qapp.styleSheet()
            hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
            assert theme.scheme_name() == "light"
            assert qapp.palette().color(QPalette.ColorRole.Window).name() == theme.LIGHT["window"]
        with scheme(qapp, "light"):  # the operator chose Light: the system does not override
            hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
            assert theme.scheme_name() == "light"
            assert theme.LIGHT["window"] in qapp.styleSheet()
    finally:
        theme.notifier().changed.disconnect(seen.append)
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Unknown)


def test_icons_are_drawn_in_the_current_scheme(qapp):
    stop = theme.icon("stop")  # a dark square: it must turn light on a dark window
    with scheme(qapp, "light"):
        light = stop.pixmap(24, 24).toImage().pixelColor(12, 12).name()
    with scheme(qapp, "dark"):
        dark = stop.pixmap(24, 24).toImage().pixelColor(12, 12).name()
    assert light == theme.LIGHT["icon_ink"] and dark == theme.DARK["icon_ink"]
    assert theme.icon("no-such-icon").isNull()


def test_a_card_redraws_its_state_icon_when_the_scheme_changes(qtbot, qapp):
    from pressroom.gui.drive_card import DriveCard

    with scheme(qapp, "light"):
        card = DriveCard("sim:disk1")
        qtbot.addWidget(card)
        light = card.state_icon.pixmap().toImage()
        with scheme(qapp, "dark"):
            dark = card.state_icon.pixmap().toImage()  # no state change: only the scheme
    assert not light.isNull() and light != dark


def test_appearance_setting_is_saved_validated_and_applied(qtbot, qapp):
    from pressroom.config import Settings, load_config
    from pressroom.gui.settings_dialog import SettingsDialog

    config = load_config()
    with scheme(qapp, "system"):
        dlg = SettingsDialog(config)
        qtbot.addWidget(dlg)
        assert dlg.appearance.currentData() == "system"
        assert [dlg.appearance.itemText(i) for i in range(3)] == [
            "Follow system",
            "Light",
            "Dark",
        ]
        dlg.appearance.setCurrentIndex(dlg.appearance.findData("dark"))
        dlg.save()
        assert load_config().settings.appearance == "dark"
        assert theme.scheme_name() == "dark"
        assert theme.DARK["window"] in qapp.styleSheet()
    with pytest.raises(UsageError, match="appearance must be 'system', 'light' or 'dark'"):
        Settings(appearance="purple").validate()


def save(window, name: str) -> None:
    if SAVE:
        OUT.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(OUT / f"{name}.png"))


@pytest.mark.usefixtures("no_qt_leaks")
def test_station_light_and_dark_at_1366x768(qtbot, qapp):
    """A finished run with one failed disk, switched live from light to dark."""
    from pressroom.engine.events import DiskState

    core = make_core(disks=8, faulty={6: "fail-after=120K"})
    window = open_window(qtbot, core)
    try:
        qtbot.waitUntil(lambda: len(window.grid.cards) == 8, timeout=10_000)
        window.resize(1366, 768)
        window.catalog.select_rows([0, 1, 2])
        window.job_bar.copies.setValue(8)
        qtbot.waitUntil(window.job_bar.start.isEnabled, timeout=5000)
        window.start_run()
        cards = window.grid.cards.values()
        qtbot.waitUntil(
            lambda: all(c.state in (DiskState.PASS, DiskState.FAIL) for c in cards),
            timeout=90_000,
        )
        qtbot.wait(200)
        with scheme(qapp, "light"):
            save(window, "station-1366x768-finished")
            bad = window.grid.card("sim:disk6")
            with scheme(qapp, "dark"):
                qtbot.wait(50)
                card_bg = bad.palette().color(bad.backgroundRole()).name()
                assert card_bg == theme.DARK["fail_bg"]  # the style sheet changed live
                save(window, "station-1366x768-finished-dark")
    finally:
        close_window(qtbot, window)


def test_kiosk_album_light_and_dark(qtbot, qapp):
    from tests.test_kiosk import make_shop

    from pressroom.gui.application import StationHub
    from pressroom.gui.kiosk.window import KioskWindow

    core = make_shop()
    window = KioskWindow(StationHub(core, bridge_interval_ms=20))
    qtbot.addWidget(window)
    try:
        window.resize(1366, 768)
        window.show()
        window.load()
        qtbot.waitUntil(lambda: len(window.start.tiles) >= 1, timeout=10_000)
        qtbot.mouseClick(window.start.tiles[0], Qt.MouseButton.LeftButton)
        with scheme(qapp, "light"):
            assert theme.LIGHT["muted"] in window.album_view.tracks.text()
            with scheme(qapp, "dark"):  # the kiosk restyles itself live
                assert theme.DARK["window"] in window.styleSheet()
                assert theme.DARK["muted"] in window.album_view.tracks.text()
                save(window, "kiosk-1366x768-album-dark")
    finally:
        window.exit_kiosk()


def test_tower_view_dark(qtbot, qapp, tmp_path):
    """64 ports in the dark scheme: cell outlines, fills and words from the theme."""
    from tests.test_gui_tower import feed, tower_window

    from pressroom.gui import tower_view

    window = tower_window(qtbot, tmp_path, 64)
    try:
        feed(window, 64)
        with scheme(qapp, "dark"):
            window.tower.map.repaint()
            fail_line, _ = tower_view._colours("fail")
            assert fail_line.name() == theme.DARK["fail_ink"]
            save(window, "tower-64-dark")
    finally:
        close_window(qtbot, window)


@pytest.mark.usefixtures("no_qt_leaks")
def test_the_scheme_changes_while_dialogs_are_open(qtbot, qapp):
    """Switching schemes under an open wizard and settings dialog restyles them in place
    (the style is set once: replacing it under live widgets crashed Qt)."""
    from PySide6.QtWidgets import QApplication, QWizard

    from pressroom.gui.settings_dialog import SettingsDialog

    window = open_window(qtbot, make_core(disks=1))
    try:
        window.open_wizard()
        dialog = SettingsDialog(window.hub.app.config, window)
        qtbot.addWidget(dialog)
        dialog.show()
        style = qapp.style()
        for name in ("dark", "light", "dark"):
            with scheme(qapp, name):
                qtbot.wait(20)
                wizards = [w for w in QApplication.topLevelWidgets() if isinstance(w, QWizard)]
                assert wizards and all(w.grab().width() > 0 for w in wizards)
                assert dialog.grab().width() > 0
                assert qapp.style() is style
        for w in wizards:
            w.close()
        dialog.close()
    finally:
        close_window(qtbot, window)
