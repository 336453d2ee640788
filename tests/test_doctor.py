"""`pressroom doctor`: each missing piece gives a FAIL/WARN line that says what to do."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
import usb.core

from pressroom.app import App
from pressroom.cli import main
from pressroom.config import load_config
from pressroom.secure.grant import create_grant
from pressroom.secure.rights import RightsLimits
from pressroom.station import doctor
from pressroom.station.doctor import data, desktop, runner, software
from pressroom.station.doctor import usb as usb_checks

DAY = 86_400


def _ok_probe() -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(["probe"], 0, "6.12.0\n", "")


def _host(tmp_path: Path, **kw) -> doctor.Host:
    """A Linux machine with no USB bus and no udev rule, unless told otherwise."""
    defaults = dict(
        sys_usb=tmp_path / "sys-bus-usb",
        dev_usb=tmp_path / "dev-bus-usb",
        udev_rule_dirs=(tmp_path / "rules.d",),
        linux=True,
        euid=1000,
        user="operator",
        groups=(),
    )
    return doctor.Host(**{**defaults, **kw})


@pytest.fixture
def app():
    with App(load_config()) as a:
        yield a


def _station(app: App, *, copies: int = 10, days: int = 365, now: float | None = None) -> None:
    """Demo keys and one grant for this station, valid `days` from `now`."""
    app.station.keys.ensure(demo=True)
    now = int(now or time.time())
    grant = create_grant(
        app.keystore.publisher_key(),
        title="Test grant",
        tracks=[hashlib.sha256(b"track").digest()],
        copies=copies,
        limits=RightsLimits(export=False),
        station=app.keystore.station_id(),
        not_before=now - 60,
        not_after=now + days * DAY,
        issued_at=now,
    )
    app.ledger.import_grant(grant.raw, app.keystore.trusted_publishers(), now)


def _run(app: App, tmp_path: Path, **kw) -> dict[str, doctor.Check]:
    kw.setdefault("host", _host(tmp_path))
    kw.setdefault("qt_probe", _ok_probe)
    return {c.name: c for c in app.station.doctor.examine(**kw)}


def test_fresh_station_fails_on_keys_and_grant_and_creates_nothing(app, tmp_path):
    checks = _run(app, tmp_path)
    assert [c for c in runner.CHECKS if c[0] not in checks] == []
    assert checks["keys"].status == "fail"
    assert "keys init" in checks["keys"].action
    assert checks["grant"].status == "fail"
    assert "grant import" in checks["grant"].action
    assert checks["ledger"].status == "ok" and "will be created" in checks["ledger"].message
    assert not (app.config.data_dir / "ledger.sqlite3").exists()
    assert doctor.exit_code(checks.values()) == 1


def test_ready_station_passes_with_warnings_only(app, tmp_path, monkeypatch):
    monkeypatch.setattr(desktop, "_find_library", lambda name: f"lib{name}.so.0")
    _station(app)
    checks = _run(app, tmp_path)
    failed = {n: c.message for n, c in checks.items() if c.status == "fail"}
    assert failed == {}
    assert checks["keys"].status == "ok" and "certified" in checks["keys"].message
    assert checks["grant"].status == "ok" and "10 copies left" in checks["grant"].message
    assert checks["ledger"].status == "ok" and "verifies" in checks["ledger"].message
    assert doctor.exit_code(checks.values()) == 0


def test_expired_grant(app, tmp_path):
    _station(app, days=30)
    checks = _run(app, tmp_path, now=time.time() + 31 * DAY)
    assert checks["grant"].status == "fail"
    assert "expired" in checks["grant"].message
    assert checks["keys"].status == "ok"  # the certificate runs for years


def test_grant_about_to_expire_warns(app, tmp_path):
    _station(app, days=30)
    checks = _run(app, tmp_path, now=time.time() + 25 * DAY)
    assert checks["grant"].status == "warn"


def test_used_up_grant(app, tmp_path, monkeypatch):
    _station(app, copies=1)
    from pressroom.ledger.models import GrantStatus

    monkeypatch.setattr(GrantStatus, "copies_remaining", property(lambda self: 0))
    checks = _run(app, tmp_path)
    assert checks["grant"].status == "fail"
    assert "no copies left" in checks["grant"].message


def test_expired_certificate(app, tmp_path):
    _station(app)
    checks = _run(app, tmp_path, now=time.time() + 6 * 365 * DAY)
    assert checks["keys"].status == "fail"
    assert "validity period" in checks["keys"].message


def test_missing_player_key(app, tmp_path):
    _station(app)
    app.keystore.player_key_path.unlink()
    app.keystore.player_pub_path.unlink()
    checks = _run(app, tmp_path)
    assert checks["keys"].status == "fail"
    assert "player key" in checks["keys"].message
    assert "install-player" in checks["keys"].action


def test_a_public_player_key_is_enough(app, tmp_path):
    """A production station holds only the player's public key (issue 20, story 5)."""
    _station(app)
    app.keystore.player_key_path.unlink()
    checks = _run(app, tmp_path)
    assert checks["keys"].status == "ok", checks["keys"].message


def test_missing_certificate(app, tmp_path):
    app.station.keys.ensure(demo=False)
    checks = _run(app, tmp_path)
    assert checks["keys"].status == "fail"
    assert "import-cert" in checks["keys"].action


def test_private_key_readable_by_others_warns(app, tmp_path):
    _station(app)
    os.chmod(app.keystore.station_key_path, 0o644)
    checks = _run(app, tmp_path)
    assert checks["keys"].status == "warn"
    assert "station.key" in checks["keys"].message
    assert "chmod 600" in checks["keys"].action


def test_unwritable_data_dir(app, tmp_path, monkeypatch):
    app.config.data_dir.mkdir(parents=True)
    monkeypatch.setattr(data, "_writable", lambda folder: False)
    checks = _run(app, tmp_path)
    assert checks["data"].status == "fail"
    assert "not writable" in checks["data"].message
    assert "--data-dir" in checks["data"].action


def test_data_dir_that_is_a_file(tmp_path):
    target = tmp_path / "not-a-folder"
    target.write_text("x")
    with App(load_config(target)) as app:
        checks = _run(app, tmp_path)
    assert checks["data"].status == "fail"
    assert "is a file" in checks["data"].message


@pytest.mark.parametrize(("free", "status"), [(50 * 1024**2, "fail"), (1024**3, "warn")])
def test_low_free_space(app, tmp_path, monkeypatch, free, status):
    app.config.data_dir.mkdir(parents=True)
    monkeypatch.setattr(
        data.shutil, "disk_usage", lambda p: type("U", (), {"free": free})(), raising=True
    )
    assert _run(app, tmp_path)["data"].status == status


def test_no_libusb(app, tmp_path, monkeypatch):
    import pressroom.drives.usb as usb_mod

    def no_backend():
        raise usb.core.NoBackendError("No backend available")

    monkeypatch.setattr(usb_mod, "default_backend", no_backend)
    check = _run(app, tmp_path)["libusb"]
    assert check.status == "fail"
    assert "libusb" in check.message and "apt install" in check.action


def test_no_usb_bus_is_a_plain_warning(app, tmp_path):
    check = _run(app, tmp_path)["usb"]
    assert check.status == "warn"
    assert "no USB bus" in check.message


def _fake_usb(tmp_path: Path) -> doctor.Host:
    """sysfs with a hub (class 09) on 1/1 and a USB stick (class 08) on 1/5."""
    sysfs, dev = tmp_path / "sys-bus-usb", tmp_path / "dev-bus-usb"
    for name, devnum, cls in (("usb1", 1, "09"), ("1-2", 5, "08")):
        d = sysfs / "devices" / name
        (d / f"{name}:1.0").mkdir(parents=True)
        (d / "busnum").write_text("1\n")
        (d / "devnum").write_text(f"{devnum}\n")
        (d / f"{name}:1.0" / "bInterfaceClass").write_text(f"{cls}\n")
        node = dev / "001" / f"{devnum:03d}"
        node.parent.mkdir(parents=True, exist_ok=True)
        node.write_bytes(b"")
    return _host(tmp_path)


def test_usb_disks_are_found_by_their_mass_storage_interface(tmp_path):
    host = _fake_usb(tmp_path)
    assert usb_checks.usb_disks(host) == [host.dev_usb / "001" / "005"]


def test_usb_disk_this_user_cannot_open(app, tmp_path, monkeypatch):
    host = _fake_usb(tmp_path)
    monkeypatch.setattr(usb_checks, "_can_open", lambda node: False)
    check = _run(app, tmp_path, host=host)["usb"]
    assert check.status == "fail"
    assert "1 of 1" in check.message and "udev rule" in check.action
    monkeypatch.setattr(usb_checks, "_can_open", lambda node: True)
    assert _run(app, tmp_path, host=host)["usb"].status == "ok"


def test_udev_rule_and_group(app, tmp_path):
    checks = _run(app, tmp_path, host=_host(tmp_path, group="no-such-group-pressroom"))
    assert checks["udev"].status == "warn"
    assert "packaging/udev/70-pressroom.rules" in checks["udev"].action
    assert checks["group"].status == "warn" and "groupadd" in checks["group"].action
    rules = tmp_path / "rules.d"
    rules.mkdir()
    (rules / "70-pressroom.rules").write_text("# installed\n")
    host = _host(tmp_path, group="root", groups=(0,))
    checks = _run(app, tmp_path, host=host)
    assert checks["udev"].status == "ok"
    assert checks["group"].status == "ok"
    checks = _run(app, tmp_path, host=_host(tmp_path, group="root", groups=()))
    assert checks["group"].status == "warn" and "usermod" in checks["group"].action


def test_broken_ledger_chain(app, tmp_path):
    from pressroom.ledger.schema import events

    _station(app)
    with app.ledger.engine.begin() as conn:
        conn.execute(events.update().where(events.c.seq == 1).values(payload='{"forged":1}'))
    check = _run(app, tmp_path)["ledger"]
    assert check.status == "fail"
    assert "audit chain breaks at row 1" in check.message


def test_ledger_table_edited_behind_the_chain(app, tmp_path):
    from pressroom.ledger.schema import grants

    _station(app, copies=10)
    with app.ledger.engine.begin() as conn:
        conn.execute(grants.update().values(copies=1000))
    check = _run(app, tmp_path)["ledger"]
    assert check.status == "fail"
    assert "its tables disagree with its audit chain: grants row grant_id" in check.message
    assert "column copies: the events say 10, the table has 1000" in check.message


def test_unreachable_postgres_ledger(tmp_path):
    url = "postgresql+psycopg://station:secret@127.0.0.1:9/none?connect_timeout=2"
    with App(load_config(None, url)) as app:
        checks = _run(app, tmp_path)
    assert checks["ledger"].status == "fail"
    assert "cannot be opened" in checks["ledger"].message
    assert "secret" not in checks["ledger"].message
    assert checks["grant"].status == "fail"


def test_qt_that_crashes_is_a_failure_not_a_crash(app, tmp_path):
    def crashed():
        return subprocess.CompletedProcess(["probe"], -6, "", "qt.qpa.plugin: no xcb\n")

    check = _run(app, tmp_path, qt_probe=crashed)["qt"]
    assert check.status == "fail"
    assert "signal 6" in check.message and "no xcb" in check.message


def test_real_qt_probe_in_a_child_process():
    result = desktop.run_qt_probe()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split(".")[0] == "6"


def _no_multimedia(why: str):
    def probe():
        out = f"no-multimedia: {why}\n6.11.3\n"
        return subprocess.CompletedProcess(["probe"], 0, out, "")

    return probe


def test_qt_without_multimedia_is_one_audio_warning_naming_libpulse(app, tmp_path):
    why = "libpulse.so.0: cannot open shared object file"
    checks = _run(app, tmp_path, qt_probe=_no_multimedia(why))
    assert checks["qt"].status == "ok"  # the window opens: one fact, one line
    audio = checks["audio"]
    assert audio.status == "warn" and audio.action == "sudo apt install libpulse0"
    assert "libpulse.so.0" in audio.message and "cannot play" in audio.message


def test_a_libpulse_file_that_qt_cannot_load_is_not_called_present(app, tmp_path, monkeypatch):
    """The library file exists, yet QtMultimedia fails (a broken or mismatched libpulse):
    the doctor says what the Qt child saw, never "libpulse is present"."""
    monkeypatch.setattr(desktop, "_find_library", lambda name: "libpulse.so.0")
    why = "libpulse.so.0: undefined symbol: pa_stream_begin_write"
    audio = _run(app, tmp_path, qt_probe=_no_multimedia(why))["audio"]
    assert audio.status == "warn" and "undefined symbol" in audio.message
    assert "present" not in audio.message and audio.action == "sudo apt install libpulse0"


def test_multimedia_missing_for_another_reason_names_no_system_package(app, tmp_path, monkeypatch):
    monkeypatch.setattr(desktop, "_find_library", lambda name: "libpulse.so.0")
    audio = _run(app, tmp_path, qt_probe=_no_multimedia("No module named 'QtMultimedia'"))["audio"]
    assert audio.status == "warn" and audio.action == "Reinstall PySide6."


def test_audio_ok_only_when_multimedia_loads_and_the_probe_runs_once(app, tmp_path):
    calls = []

    def probe():
        calls.append(1)
        return _ok_probe()

    checks = _run(app, tmp_path, qt_probe=probe)
    assert checks["audio"].status == "ok" and "QtMultimedia loads" in checks["audio"].message
    assert len(calls) == 1  # the qt and audio checks share one child process


def test_audio_when_qt_itself_fails(app, tmp_path):
    def crashed():
        return subprocess.CompletedProcess(["probe"], -6, "", "no xcb\n")

    audio = _run(app, tmp_path, qt_probe=crashed)["audio"]
    assert audio.status == "warn" and "qt line" in audio.message


def test_a_check_that_raises_becomes_one_fail_line(app, tmp_path, monkeypatch):
    def broken(d):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "CHECKS", (("keys", broken), *runner.CHECKS[:1]))
    checks = _run(app, tmp_path)
    assert checks["keys"].status == "fail" and "boom" in checks["keys"].message
    assert checks["python"].status == "ok"


def test_cli_json_and_text(capsys, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert main(["doctor", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False
    assert [c["name"] for c in out["checks"]] == [name for name, _ in runner.CHECKS]
    assert {c["status"] for c in out["checks"]} <= {"ok", "warn", "fail"}
    assert main(["doctor"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(runner.CHECKS) + 1
    assert re.fullmatch(r"\d+ problems? to fix, \d+ warnings?\.", lines[-1])
    assert all(line.split()[0] in ("OK", "WARN", "FAIL") for line in lines[:-1])


def test_missing_dependency(app, tmp_path, monkeypatch):
    real = software.importlib.metadata.version

    def version(dist):
        if dist == "pyusb":
            raise software.importlib.metadata.PackageNotFoundError(dist)
        return real(dist)

    monkeypatch.setattr(software.importlib.metadata, "version", version)
    check = _run(app, tmp_path)["python"]
    assert check.status == "fail" and "pyusb is not installed" in check.message


def test_line_keeps_a_multiline_driver_error_on_one_line():
    check = doctor.Check("ledger", "fail", "cannot be opened (refused\n\tIs it running?).", "Do X.")
    assert check.line() == (
        "FAIL  ledger      cannot be opened (refused Is it running?). Fix: Do X."
    )
