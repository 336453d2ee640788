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

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtMultimedia import QAudioDecoder, QMediaPlayer
from PySide6.QtWidgets import QLabel, QSlider

from player_support import ALBUM, Station
from pressroom.gui import player_window as pw
from pressroom.gui.player_transport import VOLUME
from pressroom.gui.player_window import PlayerWindow
from pressroom.player import STATE_FILE
from pressroom.player.memory import MEMORY_FILE
from pressroom.secure.rights import Rights
from pressroom.station import words
from theme_support import scheme

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
    assert "This disk is genuine" in win.verdict.text()
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
    assert words.player_refusal("wrong-disk") in win.verdict.text()
    assert "unwrap" not in win.verdict.text()  # the key words stay behind Details
    assert win.details.isHidden() and win.details_button.isVisible()
    win.details_button.click()
    assert win.details.isVisible() and "serial ends in 'CC33'" in win.details.text()
    assert not win.play_button.isEnabled()


def test_copied_files_in_a_folder_show_a_refusal(station, qtbot, tmp_path):
    """The window takes no identity from the user: a folder of copies never plays."""
    copy = tmp_path / "copy"
    shutil.copytree(station.disk(SERIAL), copy)
    win = PlayerWindow(station.app, copy)
    qtbot.addWidget(win)
    win.show()
    assert win.disk is None and win.table.isHidden() and win.verdict.isVisible()
    assert "Not a disk" in win.verdict.text()
    assert words.player_refusal("no-device") in win.verdict.text()
    assert str(copy) not in win.verdict.text() and str(copy) not in win.windowTitle()
    assert "a folder of copied files never plays" in win.details.text()
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
    assert not win.playing and "Checking" in win.status.text()  # the GUI went on
    qtbot.waitUntil(lambda: win.playing, timeout=10_000)
    assert threads and threads[0] != threading.main_thread().name
    win.stop("Stopped.")


def test_pause_resume_and_the_space_bar(station, qtbot):
    mount = station.disk(SERIAL, [Rights(), Rights(preview_seconds=2), Rights()])
    win = PlayerWindow(station.app, mount)
    qtbot.addWidget(win)
    with qtbot.waitActive(win):  # a window's shortcuts work while it is the active one
        win.show()
        win.activateWindow()
    win.table.selectRow(1)
    win.play_or_pause()
    assert win.playing and not win.paused and win.play_button.text() == "Pause"
    assert win._backstop.isActive()
    win.player.positionChanged.disconnect(win._on_position)  # only the positions given here
    win._on_position(1200)
    qtbot.keyClick(win.table, Qt.Key.Key_Space)  # space pauses wherever the focus is
    assert win.playing and win.paused and win.play_button.text() == "Resume"
    assert win.player.playbackState() != QMediaPlayer.PlaybackState.PlayingState
    assert not win._backstop.isActive()  # a paused preview does not run out
    assert "Paused" in win.status.text()
    assert win.position.value() == 1200 and win.stop_button.isEnabled()
    qtbot.keyClick(win.play_button, Qt.Key.Key_Space)
    assert win.playing and not win.paused and win.play_button.text() == "Pause"
    assert win._backstop.isActive()
    assert win._backstop.interval() == 800 + pw.BACKSTOP_MS  # what is left of the 2 s
    win.stop("Stopped.")
    assert not win.playing and win.play_button.text() == "Play" and not win.position.isEnabled()


def test_seek_stays_within_what_the_permit_allows(station, qtbot):
    mount = station.disk(SERIAL, [Rights(), Rights(preview_seconds=2), Rights()])
    win = PlayerWindow(station.app, mount)
    qtbot.addWidget(win)
    win.show()
    win.table.selectRow(0)
    win.play_selected()
    assert win.position.isEnabled() and win.position.maximum() == 8000  # the licence's 8 s
    win.pause()  # held still: only the seek moves the engine's position
    win.seek(3000)  # while the media is still loading: applied once it has loaded
    assert win.position.value() == 3000 and win.time_label.text() == "0:03 / 0:08"
    loading = QMediaPlayer.MediaStatus.LoadingMedia
    qtbot.waitUntil(lambda: win.player.mediaStatus() != loading, timeout=10_000)
    qtbot.waitUntil(lambda: win.player.position() >= 3000, timeout=10_000)
    win.resume()
    win.seek(-5)
    assert win.position.value() == 0
    win.position.triggerAction(QSlider.SliderAction.SliderSingleStepAdd)  # an arrow key
    assert win.position.value() == 5000 and win.time_label.text() == "0:05 / 0:08"
    win.player.positionChanged.emit(5100)  # the backend reports from where it went
    assert win.position.value() == 5100
    win.table.selectRow(1)  # a 2 s preview: the slider ends where the preview ends
    win.play_selected()
    assert win.position.maximum() == 2000
    win.seek(1500)
    assert win.playing and win.time_label.text() == "0:01 / 0:02"
    win.seek(7000)  # past the preview: the play ends, nothing beyond it is reached
    assert not win.playing and "Preview ended after 2 s" in win.status.text()


def test_volume_and_mute(station, qtbot):
    win = PlayerWindow(station.app, station.disk(SERIAL))
    qtbot.addWidget(win)
    assert win.audio.volume() == pytest.approx(VOLUME / 100)
    win.volume.setValue(30)
    assert win.audio.volume() == pytest.approx(0.30)
    win.mute_button.click()
    assert win.audio.isMuted() and win.mute_button.text() == "Unmute"
    win.mute_button.click()
    assert not win.audio.isMuted() and win.mute_button.text() == "Mute"
    win.mute_button.click()
    win.volume.setValue(60)  # turning the volume up means: let me hear it
    assert not win.audio.isMuted() and win.audio.volume() == pytest.approx(0.60)


def test_the_window_names_the_disk_and_album_never_a_path(station, qtbot):
    mount = station.disk(SERIAL, name="Sunday-stick")
    win = PlayerWindow(station.app, mount)
    qtbot.addWidget(win)
    win.show()
    assert win.disk_label.text() == f"{ALBUM} · Sunday-stick"
    assert win.windowTitle() == f"{ALBUM} · Sunday-stick — Pressroom player"
    texts = [w.text() for w in win.findChildren(QLabel)] + [win.windowTitle()]
    for text in texts:
        assert str(mount) not in text and "/tmp" not in text and str(mount.parent) not in text


def test_refusal_words_come_from_the_glossary(station, qtbot):
    from pressroom.station import words

    clone = station.clone(station.disk(SERIAL), "ZZ99YY88XX77")
    win = PlayerWindow(station.app, clone)
    qtbot.addWidget(win)
    assert words.player_refusal("wrong-disk") in win.verdict.text()
    assert words.player_refusal("no-such-code") == words.refusal_words("no-such-code").text


@pytest.mark.parametrize("appearance", ["light", "dark"])
def test_player_screenshots(station, qtbot, qapp, appearance):
    """The three states a listener meets, in both schemes; no path shows anywhere."""
    suffix = "" if appearance == "light" else "-dark"
    mount = station.disk(SERIAL, [Rights(plays=3), Rights(preview_seconds=2), Rights()])
    mount_clone = station.clone(station.disk("DD44EE55FF66", name="Borrowed-stick"), "ZZ99")
    with scheme(qapp, appearance):
        win = PlayerWindow(station.app, mount)
        qtbot.addWidget(win)
        win.show()
        assert win.styleSheet() == pw.theme.style_sheet()
        shoot(win, f"player{suffix}.png")
        win.table.selectRow(1)
        win.play_selected()
        win.player.positionChanged.emit(1500)
        shoot(win, f"player-preview{suffix}.png")
        win.stop("")
        refused = PlayerWindow(station.app, mount_clone)
        qtbot.addWidget(refused)
        refused.show()
        refused.details_button.click()
        shoot(refused, f"player-refused{suffix}.png")
        home = str(station.app.config.data_dir)
        for w in (win, refused):
            texts = [x.text() for x in w.findChildren(QLabel)] + [w.windowTitle()]
            assert not any(home in t or "/tmp/" in t for t in texts), texts


def test_the_media_engine_is_touched_only_by_a_window_that_played(station, qtbot):
    """Opening disks and closing a window that never played make no engine call; a play
    is ended by one source change, and never by QMediaPlayer.stop()."""
    win = PlayerWindow(station.app, station.disk(SERIAL))
    qtbot.addWidget(win)
    calls: list[str] = []
    set_source, stop = win.player.setSource, win.player.stop
    win.player.setSource = lambda url: calls.append(f"source {url.toString()!r}") or set_source(url)
    win.player.stop = lambda: calls.append("stop") or stop()
    win.open_mount(win.mount)  # opening again stops whatever played: nothing did
    win.stop("")
    assert calls == []
    win.table.selectRow(2)
    win.play_selected()
    win.stop("Stopped.")
    assert calls == ["source ''"]
    win.close()
    assert calls == ["source ''"]
