"""Cards speak the glossary: shop words on the card, the raw reason behind Details, no
Retry where it cannot help, and a reason never cut at any card density."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", exc_type=ImportError)
pytest.importorskip("pytestqt")

from pressroom.drives.identity import judge
from pressroom.engine.events import DiskProgress, DiskState, Stage
from pressroom.station import words

PERMISSION = (
    "The disk's serial could not be read: Permission denied reading the USB serial of USB "
    "device 1209:5052 (bus 2 address 4); install packaging/udev/70-pressroom.rules (group "
    "'pressroom'), add the operator to that group and re-plug the disk."
)
LONG = (
    "Read-back check failed (track-07.prs, chunk 1873 of 2048): the disk returned other data "
    "than was written; it may be faulty or counterfeit. (partial files could not be removed: "
    "Input/output error)"
)
OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def _save(widget, name: str) -> None:
    if os.environ.get("PRESSROOM_SCREENSHOTS") == "1":
        widget.grab().save(str(OUT / f"{name}.png"))


def _failed(card, code: str, reason: str) -> None:
    card.update_progress(
        DiskProgress(
            card.drive_id,
            "disk2",
            "2-1.4",
            DiskState.FAIL,
            Stage.IDENTIFY,
            reason=reason,
            reason_code=code,
        )
    )


def _not_cut(label) -> bool:
    return label.height() >= label.heightForWidth(label.width())


def test_a_permission_problem_reads_plainly_keeps_its_detail_and_offers_no_retry(qtbot):
    from pressroom.gui.drive_card import DriveCard

    card = DriveCard("usb:2-1.4")
    qtbot.addWidget(card)
    card.set_retry_possible(True)
    _failed(card, "identity-permission", PERMISSION)
    card.resize(300, card.heightForWidth(300) if card.hasHeightForWidth() else 300)
    card.show()
    qtbot.waitExposed(card)
    shown = card.reason.text()
    assert shown == words.failure("identity-permission").text
    assert "not allowed to read this disk's serial number" in shown
    assert not words.developer_words(shown)
    assert not card.retry_btn.isVisible()  # a permissions problem is not a disk problem
    details = card.details_text()
    for raw in ("70-pressroom.rules", "1209:5052", "bus 2 address 4", "[identity-permission]"):
        assert raw in details
    assert not words.developer_words(card.accessibleDescription())


def test_a_disk_problem_keeps_retry(qtbot):
    from pressroom.gui.drive_card import DriveCard

    card = DriveCard("usb:x")
    qtbot.addWidget(card)
    card.set_retry_possible(True)
    card.show()
    _failed(card, "verify-header", LONG)
    assert card.retry_btn.isVisible()
    assert card.reason.text() == words.failure("verify-header").text


def test_a_refused_disk_says_why_in_shop_words_before_any_run(qtbot):
    from tests.test_drives_identity import disk

    from pressroom.gui.drive_card import DriveCard

    d = disk(serial=None, serial_error=PERMISSION.split(": ", 1)[1])
    v = judge([d])[d.id]
    card = DriveCard(d.id)
    qtbot.addWidget(card)
    card.set_drive(d, v)
    card.show()
    assert card.verdict.isVisible()
    assert words.verdict("permission").text in card.verdict.text()
    assert not words.developer_words(card.verdict.text())
    assert "70-pressroom.rules" in card.details_text()


@pytest.mark.parametrize("density", ["full", "compact", "tiny"])
def test_a_long_reason_grows_the_card_at_every_density(qtbot, density):
    from pressroom.gui.drive_card import MIN_WIDTH, DriveCard

    card = DriveCard("usb:x")
    qtbot.addWidget(card)
    card.set_density(density)
    _failed(card, "verify-header", LONG)
    card.resize(MIN_WIDTH[density], 100)
    card.show()
    qtbot.waitExposed(card)
    width = MIN_WIDTH[density]
    assert card.hasHeightForWidth()  # the card asks for the height its reason needs
    card.resize(width, card.heightForWidth(width))
    qtbot.wait(20)
    assert _not_cut(card.reason), card.reason.text()


def test_a_removed_failed_disk_keeps_its_words_and_its_detail(qtbot):
    from pressroom.gui.drive_card import DriveCard

    card = DriveCard("usb:x")
    qtbot.addWidget(card)
    card.show()
    _failed(card, "io-error", "The disk reported a write or read error: EIO (sim).")
    card.mark_removed()
    assert card.reason.text() == f"It had failed: {words.failure('io-error').text}"
    assert "EIO (sim)" in card.details_text()


def test_cards_with_long_failures_and_permission_details_screenshot(qtbot):
    """A row of cards with long reasons: aligned, none cut; a permission problem's Details
    dialog open beside them (saved to docs/screenshots with PRESSROOM_SCREENSHOTS=1)."""
    from PySide6.QtWidgets import QApplication, QPlainTextEdit

    from pressroom.gui import theme
    from pressroom.gui.drive_grid import DriveGrid

    theme.apply(QApplication.instance())  # the station's look, as the window has it
    grid = DriveGrid()
    qtbot.addWidget(grid)
    grid.resize(1000, 420)
    grid.show()
    cases = [
        ("usb:a", "1-1", "verify-header", LONG),
        ("usb:b", "1-2", "identity-permission", PERMISSION),
        ("usb:c", "1-3", "", ""),
        ("usb:d", "1-4", "too-small", "The disk has 3.1 MB free but the tracks need 443.2 MB."),
    ]
    for drive_id, port, code, reason in cases:
        state = DiskState.FAIL if code else DiskState.PASS
        grid.update_progress(
            DiskProgress(
                drive_id,
                drive_id[4:],
                port,
                state,
                Stage.WRITE,
                reason=reason,
                reason_code=code,
                copy_index=1,
            )
        )
    qtbot.wait(50)
    cards = [grid.card(c[0]) for c in cases]
    rows: dict[int, set[int]] = {}
    for c in cards:
        rows.setdefault(c.geometry().top(), set()).add(c.geometry().bottom())
    assert all(len(bottoms) == 1 for bottoms in rows.values()), "a row's cards line up"
    for c in cards:
        if c.reason.isVisible():
            assert _not_cut(c.reason), c.reason.text()
    _save(grid, "cards-long-failures")

    card = grid.card("usb:b")
    dlg, host = _details_dialog(card)
    qtbot.addWidget(host)
    dlg.resize(640, 300)
    body = dlg.findChild(QPlainTextEdit).toPlainText()
    assert "70-pressroom.rules" in body and body.startswith("What happened: ")
    _save(dlg, "card-permission-details")


def _details_dialog(card):
    """The Details dialog of one card, hosted by a bare widget (no station window)."""

    from PySide6.QtWidgets import QWidget

    from pressroom.gui.disk_details import disk_details

    host = QWidget()
    return disk_details(host, card.drive_id, card, [], lambda mount: None), host


def test_settings_show_shop_labels_and_store_the_values(qtbot):
    from PySide6.QtWidgets import QFormLayout, QLabel

    from pressroom.config import load_config
    from pressroom.gui.settings_dialog import SettingsDialog

    config = load_config()
    dlg = SettingsDialog(config)
    qtbot.addWidget(dlg)
    form = dlg.findChild(QFormLayout)
    labels = [
        form.itemAt(i, QFormLayout.ItemRole.LabelRole).widget().text().replace("&", "")
        for i in range(form.rowCount())
        if form.itemAt(i, QFormLayout.ItemRole.LabelRole) is not None
    ]
    for shown in ("Doubtful disks:", "Disks written at once:", "Check each copy:"):
        assert shown in labels
    for gone in ("Verify mode:", "Concurrency per bus:", "Identity policy:"):
        assert gone not in labels
    items = [dlg.verify.itemText(i) for i in range(dlg.verify.count())]
    assert items == [c.label for c in words.setting("verify_mode").choices]
    assert all(not words.developer_words(t) for t in items)
    dlg.policy.setCurrentIndex(dlg.policy.findData("warn"))
    dlg.verify.setCurrentIndex(dlg.verify.findData("strict"))
    dlg.save()
    saved = load_config().settings
    assert (saved.identity_policy, saved.verify_mode) == ("warn", "strict")
    assert not [w for w in dlg.findChildren(QLabel) if words.developer_words(w.text())]


def _heights(table):
    return lambda density, width, index: (
        table[density][index] if isinstance(table[density], list) else table[density]
    )


def test_the_grid_picks_the_fullest_density_that_fits_its_room():
    from pressroom.gui.drive_grid import choose_fit

    even = {"full": 170, "compact": 120, "tiny": 86}
    # 16 disks in the room the station's grid has at 1366x768: a 4x4 grid of compact cards
    fit = choose_fit(16, 780, 560, _heights(even))
    assert (fit.density, fit.columns) == ("compact", 4) and fit.height <= 560
    # more room: full cards; less: tiny ones; none fits: the least scrolling
    assert choose_fit(16, 1300, 760, _heights(even)).density == "full"
    assert choose_fit(16, 620, 400, _heights(even)).density == "tiny"
    assert choose_fit(40, 620, 400, _heights(even)).density == "tiny"
    # a failed card's long reason counts: its row grows, so the grid gets denser
    tall = {d: [h + (160 if i == 0 else 0) for i in range(16)] for d, h in even.items()}
    assert choose_fit(16, 780, 560, _heights(tall)).density == "tiny"


def test_the_kiosk_sends_a_customer_to_the_counter_for_a_station_problem():
    from pressroom.gui.kiosk.words import problem_for

    station = problem_for("identity-permission")
    assert not station.can_retry and "ask at the counter" in station.text
    assert not words.developer_words(station.text)
    disk = problem_for("identity-reader")
    assert disk.can_retry and disk.title == "This disk cannot be used"
    # the same fact as the station's card, worded once
    assert words.failure("identity-reader").what in disk.text


def test_an_unexpected_error_banner_says_what_to_do_and_logs_the_detail(caplog):
    from types import SimpleNamespace

    from pressroom.errors import UsageError
    from pressroom.gui.application import StationHub

    said: list[str] = []
    hub = SimpleNamespace(error=SimpleNamespace(emit=said.append))
    StationHub._report(hub, OSError(13, "Permission denied", "/tmp/shop/x.lock"))
    assert said == [words.UNEXPECTED.text] and not words.developer_words(said[0])
    assert "/tmp/shop/x.lock" in caplog.text  # the detail, for whoever reads the log
    StationHub._report(hub, UsageError("Choose a grant file first."))
    assert said[-1] == "Choose a grant file first."  # the project's own sentences pass


def test_settings_keyboard_mnemonics_are_unique(qtbot):
    """Alt+letter reaches one field each: two labels with the same letter make one unreachable."""
    from PySide6.QtWidgets import QAbstractButton, QFormLayout, QLabel

    from pressroom.config import load_config
    from pressroom.gui.settings_dialog import SettingsDialog

    dlg = SettingsDialog(load_config())
    qtbot.addWidget(dlg)
    texts = [w.text() for w in dlg.findChildren(QLabel) + dlg.findChildren(QAbstractButton)]
    letters = [t[t.index("&") + 1].lower() for t in texts if "&" in t and "&&" not in t]
    assert dlg.findChild(QFormLayout) is not None and len(letters) >= 8
    assert len(letters) == len(set(letters)), sorted(letters)


def test_a_disk_not_started_says_what_the_run_means_for_it(qtbot):
    """ "Waiting for Start" only while nothing runs: once Start was pressed an idle disk
    says whether it waits for the tracks, stands by, or is not part of this run."""
    from pressroom.gui.drive_grid import DriveGrid

    grid = DriveGrid()
    qtbot.addWidget(grid)
    for drive_id, port in (("usb:a", "1-1"), ("usb:b", "1-2")):
        grid.update_progress(DiskProgress(drive_id, port, port, DiskState.IDLE, Stage.WAITING))

    def said() -> list[str]:
        return [grid.card(d).stage.text() for d in ("usb:a", "usb:b")]

    assert said() == ["Waiting for Start"] * 2
    grid.set_run_phase("preparing", ("usb:a",))  # the operator chose disk a only
    assert said() == ["Starts when the tracks are ready", "Not part of this run"]
    grid.set_run_phase("writing", None)
    assert said() == ["Standing by: not needed yet"] * 2
    grid.update_progress(DiskProgress("usb:c", "1-3", "1-3", DiskState.IDLE, Stage.WAITING))
    assert grid.card("usb:c").stage.text() == "Standing by: not needed yet"  # plugged in now
    grid.set_run_phase("ended", ("usb:a",))
    assert set(said()) == {"Waiting for Start"}
