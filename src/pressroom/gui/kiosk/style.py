"""The kiosk's look: big type and big targets on top of the station's palette.

Sizes come from the screen, not fixed pixels: everything is designed at 1366x768 and
scaled by :func:`sizes_for` (0.55 on an 800x480 counter panel, 1.4 on 1920x1080), so
the same screens fit a small touch panel and read from a step back on a large one.
A button never gets lower than 44 px (a fingertip, not a mouse pointer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from string import Template

from pressroom.gui import theme

MIN_TARGET = 64
DESIGN = (1366, 768)  # the screen the pixel sizes below were chosen for
FLOOR_TARGET = 44


@dataclass(frozen=True)
class Sizes:
    """The kiosk's sizes for one screen."""

    scale: float

    def px(self, design: float) -> int:
        return max(1, round(design * self.scale))

    @property
    def cover(self) -> int:
        return self.px(240)

    @property
    def tile(self) -> int:
        return self.cover + self.px(90)

    @property
    def big_cover(self) -> int:
        return self.px(380)

    @property
    def icon(self) -> int:
        return self.px(120)

    @property
    def corner_icon(self) -> int:
        """The operator corner's gear: most of its (scaled, floored) touch target."""
        return max(24, self.px(MIN_TARGET * 0.6))


def sizes_for(width: int, height: int) -> Sizes:
    """Scale to the screen, in steps of 0.05 so a resize by a few pixels changes nothing."""
    raw = min(width / DESIGN[0], height / DESIGN[1])
    return Sizes(round(max(0.55, min(1.4, raw)) * 20) / 20)


def kiosk_qss(sizes: Sizes) -> str:
    """The stylesheet with every pixel size scaled; touch targets keep a floor."""

    def scale(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n <= 2:  # borders stay crisp
            return m.group(0)
        v = sizes.px(n)
        if m.group(0).startswith(("min-height", "min-width")) and n >= MIN_TARGET:
            v = max(v, FLOOR_TARGET)
        if m.group(0).startswith("font-size"):
            v = max(v, 15)  # read from a step back even on a small panel
        return m.group(0).replace(f"{n}px", f"{v}px")

    qss = Template(KIOSK_QSS).substitute(theme.colours(), MIN_TARGET=MIN_TARGET)
    return re.sub(r"(?:[a-z-]+: )?(\d+)px", scale, qss)


# colours are $names from pressroom.gui.theme, filled in with the current scheme
KIOSK_QSS = """
#kiosk { background: $window; }
#kiosk QLabel { font-size: 22px; }
#kiosk QLabel#title { font-size: 40px; font-weight: 600; }
#kiosk QLabel#subtitle { font-size: 26px; color: $muted; }
#kiosk QLabel#price { font-size: 26px; color: $accent_ink; font-weight: 600; }
#kiosk QLabel#huge { font-size: 56px; font-weight: 700; }
#kiosk QLabel[accent="true"] { color: $accent_ink; }
#kiosk QLabel#percent { font-size: 64px; font-weight: 700; color: $accent_ink; }
#kiosk QLabel#unavailable { font-size: 24px; color: $fail_ink; font-weight: 600; }
#kiosk QLabel#pinMessage { font-size: 22px; color: $fail_ink; }
#kiosk QLabel#receipt { font-size: 22px; background: $base; border: 1px solid $border;
                         border-radius: 8px; padding: 16px 24px; }
#kiosk QLabel#shop { font-size: 24px; font-weight: 600; color: $muted; }
#kiosk QPushButton { font-size: 26px; min-height: ${MIN_TARGET}px; min-width: 160px;
                      padding: 8px 28px; border-radius: 12px; border: 2px solid $control_border;
                      background: $base; }
#kiosk QPushButton:pressed { background: $pressed; }
#kiosk QPushButton[role="primary"] { background: $accent; color: $on_accent; border: none;
                                      font-size: 32px; font-weight: 600; min-height: 96px; }
#kiosk QPushButton[role="primary"]:pressed { background: $accent_hover; }
#kiosk QPushButton[role="primary"]:disabled { background: $accent_disabled;
                                               color: $disabled_text; }
#kiosk QPushButton[role="key"] { font-size: 34px; min-width: 120px; min-height: 84px; }
#kiosk QPushButton#corner { min-width: ${MIN_TARGET}px; max-width: ${MIN_TARGET}px;
                             min-height: ${MIN_TARGET}px; max-height: ${MIN_TARGET}px;
                             padding: 0; border: none; background: transparent; }
#kiosk QToolButton#tile { font-size: 22px; background: $base; border: 2px solid $border;
                           border-radius: 14px; padding: 14px; }
#kiosk QToolButton#tile:pressed { background: $pressed; border-color: $accent; }
#kiosk QToolButton#tile[available="false"] { color: $muted; background: $disabled_bg; }
#kiosk QProgressBar { min-height: 64px; border: 2px solid $control_border; border-radius: 14px;
                       background: $base; text-align: center; font-size: 1px;
                       color: transparent; }
#kiosk QProgressBar::chunk { background: $accent; border-radius: 12px; }
#kiosk QLineEdit { font-size: 40px; min-height: 64px; min-width: 360px; max-width: 420px;
                    border-radius: 10px; border: 2px solid $control_border;
                    qproperty-alignment: AlignCenter; }
#kiosk QLabel#done { font-size: 64px; font-weight: 700; color: $pass_ink; }
"""
