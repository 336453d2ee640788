"""Render the application icon's PNG sizes from its SVG (run after editing the SVG).

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/linux/render_icons.py

Qt's own SVG renderer, offscreen: no Inkscape or ImageMagick needed on the build machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent / "icons"
NAME = "io.pressroom.Station"
SIZES = (256,)


def render(svg: Path, size: int, out: Path) -> None:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    if not image.save(str(out), "PNG"):
        raise SystemExit(f"cannot write {out}")


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    for size in SIZES:
        out = ICONS / f"{NAME}-{size}.png"
        render(ICONS / f"{NAME}.svg", size, out)
        print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
