"""The station window clicked through offscreen on simulated disks."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from tests.gui_support import close_window, make_core, no_qt_leaks, open_window  # noqa: F401

from pressroom.app import App
from pressroom.config import load_config
from pressroom.engine.events import DiskState
from pressroom.gui.history_tab import RUN_COLUMNS
from pressroom.station import words
from pressroom.station.runs import retry_helps

pytestmark = pytest.mark.usefixtures("no_qt_leaks")


def test_full_job_clicked_through_to_pass(qtbot):
    core = make_core(disks=4)
    window = open_window(qtbot, core)
    qtbot.waitUntil(lambda: len(window.grid.cards) == 4, timeout=10_000)
    assert not window.job_bar.start.isEnabled()
    assert "select at least one track" in window.job_bar.start.toolTip()

    window.catalog.select_rows([0, 1, 2])
    window.job_bar.copies.setValue(3)
    qtbot.waitUntil(window.job_bar.start.isEnabled, timeout=5000)
    qtbot.mouseClick(window.job_bar.start, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.hub.run is not None and window.hub.run.done, timeout=30_000)
    qtbot.waitUntil(lambda: "Finished: 3 of 3 made." in window.run_summary.text(), timeout=5000)
    assert window.report_btn.isEnabled()
    states = [c.state for c in window.grid.cards.values()]
    assert states.count(DiskState.PASS) == 3
    passed = [c for c in window.grid.cards.values() if c.state == DiskState.PASS]
    assert all(c.state_label.text() == "PASS" for c in passed)
    assert all(c.bar.value() == 1000 for c in passed)

    # Details -> "Open in player…": the bundled player verifies the disk just made
    from PySide6.QtWidgets import QDialogButtonBox

    window.show_details(passed[0].drive_id)
    box = window.details_dialog.findChild(QDialogButtonBox)
    (play,) = [b for b in box.buttons() if b.text() == "Open in player…"]
    qtbot.mouseClick(play, Qt.MouseButton.LeftButton)
    if multimedia_loads():
        player = window.player_window
        assert player.disk is not None and player.disk.ok, player.verdict.text()
        assert player.table.rowCount() == 3 and "This disk is genuine" in player.verdict.text()
        player.close()
    else:  # no libpulse0: the station still works and says what the player needs
        assert "libpulse0" in window.banner.text()
    window.details_dialog.close()
    close_window(qtbot, window)


def multimedia_loads() -> bool:
    try:
        import PySide6.QtMultimedia  # noqa: F401
    except ImportError:
        return False
    return True


def test_player_without_qt_audio_is_one_sentence_in_the_banner(qtbot, monkeypatch):
    """A machine without libpulse0: the station runs; Details -> player names the package."""
    import sys

    core = make_core(disks=1)
    window = open_window(qtbot, core)
    monkeypatch.setitem(sys.modules, "pressroom.gui.player_window", None)  # import fails
    window.open_player(core.config.data_dir)
    assert window.banner.isVisibleTo(window)
    assert "libpulse0" in window.banner.text() and "Traceback" not in window.banner.text()
    qtbot.mouseClick(window.banner_close, Qt.MouseButton.LeftButton)  # banners dismiss
    assert not window.banner.isVisibleTo(window)
    close_window(qtbot, window)


def _start(qtbot, window, rows, copies):
    window.catalog.select_rows(rows)
    window.job_bar.copies.setValue(copies)
    qtbot.waitUntil(window.job_bar.start.isEnabled, timeout=5000)
    qtbot.mouseClick(window.job_bar.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.hub.run is not None, timeout=5000)


def test_fault_shown_on_its_card_while_others_pass_then_retry(qtbot):
    core = make_core(disks=4, faulty={2: "fail-after=40K"})
    window = open_window(qtbot, core)
    qtbot.waitUntil(lambda: len(window.grid.cards) == 4, timeout=10_000)
    _start(qtbot, window, [0, 1, 2], copies=4)
    bad = window.grid.card("sim:disk2")
    qtbot.waitUntil(lambda: bad.state == DiskState.FAIL, timeout=30_000)
    others = [c for d, c in window.grid.cards.items() if d != "sim:disk2"]
    qtbot.waitUntil(lambda: all(c.state == DiskState.PASS for c in others), timeout=30_000)
    assert bad.state_label.text() == "FAIL"
    # the shop's words on the card; the engine's sentence and code behind Details
    assert bad.reason.isVisible() and bad.reason.text() == words.failure("io-error").text
    from PySide6.QtWidgets import QPlainTextEdit

    window.show_details("sim:disk2")
    dlg = window.details_dialog
    body = dlg.findChild(QPlainTextEdit).toPlainText()
    assert f"What happened: {bad.reason.text()}" in body
    assert "write or read error" in body and "[io-error]" in body
    dlg.close()
    assert bad.retry_btn.isVisible()
    assert not window.hub.run.done  # 3 of 4: the run waits for another disk
    qtbot.waitUntil(
        lambda: window.run_summary.text() == "1 copy still to make: insert blank disks or Finish.",
        timeout=5000,
    )
    assert window.job_bar.finish.isVisible() and not window.job_bar.stop.isVisible()

    qtbot.mouseClick(bad.retry_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.hub.run.failed == 2, timeout=30_000)
    qtbot.waitUntil(lambda: bad.state == DiskState.FAIL, timeout=5000)
    assert any("Retry" in line for line in window.logs["sim:disk2"])
    window.show_details("sim:disk2")
    from PySide6.QtWidgets import QPlainTextEdit

    log = window.details_dialog.findChild(QPlainTextEdit).toPlainText()
    assert "What happened:" in log and "Details:" in log and "operator pressed Retry" in log
    qtbot.waitUntil(window.job_bar.finish.isVisible, timeout=5000)
    qtbot.mouseClick(window.job_bar.finish, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.hub.run.done, timeout=20_000)
    qtbot.waitUntil(
        lambda: window.run_summary.text() == "Finished: 3 of 4 made, 2 failed, 1 short.",
        timeout=5000,
    )
    record = core.ledger.get_run(window.hub.run.id)
    assert record.status == "finished"  # the operator finished it: never "cancelled"
    # the end is noticed: the notice, the title (task bar) and the run's clock
    assert window.notified == ["Finished: 3 of 4 made, 2 failed, 1 short."]
    assert window.windowTitle().startswith("Finished (3/4) — Pressroom station")
    assert window.run_clock.text().endswith("elapsed")
    assert not bad.retry_btn.isVisible()  # the run has ended: Retry cannot help now
    assert not window.job_bar.finish.isVisible() and window.job_bar.start.isEnabled()
    window.show_history()
    table = window.history.run_table
    status = RUN_COLUMNS.index("Status")
    qtbot.waitUntil(
        lambda: table.rowCount() == 1 and table.item(0, status) is not None, timeout=10_000
    )
    assert table.item(0, status).text() == "Finished, 1 short"
    assert table.item(0, 1).text() == window.hub.run.id[:8]
    close_window(qtbot, window)


def test_retry_is_absent_when_it_cannot_help(qtbot):
    """A permissions problem is the station's, not the disk's: no Retry on that card."""
    core = make_core(disks=2, faulty={2: "usb-permission"})
    window = open_window(qtbot, core)
    qtbot.waitUntil(lambda: len(window.grid.cards) == 2, timeout=10_000)
    _start(qtbot, window, [0], copies=2)
    bad = window.grid.card("sim:disk2")
    qtbot.waitUntil(lambda: bad.state == DiskState.FAIL, timeout=30_000)
    qtbot.waitUntil(window.job_bar.finish.isVisible, timeout=30_000)
    assert bad.progress is not None and bad.progress.reason_code
    assert not retry_helps(bad.progress.reason_code)
    assert not bad.retry_btn.isVisible()
    close_window(qtbot, window)


def test_failures_list_jumps_to_the_card_and_a_removed_disk_looks_removed(qtbot):
    from pressroom.drives.simulated import set_plugged

    core = make_core(disks=2, faulty={2: "fail-after=40K"})
    window = open_window(qtbot, core)
    qtbot.waitUntil(lambda: len(window.grid.cards) == 2, timeout=10_000)
    try:
        _start(qtbot, window, [0, 1], copies=2)
        bad = window.grid.card("sim:disk2")
        qtbot.waitUntil(lambda: bad.state == DiskState.FAIL, timeout=30_000)
        qtbot.waitUntil(window.failures_btn.isVisible, timeout=5000)
        assert window.failures_btn.text() == "✖ 1 failed"
        (entry,) = window.failures_btn.menu().actions()
        assert entry.text() == f"disk2: {words.failure('io-error').title}"
        entry.trigger()
        assert bad.hasFocus() or window.focusWidget() is bad

        set_plugged(core.config.sim_dir, "disk2", False)
        qtbot.waitUntil(lambda: bad.state == DiskState.REMOVED, timeout=10_000)
        assert bad.state_label.text() == "Removed" and bad.property("state") == "removed"
        assert not bad.bar.isVisible() and not bad.retry_btn.isVisible()
        assert bad.reason.text().startswith("It had failed: ")
        assert window.failures_btn.text() == "✖ 1 failed"  # still listed: its reason stays
        window.finish_run()
        qtbot.waitUntil(lambda: window.hub.run.done, timeout=20_000)
    finally:
        close_window(qtbot, window)


def test_hotplug_during_a_run_adds_and_removes_cards(qtbot):
    from pressroom.drives.simulated import add_sim_disk, set_plugged

    core = make_core(disks=2, mbps=1.0)
    window = open_window(qtbot, core)
    qtbot.waitUntil(lambda: len(window.grid.cards) == 2, timeout=10_000)
    _start(qtbot, window, [0], copies=3)
    first = window.grid.card("sim:disk1")
    add_sim_disk(core.config.sim_dir, name="late", serial="LATE00017733", size="1G", write_mbps=4)
    qtbot.waitUntil(lambda: window.grid.card("sim:late") is not None, timeout=10_000)
    assert window.grid.card("sim:disk1") is first  # the others were not rebuilt
    assert window.grid.ordered_ids() == ["sim:disk1", "sim:disk2", "sim:late"]
    qtbot.waitUntil(lambda: window.hub.run.done, timeout=30_000)
    assert window.hub.run.passed == 3
    set_plugged(core.config.sim_dir, "disk2", False)
    qtbot.waitUntil(lambda: window.grid.card("sim:disk2") is None, timeout=10_000)
    assert window.grid.card("sim:disk1") is first
    close_window(qtbot, window)


def test_start_disabled_says_why(qtbot, tmp_path):
    from pressroom.app import App
    from pressroom.config import load_config
    from pressroom.drives.simulated import set_plugged

    core = make_core(disks=1)
    window = open_window(qtbot, core)
    tip = window.job_bar.start.toolTip
    assert not window.job_bar.start.isEnabled() and "select at least one track" in tip()
    window.catalog.select_rows([0])
    qtbot.waitUntil(window.job_bar.start.isEnabled, timeout=5000)
    set_plugged(core.config.sim_dir, "disk1", False)
    qtbot.waitUntil(lambda: not window.job_bar.start.isEnabled(), timeout=10_000)
    assert "no disk is attached" in tip()
    close_window(qtbot, window)

    bare = App(load_config(tmp_path / "bare"))  # no keys, no grant, no tracks, no disks
    window = build_bare(qtbot, bare)
    assert not window.job_bar.start.isEnabled()
    assert "no keys" in tip_of(window)
    assert "Start is off: this station has no keys" in window.job_bar.why.text()
    close_window(qtbot, window)


def build_bare(qtbot, core):
    from pressroom.gui.launch import build_window, qapp

    qapp()
    window = build_window(core)
    qtbot.addWidget(window)
    window.show()
    window.load()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Ready", timeout=10_000)
    return window


def tip_of(window) -> str:
    window.refresh_start()
    return window.job_bar.start.toolTip()


def test_start_disabled_without_grant_left(qtbot):
    from pressroom.app import App
    from pressroom.catalog import demo_dir
    from pressroom.config import load_config
    from pressroom.drives.simulated import add_sim_disk

    core = App(load_config())
    core.station.setup.create_keys(demo=True)
    core.station.catalog.import_paths([demo_dir()])
    grant_id = core.station.setup.create_demo_grant(copies=1)
    core.ledger.reserve(grant_id, run_id=None, drive_id="elsewhere")
    add_sim_disk(core.config.sim_dir, serial="NOGRANT99123", size="1G")
    window = open_window(qtbot, core)
    window.catalog.select_rows([0])
    assert "no copies left" in tip_of(window)
    close_window(qtbot, window)


def test_closing_during_a_run_asks_then_cancels_cleanly(qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from pressroom.engine.events import RunState

    asked = []

    def answer(*args, **kw):
        asked.append(args[2])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    core = make_core(disks=2, mbps=0.2)
    window = open_window(qtbot, core)
    qtbot.waitUntil(lambda: len(window.grid.cards) == 2, timeout=10_000)
    _start(qtbot, window, [0, 1, 2], copies=2)
    qtbot.waitUntil(lambda: bool(window.hub.run.summary().disks), timeout=5000)
    window.close()
    assert asked and "Stop the run" in asked[0]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)
    assert window.hub.run.state == RunState.CANCELLED


def test_gui_without_display_says_so(monkeypatch, capsys):
    from pressroom.cli import main

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    assert main(["gui"]) == 3
    err = capsys.readouterr().err
    assert "no display" in err and "pressroom demo" in err


def test_the_demo_story_from_the_issue(qtbot, tmp_path):
    """`pressroom --demo`: three tracks, 8 copies, Start, 8 cards fill, disk6's injected
    failure is explained, Retry makes it, and the run's report is saved."""
    from pressroom.drives.simulated import _read_spec, _write_spec

    core = App(load_config(), demo=True)
    core.station.setup.prepare_demo()
    sim = core.config.sim_dir
    for i in range(1, 9):  # the demo's pace, quickened for a test; disk6 keeps its fault
        spec = _read_spec(sim / f"disk{i}")
        spec.write_mbps, spec.read_mbps = 3.0, 12.0
        _write_spec(sim / f"disk{i}", spec)
    window = open_window(qtbot, core)
    qtbot.waitUntil(lambda: len(window.grid.cards) == 8, timeout=10_000)
    _start(qtbot, window, [0, 1, 2], copies=8)
    bad = window.grid.card("sim:disk6")
    qtbot.waitUntil(lambda: bad.state == DiskState.FAIL, timeout=30_000)
    assert "loose connection" in bad.raw_reason and bad.retry_btn.isVisible()
    others = [c for d, c in window.grid.cards.items() if d != "sim:disk6"]
    qtbot.waitUntil(lambda: all(c.state == DiskState.PASS for c in others), timeout=60_000)
    qtbot.mouseClick(bad.retry_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.hub.run.done, timeout=60_000)
    assert window.hub.run.passed == 8
    qtbot.waitUntil(
        lambda: "Finished: 8 of 8 made, 1 failed." in window.run_summary.text(), timeout=5000
    )
    assert bad.state == DiskState.PASS
    report = tmp_path / "run.pdf"
    window.save_run_report(str(report))
    qtbot.waitUntil(report.exists, timeout=20_000)
    assert report.read_bytes()[:5] == b"%PDF-"
    close_window(qtbot, window)


def test_settings_set_kiosk_mode_and_a_hashed_pin(qtbot):
    from pressroom.config import load_config as reload
    from pressroom.gui.settings_dialog import SettingsDialog
    from pressroom.pin import verify_pin

    config = load_config()
    dlg = SettingsDialog(config)
    qtbot.addWidget(dlg)
    for bad, why in (("12a", "digits only"), ("4821", "at least 6"), ("123456", "a run")):
        dlg.kiosk_pin.setText(bad)
        dlg.save()
        assert not dlg.error.isHidden() and why in dlg.error.text(), dlg.error.text()
        assert not (config.data_dir / "settings.toml").exists()
    dlg.kiosk_mode.setChecked(True)
    dlg.kiosk_price.setText("9.99 per album")
    dlg.kiosk_pin.setText("482193")
    dlg.save()
    saved = reload().settings
    assert saved.kiosk_mode and saved.kiosk_price_text == "9.99 per album"
    assert "482193" not in saved.kiosk_pin_hash and verify_pin("482193", saved.kiosk_pin_hash)


def test_the_kiosk_mode_setting_starts_the_kiosk(monkeypatch):
    import pressroom.gui.launch as launch
    from pressroom.cli import main

    config = load_config()
    config.settings.kiosk_mode = True
    config.save_settings()
    calls = []
    monkeypatch.setattr(launch, "run_kiosk", lambda app: calls.append(app.demo) or 0)
    assert main(["gui"]) == 0
    assert calls == [False]
