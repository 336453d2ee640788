"""The tower view: every port at 1366x768, grouped by hub, failures that jump to the port.

With PRESSROOM_SCREENSHOTS=1 the 64- and 128-port windows are saved to docs/screenshots
(tower-64.png, tower-128.png). The disk states are fed as the run's progress events
would be (no 64-disk run is needed to draw them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.gui_support import close_window, no_qt_leaks  # noqa: F401

from pressroom.engine.events import DiskProgress, DiskState, Stage
from pressroom.station import words

pytestmark = pytest.mark.usefixtures("no_qt_leaks")

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
SAVE = os.environ.get("PRESSROOM_SCREENSHOTS") == "1"
RAW = {  # what the engine says (behind Details)
    5: ("io-error", "Write error on the disk (input/output error); it may be failing."),
    23: ("verify-chunk", "Read-back failed (track02.pra, chunk 3 of 9): other data came back."),
    41: ("identity-missing", "The disk has no USB serial; it cannot be bound."),
}
FAILS = {n: words.failure(code).text for n, (code, _raw) in RAW.items()}  # what a shop reads


def tower_window(qtbot, tmp_path, ports: int):
    from pressroom.app import App
    from pressroom.config import load_config
    from pressroom.drives.simtower import build_tower, parse_buses
    from pressroom.gui.launch import build_window, qapp

    qapp()
    core = App(load_config(tmp_path / "data"), demo=True)
    build_tower(core.config.sim_dir, ports, parse_buses("usb3,usb3,usb2", 2), size="1G")
    core.station.demo.prepare(ports, watchable=True)
    window = build_window(core)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.load()
    qtbot.waitUntil(lambda: len(window.tower.ports) == ports, timeout=30_000)
    return window


def feed(window, ports: int) -> None:
    """A run half way: passes, writers and verifiers at various points, three failures."""
    ids = sorted(window.tower.ports, key=lambda i: window.tower.ports[i].port)
    for n, drive_id in enumerate(ids):
        p = window.tower.ports[drive_id]
        if n in FAILS:
            state, stage, done, (code, reason) = DiskState.FAIL, Stage.WRITE, 40, RAW[n]
        elif n % 5 == 0:
            state, stage, done, code, reason = DiskState.PASS, Stage.DONE, 100, "", ""
        else:
            state, stage, done, code, reason = (
                DiskState.RUNNING,
                (Stage.WRITE, Stage.VERIFY)[n % 2],
                (n * 37) % 100,
                "",
                "",
            )
        window._disk_progress(
            DiskProgress(
                drive_id,
                p.label,
                p.port,
                state,
                stage,
                bytes_done=done,
                bytes_total=100,
                reason=reason,
                reason_code=code,
                copy_index=n + 1,
            )
        )


@pytest.mark.parametrize("ports", [64, 128])
def test_tower_view_shows_every_port_grouped_by_hub(qtbot, tmp_path, ports):
    window = tower_window(qtbot, tmp_path, ports)
    try:
        assert window.tower.isVisible() and not window.grid.isVisible()  # above 16 disks
        feed(window, ports)
        tower = window.tower
        # the summary and failures list follow the events on a timer, not per event
        qtbot.waitUntil(lambda: tower.failures.count() == 3, timeout=5000)
        tower.map.repaint()
        view = tower.scroll.viewport().rect()
        cells = tower.map._cells
        assert len(cells) == ports
        if ports == 64:  # all 64 ports at once at 1366x768, no scrolling
            assert all(view.contains(r) for r, _ in cells)
        # grouped by hub: each column holds the ports of one hub, in port order
        from pressroom.gui.tower_view import CELL_H, GAP, HUB_H, MAX_ROWS

        band = HUB_H + MAX_ROWS * (CELL_H + GAP) + GAP
        hubs: dict[tuple[int, int], set[str]] = {}
        for r, drive_id in cells:
            column = hubs.setdefault((r.left(), r.top() // band), set())
            column.add(tower.ports[drive_id].port.rpartition(".")[0])
        assert all(len(h) == 1 for h in hubs.values())
        assert tower.failures.count() == 3
        assert "3 failed" in tower.summary.text()
        if SAVE:
            OUT.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(OUT / f"tower-{ports}.png"))
    finally:
        close_window(qtbot, window)


def test_a_failure_in_the_list_jumps_to_its_port_and_says_why(qtbot, tmp_path):
    window = tower_window(qtbot, tmp_path, 64)
    try:
        feed(window, 64)
        tower = window.tower
        qtbot.waitUntil(lambda: tower.failures.count() == 3, timeout=5000)
        item = tower.failures.item(1)
        drive_id = item.data(0x0100)
        tower.failures.itemClicked.emit(item)
        assert tower.map.selected == drive_id
        assert FAILS[23] in tower.reason.text()
        assert tower.ports[drive_id].port in tower.reason.text()
        # hover text is the same sentence
        assert FAILS[23] in tower.ports[drive_id].describe()
        assert RAW[23][1] not in tower.reason.text()  # the engine's sentence stays behind
        # clicking a cell selects it and shows its state
        rect, other = tower.map._cells[0]
        from PySide6.QtCore import Qt

        qtbot.mouseClick(tower.map, Qt.MouseButton.LeftButton, pos=rect.center())
        assert tower.map.selected == other and "Port" in tower.reason.text()
        # a failed disk pulled out stays listed until the next run
        tower.drive_removed(drive_id)
        assert tower.failures.count() == 3 and tower.ports[drive_id].word == "FAIL · out"
        tower.clear_removed()
        assert tower.failures.count() == 2
    finally:
        close_window(qtbot, window)


def test_few_disks_keep_the_cards(qtbot, tmp_path):
    window = tower_window(qtbot, tmp_path, 8)
    try:
        assert window.grid.isVisible() and not window.tower.isVisible()
    finally:
        close_window(qtbot, window)


def test_a_width_nudge_keeps_the_layout_a_new_column_count_redoes_it(qtbot):
    from pressroom.gui.tower_view import CELL_W, GAP, Port, PortMap

    m = PortMap()
    qtbot.addWidget(m)
    for i in range(1, 15):
        m.ports[f"d{i}"] = Port(f"d{i}", f"2-1.{1 + i // 8}.{i}")
    step = CELL_W + GAP
    m.resize(5 * step + 10, 400)
    m.show()
    m.rect_of("d1")  # laid out
    assert not m._dirty
    m.resize(5 * step + 2, 400)  # a scroll bar or a label nudged the width: same columns
    qtbot.waitUntil(lambda: m.width() == 5 * step + 2)
    assert not m._dirty
    m.resize(5 * step - 1, 400)  # one column fewer: the hubs wrap differently
    qtbot.waitUntil(lambda: m.width() == 5 * step - 1)
    assert m._dirty
