"""The tower view: every port of a duplication tower at once, grouped by hub.

Above a handful of disks the detailed cards no longer fit; an operator with 64 ports
needs to see them all and find the failed stick at a glance. One painted widget draws a
compact cell per port (state icon and word, progress bar, copy number), hubs in rows as
the ports are physically laid out (``2-1.3.4`` sits on hub ``2-1.3``), so 128 ports cost
one paint, not 128 widgets. The reason shows on hover and on click; a failures list
beside the map jumps to the port.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QStaticText,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from pressroom.drives.base import Drive
from pressroom.engine.events import DiskProgress, DiskState
from pressroom.engine.run import port_key as _port_key
from pressroom.gui import theme
from pressroom.station import words
from pressroom.station.portmap import MAX_ROWS, hub_columns, hub_of
from pressroom.station.words.disks import STATE_WORDS

__all__ = ["MAX_ROWS", "PortMap", "TowerView", "hub_of"]

CELL_W, CELL_H, GAP, HUB_H = 75, 46, 3, 16
# A running tower changes some cell's percentage many times a second. Cells are repainted
# on a timer, at most PAINT_CELLS of them per paint, the longest-waiting first, so one
# paint never holds the GUI thread (and the GIL it shares with 128 workers) for long.
PAINT_MS, PAINT_CELLS, REFRESH_MS = 200, 32, 250
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter  # made once: an enum
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter  # "|" allocates
_SHORT = {  # Stage values -> a word that fits a cell
    "waiting": "Wait",
    "identify": "Serial",
    "check-space": "Space",
    "reserve": "Reserve",
    "queued": "Queued",
    "clean": "Clean",
    "write": "Write",
    "verify": "Verify",
    "licence": "Licence",
    "commit": "Record",
    "done": "Done",
}
_COLOURS = {  # colour names of pressroom.gui.theme: the light or dark scheme decides
    "pass": "pass_ink",
    "fail": "fail_ink",
    "running": "accent_ink",
    "idle": "muted",
    "cancelled": "cancelled_ink",
    "removed": "muted",
}
FILL_ALPHA = {k: 48 if k in ("fail", "pass") else 28 for k in _COLOURS}


def _columns_fitting(width: int) -> int:
    """How many hub columns fit side by side in ``width`` pixels (the layout's wrap)."""
    return max(1, max(width, CELL_W + 2 * GAP) // (CELL_W + GAP))


def _bar(cell: QRect) -> QRect:
    """Where a cell's progress bar runs."""
    return QRect(cell.left() + 3, cell.bottom() - 8, cell.width() - 6, 5)


_QCOLOURS: dict[tuple[str, str], tuple[QColor, QColor]] = {}


def _colours(key: str) -> tuple[QColor, QColor]:
    """Outline and fill of a state, made once per scheme (a paint of 128 cells allocates
    nothing)."""
    at = (theme.scheme_name(), key)
    if at not in _QCOLOURS:
        line = theme.qcolour(_COLOURS[key])
        fill = QColor(line)
        fill.setAlpha(FILL_ALPHA[key])
        _QCOLOURS[at] = (line, fill)
    return _QCOLOURS[at]


def _ink(name: str) -> QColor:
    """A plain theme colour (text, track, muted), made once per scheme."""
    at = (theme.scheme_name(), name)
    if at not in _QCOLOURS:
        _QCOLOURS[at] = (theme.qcolour(name), theme.qcolour(name))
    return _QCOLOURS[at][0]


@dataclass
class Port:
    drive_id: str
    port: str
    label: str = ""
    state: DiskState = DiskState.IDLE
    stage: str = ""
    fraction: float = 0.0
    copy: int | None = None
    reason: str = ""
    failed_then_removed: bool = False

    @property
    def word(self) -> str:
        if self.state == DiskState.REMOVED and self.failed_then_removed:
            return "FAIL · out"
        if self.state == DiskState.RUNNING:
            return f"{_SHORT.get(self.stage, self.stage)} {int(self.fraction * 100)}%".strip()
        return STATE_WORDS[self.state][0]

    @property
    def key(self) -> str:
        if self.state == DiskState.REMOVED and self.failed_then_removed:
            return "fail"
        return STATE_WORDS[self.state][1]

    def shown(self) -> tuple[object, ...]:
        """What the cell draws: an event that changes none of it needs no repaint."""
        return (self.state, self.stage, int(self.fraction * 100), self.copy, self.port)

    def describe(self) -> str:
        copy = f", copy {self.copy}" if self.copy else ""
        reason = f"\n{self.reason}" if self.reason else ""
        return f"Port {self.port} ({self.label}): {self.word}{copy}{reason}"


class PortMap(QWidget):
    """The painted grid of ports; emits the drive id of a clicked cell."""

    port_clicked = Signal(str)
    port_activated = Signal(str)  # double click: the disk's details

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setAccessibleName("Port map")
        self.ports: dict[str, Port] = {}
        self.selected: str | None = None
        self._cells: list[tuple[QRect, str]] = []
        self._rect_by_id: dict[str, QRect] = {}
        self._hubs: list[tuple[QRect, str]] = []
        self._icons: dict[tuple[str, str], object] = {}
        self._font_pair: tuple[QFont, QFont] | None = None
        self._frames: dict[tuple[str, str, bool], QPixmap] = {}  # (scheme, state, selected)
        self._laid: dict[tuple[str, bool], tuple[QStaticText, int, int]] = {}
        self._cell_boxes: list[tuple[QRect, str, tuple[int, int, int, int]]] = []
        self._hub_boxes: list[tuple[QRect, str, tuple[int, int, int, int]]] = []
        self._bars: dict[str, QRect] = {}
        self._texts: dict[str, tuple[QRect, QRect]] = {}
        self._dirty = True
        self._pending: dict[str, None] = {}  # cells to repaint, oldest first
        self._painter = QTimer(self)
        self._painter.setInterval(PAINT_MS)
        self._painter.timeout.connect(self._paint_some)

    def mark(self, drive_id: str) -> None:
        """This cell changed: repaint it on the next paint tick (not now)."""
        if not self.isVisible():  # hidden: showing it paints everything anyway
            return
        self._pending[drive_id] = None
        if not self._painter.isActive():
            self._painter.start()

    def _paint_some(self) -> None:
        if not self._pending:
            self._painter.stop()
            return
        if self._dirty:
            self._layout()
        for _ in range(min(PAINT_CELLS, len(self._pending))):
            drive_id = next(iter(self._pending))
            del self._pending[drive_id]
            rect = self._rect_by_id.get(drive_id)
            if rect is not None:
                self.update(rect)

    def relayout(self) -> None:
        self._dirty = True
        self.updateGeometry()
        self.update()

    def _layout(self) -> None:
        """One column per hub, its ports top to bottom (as a tower's hub boards stand),
        hubs left to right in port order, wrapping into another band when out of width."""
        self._cells, self._hubs = [], []
        width = max(self.width(), CELL_W + 2 * GAP)
        columns = hub_columns((p.drive_id, p.port) for p in self.ports.values())
        rows = max((len(c.ids) for c in columns), default=1)
        band_h = HUB_H + rows * (CELL_H + GAP) + GAP
        x, y = GAP, GAP
        for column in columns:
            if x > GAP and x + CELL_W > width:
                x, y = GAP, y + band_h
            self._hubs.append((QRect(x, y, CELL_W, HUB_H), column.hub))
            for i, drive_id in enumerate(column.ids):
                top = y + HUB_H + i * (CELL_H + GAP)
                self._cells.append((QRect(x, top, CELL_W, CELL_H), drive_id))
            x += CELL_W + GAP
        self._rect_by_id = {d: r for r, d in self._cells}
        self._cell_boxes = [(r, d, r.getRect()) for r, d in self._cells]
        self._hub_boxes = [(r, t, r.getRect()) for r, t in self._hubs]
        self._bars = {d: _bar(r) for r, d in self._cells}
        self._texts = {
            d: (
                QRect(r.left() + 20, r.top() + 1, r.width() - 23, 20),  # icon, word, copy
                QRect(r.left() + 3, r.top() + 20, r.width() - 6, 14),  # port, percentage
            )
            for r, d in self._cells
        }
        self._height = y + band_h if self._cells else CELL_H
        self.setMinimumHeight(self._height)
        self._dirty = False

    def sizeHint(self) -> QSize:
        return QSize(10 * (CELL_W + GAP), getattr(self, "_height", CELL_H))

    def hideEvent(self, event) -> None:
        self._painter.stop()  # a hidden map has nothing to paint; showing repaints it all
        self._pending.clear()
        super().hideEvent(event)

    def resizeEvent(self, event) -> None:
        # the layout depends on the width only through how many columns fit: the window
        # nudges the map's width as texts change during a run, and a relayout of 128 cells
        # under a busy GIL took 137 ms
        if _columns_fitting(event.oldSize().width()) != _columns_fitting(event.size().width()):
            self._dirty = True
        super().resizeEvent(event)

    def cell_at(self, pos: QPoint) -> str | None:
        for rect, drive_id in self._cells:
            if rect.contains(pos):
                return drive_id
        return None

    def rect_of(self, drive_id: str) -> QRect | None:
        if self._dirty:
            self._layout()
        return self._rect_by_id.get(drive_id)

    def _icon(self, key: str):
        at = (theme.scheme_name(), key)
        if at not in self._icons:
            self._icons[at] = theme.icon(key).pixmap(QSize(15, 15))
        return self._icons[at]

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the cells the paint region touches.

        Every Qt call from Python hands the GIL back and forth, and with a tower's workers
        runnable each hand-back can wait a switch interval: so the region is tested in
        Python, a cell's frame, icon and empty bar come from one cached pixmap, and each
        font is set once per paint, not per cell."""
        if self._dirty:
            self._layout()
        boxes = [r.getRect() for r in event.region()]

        def touched(box: tuple[int, int, int, int]) -> bool:
            x, y, w, h = box
            return any(
                x < bx + bw and bx < x + w and y < by + bh and by < y + h
                for bx, by, bw, bh in boxes
            )

        hubs = [(rect, text) for rect, text, box in self._hub_boxes if text and touched(box)]
        cells = [
            (rect, self.ports[drive_id], drive_id == self.selected)
            for rect, drive_id, box in self._cell_boxes
            if touched(box)
        ]
        if not hubs and not cells:
            return
        small, bold = self._fonts()
        painter = QPainter(self)
        painter.setFont(small)
        painter.setPen(_ink("muted"))
        for rect, text in hubs:
            self._text(painter, rect, text, False, False)
        for rect, p, selected in cells:
            painter.drawPixmap(rect.topLeft(), self._frame(p.key, selected))
            done = 1.0 if p.state == DiskState.PASS else p.fraction
            if done > 0:
                bar = self._bars[p.drive_id]
                painter.fillRect(
                    bar.left(), bar.top(), int(bar.width() * done), bar.height(),
                    _colours(p.key)[0],
                )  # fmt: skip
        painter.setPen(_ink("text"))
        for _rect, p, _sel in cells:  # small type: stage, copy number, port
            head, second = self._texts[p.drive_id]
            if p.state == DiskState.RUNNING:
                self._text(painter, head, _SHORT.get(p.stage, p.stage), False, False)
            if p.copy:
                self._text(painter, head, f"#{p.copy}", False, True)
            self._text(painter, second, p.port, False, False)
        painter.setFont(bold)
        for _rect, p, _sel in cells:  # bold type: the state word, or the percentage
            head, second = self._texts[p.drive_id]
            if p.state == DiskState.RUNNING:
                self._text(painter, second, f"{int(p.fraction * 100)}%", True, True)
            else:
                self._text(painter, head, p.word, True, False)
        painter.end()

    def _text(self, painter: QPainter, box: QRect, text: str, bold: bool, right: bool) -> None:
        """Draw a cell's text from a laid-out QStaticText: a cell shows few distinct
        strings (ports, stage words, 0-100 %), and drawText lays each out anew."""
        laid = self._laid.get((text, bold))
        if laid is None:
            st = QStaticText(text)
            st.setTextFormat(Qt.TextFormat.PlainText)
            st.prepare(font=self._fonts()[1 if bold else 0])
            size = st.size()
            laid = self._laid[(text, bold)] = (st, int(size.width()), int(size.height()))
        st, w, h = laid
        x = box.right() - w if right else box.left()
        painter.drawStaticText(x, box.top() + (box.height() - h) // 2, st)

    def _fonts(self) -> tuple[QFont, QFont]:
        if self._font_pair is None:
            small = QFont(self.font())
            small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
            bold = QFont(self.font())
            bold.setBold(True)
            self._font_pair = (small, bold)
        return self._font_pair

    def _frame(self, key: str, selected: bool) -> QPixmap:
        """A cell's outline, fill, state icon and empty progress track, drawn once."""
        at = (theme.scheme_name(), key, selected)
        cached = self._frames.get(at)
        if cached is not None:
            return cached
        pix = QPixmap(CELL_W, CELL_H)
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        rect = QRect(0, 0, CELL_W, CELL_H)
        colour, fill = _colours(key)
        painter.setPen(colour if not selected else _ink("text"))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), 4, 4)
        if selected:
            painter.drawRoundedRect(rect.adjusted(1, 1, -2, -2), 4, 4)
        painter.drawPixmap(3, 3, self._icon(key))
        painter.fillRect(_bar(rect), _ink("track"))
        painter.end()
        self._frames[at] = pix
        return pix

    def event(self, ev) -> bool:
        if ev.type() == ev.Type.ToolTip:
            drive_id = self.cell_at(ev.pos())
            if drive_id is not None:
                QToolTip.showText(ev.globalPos(), self.ports[drive_id].describe(), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(ev)

    def mousePressEvent(self, ev: QMouseEvent) -> None:
        drive_id = self.cell_at(ev.position().toPoint())
        if drive_id is not None:
            self.select(drive_id)
            self.port_clicked.emit(drive_id)

    def mouseDoubleClickEvent(self, ev: QMouseEvent) -> None:
        drive_id = self.cell_at(ev.position().toPoint())
        if drive_id is not None:
            self.port_activated.emit(drive_id)

    def select(self, drive_id: str | None) -> None:
        self.selected = drive_id
        self.update()


class TowerView(QWidget):
    """Port map + failures list + the selected port's reason. Same feed as the card grid."""

    details_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("towerView")
        self.map = PortMap()
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.map)
        self.summary = QLabel()
        self.summary.setObjectName("muted")
        # its text changes with every finished disk: that must not re-lay out (and so
        # fully repaint) the port map below it
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.failures = QListWidget()
        self.failures.setAccessibleName("Failed ports")
        self.failures.setMaximumHeight(84)
        self.failures.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.failures.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.reason = QLabel("Click a port to see its reason.")
        self.reason.setWordWrap(True)
        self.reason.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.reason.setMaximumHeight(84)
        self.reason.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.reason.setAccessibleName("Selected port")
        below = QHBoxLayout()
        below.addWidget(self.failures, 1)
        below.addWidget(self.reason, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.summary)
        lay.addWidget(self.scroll, 1)
        lay.addLayout(below)
        self.map.port_clicked.connect(self.show_port)
        self.map.port_activated.connect(self.details_clicked)
        self.failures.itemClicked.connect(
            lambda item: self.jump_to(item.data(Qt.ItemDataRole.UserRole))
        )
        self._failed: list[str] = []
        # a tower starts and ends 128 disks within seconds: the summary and the failures
        # list (a pass over every port) follow state changes at most every REFRESH_MS
        self._refresher = QTimer(self)
        self._refresher.setSingleShot(True)
        self._refresher.setInterval(REFRESH_MS)
        self._refresher.timeout.connect(self._refresh)

    @property
    def ports(self) -> dict[str, Port]:
        return self.map.ports

    def showEvent(self, event) -> None:
        self._refresh()  # what changed while hidden
        super().showEvent(event)

    def hideEvent(self, event) -> None:
        self._refresher.stop()
        super().hideEvent(event)

    # --- the same feed as DriveGrid ------------------------------------------------------------

    def sync_drives(self, drives: dict[str, Drive], verdicts: dict | None = None) -> None:
        changed = False
        for drive_id, d in drives.items():
            p = self.ports.get(drive_id)
            if p is None:
                self.ports[drive_id] = Port(drive_id, d.port_path, d.label)
                changed = True
            elif p.state == DiskState.REMOVED:
                p.state, p.fraction, p.failed_then_removed = DiskState.IDLE, 0.0, False
        for drive_id in [i for i in self.ports if i not in drives]:
            self.drive_removed(drive_id)
            changed = True
        if changed:
            self.map.relayout()
        self._refresh()

    def drive_removed(self, drive_id: str) -> None:
        p = self.ports.get(drive_id)
        if p is None:
            return
        if p.state == DiskState.FAIL or p.failed_then_removed:
            p.state, p.failed_then_removed = DiskState.REMOVED, True  # the failure stays
        else:
            del self.ports[drive_id]
            self.map.relayout()
        self._refresh()

    def clear_removed(self) -> None:
        for drive_id in [i for i, p in self.ports.items() if p.state == DiskState.REMOVED]:
            del self.ports[drive_id]
        self.map.relayout()
        self._refresh()

    def update_progress(self, ev: DiskProgress) -> None:
        if ev.state == DiskState.REMOVED:
            self.drive_removed(ev.drive_id)
            return
        p = self.ports.get(ev.drive_id)
        if p is None:
            p = self.ports[ev.drive_id] = Port(ev.drive_id, ev.port, ev.label)
            self.map.relayout()
        was, shown = p.state, p.shown()
        p.state, p.stage, p.fraction = ev.state, ev.stage.value, ev.fraction
        p.copy = ev.copy_index or p.copy
        p.reason = words.shown_reason(ev.reason_code, ev.reason)
        p.failed_then_removed = False
        if p.shown() != shown:  # most events move no visible pixel
            self.map.mark(ev.drive_id)
        # the summary and failures list follow a state change within REFRESH_MS (when shown)
        if was != ev.state and self.isVisible() and not self._refresher.isActive():
            self._refresher.start()
        if self.map.selected == ev.drive_id:
            self.reason.setText(p.describe())

    # --- failures and selection -----------------------------------------------------------

    def _refresh(self) -> None:
        failed = sorted(
            (p for p in self.ports.values() if p.key == "fail"),
            key=lambda p: (_port_key(p.port), p.drive_id),
        )
        ids = [p.drive_id for p in failed]
        if ids != self._failed:
            self._failed = ids
            self.failures.clear()
            for p in failed:
                item = QListWidgetItem(theme.icon("fail"), f"{p.port}  {p.reason or 'FAIL'}")
                item.setData(Qt.ItemDataRole.UserRole, p.drive_id)
                item.setToolTip(p.describe())
                self.failures.addItem(item)
        counts: dict[str, int] = {}
        for p in self.ports.values():
            counts[p.key] = counts.get(p.key, 0) + 1
        self.summary.setText(
            f"{len(self.ports)} ports: {counts.get('running', 0)} working, "
            f"{counts.get('pass', 0)} passed, {counts.get('fail', 0)} failed, "
            f"{counts.get('idle', 0)} ready"
        )

    def show_port(self, drive_id: str) -> None:
        p = self.ports.get(drive_id)
        if p is not None:
            self.reason.setText(p.describe())

    def jump_to(self, drive_id: str) -> None:
        """Scroll the port into view, select it and say why it failed."""
        rect = self.map.rect_of(drive_id)
        if rect is None:
            return
        self.scroll.ensureVisible(rect.center().x(), rect.center().y(), 20, CELL_H)
        self.map.select(drive_id)
        self.show_port(drive_id)
