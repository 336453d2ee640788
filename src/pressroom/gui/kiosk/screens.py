"""The kiosk's screens: plain widgets with big controls and no logic of their own.

Each screen only shows what it is given and emits what the customer pressed; the flow
(which screen comes next, what the engine does) lives in :mod:`.window`.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pressroom.gui import theme
from pressroom.gui.kiosk.style import Sizes
from pressroom.station.catalog import Album


def label(text: str = "", name: str = "", *, wrap: bool = True, centre: bool = False) -> QLabel:
    w = QLabel(text)
    if name:
        w.setObjectName(name)
    w.setWordWrap(wrap)
    if centre:
        w.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return w


def button(text: str, *, primary: bool = False) -> QPushButton:
    b = QPushButton(text)
    if primary:
        b.setProperty("role", "primary")
    b.setCursor(Qt.CursorShape.PointingHandCursor)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # no focus ring on a touch screen
    return b


def icon_label(name: str, size: int) -> QLabel:
    w = QLabel()
    w.setPixmap(theme.icon(name).pixmap(size, size))
    w.setAlignment(Qt.AlignmentFlag.AlignCenter)
    w.setProperty("icon_name", name)
    w.setProperty("design_size", size)
    return w


class Scaled(QWidget):
    """A screen whose margins, spacings, icons and minimum widths follow the screen size
    (:func:`pressroom.gui.kiosk.style.sizes_for`); designed at 1366x768."""

    sizes = Sizes(1.0)

    def remember_design(self) -> None:
        """Call at the end of ``__init__``: the design values every later scale starts from."""
        self._layouts: list[tuple[QLayout, tuple[int, int, int, int], int]] = []
        for lay in [self.layout(), *self.findChildren(QLayout)]:
            m = lay.contentsMargins()
            margins = (m.left(), m.top(), m.right(), m.bottom())
            self._layouts.append((lay, margins, lay.spacing()))
        self._widths = [(w, w.minimumWidth()) for w in self.findChildren(QPushButton)]
        self._icons = [w for w in self.findChildren(QLabel) if w.property("icon_name")]

    def apply_sizes(self, sizes: Sizes) -> None:
        self.sizes = sizes
        for lay, margins, spacing in self._layouts:
            lay.setContentsMargins(*(sizes.px(v) if v else 0 for v in margins))
            if spacing > 0:
                lay.setSpacing(sizes.px(spacing))
        for w, width in self._widths:
            if width:
                w.setMinimumWidth(sizes.px(width))
        for w in self._icons:
            n = sizes.px(int(w.property("design_size")))
            w.setPixmap(theme.icon(str(w.property("icon_name"))).pixmap(n, n))


def cover_pixmap(data: bytes | None, size: int) -> QPixmap:
    """The album's cover scaled to a square, or the music icon when it has none."""
    pix = QPixmap()
    if data and pix.loadFromData(data):
        return pix.scaled(
            size,
            size,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return theme.icon("music").pixmap(size, size)


def faded(pix: QPixmap, opacity: float = 0.35) -> QPixmap:
    """A sold-out album's cover: still recognisable, clearly not on offer."""
    out = QPixmap(pix.size())
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    painter.setOpacity(opacity)
    painter.drawPixmap(0, 0, pix)
    painter.end()
    return out


def time_left(seconds: float) -> str:
    """A customer's "time left": "10 seconds", "2 minutes" (never a countdown to the second)."""
    s = max(1, round(seconds))
    if s < 60:
        return f"{max(5, round(s / 5) * 5)} seconds"
    m = round(s / 60)
    return "1 minute" if m <= 1 else f"{m} minutes"


def minutes(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"


class StartScreen(Scaled):
    """The shelf: every album as a large cover tile."""

    picked = Signal(object)  # Album

    def __init__(self):
        super().__init__()
        self.tiles: list[QToolButton] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(48, 8, 48, 24)
        lay.setSpacing(12)
        lay.addWidget(label("Choose an album", "title", centre=True))
        self.price = label("", "price", centre=True)
        lay.addWidget(self.price)
        self.empty = label("There are no albums here yet. Please ask at the counter.", "subtitle")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        lay.addWidget(self.empty)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setStyleSheet("background: transparent;")
        self.shelf = QWidget()
        self.grid = QGridLayout(self.shelf)
        self.grid.setSpacing(28)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.scroll.setWidget(self.shelf)
        lay.addWidget(self.scroll, 1)
        self.hint = label("Touch an album to see its songs.", "subtitle", centre=True)
        lay.addWidget(self.hint)
        self._columns = 0
        self._shelf: tuple[list[Album], dict, dict[str, bool]] | None = None
        self.remember_design()

    def apply_sizes(self, sizes: Sizes) -> None:
        super().apply_sizes(sizes)
        if self._shelf is not None:
            self.set_albums(*self._shelf)

    def set_price(self, text: str) -> None:
        self.price.setText(text)
        self.price.setVisible(bool(text))

    def set_albums(self, albums: list[Album], covers: dict, available: dict[str, bool]) -> None:
        self._shelf = (albums, covers, available)
        cover_size, tile_width = self.sizes.cover, self.sizes.tile
        for t in self.tiles:
            t.deleteLater()
        self.tiles = []
        for album in albums:
            ok = available.get(album.title, False)
            tile = QToolButton()
            tile.setObjectName("tile")
            tile.setProperty("available", "true" if ok else "false")
            tile.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            cover = cover_pixmap(covers.get(album.cover_hash), cover_size)
            tile.setIcon(cover if ok else faded(cover))
            tile.setIconSize(QSize(cover_size, cover_size))
            who = album.artist or " "
            tile.setText(f"{album.title}\n{who}" + ("" if ok else "\nNot available"))
            tile.setFixedWidth(tile_width)
            tile.setCursor(Qt.CursorShape.PointingHandCursor)
            tile.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            tile.setAccessibleName(album.title)
            tile.clicked.connect(lambda _=False, a=album: self.picked.emit(a))
            self.tiles.append(tile)
        self.empty.setVisible(not albums)
        self.hint.setVisible(bool(albums))
        self._columns = 0
        self._layout_tiles()

    def _layout_tiles(self) -> None:
        gap = self.grid.spacing()
        columns = max(1, (self.scroll.viewport().width() - 20) // (self.sizes.tile + gap))
        if columns == self._columns:
            return
        self._columns = columns
        for i, tile in enumerate(self.tiles):
            self.grid.addWidget(tile, i // columns, i % columns)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._layout_tiles()


class AlbumScreen(Scaled):
    """One album: cover, tracks, price and the big Buy button (or why it cannot be sold)."""

    buy = Signal()
    back = Signal()

    def __init__(self):
        super().__init__()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(64, 16, 64, 32)
        lay.setSpacing(48)
        self.cover = QLabel()
        self.cover.setFixedSize(self.sizes.big_cover, self.sizes.big_cover)
        self.cover.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.cover, 0, Qt.AlignmentFlag.AlignTop)
        right = QVBoxLayout()
        right.setSpacing(10)
        self.title = label("", "title")
        self.artist = label("", "subtitle")
        self.tracks = label("")
        self.tracks.setTextFormat(Qt.TextFormat.RichText)
        self.tracks.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.price = label("", "price")
        self.unavailable = label(
            "Not available right now. Please ask at the counter.", "unavailable"
        )
        self.buy_btn = button("Buy this album", primary=True)
        self.buy_btn.clicked.connect(self.buy)
        self.back_btn = button("Back")
        self.back_btn.clicked.connect(self.back)
        right.addWidget(self.title)
        right.addWidget(self.artist)
        songs = QScrollArea()  # a long album scrolls; Buy and Back never leave the screen
        songs.setWidgetResizable(True)
        songs.setFrameShape(QScrollArea.Shape.NoFrame)
        songs.setStyleSheet("background: transparent;")
        songs.setWidget(self.tracks)
        right.addWidget(songs, 1)
        right.addWidget(self.price)
        right.addWidget(self.unavailable)
        row = QHBoxLayout()
        row.setSpacing(24)
        row.addWidget(self.back_btn)
        row.addWidget(self.buy_btn, 1)
        right.addLayout(row)
        lay.addLayout(right, 1)
        self._shown: tuple[Album, bytes | None, bool, str] | None = None
        self.remember_design()

    def apply_sizes(self, sizes: Sizes) -> None:
        super().apply_sizes(sizes)
        self.cover.setFixedSize(sizes.big_cover, sizes.big_cover)
        if self._shown is not None:
            self.show_album(*self._shown)

    def show_album(self, album: Album, cover: bytes | None, available: bool, price: str) -> None:
        self._shown = (album, cover, available, price)
        self.cover.setPixmap(cover_pixmap(cover, self.sizes.big_cover))
        self.title.setText(album.title)
        self.artist.setText(album.artist)
        px = self.sizes.px
        cell = f"style='padding:{px(4)}px {px(28)}px {px(4)}px 0; font-size:{max(15, px(24))}px; "
        cell += "color:{}'"
        grey, ink = cell.format(theme.colour("muted")), cell.format(theme.colour("text"))
        rows = "".join(
            f"<tr><td {grey}>{t.track_number or i}</td><td {ink}>{_esc(t.title)}</td>"
            f"<td {grey}>{minutes(t.duration) if t.duration else ''}</td></tr>"
            for i, t in enumerate(album.tracks, 1)
        )
        summary = f"{len(album.tracks)} songs" + (
            f" · {minutes(album.duration)}" if album.duration else ""
        )
        muted = theme.colour("muted")
        self.tracks.setText(f"<p style='color:{muted}'>{summary}</p><table>{rows}</table>")
        self.price.setText(price)
        self.price.setVisible(bool(price) and available)
        self.unavailable.setVisible(not available)
        self.buy_btn.setEnabled(available)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class InsertScreen(Scaled):
    """ "Insert a USB stick or SD card", with a gently moving arrow so it reads as a request."""

    cancel = Signal()
    demo_insert = Signal()

    def __init__(self, *, demo: bool = False):
        super().__init__()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(64, 16, 64, 40)
        lay.setSpacing(16)
        lay.addStretch(1)
        self.arrow = label("▼", "huge", centre=True)
        self.arrow.setProperty("accent", True)  # coloured by the kiosk style sheet
        lay.addWidget(self.arrow)
        lay.addWidget(icon_label("disk", 150))
        self.headline = label("Insert a USB stick or SD card", "title", centre=True)
        lay.addWidget(self.headline)
        self.detail = label("", "subtitle", centre=True)
        lay.addWidget(self.detail)
        lay.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel_btn = button("Cancel")
        self.cancel_btn.clicked.connect(self.cancel)
        row.addWidget(self.cancel_btn)
        self.demo_btn = button("Insert a demo disk")
        self.demo_btn.clicked.connect(self.demo_insert)
        self.demo_btn.setVisible(demo)
        row.addWidget(self.demo_btn)
        row.addStretch(1)
        lay.addLayout(row)
        self._step = 0
        self._anim = QTimer(self)
        self._anim.setInterval(450)
        self._anim.timeout.connect(self._tick)
        self.remember_design()

    def show_for(self, album: Album) -> None:
        need = max(1, round(album.size * 1.05 / 1e6))
        self.detail.setText(f"for “{album.title}”. Use an empty disk with at least {need} MB free.")

    def _tick(self) -> None:
        self._step = (self._step + 1) % 4
        self.arrow.setContentsMargins(0, (0, 10, 20, 10)[self._step], 0, 0)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._anim.start()

    def hideEvent(self, event) -> None:
        self._anim.stop()
        super().hideEvent(event)


class ProgressScreen(Scaled):
    """One large bar, the percentage and the stage in plain words."""

    def __init__(self):
        super().__init__()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(120, 16, 120, 48)
        lay.setSpacing(20)
        lay.addStretch(1)
        self.title = label("", "title", centre=True)
        lay.addWidget(self.title)
        self.percent = label("0 %", "percent", centre=True)
        lay.addWidget(self.percent)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        lay.addWidget(self.bar)
        self.stage = label("", "subtitle", centre=True)
        lay.addWidget(self.stage)
        lay.addStretch(1)
        lay.addWidget(
            label("Please leave the disk in until you see “Take your disk”.", centre=True)
        )
        self.remember_design()

    def begin(self, album: Album) -> None:
        self.title.setText(f"Copying “{album.title}”")
        self.show_progress(0.0, "Checking your disk")

    def show_progress(self, fraction: float, words: str, left: float | None = None) -> None:
        """``left``: seconds the current step still needs, when the engine knows."""
        value = max(0, min(1000, int(fraction * 1000)))
        self.bar.setValue(max(value, self.bar.value()) if value else value)
        self.percent.setText(f"{self.bar.value() // 10} %")
        text = f"{words}…" if words != "Done" else words
        if left is not None and words != "Done":
            text += f" About {time_left(left)} left."
        self.stage.setText(text)


class DoneScreen(Scaled):
    """ "Take your disk" and the receipt."""

    finished = Signal()

    def __init__(self):
        super().__init__()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(64, 16, 64, 40)
        lay.setSpacing(16)
        lay.addStretch(1)
        lay.addWidget(icon_label("pass", 80))
        self.headline = label("Take your disk", "done", centre=True)
        lay.addWidget(self.headline)
        self.note = label("", "subtitle", centre=True)
        lay.addWidget(self.note)
        self.receipt = label("", "receipt")
        self.receipt.setTextFormat(Qt.TextFormat.RichText)
        self.receipt.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Minimum)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.receipt)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(1)
        brow = QHBoxLayout()
        brow.addStretch(1)
        self.done_btn = button("Done", primary=True)
        self.done_btn.setMinimumWidth(320)
        self.done_btn.clicked.connect(self.finished)
        brow.addWidget(self.done_btn)
        brow.addStretch(1)
        lay.addLayout(brow)
        self.remember_design()

    def show_receipt(self, album: Album, receipt_html: str) -> None:
        self.note.setText(
            f"“{album.title}” is on your disk, and it is safe to pull it out now. Thank you!"
        )
        self.receipt.setText(receipt_html)


class ProblemScreen(Scaled):
    """What went wrong in plain words, and what the customer can do next."""

    retry = Signal()
    back = Signal()

    def __init__(self):
        super().__init__()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(120, 16, 120, 40)
        lay.setSpacing(18)
        lay.addStretch(1)
        lay.addWidget(icon_label("warning", 120))
        self.title = label("", "title", centre=True)
        lay.addWidget(self.title)
        self.text = label("", "subtitle", centre=True)
        lay.addWidget(self.text)
        lay.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(24)
        row.addStretch(1)
        self.back_btn = button("Back to albums")
        self.back_btn.clicked.connect(self.back)
        row.addWidget(self.back_btn)
        self.retry_btn = button("Try again", primary=True)
        self.retry_btn.setMinimumWidth(320)
        self.retry_btn.clicked.connect(self.retry)
        row.addWidget(self.retry_btn)
        row.addStretch(1)
        lay.addLayout(row)
        self.remember_design()

    def show_problem(self, title: str, text: str, *, can_retry: bool) -> None:
        self.title.setText(title)
        self.text.setText(text)
        self.retry_btn.setVisible(can_retry)


class PinScreen(Scaled):
    """A touch keypad for the operator PIN (checking it is the window's job).

    Side by side (words left, keypad right) so it fits a 768-pixel-high screen. While the
    PIN is locked out the keys are off and presses are dropped; the window says how long.
    """

    entered = Signal(str)
    cancel = Signal()

    def __init__(self):
        super().__init__()
        outer = QHBoxLayout(self)
        outer.setContentsMargins(64, 8, 64, 32)
        outer.setSpacing(64)
        outer.addStretch(1)
        left = QVBoxLayout()
        left.setSpacing(16)
        left.addStretch(1)
        self.title = label("Operator PIN", "title")
        left.addWidget(self.title)
        self.field = QLineEdit()
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setReadOnly(True)  # the keypad types; no on-screen keyboard needed
        self.field.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        left.addWidget(self.field)
        self.message = label("", "pinMessage")
        left.addWidget(self.message)
        self.cancel_btn = button("Cancel")
        self.cancel_btn.clicked.connect(self.cancel)
        left.addWidget(self.cancel_btn, 0, Qt.AlignmentFlag.AlignLeft)
        left.addStretch(1)
        outer.addLayout(left)
        pad = QGridLayout()
        pad.setSpacing(12)
        self.keys: dict[str, QPushButton] = {}
        for i, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "OK"]):
            b = button(key)
            b.setProperty("role", "key")
            b.clicked.connect(lambda _=False, k=key: self._press(k))
            self.keys[key] = b
            pad.addWidget(b, i // 3, i % 3)
        holder = QVBoxLayout()
        holder.addStretch(1)
        holder.addLayout(pad)
        holder.addStretch(1)
        outer.addLayout(holder)
        outer.addStretch(1)
        self.locked = False
        self._busy = False
        self.remember_design()

    def ask(self, title: str, message: str = "", *, can_cancel: bool = True) -> None:
        self.title.setText(title)
        self.field.clear()
        self.message.setText(message)
        self.cancel_btn.setVisible(can_cancel)
        self.set_busy(False)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._enable_keys()

    def set_locked(self, text: str | None) -> None:
        """``text`` (e.g. "Locked: try again in 2 min 30 s"): keys off; None: keys back."""
        if text:
            self.field.clear()
            self.message.setText(text)
        elif self.locked:
            self.message.setText("")
        self.locked = bool(text)
        self._enable_keys()

    def _enable_keys(self) -> None:
        for b in self.keys.values():
            b.setEnabled(not (self._busy or self.locked))

    def _press(self, key: str) -> None:
        if self.locked or self._busy:
            return  # a press that reaches us anyway (a queued click) is dropped
        if key == "⌫":
            self.field.setText(self.field.text()[:-1])
        elif key == "OK":
            self.entered.emit(self.field.text())
        elif len(self.field.text()) < 12:
            self.field.setText(self.field.text() + key)
