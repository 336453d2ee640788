"""The disks, one card each, in a stable order by USB port.

Cards are keyed by drive id and sorted by port path (natural order: 1-1.2 before
1-1.10), so a disk keeps its place while others come and go; hotplug adds or removes
exactly one card and never rebuilds the rest.

The grid picks its columns and the cards' density from the room it has, not from fixed
pixels: the fullest cards with which every card fits without scrolling (16 disks at
1366x768 make a 4x4 grid of compact cards); a failed card grows to show its whole reason,
and the layout is chosen with that height counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from pressroom.drives.base import Drive
from pressroom.engine.events import DiskProgress, DiskState, Stage
from pressroom.gui.drive_card import DENSITIES, FULL, MIN_WIDTH, DriveCard
from pressroom.station import words

SPACING = 10


@dataclass(frozen=True)
class Fit:
    density: str
    columns: int
    height: int  # the grid's height with these cards (scrolls when above the room)


def choose_fit(n: int, width: int, height: int, card_height: Callable[[str, int, int], int]) -> Fit:
    """The fullest density at which ``n`` cards fit in ``width`` x ``height`` without
    scrolling (as many columns as the width holds at it); when none fits, the layout
    that scrolls least. ``card_height(density, column_width, index)`` is one card's
    height at that size, its reason included."""
    best: Fit | None = None
    for density in DENSITIES:
        cols = max(1, (width + SPACING) // (MIN_WIDTH[density] + SPACING))
        if density != FULL:  # small cards are for many disks: no empty columns
            cols = max(1, min(cols, n))
        col_w = (width - SPACING * (cols - 1)) // cols
        rows = [range(r, min(n, r + cols)) for r in range(0, n, cols)]
        total = sum(max(card_height(density, col_w, i) for i in row) for row in rows)
        fit = Fit(density, cols, total + SPACING * max(0, len(rows) - 1))
        if fit.height <= height:
            return fit
        if best is None or fit.height < best.height:
            best = fit
    return best or Fit(FULL, 1, 0)


def port_key(port: str, label: str = "") -> tuple:
    """Natural sort key of a USB port path ("1-1.10" after "1-1.9")."""
    return (tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", port) if p), label)


class DriveGrid(QScrollArea):
    retry_clicked = Signal(str)
    eject_clicked = Signal(str)
    details_clicked = Signal(str)
    failures_changed = Signal(list)  # drive ids of failed disks, in port order

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("driveGrid")
        self.setWidgetResizable(True)
        self.setAccessibleName("Disks")
        self.cards: dict[str, DriveCard] = {}
        self._ports: dict[str, str] = {}
        body = QWidget()
        body.setObjectName("driveGridBody")
        outer = QVBoxLayout(body)
        self.empty = QLabel(
            "No disks attached.\nInsert USB sticks or cards; each one appears here as a card."
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("muted")
        self.grid = QGridLayout()
        self.grid.setSpacing(SPACING)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        outer.addWidget(self.empty)
        outer.addLayout(self.grid)
        outer.addStretch(1)
        self.setWidget(body)
        self._columns = 0
        self.density = FULL
        self.retry_possible = False
        self.phase: str | None = None  # the run's phase (station.runs.Phase); None: no run
        self.members: tuple[str, ...] | None = None  # the disks the run may take; None: any
        self._refit = QTimer(self)  # one re-layout after a burst of changes
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(lambda: self._relayout())

    # --- hotplug ---------------------------------------------------------------------------

    def sync_drives(self, drives: dict[str, Drive], verdicts: dict) -> None:
        """Make the cards match the attached disks; finished failures stay until cleared."""
        for drive_id, drive in drives.items():
            card = self.cards.get(drive_id) or self._add(drive_id, drive.port_path)
            card.set_drive(drive, verdicts.get(drive_id))
            if card.state == DiskState.REMOVED:
                card.update_progress(
                    DiskProgress(
                        drive_id, drive.label, drive.port_path, DiskState.IDLE, Stage.WAITING
                    )
                )
        for drive_id in [d for d in self.cards if d not in drives]:
            self.drive_removed(drive_id)

    def drive_removed(self, drive_id: str) -> None:
        card = self.cards.get(drive_id)
        if card is None:
            return
        if card.state == DiskState.FAIL:
            card.mark_removed()
            self._failures_changed()
            return
        if card.state == DiskState.REMOVED:
            return  # a failed disk already shown as removed
        self._remove(drive_id)

    def clear_removed(self) -> None:
        """A new run starts: forget cards of disks that are gone."""
        for drive_id, card in list(self.cards.items()):
            if card.state == DiskState.REMOVED:
                self._remove(drive_id)

    # --- progress --------------------------------------------------------------------------

    def update_progress(self, ev: DiskProgress) -> None:
        if ev.state == DiskState.REMOVED:
            self.drive_removed(ev.drive_id)
            return
        card = self.cards.get(ev.drive_id) or self._add(ev.drive_id, ev.port)
        before, shown = card.state, card.reason.isVisible()
        card.update_progress(ev)
        if (before == DiskState.FAIL) != (card.state == DiskState.FAIL):
            self._failures_changed()
        if before != card.state or shown != card.reason.isVisible():
            self._refit.start()  # a reason appeared or went: heights changed

    # --- failures --------------------------------------------------------------------------

    def failed_ids(self) -> list[str]:
        """Disks that failed (still attached, or removed since), in port order."""
        return [
            d
            for d in self.ordered_ids()
            if self.cards[d].state == DiskState.FAIL
            or (self.cards[d].state == DiskState.REMOVED and self.cards[d].reason.text())
        ]

    def jump_to(self, drive_id: str) -> None:
        """Scroll a disk's card into view and give it the focus (the failures list)."""
        card = self.cards.get(drive_id)
        if card is None:
            return
        self.ensureWidgetVisible(card, 0, 24)
        card.setFocus(Qt.FocusReason.OtherFocusReason)

    def _failures_changed(self) -> None:
        self.failures_changed.emit(self.failed_ids())

    def set_retry_possible(self, possible: bool) -> None:
        """Whether the current run can still take a Retry (it is writing or waiting)."""
        self.retry_possible = possible
        for card in self.cards.values():
            card.set_retry_possible(possible)

    def set_run_phase(self, phase: str | None, members: tuple[str, ...] | None) -> None:
        """What the disks not started say follows the run (station.words.idle_words)."""
        self.phase, self.members = phase, members
        for drive_id, card in self.cards.items():
            card.set_idle_text(self._idle_text(drive_id))

    def _idle_text(self, drive_id: str) -> str:
        inside = self.members is None or drive_id in self.members
        return words.idle_words(self.phase, in_run=inside)

    def card(self, drive_id: str) -> DriveCard | None:
        return self.cards.get(drive_id)

    # --- layout ----------------------------------------------------------------------------

    def _add(self, drive_id: str, port: str) -> DriveCard:
        card = DriveCard(drive_id)
        card.set_retry_possible(self.retry_possible)
        card.set_idle_text(self._idle_text(drive_id))
        card.retry_clicked.connect(self.retry_clicked)
        card.eject_clicked.connect(self.eject_clicked)
        card.details_clicked.connect(self.details_clicked)
        self.cards[drive_id] = card
        self._ports[drive_id] = port
        self._relayout()
        return card

    def _remove(self, drive_id: str) -> None:
        card = self.cards.pop(drive_id)
        self._ports.pop(drive_id, None)
        self.grid.removeWidget(card)
        card.hide()
        card.deleteLater()
        self._relayout()
        self._failures_changed()

    def ordered_ids(self) -> list[str]:
        return sorted(self.cards, key=lambda i: port_key(self._ports.get(i, ""), i))

    def _card_height(self, density: str, width: int, index: int, ids: list[str]) -> int:
        """A card's height at ``density`` and ``width``, its reason wrapped as it would be
        (the card itself is asked, switched to that density)."""
        card = self.cards[ids[index]]
        card.set_density(density)
        if card.hasHeightForWidth():
            return card.heightForWidth(width)
        return card.sizeHint().height()

    def _relayout(self, force: bool = False) -> None:
        ids = self.ordered_ids()
        room = self.viewport().size()
        margins = self.widget().layout().contentsMargins()
        fit = choose_fit(
            len(ids),
            room.width() - margins.left() - margins.right(),
            room.height() - margins.top() - margins.bottom(),
            lambda density, w, i: self._card_height(density, w, i, ids),
        )
        cols = fit.columns
        if fit.density != self.density:
            self.density = fit.density
            force = True
        for card in self.cards.values():
            card.set_density(self.density)
        for i, drive_id in enumerate(ids):
            card = self.cards[drive_id]
            r, c = divmod(i, cols)
            index = self.grid.indexOf(card)
            pos = self.grid.getItemPosition(index)[:2] if index >= 0 else None
            if force or pos != (r, c):
                if index >= 0:
                    self.grid.removeWidget(card)
                self.grid.addWidget(card, r, c)
        for c in range(cols):
            self.grid.setColumnStretch(c, 1)
        for c in range(cols, max(cols, self._columns)):
            self.grid.setColumnStretch(c, 0)
        self._columns = cols
        self.empty.setVisible(not self.cards)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._refit.start()
