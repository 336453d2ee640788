"""The disks, one card each, in a stable order by USB port.

Cards are keyed by drive id and sorted by port path (natural order: 1-1.2 before
1-1.10), so a disk keeps its place while others come and go; hotplug adds or removes
exactly one card and never rebuilds the rest.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from pressroom.drives.base import Drive
from pressroom.engine.events import DiskProgress, DiskState, Stage
from pressroom.gui.drive_card import DriveCard

CARD_WIDTH = 255  # a column per this many pixels of width


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
        self.grid.setSpacing(10)
        outer.addWidget(self.empty)
        outer.addLayout(self.grid)
        outer.addStretch(1)
        self.setWidget(body)
        self._columns = 0
        self.retry_possible = False

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
        before = card.state
        card.update_progress(ev)
        if (before == DiskState.FAIL) != (card.state == DiskState.FAIL):
            self._failures_changed()

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

    def card(self, drive_id: str) -> DriveCard | None:
        return self.cards.get(drive_id)

    # --- layout ----------------------------------------------------------------------------

    def _add(self, drive_id: str, port: str) -> DriveCard:
        card = DriveCard(drive_id)
        card.set_retry_possible(self.retry_possible)
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

    def _relayout(self, force: bool = False) -> None:
        cols = max(1, self.viewport().width() // CARD_WIDTH)
        for i, drive_id in enumerate(self.ordered_ids()):
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
        if max(1, self.viewport().width() // CARD_WIDTH) != self._columns:
            self._relayout(force=True)
