"""The data folder is the owner's alone: 0700, its private files 0600, created so and repaired.

Another local user who can read ``settings.toml`` cracks the kiosk PIN offline; one who
can read the ledger reads every sale. These tests make a station through the public
commands (so every writer is the real one), loosen it as an old install or a careless
copy would, and start it again.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from pressroom.app import App
from pressroom.cli import main
from pressroom.config import load_config
from pressroom.datadir import repair_data_dir
from pressroom.engine.journal import Journal


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def umask_022():
    """The usual desktop umask, so that "created so" is not the umask's doing."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def private_paths(data: Path) -> list[Path]:
    """What must be 0600: top-level files, journals, logs and private keys."""
    out = [p for p in data.iterdir() if p.is_file() and not p.is_symlink()]
    out += [p for p in (data / "journal").glob("*") if p.is_file()]
    out += [p for p in (data / "logs").glob("*") if p.is_file()]
    out += list((data / "keys").glob("*.key"))
    return sorted(out)


def make_station(data: Path, monkeypatch) -> App:
    """Keys, settings, ledger, a journal, a lockout record and a crash file, each written by
    the code that writes it in production."""
    import pressroom.cli.keys_cmd as keys_cmd

    assert main(["--data-dir", str(data), "keys", "init", "--demo"]) == 0
    app = App(load_config(data))
    app.config.settings.kiosk_pin_hash = "scrypt$131072$8$1$c2FsdA$ZGlnZXN0"
    app.config.save_settings()
    app.ledger.grants()  # opens (and creates) the SQLite ledger, in WAL mode
    Journal(app.config.journal_dir, "run-1").record("reserved", drive_id="d1", reservation_id=1)
    app.pin_gate.lockout.record_attempt()

    def boom(args):
        raise RuntimeError("an internal error")

    monkeypatch.setattr(keys_cmd, "cmd_show", boom)
    assert main(["--data-dir", str(data), "keys", "show"]) == 1
    monkeypatch.undo()
    return app


def test_a_fresh_station_is_created_private(tmp_path, monkeypatch, caplog, umask_022):
    (tmp_path / "fresh").mkdir()
    os.chmod(tmp_path / "fresh", 0o755)
    data = tmp_path / "fresh" / "data"
    caplog.set_level(logging.WARNING, logger="pressroom.datadir")
    app = make_station(data, monkeypatch)
    try:
        names = {p.name for p in private_paths(data)}
        wal = {"ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm"}
        assert wal <= names, names  # the side files exist while the ledger is open...
        assert {"settings.toml", "kiosk-lockout.json", "run-1.jsonl"} <= names
        assert {"station.key", "publisher.key", "player.key"} <= names
        assert any(n.startswith("crash-") for n in names)
        for p in private_paths(data):
            assert mode(p) == 0o600, f"{p} is {mode(p):04o}"  # ...and are 0600 too
        for d in (data, data / "keys", data / "journal", data / "logs"):
            assert mode(d) == 0o700, f"{d} is {mode(d):04o}"
    finally:
        app.close()
    assert mode(tmp_path / "fresh") == 0o755  # a parent that already existed is not ours
    assert not [r for r in caplog.records if "Tightened" in r.getMessage()]  # nothing to fix


def test_a_loose_station_is_repaired_at_start_with_a_line_per_file(
    tmp_path, monkeypatch, caplog, umask_022
):
    data = tmp_path / "data"
    make_station(data, monkeypatch).close()
    # an old install (or a copy made without -p): everything readable by everyone
    (data / "ledger.sqlite3-wal").write_bytes(b"")
    (data / "ledger.sqlite3-shm").write_bytes(b"")
    loose_files = private_paths(data)
    for p in loose_files:
        os.chmod(p, 0o644)
    for d in (data, data / "keys", data / "journal", data / "logs"):
        os.chmod(d, 0o755)
    outside = tmp_path / "outside.txt"
    outside.write_text("someone else's")
    os.chmod(outside, 0o644)
    (data / "link-out").symlink_to(outside)  # a link is never followed or changed
    os.mkfifo(data / "a-fifo")  # nor is anything but files and folders opened
    public = data / "keys" / "station.pub"
    assert mode(public) == 0o644

    caplog.set_level(logging.WARNING, logger="pressroom.datadir")
    assert main(["--data-dir", str(data), "keys", "show"]) == 0  # any start will do

    for p in loose_files:
        assert mode(p) == 0o600, f"{p} is {mode(p):04o}"
    for d in (data, data / "keys", data / "journal", data / "logs"):
        assert mode(d) == 0o700
    lines = [r.getMessage() for r in caplog.records]
    for p in [*loose_files, data, data / "keys", data / "journal", data / "logs"]:
        old, new = ("0755", "0700") if p.is_dir() else ("0644", "0600")
        assert any(str(p) in m and f"from {old} to {new}" in m for m in lines), p
    assert mode(outside) == 0o644 and mode(data / "a-fifo") & 0o777 != 0o600
    assert mode(public) == 0o644  # a public key is public; its folder is 0700

    caplog.clear()
    App(load_config(data))  # the next start finds nothing to say
    assert not [r for r in caplog.records if "Tightened" in r.getMessage()]


def test_owner_only_modes_are_kept_and_a_missing_or_file_data_dir_is_left_alone(tmp_path):
    data = tmp_path / "data"
    assert repair_data_dir(data) == [] and not data.exists()  # created at first write only
    data.mkdir(mode=0o700)
    ro = data / "settings.toml"
    ro.write_text("")
    os.chmod(ro, 0o440)
    (repair,) = repair_data_dir(data)
    assert (repair.path, repair.old, repair.new) == (ro, 0o440, 0o400)  # group bit gone only
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    os.chmod(a_file, 0o644)
    assert repair_data_dir(a_file) == [] and mode(a_file) == 0o644


def test_a_data_dir_given_as_a_link_is_repaired_at_its_target(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o755)
    os.chmod(real, 0o755)
    (real / "settings.toml").write_text("")
    os.chmod(real / "settings.toml", 0o644)
    link = tmp_path / "link"
    link.symlink_to(real)
    repair_data_dir(link)
    assert mode(real) == 0o700 and mode(real / "settings.toml") == 0o600
