"""Kiosk mode clicked through offscreen on simulated disks, one customer at a time.

With PRESSROOM_SCREENSHOTS=1 each screen is also saved to docs/screenshots/kiosk-*.png
at 1366x768; without it the same states are driven and checked, just not saved.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.gui_support import no_qt_leaks  # noqa: F401

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from tests.secure_world import FakeClock

from pressroom.app import App
from pressroom.config import load_config
from pressroom.drives.simulated import add_sim_disk, is_plugged, parse_fault, set_plugged
from pressroom.pin import Lockout, PinGate, hash_pin, verify_pin
from pressroom.pin.hashing import parse_hash
from pressroom.secure.licence import DISK_DIR

SAVE = os.environ.get("PRESSROOM_SCREENSHOTS") == "1"
OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
PIN = "730519"
LEFT = Qt.MouseButton.LeftButton


def shot(window, name: str) -> None:
    if SAVE:
        OUT.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(OUT / f"kiosk-{name}.png"))


def make_shop(*, copies: int = 50, pin: str | None = PIN, idle: float = 90) -> App:
    """Keys, the demo catalog and a grant, but no disk in any slot yet."""
    from pressroom.catalog import demo_dir

    core = App(load_config())
    core.station.setup.create_keys(demo=True)
    core.station.catalog.import_paths([demo_dir()])
    core.station.setup.create_demo_grant(copies=copies)
    s = core.config.settings
    s.kiosk_pin_hash = hash_pin(pin) if pin else ""
    s.kiosk_price_text = "€9.90 incl. VAT · pay at the counter"
    s.kiosk_idle_seconds = idle
    s.station_label = "Corner Records"
    # an unplugged spare makes the station watch its sim directory (slots start empty)
    add_sim_disk(core.config.sim_dir, "spare", serial="SPARE00042424", size="1G")
    set_plugged(core.config.sim_dir, "spare", False)
    return core


def grant_of(core: App) -> str:
    """The shop's one grant (make_shop records exactly one)."""
    (status,) = core.station.grants.statuses()
    return status.grant_id


@pytest.fixture
def kiosk(qtbot, no_qt_leaks):  # noqa: F811
    from pressroom.gui.application import StationHub
    from pressroom.gui.kiosk.window import KioskWindow
    from pressroom.gui.launch import qapp

    windows = []

    def open_kiosk(core: App, gate: PinGate | None = None):
        qapp()
        window = KioskWindow(StationHub(core, bridge_interval_ms=20), gate=gate)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        window.load()
        if core.config.settings.kiosk_pin_hash:
            qtbot.waitUntil(lambda: len(window.start.tiles) == 2, timeout=10_000)
        qtbot.waitUntil(lambda: window.hub._watcher is not None, timeout=10_000)
        windows.append(window)
        return window

    yield open_kiosk
    for window in windows:
        window.exit_kiosk()


def used(core: App) -> int:
    return next(s for s in core.ledger.grants() if s.grant_id == grant_of(core)).copies_used


def pick_and_buy(qtbot, window, index: int = 0):
    qtbot.mouseClick(window.start.tiles[index], LEFT)
    assert window.mode == "album"
    qtbot.mouseClick(window.album_view.buy_btn, LEFT)
    assert window.mode == "insert"


def insert(core: App, name: str, **kw):
    kw.setdefault("size", "1G")
    kw.setdefault("write_mbps", 8)
    kw.setdefault("serial", f"KIOSK{abs(hash(name)) % 10**10:010d}")
    return add_sim_disk(core.config.sim_dir, name, **kw)


def test_album_to_take_your_disk_verified_and_ejected(qtbot, kiosk):
    from pressroom.secure.identity import DiskIdentity
    from pressroom.secure.verifier import DirectoryMedium, verify_disk

    core = make_shop()
    window = kiosk(core)
    assert window.start.price.text().startswith("€9.90")
    assert window.minimumSizeHint().height() <= 768 and window.size().height() == 768
    assert all(t.height() >= 64 and t.width() >= 64 for t in window.start.tiles)
    shot(window, "start")
    qtbot.mouseClick(window.start.tiles[0], LEFT)
    album = window.album
    assert window.album_view.buy_btn.isEnabled() and window.album_view.buy_btn.height() >= 64
    assert album.tracks[0].title in window.album_view.tracks.text()
    shot(window, "album")
    before = used(core)
    qtbot.mouseClick(window.album_view.buy_btn, LEFT)
    assert window.mode == "insert" and window.insert.headline.isVisible()
    assert window.insert.headline.text() == "Insert a USB stick or SD card"
    shot(window, "insert")

    spec = insert(core, "customer", write_mbps=1.5)
    qtbot.waitUntil(lambda: window.mode == "writing", timeout=5000)
    second = insert(core, "other-slot")  # another slot: ignored while this customer is served
    qtbot.waitUntil(lambda: window.progress.bar.value() >= 250, timeout=8000)
    assert window.progress.percent.text().endswith("%")
    shot(window, "progress")
    qtbot.waitUntil(lambda: window.mode == "done", timeout=15_000)
    assert window.done.headline.text() == "Take your disk" and window.done.headline.isVisible()
    assert album.title in window.done.receipt.text() and "€9.90" in window.done.receipt.text()
    assert "Receipt no." in window.done.receipt.text()
    shot(window, "done")

    sim = core.config.sim_dir
    qtbot.waitUntil(lambda: not is_plugged(sim, "customer"), timeout=5000)
    assert (sim / "customer" / "unplugged").read_text() == "ejected"
    assert used(core) == before + 1
    ident = DiskIdentity.of(spec.vendor_id, spec.product_id, spec.serial, spec.size)
    report = verify_disk(DirectoryMedium(sim / "customer" / "media"), ident, core.trust())
    assert report.ok, report
    assert len(report.tracks) == len(album.tracks)
    assert is_plugged(sim, second.name) and not any((sim / second.name / "media").iterdir())
    # the sale's report is saved as every run's is (the setting is on by default)
    folder = core.config.reports_dir
    qtbot.waitUntil(lambda: len(list(folder.glob("* run *.pdf"))) == 1, timeout=15_000)
    assert len(list(folder.glob("* run *.csv"))) == 1

    qtbot.mouseClick(window.done.done_btn, LEFT)
    assert window.mode == "start"


def test_too_small_disk_is_handed_back_in_plain_words(qtbot, kiosk):
    core = make_shop()
    window = kiosk(core)
    pick_and_buy(qtbot, window)
    insert(core, "tiny", size="100K")
    qtbot.waitUntil(lambda: window.mode == "problem", timeout=8000)
    assert window.problem.title.text() == "This disk is too small"
    assert "MB free" in window.problem.text.text()
    assert window.problem.retry_btn.isVisible()
    qtbot.waitUntil(lambda: not is_plugged(core.config.sim_dir, "tiny"), timeout=5000)
    assert used(core) == 0


def test_disk_without_serial_is_refused(qtbot, kiosk):
    core = make_shop()
    window = kiosk(core)
    pick_and_buy(qtbot, window, 1)
    insert(core, "noserial", serial="")
    qtbot.waitUntil(lambda: window.mode == "problem", timeout=8000)
    assert window.problem.title.text() == "This disk cannot be used"
    assert "try another disk" in window.problem.text.text()
    assert used(core) == 0


def test_pulled_early_offers_try_again_and_counts_nothing(qtbot, kiosk):
    core = make_shop()
    window = kiosk(core)
    pick_and_buy(qtbot, window)
    insert(core, "pulled", write_mbps=2, faults=parse_fault("unplug-after=150K"))
    qtbot.waitUntil(lambda: window.mode == "problem", timeout=8000)
    assert window.problem.title.text() == "The disk was taken out too early"
    assert "Nothing was charged" in window.problem.text.text()
    assert window.problem.retry_btn.isVisible()
    assert used(core) == 0
    shot(window, "problem")

    qtbot.mouseClick(window.problem.retry_btn, LEFT)
    assert window.mode == "insert"
    insert(core, "again")
    qtbot.waitUntil(lambda: window.mode == "done", timeout=10_000)
    assert used(core) == 1


def test_grant_exhausted_shows_album_unavailable(qtbot, kiosk):
    core = make_shop(copies=1)
    window = kiosk(core)
    qtbot.mouseClick(window.start.tiles[0], LEFT)
    assert window.album_view.buy_btn.isEnabled()
    core.ledger.reserve(grant_of(core), run_id=None, drive_id="elsewhere")  # another till sold it
    qtbot.mouseClick(window.album_view.buy_btn, LEFT)
    insert(core, "late")
    qtbot.waitUntil(lambda: window.mode == "problem", timeout=8000)
    assert window.problem.title.text() == "Sorry, this album is sold out"
    assert not window.problem.retry_btn.isVisible()
    qtbot.mouseClick(window.problem.back_btn, LEFT)
    qtbot.waitUntil(lambda: "Not available" in window.start.tiles[0].text(), timeout=5000)
    assert all(t.property("available") == "false" for t in window.start.tiles)
    shot(window, "unavailable-start")
    qtbot.mouseClick(window.start.tiles[0], LEFT)
    assert not window.album_view.buy_btn.isEnabled()
    assert window.album_view.unavailable.isVisible()
    shot(window, "unavailable")


def press(qtbot, window, digits: str) -> None:
    for d in digits:
        qtbot.mouseClick(window.pin.keys[d], LEFT)
    qtbot.mouseClick(window.pin.keys["OK"], LEFT)


def test_wrong_pin_stays_right_pin_exits_and_escape_does_nothing(qtbot, kiosk):
    core = make_shop()
    window = kiosk(core)
    window.present()
    assert window.windowState() & Qt.WindowState.WindowFullScreen
    assert window.windowFlags() & Qt.WindowType.FramelessWindowHint
    QTest.keyClick(window, Qt.Key.Key_Escape)
    window.close()  # Alt+F4 and the like
    assert window.isVisible() and window.mode == "start"
    assert window.corner.width() >= 64 and window.corner.height() >= 64

    qtbot.mouseClick(window.corner, LEFT)
    assert window.mode == "pin"
    press(qtbot, window, "111111")
    qtbot.waitUntil(lambda: window.pin.message.text() == "That PIN is not right.", timeout=5000)
    assert window.isVisible() and window.mode == "pin" and window.pin.field.text() == ""
    QTest.keyClick(window, Qt.Key.Key_Escape)
    assert window.mode == "pin"
    window.showNormal()
    window.resize(1366, 768)
    shot(window, "pin")
    with qtbot.waitSignal(window.exited, timeout=5000):
        press(qtbot, window, PIN)
    assert not window.isVisible()
    assert core.config.settings.kiosk_pin_hash.startswith("scrypt$")
    assert PIN not in core.config.settings.kiosk_pin_hash


def test_first_start_chooses_a_pin_that_is_stored_hashed(qtbot, kiosk):
    core = make_shop(pin=None)
    window = kiosk(core)
    assert window.mode == "pin" and not window.pin.cancel_btn.isVisible()
    assert "At least 6 digits" in window.pin.message.text()
    press(qtbot, window, "9753")  # the old minimum is refused now
    assert window.pin.message.text() == "Use at least 6 digits."
    press(qtbot, window, "975318")
    press(qtbot, window, "975318")
    qtbot.waitUntil(lambda: window.mode == "start", timeout=5000)
    stored = load_config(core.config.data_dir).settings.kiosk_pin_hash
    assert verify_pin("975318", stored) and not verify_pin("975310", stored)


def fake_gate(core: App, clock: FakeClock) -> PinGate:
    """The station's own lockout file, on a clock the test winds (wall and boot time)."""
    lockout = Lockout.for_data_dir(
        core.config.data_dir, wall=clock, boot=lambda: ("this-boot", float(clock.now))
    )
    return PinGate(lockout)


def test_pin_guessing_is_locked_out_across_a_restart_until_the_clock_allows(qtbot, kiosk):
    clock = FakeClock(1_800_000_000)
    core = make_shop()
    core.config.save_settings()  # the restart below reads the PIN hash from the file
    window = kiosk(core, fake_gate(core, clock))
    qtbot.mouseClick(window.corner, LEFT)
    for n in (1, 2):
        press(qtbot, window, f"10101{n}")
        qtbot.waitUntil(lambda: window.pin.keys["OK"].isEnabled(), timeout=5000)
        assert window.pin.message.text() == "That PIN is not right."
    press(qtbot, window, "101013")  # the third wrong PIN starts a 30 s wait
    qtbot.waitUntil(lambda: window.pin.locked, timeout=5000)
    assert window.pin.message.text() == "Locked: try again in 30 s"
    assert not any(k.isEnabled() for k in window.pin.keys.values())
    lockfile = core.config.data_dir / "kiosk-lockout.json"
    assert lockfile.stat().st_mode & 0o777 == 0o600
    shot(window, "pin-locked")

    press(qtbot, window, PIN)  # the right PIN, typed during the wait, is not even read
    window.pin.entered.emit(PIN)  # nor is one that reaches the window another way
    qtbot.wait(300)
    assert window.isVisible() and window.mode == "pin" and window.pin.field.text() == ""
    assert window.gate.lockout.failures() == 3

    clock.now += 12
    qtbot.waitUntil(lambda: window.pin.message.text() == "Locked: try again in 18 s", timeout=3000)

    # kill and restart the kiosk: a new App, window and gate on the same data folder
    window.exit_kiosk()
    core2 = App(load_config(core.config.data_dir))
    window2 = kiosk(core2, fake_gate(core2, clock))
    qtbot.mouseClick(window2.corner, LEFT)
    assert window2.pin.locked and window2.pin.message.text() == "Locked: try again in 18 s"
    assert not window2.pin.keys["OK"].isEnabled()

    clock.now += 18
    qtbot.waitUntil(lambda: not window2.pin.locked, timeout=3000)
    assert window2.pin.keys["OK"].isEnabled() and window2.pin.message.text() == ""
    press(qtbot, window2, "101014")  # a fourth wrong PIN: the wait doubles
    qtbot.waitUntil(lambda: window2.pin.locked, timeout=5000)
    assert window2.pin.message.text() == "Locked: try again in 1 min"
    clock.now += 60
    qtbot.waitUntil(lambda: not window2.pin.locked, timeout=3000)
    with qtbot.waitSignal(window2.exited, timeout=5000):
        press(qtbot, window2, PIN)
    assert not lockfile.exists()  # a right PIN starts the count again


def test_a_try_that_cannot_be_counted_is_not_checked_even_when_right(qtbot, kiosk, monkeypatch):
    """A full or read-only data folder must not turn the lockout off."""
    core = make_shop()
    window = kiosk(core)

    def cannot_write(self, state):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Lockout, "_save", cannot_write)
    qtbot.mouseClick(window.corner, LEFT)
    press(qtbot, window, PIN)
    qtbot.waitUntil(lambda: "cannot be checked" in window.pin.message.text(), timeout=5000)
    assert window.isVisible() and window.mode == "pin"
    monkeypatch.undo()
    with qtbot.waitSignal(window.exited, timeout=5000):
        press(qtbot, window, PIN)


def _old_style_hash(pin: str) -> str:
    """A hash as the kiosk stored it before 6-digit PINs (n = 2**14, 4 digits allowed)."""
    import base64
    import hashlib

    def b64(b: bytes) -> str:
        return base64.b64encode(b).decode().rstrip("=")

    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=1 << 14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${b64(salt)}${b64(digest)}"


def test_an_old_four_digit_pin_only_opens_the_choice_of_a_new_one(qtbot, kiosk):
    core = make_shop(pin=None)
    old = _old_style_hash("2468")
    core.config.settings.kiosk_pin_hash = old
    core.config.save_settings()
    window = kiosk(core)
    assert window.mode == "start"

    qtbot.mouseClick(window.corner, LEFT)
    press(qtbot, window, "2468")
    qtbot.waitUntil(lambda: window.pin.title.text() == "Choose a new operator PIN", timeout=5000)
    assert "too short" in window.pin.message.text() and window.isVisible()
    qtbot.mouseClick(window.pin.cancel_btn, LEFT)  # walking away keeps the old PIN...
    assert window.mode == "start"
    assert load_config(core.config.data_dir).settings.kiosk_pin_hash == old

    qtbot.mouseClick(window.corner, LEFT)  # ...which still opens only this screen
    press(qtbot, window, "2468")
    qtbot.waitUntil(lambda: window.pin.title.text() == "Choose a new operator PIN", timeout=5000)
    press(qtbot, window, "1234")
    assert window.pin.message.text() == "Use at least 6 digits."
    press(qtbot, window, "111111")
    assert "repeated pattern" in window.pin.message.text()
    press(qtbot, window, "654321")
    assert "a run" in window.pin.message.text()
    press(qtbot, window, "975318")
    assert window.pin.title.text() == "Enter the same PIN again"
    with qtbot.waitSignal(window.exited, timeout=5000):
        press(qtbot, window, "975318")
    stored = load_config(core.config.data_dir).settings.kiosk_pin_hash
    assert verify_pin("975318", stored) and not verify_pin("2468", stored)
    assert parse_hash(stored).n == 1 << 17


def test_idle_returns_to_start_but_not_while_writing(qtbot, kiosk):
    core = make_shop(idle=0.4)
    window = kiosk(core)
    qtbot.mouseClick(window.start.tiles[1], LEFT)
    assert window.mode == "album"
    qtbot.waitUntil(lambda: window.mode == "start", timeout=3000)

    pick_and_buy(qtbot, window)
    insert(core, "slow", write_mbps=0.25)
    qtbot.waitUntil(lambda: window.mode == "writing", timeout=3000)
    qtbot.wait(1000)  # more than two idle periods, well within the copy
    assert window.mode == "writing"
    qtbot.waitUntil(lambda: window.mode == "done", timeout=10_000)
    qtbot.waitUntil(lambda: window.mode == "start", timeout=3000)


class _LocalLoop:
    """The QApplication, except that exec()/quit() drive a local QEventLoop.

    A real ``QApplication.exec()`` ending in ``quit()`` inside the test session emits
    ``aboutToQuit``, on which QtMultimedia's FFmpeg backend shuts down for good, and later
    tests in the same process can no longer decode audio.
    """

    def __init__(self, real):
        from PySide6.QtCore import QEventLoop

        self._real = real
        self._loop = QEventLoop()

    def exec(self) -> int:
        return self._loop.exec()

    def quit(self) -> None:
        self._loop.quit()

    def __getattr__(self, name):
        return getattr(self._real, name)


def test_run_kiosk_demo_entry_point(qtbot, no_qt_leaks, monkeypatch):  # noqa: F811
    """`pressroom gui --kiosk --demo`: full screen, a demo disk button, one sale, PIN exit."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from pressroom.gui import launch
    from pressroom.gui.kiosk.window import KioskWindow
    from pressroom.gui.launch import run_kiosk

    real_qapp = launch.qapp
    monkeypatch.setattr(launch, "qapp", lambda: _LocalLoop(real_qapp()))

    core = App(load_config(), demo=True)
    add_sim_disk(core.config.sim_dir, "fast", serial="FASTDEMO0001", size="1G", write_mbps=8)
    core.config.settings.kiosk_pin_hash = hash_pin(PIN)
    seen: list[str] = []
    plugged: list[bool] = []

    def drive() -> None:  # the customer and the operator, one step per tick
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, KioskWindow))
        if not seen:
            assert window.isFullScreen() and not window.insert.demo_btn.isHidden()
            assert not is_plugged(core.config.sim_dir, "fast")  # slots start empty
        if window.mode not in seen[-1:]:
            seen.append(window.mode)
        if window.mode == "problem":
            window.exit_kiosk()  # the assertions below say what went wrong
            return
        if window.mode == "start" and window.start.tiles and "done" not in seen:
            window.start.tiles[0].click()
            window.album_view.buy_btn.click()
        elif window.mode == "insert" and not plugged:
            plugged.append(True)  # the customer inserts a disk once the screen asks
            window.insert.demo_btn.click()
        elif window.mode == "done":
            window.done.done_btn.click()
            window.corner.click()
        elif window.mode == "pin" and window.pin.keys["OK"].isEnabled():
            for d in PIN:
                window.pin.keys[d].click()
            window.pin.keys["OK"].click()

    timer = QTimer()
    timer.setInterval(100)
    timer.timeout.connect(drive)
    timer.start()
    try:
        assert run_kiosk(core) == 0
    finally:
        timer.stop()
    assert seen == ["start", "insert", "writing", "done", "pin"], seen
    sim = core.config.sim_dir
    assert (sim / "fast" / "unplugged").read_text() == "ejected"
    assert (sim / "fast" / "media" / DISK_DIR).is_dir()


def test_albums_grouped_and_sellable_only_under_one_covering_grant():
    from types import SimpleNamespace as NS

    from pressroom.station.catalog import group_albums, sellable

    def track(h, album, n, artist="A", cover=None):
        return NS(
            content_hash=h,
            album=album,
            track_number=n,
            title=f"t{h}",
            artist=artist,
            cover_mime=cover,
            size=10,
            duration=60.0,
        )

    albums = group_albums(
        [track("02", "B", 2), track("01", "B", 1, "Z", "image/png"), track("03", None, None)]
    )
    assert [a.title for a in albums] == ["B", "Singles"]
    b = albums[0]
    assert b.track_hashes == ["01", "02"] and b.artist == "Various artists"
    assert b.cover_hash == "01" and b.size == 20

    def grant(tracks, left=5, nb=0, na=100, station=None):
        g = NS(
            not_before=nb, not_after=na, station=station, covers_track=lambda t: t.hex() in tracks
        )
        return NS(grant=g, copies_remaining=left)

    def ok(grants, now=50, station=b"me"):
        return sellable(b, grants, now=now, station=station)

    assert ok([grant({"01", "02"})]) and ok([grant({"01", "02"}, station=b"me")])
    assert not ok([grant({"01"}), grant({"02"})])  # no single grant covers it
    assert not ok([grant({"01", "02"}, left=0)])
    assert not ok([grant({"01", "02"})], now=200)  # expired
    assert not ok([grant({"01", "02"}, station=b"another")])  # issued to another station


def test_a_disk_inserted_before_buy_is_taken_but_two_are_not_guessed(qtbot, kiosk):
    core = make_shop()
    window = kiosk(core)
    insert(core, "early")  # the customer put the stick in while browsing
    qtbot.wait(600)  # the kiosk ignores arrivals outside the Insert screen
    assert window.mode == "start"
    before = used(core)
    pick_and_buy(qtbot, window)
    qtbot.waitUntil(lambda: window.mode == "done", timeout=15_000)
    assert used(core) == before + 1
    window.done.done_btn.click()
    # two blank disks waiting: the kiosk cannot tell which is this customer's, so it asks
    insert(core, "left-a")
    insert(core, "left-b")
    qtbot.wait(600)
    pick_and_buy(qtbot, window)
    qtbot.wait(800)
    assert window.mode == "insert" and window.drive_id is None
