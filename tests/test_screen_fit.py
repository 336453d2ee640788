"""Every shop screen: the kiosk at 800x480 up to 1920x1080, the station at 1024x600.

At each size every primary control of every screen must lie inside the visible window
(not clipped, not pushed off by a minimum size) and no failure reason may be cut.
With PRESSROOM_SCREENSHOTS=1 each state is also saved to docs/screenshots.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QWidget
from tests.gui_support import close_window, make_core, no_qt_leaks, open_window  # noqa: F401
from tests.test_kiosk import kiosk, make_shop  # noqa: F401

from pressroom.engine.events import DiskProgress, DiskState, Stage

pytestmark = pytest.mark.usefixtures("no_qt_leaks")

SIZES = [(800, 480), (1024, 600), (1366, 768), (1920, 1080)]
OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
SAVE = os.environ.get("PRESSROOM_SCREENSHOTS") == "1"


def save(window: QWidget, name: str) -> None:
    if SAVE:
        OUT.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(OUT / f"{name}.png"))


def inside(window: QWidget, w: QWidget) -> bool:
    """Wholly inside the window's rectangle, and not clipped by a parent (a scroll area)."""
    if not w.isVisible():
        return False
    top_left = w.mapTo(window, QPoint(0, 0))
    rect = QRect(top_left, w.size())
    if not window.rect().contains(rect):
        return False
    return w.visibleRegion().boundingRect().size() == w.size()


def not_cut(w: QWidget) -> bool:
    """A label shows all of its text: it got at least the height its text needs."""
    need = w.heightForWidth(w.width()) if w.hasHeightForWidth() else -1
    return w.height() >= max(need, w.sizeHint().height() if need < 0 else need)


def fit(qtbot, window: QWidget, size: tuple[int, int]) -> None:
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=3000)
    qtbot.wait(50)  # let the layouts settle


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_kiosk_every_screen_fits(qtbot, kiosk, size):  # noqa: F811
    from pressroom.gui.kiosk.window import Mode
    from pressroom.gui.kiosk.words import problem_for

    core = make_shop()
    window = kiosk(core)
    fit(qtbot, window, size)
    name = f"{size[0]}x{size[1]}"
    assert window.minimumSizeHint().width() <= size[0]
    assert inside(window, window.start.tiles[0]), "the first album tile"
    # the operator corner's gear scales with the screen, inside its touch target
    icon, corner = window.corner.iconSize(), window.corner.size()
    assert icon.width() == window.sizes.corner_icon and icon.width() <= corner.width()
    save(window, f"kiosk-{name}-start")

    album = window.albums[0]
    window.show_album(album)
    qtbot.wait(50)
    for b in (window.album_view.buy_btn, window.album_view.back_btn):
        assert inside(window, b), b.text()
    save(window, f"kiosk-{name}-album")

    window.album = album
    window.insert.show_for(album)
    window._show(Mode.INSERT)
    qtbot.wait(50)
    assert inside(window, window.insert.cancel_btn)

    window.progress.begin(album)
    window.progress.show_progress(0.42, "Copying your music", 95)
    assert window.progress.stage.text() == "Copying your music… About 2 minutes left."
    window._show(Mode.WRITING)
    qtbot.wait(50)
    assert inside(window, window.progress.bar)
    save(window, f"kiosk-{name}-writing")

    done = DiskProgress("sim:a", "a", "1-1", DiskState.PASS, Stage.DONE, licence_id="ab" * 16)
    receipt = window._receipt(done)
    window.done.show_receipt(album, receipt)
    window._show(Mode.DONE)
    qtbot.wait(50)
    assert inside(window, window.done.done_btn)
    assert inside(window, window.done.receipt) and not_cut(window.done.receipt)
    save(window, f"kiosk-{name}-done")

    p = problem_for("removed")
    window.problem.show_problem(p.title, p.text, can_retry=p.can_retry)
    window._show(Mode.PROBLEM)
    qtbot.wait(50)
    for b in (window.problem.retry_btn, window.problem.back_btn, window.problem.text):
        assert inside(window, b)
    assert not_cut(window.problem.text) and not_cut(window.problem.title)
    save(window, f"kiosk-{name}-problem")

    window.pin.ask("Operator PIN")
    window._show(Mode.PIN)
    qtbot.wait(50)
    for key in window.pin.keys.values():
        assert inside(window, key), key.text()
    assert inside(window, window.pin.cancel_btn)
    window.go_start()


STATION_SIZES = [(1024, 600), (1366, 768), (1920, 1080)]


@pytest.mark.parametrize("size", STATION_SIZES, ids=[f"{w}x{h}" for w, h in STATION_SIZES])
def test_station_fits_with_a_failure_whose_reason_is_not_cut(qtbot, size):
    core = make_core(disks=4, faulty={2: "fail-after=40K"})
    window = open_window(qtbot, core)
    fit(qtbot, window, size)
    window.catalog.select_rows([0, 1, 2])
    window.job_bar.copies.setValue(4)
    qtbot.waitUntil(window.job_bar.start.isEnabled, timeout=5000)
    jb = window.job_bar
    for w in (jb.start, jb.copies, jb.rights, jb.insert_and_go, window.catalog):
        assert inside(window, w), w.accessibleName() or w.objectName()
    _decisions_in_view(window.catalog)
    window.start_run()
    bad = window.grid.card("sim:disk2")
    qtbot.waitUntil(lambda: bad.state == DiskState.FAIL, timeout=30_000)
    qtbot.waitUntil(window.job_bar.finish.isVisible, timeout=30_000)
    qtbot.wait(50)
    assert inside(window, window.job_bar.finish)
    assert inside(window, window.run_summary)
    _decisions_in_view(window.catalog)  # the longer outlook after a failure takes no room
    window.grid.ensureWidgetVisible(bad)
    qtbot.wait(50)
    assert not_cut(bad.reason), bad.reason.text()
    assert inside(window, bad.retry_btn)
    save(window, f"station-{size[0]}x{size[1]}-failure")
    window.finish_run()
    qtbot.waitUntil(lambda: window.hub.run.done, timeout=20_000)
    close_window(qtbot, window)


@pytest.mark.parametrize(
    ("disks", "size"),
    [(1, (1024, 600)), (16, (1024, 600)), (16, (1366, 768)), (16, (1920, 1080))],
)
def test_station_with_one_and_sixteen_disks(qtbot, disks, size):
    """Every card's controls reachable; the run's header and Stop always on screen."""
    core = make_core(disks=disks, mbps=0.1)
    window = open_window(qtbot, core)
    try:
        qtbot.waitUntil(lambda: len(window.grid.cards) == disks, timeout=20_000)
        fit(qtbot, window, size)
        window.catalog.select_rows([0, 1, 2])
        window.job_bar.copies.setValue(disks)
        qtbot.waitUntil(window.job_bar.start.isEnabled, timeout=5000)
        window.start_run()
        cards = list(window.grid.cards.values())
        qtbot.waitUntil(
            lambda: (
                sum(c.state != DiskState.IDLE and c.bar.value() > 100 for c in cards)
                >= max(1, disks // 2)
            ),
            timeout=60_000,
        )
        qtbot.wait(300)
        first = window.grid.card(window.grid.ordered_ids()[0])
        for w in (window.run_summary, window.report_btn, first.details_btn):
            assert inside(window, w)
        if size[0] >= 1366:  # every card on screen at once: no scrolling to see a disk
            for card in cards:
                assert inside(window, card), (card.drive_id, window.grid.density)
        save(window, f"station-{size[0]}x{size[1]}-{disks}-disk{'s' if disks > 1 else ''}")
    finally:
        close_window(qtbot, window)


def _decisions_in_view(catalog) -> None:
    """Copies left and Rights, what the operator decides with, are in the catalog's view
    without scrolling sideways, and the track names keep room (the issue found them
    behind a scrollbar at 1024 wide); Format and Duration may give way."""
    from pressroom.gui.catalog_pane import LEFT, RIGHTS, TITLE, TITLE_MIN

    table = catalog.table
    header = table.horizontalHeader()
    view = table.viewport().width()
    assert table.horizontalScrollBar().maximum() == 0 or not table.horizontalScrollBar().isVisible()
    for col in (LEFT, RIGHTS):
        assert not table.isColumnHidden(col)
        assert header.sectionViewportPosition(col) + header.sectionSize(col) <= view, col
    assert header.sectionSize(TITLE) >= TITLE_MIN - 10
