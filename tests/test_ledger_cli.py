"""`pressroom ledger verify`: exit 0 when intact, 1 naming the first bad event."""

from __future__ import annotations

import json

from pressroom.app import App
from pressroom.cli import main
from pressroom.config import load_config
from pressroom.ledger.schema import events


def test_verify_intact_then_tampered(capsys):
    ledger = App(load_config()).ledger
    for n in range(3):
        ledger.append_event("note", {"n": n})
    assert main(["ledger", "verify"]) == 0
    assert "intact: 3 events" in capsys.readouterr().out
    with ledger.engine.begin() as conn:
        conn.execute(events.update().where(events.c.seq == 2).values(payload='{"n":9}'))
    assert main(["ledger", "verify"]) == 1
    assert "at event 2" in capsys.readouterr().out
    assert main(["ledger", "verify", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["first_bad_seq"] == 2 and report["rows"] == 1
    ledger.close()


def test_ledger_url_option_selects_the_database(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    assert main(["--ledger", url, "ledger", "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 0
    assert (tmp_path / "elsewhere.sqlite3").exists()
    assert main(["--ledger", "mysql://x@y/z", "ledger", "verify"]) == 2
