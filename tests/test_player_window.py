"""The player window offscreen, and decoding decrypted audio from memory with QtMultimedia."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip(
    "PySide6.QtMultimedia",
    reason="QtMultimedia needs the Debian package libpulse0",
    exc_type=ImportError,
)

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtMultimedia import QAudioDecoder, QMediaPlayer

from player_support import Station
from pressroom.gui.player_window import PlayerWindow
from pressroom.player import STATE_FILE
from pressroom.player.memory import MEMORY_FILE
from pressroom.secure.rights import Rights

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
SERIAL = "AA11BB22CC33"


@pytest.fixture
def station(_isolated_data_dir):
    station = Station(_isolated_data_dir)
    yield station
    station.app.close()  # stops the USB thread the drive provider started


def shoot(window, name: str) -> None:
    if os.environ.get("PRESSROOM_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(SHOTS / name))


def decode(qtbot, data: bytes) -> tuple[int, int, int]:
    """Decode ``data`` from a QBuffer: (buffers, sample rate, microseconds of audio)."""
    buf = QBuffer()
    buf.setData(QByteArray(data))
    buf.open(QIODevice.OpenModeFlag.ReadOnly)
    decoder = QAudioDecoder()
    decoder.setSourceDevice(buf)
    got = {"n": 0, "rate": 0, "us": 0}

    def ready() -> None:
        b = decoder.read()
        got["n"] += 1
        got["rate"] = b.format().sampleRate()
        got["us"] += b.duration()

    decoder.bufferReady.connect(ready)
    with qtbot.waitSignal(decoder.finished, timeout=10_000):
        decoder.start()
    assert decoder.error() == QAudioDecoder.Error.NoError, decoder.errorString()
    return got["n"], got["rate"], got["us"]


def test_decrypted_tracks_decode_from_memory(station, qtbot):
    mount = station.disk(SERIAL)
    disk = station.app.station.disks.open_for_play(mount).disk
    assert disk.ok, disk.refusal
    expected = {0: 22050, 1: 44100, 2: 16000}  # FLAC, MP3, WAV demo tracks
    for index, rate in expected.items():
        buffers, got_rate, us = decode(qtbot, disk.decrypt(index))
        assert buffers > 0 and got_rate == rate
        assert abs(us - 8_000_000) < 150_000, us


def test_window_lists_tracks_and_plays(station, qtbot):
    mount = station.disk(SERIAL, [Rights(plays=3), Rights(preview_seconds=2), Rights()])
    win = PlayerWindow(station.app, mount)
    qtbot.addWidget(win)
    win.show()
    assert win.disk is not None and win.disk.ok
    assert win.table.rowCount() == 3 and win.table.isVisible()
    assert win.table.item(0, 1).text() == "Serial Number"
    assert win.table.item(0, 6).text() == "3"
    assert "authenticates" in win.verdict.text()
    shoot(win, "player.png")
    win.table.selectRow(0)
    win.play_selected()
    assert win.playing
    assert win.table.item(0, 6).text() == "2"  # counted when it starts, and on the disk
    assert (mount / STATE_FILE).is_file()
    win.stop("Stopped.")
    assert not win.playing and win.player.source().isEmpty()


def test_window_stops_at_the_preview_limit(station, qtbot):
    mount = station.disk(SERIAL, [Rights(), Rights(preview_seconds=2), Rights()])
    win = PlayerWindow(station.app, mount)
    qtbot.addWidget(win)
    win.show()
    win.table.selectRow(1)
    win.play_selected()
    assert win.playing and win.permit.limit_ms == 2000
    assert win.position.maximum() == 2000
    win.player.positionChanged.emit(1500)  # what the backend reports while playing
    assert win.playing and win.position.value() == 1500
    assert win.time_label.text() == "0:01 / 0:02"
    shoot(win, "player-preview.png")
    win.player.positionChanged.emit(2000)
    assert not win.playing
    assert win.player.playbackState() == QMediaPlayer.PlaybackState.StoppedState
    assert "Preview ended after 2 s" in win.status.text()


def test_preview_backstop_stops_even_without_positions(station, qtbot, monkeypatch):
    monkeypatch.setattr("pressroom.gui.player_window.BACKSTOP_MS", 0)
    mount = station.disk(SERIAL, [Rights(), Rights(preview_seconds=1), Rights()])
    win = PlayerWindow(station.app, mount)
    qtbot.addWidget(win)
    win.player.positionChanged.disconnect(win._on_position)  # a backend that reports nothing
    win.table.selectRow(1)
    win.play_selected()
    assert win.playing
    qtbot.waitUntil(lambda: not win.playing, timeout=3000)
    assert "Preview ended" in win.status.text()


def test_clone_shows_a_banner_instead_of_the_list(station, qtbot):
    clone = station.clone(station.disk(SERIAL), "ZZ99YY88XX77")
    win = PlayerWindow(station.app, clone)
    qtbot.addWidget(win)
    win.show()
    assert win.disk is not None and not win.disk.ok
    assert win.table.isHidden() and win.verdict.isVisible()
    assert "Copied from another disk" in win.verdict.text()
    assert "serial ends in 'CC33'" in win.verdict.text()
    assert not win.play_button.isEnabled()
    shoot(win, "player-refused.png")


def test_copied_files_in_a_folder_show_a_refusal(station, qtbot, tmp_path):
    """The window takes no identity from the user: a folder of copies never plays."""
    copy = tmp_path / "copy"
    shutil.copytree(station.disk(SERIAL), copy)
    win = PlayerWindow(station.app, copy)
    qtbot.addWidget(win)
    win.show()
    assert win.disk is None and win.table.isHidden() and win.verdict.isVisible()
    assert "Not a disk" in win.verdict.text()
    assert "a folder of copied files never plays" in win.verdict.text()
    assert not win.play_button.isEnabled()
    assert not (copy / STATE_FILE).exists()
    assert "serial" not in PlayerWindow.__init__.__code__.co_varnames


def test_rolled_back_memory_is_shown_and_limited_tracks_wait(station, qtbot, _isolated_data_dir):
    mount = station.disk(SERIAL, [Rights(plays=3), Rights(), Rights()])
    memory = _isolated_data_dir / "player" / MEMORY_FILE
    win = PlayerWindow(station.app, mount)
    qtbot.addWidget(win)
    for _ in range(2):  # the first play, a backup of both files, the second play
        if (mount / STATE_FILE).exists():
            saved_memory, saved_state = memory.read_bytes(), (mount / STATE_FILE).read_bytes()
        win.table.selectRow(0)
        win.play_selected()
        win.stop("")
    assert win.disk.tracks[0].plays_left == 1
    memory.write_bytes(saved_memory)  # the backup of both files put back
    (mount / STATE_FILE).write_bytes(saved_state)
    win.open_mount(mount)
    assert win.disk is not None and win.disk.ok
    assert "The player's memory was rolled back" in win.verdict.text()
    assert not win.disk.tracks[0].playable
    assert win.disk.tracks[0].refusal.code == "memory-rollback"
    win.table.selectRow(0)
    assert not win.play_button.isEnabled()
    win.table.selectRow(1)
    assert win.play_button.isEnabled()


def test_large_tracks_decrypt_off_the_gui_thread(station, qtbot, monkeypatch):
    import threading

    from pressroom.gui import player_window as pw

    mount = station.disk(SERIAL)
    win = PlayerWindow(station.app, mount)
    qtbot.addWidget(win)
    win.show()
    monkeypatch.setattr(pw, "SYNC_DECRYPT_BYTES", 0)  # every track counts as large
    threads: list[str] = []
    decrypt = win.disk.decrypt

    def spy(index):
        threads.append(threading.current_thread().name)
        return decrypt(index)

    monkeypatch.setattr(win.disk, "decrypt", spy)
    win.table.selectRow(0)
    win.play_selected()
    assert not win.playing and "Verifying" in win.status.text()  # the GUI went on
    qtbot.waitUntil(lambda: win.playing, timeout=10_000)
    assert threads and threads[0] != threading.main_thread().name
    win.stop("Stopped.")
