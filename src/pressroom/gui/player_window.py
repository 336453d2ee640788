"""The player window: open a disk, see whether it authenticates, play tracks from memory.

All checks and rights live in :mod:`pressroom.player`; this window only shows them.
Decrypted audio goes from :meth:`PlayerDisk.decrypt` into a ``QBuffer`` that
``QMediaPlayer`` reads, and nowhere else. A preview-limited track is stopped when the
playback position reaches the permit's limit, with a wall-clock timer as a backstop in
case the audio backend stops reporting positions.

Opened by ``pressroom play --gui`` and by the station's Details action:
``PlayerWindow(app, mount)``. The disk is opened by
:meth:`pressroom.station.disks.DiskService.open_for_play`,
which reads its identity from the device: the window takes none from the user.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, QTimer, QUrl
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pressroom.errors import PressroomError
from pressroom.gui import tasks, theme
from pressroom.player import Clock, PlayerDisk, PlayPermit, Refusal
from pressroom.secure.errors import SecureError
from pressroom.station.device import DeviceRefused

COLUMNS = ("#", "Title", "Artist", "Format", "Length", "Rights", "Plays left")
BACKSTOP_MS = 750  # the timer fires this long after the preview limit if positions stall


# Tracks up to this size decrypt on the GUI thread (well under 10 ms at ~1.7 GB/s with
# SHA-256); larger ones on the pool, so the window never stalls.
SYNC_DECRYPT_BYTES = 8 << 20


def clock_text(ms: int) -> str:
    s = max(0, ms) // 1000
    return f"{s // 60}:{s % 60:02d}"


class PlayerWindow(QMainWindow):
    def __init__(
        self,
        app,
        mount: str | Path | None = None,
        *,
        clock: Clock = time.time,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.app = app
        self.clock = clock
        self.disk: PlayerDisk | None = None
        self.mount: Path | None = None
        self.permit: PlayPermit | None = None
        self._buffer: QBuffer | None = None
        self.setWindowTitle("Pressroom player")
        self.setWindowIcon(theme.icon("music"))
        self.setStyleSheet(theme.style_sheet())  # the station's look, without touching qApp
        self.resize(820, 480)
        self._build()
        self._backstop = QTimer(self, singleShot=True, timeout=self._preview_reached)
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.player.positionChanged.connect(self._on_position)
        self.player.durationChanged.connect(self._on_duration)
        self.player.mediaStatusChanged.connect(self._on_media_status)
        self.player.errorOccurred.connect(self._on_media_error)
        if mount is not None:
            self.open_mount(Path(mount))

    # --- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        body = QWidget(self)
        col = QVBoxLayout(body)
        top = QHBoxLayout()
        self.open_button = QPushButton(theme.icon("disk"), "Open disk…")
        self.open_button.clicked.connect(self.choose_mount)
        self.mount_label = QLabel("No disk open. Open the folder where the disk is mounted.")
        self.mount_label.setObjectName("muted")
        top.addWidget(self.open_button)
        top.addWidget(self.mount_label, 1)
        col.addLayout(top)

        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.verdict.hide()
        col.addWidget(self.verdict)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _: self.play_selected())
        col.addWidget(self.table, 1)
        self.filler = QWidget()  # keeps the banner at the top when the list is hidden
        self.filler.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.filler.hide()
        col.addWidget(self.filler, 1)

        controls = QHBoxLayout()
        self.play_button = QPushButton(theme.icon("start"), "Play")
        self.play_button.setObjectName("startButton")
        self.play_button.clicked.connect(self.play_selected)
        self.stop_button = QPushButton(theme.icon("stop"), "Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.clicked.connect(lambda: self.stop("Stopped."))
        self.position = QProgressBar()
        self.position.setTextVisible(False)
        self.position.setRange(0, 1)
        self.time_label = QLabel("0:00 / 0:00")
        controls.addWidget(self.play_button)
        controls.addWidget(self.stop_button)
        controls.addWidget(self.position, 1)
        controls.addWidget(self.time_label)
        col.addLayout(controls)

        self.status = QLabel("")
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        col.addWidget(self.status)
        self.setCentralWidget(body)
        self._update_buttons()

    # --- opening a disk --------------------------------------------------------------------

    def choose_mount(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a Pressroom disk")
        if folder:
            self.open_mount(Path(folder))

    def open_mount(self, mount: Path) -> None:
        """Authenticate the disk at ``mount`` and show the result."""
        self.stop("")
        self.mount = mount
        self.mount_label.setText(str(mount))
        try:
            opened = self.app.station.disks.open_for_play(mount, self.clock)
        except DeviceRefused as exc:  # a folder of copies, or a disk whose serial is unreadable
            self.disk = None
            self._show_refusal(exc.headline, str(exc))
            return
        except PressroomError as exc:
            self.disk = None
            self._show_refusal("This disk cannot be opened", str(exc))
            return
        self.disk, source = opened.disk, opened.source
        if self.disk.refusal is not None:
            self._show_refusal(self.disk.refusal.headline, self.disk.refusal.reason)
            return
        station = self.disk.station.name if self.disk.station else "?"
        grant = self.disk.grant.title if self.disk.grant else "?"
        self.verdict.setObjectName("banner")
        self.verdict.setStyleSheet(
            f"background: #f1faf3; border: 1px solid {theme.PASS}; border-radius: 4px;"
            "padding: 6px 10px; color: #12562a;"
        )
        text = (
            f"<b>✔ The disk authenticates.</b> Made by {_esc(station)} under grant "
            f"{_esc(grant)}; {_esc(source)}."
        )
        memory = self.disk.memory_refusal()
        if memory is not None:  # unlimited tracks play; limited ones wait for the memory
            text += f"<br><b>⚠ {_esc(memory.headline)}:</b> {_esc(memory.reason)}"
        self.verdict.setText(text)
        self.verdict.show()
        self.filler.hide()
        self.table.show()
        self.refresh_tracks()
        if self.table.rowCount():
            self.table.selectRow(0)
        self.status.setText("Select a track and press Play.")

    def _show_refusal(self, headline: str, reason: str) -> None:
        self.verdict.setObjectName("bannerError")
        self.verdict.setStyleSheet(
            f"background: #fbe6e4; border: 2px solid {theme.FAIL}; border-radius: 4px;"
            "padding: 10px 12px; color: #7a1a14; font-size: 11pt;"
        )
        self.verdict.setText(f"<b>✖ {_esc(headline)}.</b><br>{_esc(reason)}")
        self.verdict.show()
        self.table.setRowCount(0)
        self.table.hide()
        self.filler.show()
        self.status.setText("Nothing on this disk will play.")
        self._update_buttons()

    def refresh_tracks(self) -> None:
        tracks = self.disk.tracks if self.disk else []
        selected = self.selected_index()
        self.table.setRowCount(len(tracks))
        for row, t in enumerate(tracks):
            length = clock_text(int((t.duration or 0) * 1000)) if t.duration else "?"
            left = "∞" if t.plays_left is None else str(t.plays_left)
            cells = (str(t.index + 1), t.title, t.artist, t.format, length, t.rights_text(), left)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not t.playable:
                    item.setForeground(Qt.GlobalColor.gray)
                    item.setToolTip(t.refusal.reason if t.refusal else "")
                self.table.setItem(row, c, item)
        if selected is not None and selected < len(tracks):
            self.table.selectRow(selected)
        self._update_buttons()

    def selected_index(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    # --- playing ---------------------------------------------------------------------------

    def play_selected(self) -> None:
        index = self.selected_index()
        if self.disk is None or index is None:
            return
        self.stop("")
        permit = self.disk.authorize(index)
        if isinstance(permit, Refusal):
            self.status.setText(f"Cannot play: {permit.reason}")
            return
        disk = self.disk

        def decrypt() -> bytes:  # every chunk authenticated before any of it plays
            audio = disk.decrypt(index)
            disk.record_play(index)  # a play counts once it starts
            return audio

        size = disk.licence.tracks[index].plain_len if disk.licence else 0
        if size <= SYNC_DECRYPT_BYTES:  # a few milliseconds: no need to leave the GUI thread
            try:
                audio = decrypt()
            except SecureError as exc:
                self._decrypt_failed(exc)
                return
            self._start_playing(permit, audio)
            return
        self.status.setText(f"Verifying {permit.title}…")
        self.play_button.setEnabled(False)
        tasks.submit(
            decrypt,
            lambda audio: self._start_playing(permit, audio),
            self._decrypt_failed,
            context=self,
        )

    def _decrypt_failed(self, exc: BaseException) -> None:
        self.status.setText(f"Cannot play: {exc}")
        self.refresh_tracks()

    def _start_playing(self, permit: PlayPermit, audio: bytes) -> None:
        self.permit = permit
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(audio))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        del audio
        limit = permit.limit_ms
        self.position.setRange(0, limit or max(1, int((permit.duration or 1) * 1000)))
        self.position.setValue(0)
        if limit is not None:
            self._backstop.start(limit + BACKSTOP_MS)
        self.player.setSourceDevice(self._buffer)
        self.player.play()
        preview = f" (preview: first {permit.max_seconds} s)" if limit is not None else ""
        self.status.setText(f"Playing {permit.title}{preview}.")
        self.refresh_tracks()

    def stop(self, message: str) -> None:
        """Stop playback and drop the decrypted audio from memory."""
        self._backstop.stop()
        if hasattr(self, "player"):
            self.player.stop()
            # setSourceDevice(None) deadlocks Qt 6's FFmpeg backend; an empty URL releases it.
            self.player.setSource(QUrl())
        if self._buffer is not None:
            self._buffer.close()
            self._buffer.setData(QByteArray())
            self._buffer.deleteLater()
            self._buffer = None
        self.permit = None
        self.position.setValue(0)
        if message:
            self.status.setText(message)
        self._update_buttons()

    @property
    def playing(self) -> bool:
        return self.permit is not None

    def _on_position(self, ms: int) -> None:
        if self.permit is None:
            return
        self.position.setValue(min(ms, self.position.maximum()))
        total = self.permit.limit_ms or self.player.duration()
        self.time_label.setText(f"{clock_text(ms)} / {clock_text(total)}")
        if self.permit.must_stop(ms):
            self._preview_reached()

    def _preview_reached(self) -> None:
        if self.permit is not None and self.permit.max_seconds is not None:
            self.stop(f"Preview ended after {self.permit.max_seconds} s.")

    def _on_duration(self, ms: int) -> None:
        if self.permit is not None and self.permit.limit_ms is None and ms > 0:
            self.position.setRange(0, ms)

    def _on_media_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.EndOfMedia and self.permit is not None:
            self.stop(f"Finished {self.permit.title}.")

    def _on_media_error(self, error: QMediaPlayer.Error, text: str) -> None:
        if error != QMediaPlayer.Error.NoError and self.permit is not None:
            self.stop(f"The audio could not be played: {text or error.name}.")

    def _update_buttons(self) -> None:
        index = self.selected_index() if hasattr(self, "table") else None
        can = self.disk is not None and self.disk.ok and index is not None
        if can and index is not None:
            can = self.disk.tracks[index].playable  # type: ignore[union-attr]
        self.play_button.setEnabled(bool(can))
        self.stop_button.setEnabled(self.permit is not None)

    def closeEvent(self, event) -> None:
        self.stop("")
        super().closeEvent(event)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def run_player(app, mount: str | None = None) -> int:
    """``pressroom play --gui``: the player window on its own."""
    qt = QApplication.instance() or QApplication(["pressroom-player"])
    theme.apply(qt)  # type: ignore[arg-type]
    try:
        from pressroom.gui.gc_guard import collect_on_gui_thread

        window = PlayerWindow(app, mount)
        window.show()
        with collect_on_gui_thread():
            return qt.exec()
    finally:
        app.close()
