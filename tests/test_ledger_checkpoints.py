"""Signed checkpoints (issue 14 items 2-4): made, anchored, and the three tampering stories
of the issue each caught by a command, on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest

from checkpoint_support import (
    drop_anchors,
    grant_for,
    make_copies,
    rewrite_without_copy,
    station,
    wipe_ledger,
)
from pg import pg_server_url, pg_url  # noqa: F401  (fixtures)
from pressroom.cli import main
from pressroom.secure.checkpoint import load_checkpoint, load_own_checkpoint, sign_checkpoint
from pressroom.secure.errors import FormatError, SignatureError, TrustError
from pressroom.secure.keys import Envelope
from pressroom.station.audit import run_audit
from pressroom.station.checkpoints import ANCHOR_FILE, LedgerRolledBack


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def shop(tmp_path, url):
    """A certified station with a grant of 20 copies and 8 made, and its JSON report."""
    app = station(tmp_path / "station", url)
    grant = grant_for(app)
    app.ledger.import_grant(grant.raw, app.keystore.trusted_publishers(), grant.issued_at)
    make_copies(app, grant.id_hex, 8)
    report = tmp_path / "report.json"
    app.station.reports.write("json", report)
    yield app, grant, report
    app.ledger.close()


def _cli(app, *argv):
    return main(["--data-dir", str(app.config.data_dir), "--ledger", app.config.ledger_url, *argv])


def test_a_report_carries_a_checkpoint_that_verifies_offline(shop):
    app, grant, report = shop
    doc = json.loads(report.read_text())
    trusted = app.keystore.trusted_publishers()
    cp, cert = load_checkpoint(base64.b64decode(doc["checkpoint"]), trusted)
    assert cp.station == app.keystore.station_id().hex() == cert.station.hex()
    assert cp.seq == doc["ledger"]["rows"] and cp.head == doc["ledger"]["head"]
    marks = cp.marks(grant.id_hex)
    assert marks is not None and (marks.copies_used, marks.copies_issued) == (8, 8)
    assert (app.keystore.root / ANCHOR_FILE).exists()  # and it was anchored
    assert app.station.checkpoints.anchored() == cp


def test_a_checkpoint_is_refused_for_the_right_reason(shop, tmp_path):
    app, _grant, _report = shop
    cp = app.station.checkpoints.make()
    trusted = app.keystore.trusted_publishers()
    env = Envelope.from_bytes(cp.raw, "checkpoint", "checkpoint")
    flipped = dataclasses.replace(env, sig=bytes([env.sig[0] ^ 1]) + env.sig[1:])
    with pytest.raises(SignatureError):
        load_checkpoint(flipped.to_bytes(), trusted)
    other = station(tmp_path / "other", app.config.ledger_url)  # another publisher
    with pytest.raises(TrustError) as err:
        load_checkpoint(cp.raw, other.keystore.trusted_publishers())
    assert err.value.code == "station-uncertified"
    # another station's key signing a checkpoint that names this station
    with pytest.raises(ValueError):
        sign_checkpoint(other.keystore.station_key(), cp)
    with pytest.raises(TrustError) as err:
        load_own_checkpoint(cp.raw, other.keystore.station_key().public_key())
    assert err.value.code == "other-station"
    with pytest.raises(FormatError):
        load_checkpoint(b"\xa0", trusted)
    other.ledger.close()


def test_ledger_checkpoint_command_writes_a_checkpoint(shop, tmp_path, capsys):
    app, _grant, _report = shop
    out = tmp_path / "cp.bin"
    assert _cli(app, "ledger", "checkpoint", "--out", str(out)) == 0
    cp, _ = load_checkpoint(out.read_bytes(), app.keystore.trusted_publishers())
    assert cp.seq == app.ledger.checkpoint_state().seq
    assert _cli(app, "ledger", "verify", "--checkpoint", str(out)) == 0
    assert "extends checkpoint" in capsys.readouterr().out


def test_story_1_counters_zeroed_and_a_disk_deleted(shop, capsys):
    app, grant, report = shop
    import sqlalchemy as sa

    with app.ledger.engine.begin() as conn:
        conn.execute(sa.text("UPDATE grants SET copies_used = 0, copies_issued = 0"))
        conn.execute(sa.text("DELETE FROM disks WHERE id = (SELECT MAX(id) FROM disks)"))
    with pytest.raises(LedgerRolledBack) as err:
        app.station.checkpoints.require()
    assert f"grant {grant.id_hex[:8]} has issued 0 copies" in str(err.value)
    assert _cli(app, "ledger", "verify", "--checkpoint", str(report)) == 1
    assert "does not verify" in capsys.readouterr().out  # the tables disagree


def test_story_2_rewritten_history_is_refused_and_proven(shop, tmp_path, capsys):
    app, grant, report = shop
    rewrite_without_copy(app.ledger, 2)
    assert app.ledger.verify_chain().ok  # the chain alone cannot tell
    with pytest.raises(LedgerRolledBack) as err:
        app.station.checkpoints.require()
    anchored = app.station.checkpoints.anchored()
    assert anchored is not None and anchored.label in str(err.value)
    assert "makes no disks" in str(err.value)
    assert _cli(app, "ledger", "verify") == 1  # plain verify checks the anchored one too
    assert "does not extend this station's anchored checkpoint" in capsys.readouterr().out
    assert _cli(app, "ledger", "verify", "--checkpoint", str(report)) == 1
    out = capsys.readouterr().out
    assert "does not extend the checkpoint" in out
    # root also deletes the anchor: the station issues copy 2 again and reports it
    drop_anchors(app)
    assert make_copies(app, grant.id_hex, 1, tag="again") == [2]
    later = tmp_path / "later.json"
    app.station.reports.write("json", later)
    found = run_audit([report, later], app.keystore.trusted_publishers())
    kinds = {f.kind for f in found.findings}
    assert {"index-twice", "fork"} <= kinds, found.findings
    assert any("copy 2 of grant" in f.sentence for f in found.findings)


def test_story_3_deleted_ledger_refused_then_recovered_on_record(shop, tmp_path, url, capsys):
    app, grant, report = shop
    app = wipe_ledger(app, url)
    app.ledger.import_grant(grant.raw, app.keystore.trusted_publishers(), grant.issued_at)
    assert app.ledger.get_grant(grant.id_hex).copies_used == 0  # the quota restarted...
    with pytest.raises(LedgerRolledBack) as err:  # ...but no disk is made on it
        app.station.runs.start(None, lambda e: None)  # type: ignore[arg-type]
    assert "ledger recover" in str(err.value)
    assert _cli(app, "ledger", "verify", "--checkpoint", str(report)) == 1
    capsys.readouterr()
    assert _cli(app, "ledger", "recover", "--reason", " ") == 2  # a reason is required
    assert "Say why" in capsys.readouterr().err
    assert _cli(app, "ledger", "recover", "--reason", "disk died", "--operator", "Ana") == 0
    assert "Recorded the recovery" in capsys.readouterr().out
    status = app.ledger.get_grant(grant.id_hex)
    assert status.copies_used == 8  # continues from the checkpoint's marks
    assert make_copies(app, grant.id_hex, 1, tag="new") == [9]  # never copy 1 again
    app.station.checkpoints.require()
    assert app.ledger.verify_chain().ok
    assert any(e.kind == "ledger-recovered" for e in app.ledger.events())
    later = tmp_path / "later.json"
    app.station.reports.write("json", later)
    found = run_audit([report, later], app.keystore.trusted_publishers())
    assert found.clean, found.findings
    assert [f.kind for f in found.findings] == ["recovery"]
    assert "disk died" in found.findings[0].sentence


def test_story_3_with_the_anchors_deleted_too_shows_in_the_audit(shop, tmp_path, url):
    app, grant, report = shop
    app = wipe_ledger(app, url)
    drop_anchors(app)
    app.ledger.import_grant(grant.raw, app.keystore.trusted_publishers(), grant.issued_at)
    app.station.checkpoints.require()  # nothing left on the station to tell
    make_copies(app, grant.id_hex, 8, tag="second life")
    later = tmp_path / "later.json"
    app.station.reports.write("json", later)
    found = run_audit([report, later], app.keystore.trusted_publishers())
    kinds = [f.kind for f in found.findings]
    assert "index-twice" in kinds and "fork" in kinds, found.findings
    assert not found.clean
    app.ledger.close()


def test_recover_refuses_when_nothing_is_lost_or_a_grant_is_missing(shop, url):
    app, _grant, _report = shop
    with pytest.raises(Exception, match="nothing to recover"):
        app.station.checkpoints.recover("why", "me")
    app = wipe_ledger(app, url)
    with pytest.raises(Exception, match="Import grant"):
        app.station.checkpoints.recover("why", "me")
    app.ledger.close()


def test_the_keyring_alone_still_catches_a_rollback(tmp_path):
    """With a secure keyring, the checkpoint is anchored there too: deleting the anchor
    file is not enough to make a rewritten ledger acceptable."""
    import keyring

    from test_player_memory_anchor import MemoryKeyring

    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        app = station(tmp_path / "s", f"sqlite:///{tmp_path / 'l.sqlite3'}")
        grant = grant_for(app)
        app.ledger.import_grant(grant.raw, app.keystore.trusted_publishers(), grant.issued_at)
        make_copies(app, grant.id_hex, 3)
        cp = app.station.checkpoints.make()
        user = app.keystore.station_id().hex()
        assert base64.b64decode(ring.store[("pressroom/ledger-checkpoint", user)]) == cp.raw
        rewrite_without_copy(app.ledger, 2)
        drop_anchors(app)
        with pytest.raises(LedgerRolledBack):
            app.station.checkpoints.require()
        # a hand-written keyring entry is not a checkpoint of this station: ignored
        ring.store[("pressroom/ledger-checkpoint", user)] = "bm90IGEgY2hlY2twb2ludA=="
        app.station.checkpoints.require()
        app.ledger.close()
    finally:
        keyring.set_keyring(before)


def test_a_run_ends_with_a_signed_anchored_checkpoint(tmp_path, capsys):
    """`pressroom demo` runs 8 disks: the run's end leaves a checkpoint of its last event."""
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "demo"]) == 0
    app = station(data, f"sqlite:///{data / 'ledger.sqlite3'}")
    cp = app.station.checkpoints.anchored()
    state = app.ledger.checkpoint_state()
    assert cp is not None and (cp.seq, cp.head) == (state.seq, state.head)
    assert any(m.copies_issued == 8 for m in cp.grants)
    app.ledger.close()
