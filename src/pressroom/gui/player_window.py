"""The player window: open a disk, see whether it authenticates, play tracks from memory.

All checks and rights live in :mod:`pressroom.player`; this window only shows them, in the
listener's words of :mod:`pressroom.station.words` (the technical reason one click away,
behind Details). It names a disk by its label and album, never by a path.
Decrypted audio goes from :meth:`PlayerDisk.decrypt` into a ``QBuffer`` that
``QMediaPlayer`` reads, and nowhere else. A preview-limited track is stopped when the
playback position reaches the permit's limit, with a wall-clock timer as a backstop in
case the audio backend stops reporting positions.

Play, pause and resume (also the space bar), seek within what the permit allows, volume and
mute (the row itself is :mod:`pressroom.gui.player_transport`). Only a window that played
touches the media engine when it stops or closes: see :meth:`PlayerWindow.stop`.

Opened by ``pressroom play --gui`` and by the station's Details action:
``PlayerWindow(app, mount)``. The disk is opened by
:meth:`pressroom.station.disks.DiskService.open_for_play`,
which reads its identity from the device: the window takes none from the user.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, QTimer, QUrl
from PySide6.QtGui import QBrush, QKeySequence, QShortcut
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pressroom.errors import PressroomError
from pressroom.gui import tasks, theme
from pressroom.gui.player_transport import Transport, clock_text
from pressroom.player import Clock, PlayerDisk, PlayPermit, Refusal
from pressroom.secure.errors import SecureError
from pressroom.station import words
from pressroom.station.device import DeviceRefused

COLUMNS = ("#", "Title", "Artist", "Format", "Length", "Rights", "Plays left")
BACKSTOP_MS = 750  # the timer fires this long after the preview limit if positions stall
TITLE = "Pressroom player"


# Tracks up to this size decrypt on the GUI thread (well under 10 ms at ~1.7 GB/s with
# SHA-256); larger ones on the pool, so the window never stalls.
SYNC_DECRYPT_BYTES = 8 << 20


def album_text(tracks: list) -> str:
    """What is on the disk, as a listener names it: the album, or how many."""
    albums = list(dict.fromkeys(t.album for t in tracks if t.album))
    if len(albums) == 1:
        return albums[0]
    if albums:
        return f"{len(albums)} albums"
    return f"{len(tracks)} tracks" if tracks else ""


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
        self.disk_name = ""
        self.mount: Path | None = None
        self.permit: PlayPermit | None = None
        self.paused = False
        self._pending_seek: int | None = None
        self._buffer: QBuffer | None = None
        self.setWindowTitle(TITLE)
        self.setWindowIcon(theme.icon("music"))
        self._restyle()
        theme.notifier().changed.connect(self._restyle)
        self.resize(860, 500)
        self._build()
        self._backstop = QTimer(self, singleShot=True, timeout=self._preview_reached)
        # created before any buffer, so (as the older child) destroyed before it
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.audio.setVolume(self.volume.value() / 100)
        self.player.setAudioOutput(self.audio)
        self.player.positionChanged.connect(self._on_position)
        self.player.durationChanged.connect(self._on_duration)
        self.player.mediaStatusChanged.connect(self._on_media_status)
        self.player.errorOccurred.connect(self._on_media_error)
        space = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        space.activated.connect(self.play_or_pause)
        if mount is not None:
            self.open_mount(Path(mount))

    def _restyle(self, _scheme: str = "") -> None:
        """The station's look without touching qApp, in the current colour scheme."""
        self.setStyleSheet(theme.style_sheet())
        if hasattr(self, "table") and self.disk is not None:
            self.refresh_tracks()  # greyed rows take the scheme's muted colour

    # --- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        body = QWidget(self)
        col = QVBoxLayout(body)
        top = QHBoxLayout()
        self.open_button = QPushButton(theme.icon("disk"), "Open disk…")
        self.open_button.clicked.connect(self.choose_mount)
        self.disk_label = QLabel(words.PLAYER["no-disk"])
        self.disk_label.setObjectName("cardTitle")
        top.addWidget(self.open_button)
        top.addWidget(self.disk_label, 1)
        col.addLayout(top)

        banner = QHBoxLayout()
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.verdict.hide()
        self.details_button = QPushButton(theme.icon("details"), "Details")
        self.details_button.setCheckable(True)
        self.details_button.setToolTip("What the check found, for the shop or the publisher")
        self.details_button.toggled.connect(lambda on: self.details.setVisible(on))
        self.details_button.hide()
        banner.addWidget(self.verdict, 1)
        banner.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        col.addLayout(banner)
        self.details = QLabel()
        self.details.setObjectName("muted")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.hide()
        col.addWidget(self.details)

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

        self.transport = Transport()
        t = self.transport  # the window's names for its controls (tests and callers use them)
        self.play_button, self.stop_button = t.play_button, t.stop_button
        self.position, self.time_label = t.position, t.time_label
        self.mute_button, self.volume = t.mute_button, t.volume
        self.play_button.clicked.connect(self.play_or_pause)
        self.stop_button.clicked.connect(lambda: self.stop("Stopped."))
        self.position.sliderMoved.connect(self._show_time)
        self.position.sliderReleased.connect(lambda: self.seek(self.position.value()))
        self.position.actionTriggered.connect(self._slider_action)
        self.mute_button.toggled.connect(self.set_muted)
        self.volume.valueChanged.connect(self.set_volume)
        col.addWidget(self.transport)

        self.status = QLabel("")
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        col.addWidget(self.status)
        self.setCentralWidget(body)
        self.transport.keep_play_width()
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
        self.disk_name = ""
        try:
            opened = self.app.station.disks.open_for_play(mount, self.clock)
        except DeviceRefused as exc:  # a folder of copies, or a disk whose serial is unreadable
            self.disk = None
            self._show_refusal(exc.headline, exc.code, str(exc))
            return
        except PressroomError as exc:
            self.disk = None
            self._show_refusal("This disk cannot be opened", getattr(exc, "code", ""), str(exc))
            return
        self.disk, source = opened.disk, opened.source
        self.disk_name = opened.drive.label
        if self.disk.refusal is not None:
            r = self.disk.refusal
            self._show_refusal(r.headline, r.code, r.reason)
            return
        self._name_disk()
        station = self.disk.station.name if self.disk.station else "?"
        grant = self.disk.grant.title if self.disk.grant else "?"
        self.verdict.setObjectName("bannerPass")
        theme.repolish(self.verdict)
        text = f"<b>✔ {_esc(words.PLAYER['authentic'])}</b> Made by {_esc(station)}."
        memory = self.disk.memory_refusal()
        if memory is not None:  # unlimited tracks play; limited ones wait for the memory
            text += f"<br><b>⚠ {_esc(memory.headline)}:</b> "
            text += _esc(words.player_refusal(memory.code))
        self.verdict.setText(text)
        self.verdict.show()
        self._set_details(f"Grant: {grant}. Identity: {source}.")
        self.filler.hide()
        self.table.show()
        self.refresh_tracks()
        if self.table.rowCount():
            self.table.selectRow(0)
        self.status.setText(words.PLAYER["pick"])

    def _name_disk(self) -> None:
        """The disk by its name and what is on it: never a path."""
        what = album_text(self.disk.tracks) if self.disk else ""
        parts = [p for p in (what, self.disk_name) if p]
        self.disk_label.setText(" · ".join(parts) or "A Pressroom disk")
        self.setWindowTitle(f"{' · '.join(parts)} — {TITLE}" if parts else TITLE)

    def _set_details(self, text: str) -> None:
        self.details.setText(text)
        self.details_button.setVisible(bool(text))
        self.details.setVisible(bool(text) and self.details_button.isChecked())

    def _show_refusal(self, headline: str, code: str, reason: str) -> None:
        self.verdict.setObjectName("bannerError")
        theme.repolish(self.verdict)
        self.verdict.setText(
            f"<span style='font-size:11pt'><b>✖ {_esc(headline)}.</b><br>"
            f"{_esc(words.player_refusal(code))}</span>"
        )
        self.verdict.show()
        self._set_details(reason)
        # a refused disk by its name only: what it claims to carry is not believed
        self.disk_label.setText(self.disk_name or "Not a Pressroom disk")
        self.setWindowTitle(f"{self.disk_name} — {TITLE}" if self.disk_name else TITLE)
        self.table.setRowCount(0)
        self.table.hide()
        self.filler.show()
        self.status.setText(words.PLAYER["nothing-plays"])
        self._update_buttons()

    def refresh_tracks(self) -> None:
        tracks = self.disk.tracks if self.disk else []
        selected = self.selected_index()
        grey = QBrush(theme.qcolour("muted"))
        self.table.setRowCount(len(tracks))
        for row, t in enumerate(tracks):
            length = clock_text(int((t.duration or 0) * 1000)) if t.duration else "?"
            left = "∞" if t.plays_left is None else str(t.plays_left)
            cells = (str(t.index + 1), t.title, t.artist, t.format, length, t.rights_text(), left)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not t.playable:
                    item.setForeground(grey)
                    item.setToolTip(words.player_refusal(t.refusal.code) if t.refusal else "")
                self.table.setItem(row, c, item)
        if selected is not None and selected < len(tracks):
            self.table.selectRow(selected)
        self._update_buttons()

    def selected_index(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    # --- playing ---------------------------------------------------------------------------

    def play_or_pause(self) -> None:
        """The Play button and the space bar: play the selection, pause, or go on."""
        if self.permit is None:
            self.play_selected()
        elif self.paused:
            self.resume()
        else:
            self.pause()

    def play_selected(self) -> None:
        index = self.selected_index()
        if self.disk is None or index is None:
            return
        self.stop("")
        permit = self.disk.authorize(index)
        if isinstance(permit, Refusal):
            self.status.setText(f"Cannot play: {words.player_refusal(permit.code)}")
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
        self.status.setText(f"Checking {permit.title}…")
        self.play_button.setEnabled(False)
        tasks.submit(
            decrypt,
            lambda audio: self._start_playing(permit, audio),
            self._decrypt_failed,
            context=self,
        )

    def _decrypt_failed(self, exc: BaseException) -> None:
        code = getattr(exc, "code", "")
        self.status.setText(f"Cannot play: {words.player_refusal(code)}")
        self._set_details(str(exc))
        self.refresh_tracks()

    def _start_playing(self, permit: PlayPermit, audio: bytes) -> None:
        self.permit = permit
        self.paused = False
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(audio))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        del audio
        limit = permit.limit_ms
        total = limit or max(1, int((permit.duration or 1) * 1000))
        self.position.setRange(0, total)
        self.position.setValue(0)
        self._show_time(0)
        if limit is not None:
            self._backstop.start(limit + BACKSTOP_MS)
        self.player.setSourceDevice(self._buffer)
        self.player.play()
        self._say_playing()
        self.refresh_tracks()

    def _say_playing(self) -> None:
        assert self.permit is not None
        p = self.permit
        preview = f" (preview: first {p.max_seconds} s)" if p.limit_ms is not None else ""
        self.status.setText(f"Playing {p.title}{preview}.")

    def pause(self) -> None:
        """Hold the track where it is; the decrypted audio stays in memory until Stop."""
        if self.permit is None or self.paused:
            return
        self.player.pause()
        self.paused = True
        self._backstop.stop()  # a paused preview is not running out
        self.status.setText(f"Paused {self.permit.title}. Press Play or the space bar to go on.")
        self._update_buttons()

    def resume(self) -> None:
        if self.permit is None or not self.paused:
            return
        self.paused = False
        self._arm_backstop(self.position.value())
        self.player.play()
        self._say_playing()
        self._update_buttons()

    def seek(self, ms: int) -> None:
        """Go to ``ms`` in the track, within what the permit allows (a preview's first
        seconds); reaching a preview's end ends the play."""
        if self.permit is None:
            return
        ms = max(0, min(int(ms), self.position.maximum()))
        if self.permit.must_stop(ms):
            self._preview_reached()
            return
        if self.player.mediaStatus() == QMediaPlayer.MediaStatus.LoadingMedia:
            self._pending_seek = ms  # the engine takes positions once the media is loaded
        else:
            self.player.setPosition(ms)
        self.position.setValue(ms)
        self._show_time(ms)
        if not self.paused:
            self._arm_backstop(ms)

    def _arm_backstop(self, position_ms: int) -> None:
        limit = self.permit.limit_ms if self.permit else None
        if limit is not None:
            self._backstop.start(max(0, limit - position_ms) + BACKSTOP_MS)

    def _slider_action(self, action: int) -> None:
        """A click beside the handle or an arrow key on the slider: seek where it goes
        (Qt has moved ``sliderPosition`` already, not yet the value)."""
        moves = (QSlider.SliderAction.SliderMove, QSlider.SliderAction.SliderNoAction)
        if QSlider.SliderAction(action) not in moves and not self.position.isSliderDown():
            self.seek(self.position.sliderPosition())

    def set_volume(self, percent: int) -> None:
        self.audio.setVolume(max(0, min(100, percent)) / 100)
        if percent and self.mute_button.isChecked():
            self.mute_button.setChecked(False)  # moving the volume up means: let me hear it

    def set_muted(self, muted: bool) -> None:
        self.audio.setMuted(muted)

    def stop(self, message: str) -> None:
        """Stop playback and drop the decrypted audio from memory.

        Only a window that set a source touches the media engine, with one call:
        ``setSource(QUrl())`` (Qt stops first, then discards the engine and joins its
        threads). A window that never played, or has already stopped, closes and opens
        disks without any engine call; before, every close and every open called
        ``QMediaPlayer.stop()``, the call a loaded test run once hung in.
        ``setSourceDevice(None)`` deadlocks Qt's FFmpeg backend outright. The buffer is
        closed only after the engine let go of it, and the engine is created before any
        buffer so that, as the older child, it is destroyed first when the window goes.
        """
        self._backstop.stop()
        if self._buffer is not None:
            self.player.setSource(QUrl())
            self._buffer.close()
            self._buffer.setData(QByteArray())
            self._buffer.deleteLater()
            self._buffer = None
        self.permit = None
        self.paused = False
        self._pending_seek = None
        self.transport.reset()
        if message:
            self.status.setText(message)
        self._update_buttons()

    @property
    def playing(self) -> bool:
        return self.permit is not None

    def _show_time(self, ms: int) -> None:
        self.transport.show_time(ms, self.position.maximum() if self.permit is not None else 0)

    def _on_position(self, ms: int) -> None:
        if self.permit is None:
            return
        if not self.position.isSliderDown():  # the operator's drag wins until released
            self.position.setValue(min(ms, self.position.maximum()))
            self._show_time(ms)
        if self.permit.must_stop(ms):
            self._preview_reached()

    def _preview_reached(self) -> None:
        if self.permit is not None and self.permit.max_seconds is not None:
            self.stop(f"Preview ended after {self.permit.max_seconds} s.")

    def _on_duration(self, ms: int) -> None:
        if self.permit is not None and self.permit.limit_ms is None and ms > 0:
            self.position.setRange(0, ms)
            self._show_time(self.position.value())

    def _on_media_status(self, status: QMediaPlayer.MediaStatus) -> None:
        loaded = (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia)
        if status in loaded and self._pending_seek is not None and self.permit is not None:
            self.player.setPosition(self._pending_seek)
            self._pending_seek = None
        if status == QMediaPlayer.MediaStatus.EndOfMedia and self.permit is not None:
            self.stop(f"Finished {self.permit.title}.")

    def _on_media_error(self, error: QMediaPlayer.Error, text: str) -> None:
        if error != QMediaPlayer.Error.NoError and self.permit is not None:
            self.stop(words.PLAYER["audio-failed"])
            self._set_details(f"Audio error: {text or error.name}.")

    def _update_buttons(self) -> None:
        index = self.selected_index() if hasattr(self, "table") else None
        can = self.disk is not None and self.disk.ok and index is not None
        if can and index is not None:
            can = self.disk.tracks[index].playable  # type: ignore[union-attr]
        self.transport.show_state(
            can_play=bool(can), playing=self.permit is not None, paused=self.paused
        )

    def closeEvent(self, event) -> None:
        self.stop("")
        super().closeEvent(event)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def run_player(app, mount: str | None = None) -> int:
    """``pressroom play --gui``: the player window on its own."""
    qt = QApplication.instance() or QApplication(["pressroom-player"])
    theme.apply(qt, app.config.settings.appearance)  # type: ignore[arg-type]
    try:
        from pressroom.gui.gc_guard import collect_on_gui_thread

        window = PlayerWindow(app, mount)
        window.show()
        with collect_on_gui_thread():
            return qt.exec()
    finally:
        app.close()
