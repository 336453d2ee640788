"""The station window's Details dialog for one disk: what happened in the shop's words,
then the raw detail (the engine's sentence and code, the serial check), its log, the player.

Kept out of :mod:`pressroom.gui.main_window` (which routes signals) so each module does
one job; the window keeps the per-disk log lines and passes them, the card and the player in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout, QWidget

from pressroom.gui.drive_card import DriveCard


def disk_details(
    parent: QWidget,
    drive_id: str,
    card: DriveCard | None,
    log: list[str],
    open_player: Callable[[Path], None],
) -> QDialog:
    """Show the Details dialog of ``drive_id`` (non-modal) and return it."""
    dlg = QDialog(parent)
    dlg.setWindowTitle(f"Details — {card.title.text() if card else drive_id}")
    text = QPlainTextEdit()
    text.setReadOnly(True)
    text.setAccessibleName("Disk log")
    lines = []
    if card is not None and card.drive is not None:
        d = card.drive
        lines += [
            f"Disk:      {d.vendor} {d.product}",
            f"Port:      {d.port_path}   Kind: {d.kind}",
            f"Capacity:  {d.capacity:,} bytes   Free: {d.free:,} bytes",
            "",
        ]
    if card is not None and card.details_text():
        lines += [card.details_text(), ""]
    lines += log or ["(nothing has happened on this disk yet)"]
    text.setPlainText("\n".join(lines))
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dlg.reject)
    mount = card.drive.mount_point if card is not None and card.drive is not None else None
    if mount is not None:
        play = buttons.addButton("Open in player…", QDialogButtonBox.ButtonRole.ActionRole)
        play.setAccessibleName("Open this disk in the player")
        play.setToolTip("Verify this disk offline and play it, as a customer's player would")
        play.clicked.connect(lambda: open_player(mount))
    lay = QVBoxLayout(dlg)
    lay.addWidget(text)
    lay.addWidget(buttons)
    dlg.resize(640, 380)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.show()
    return dlg
