"""`pressroom audit` (issue 14 item 5): a demo station's signed reports audit clean, with
only the publisher's key; each fault planted in a copy of them is named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from checkpoint_support import drop_anchors, resign_report, rewrite_without_copy
from pressroom.app import App
from pressroom.cli import main
from pressroom.config import load_config


@pytest.fixture(scope="module")
def demo_station(tmp_path_factory):
    """One demo run (8 disks), its JSON and CSV reports and a checkpoint, made once."""
    import os

    root = tmp_path_factory.mktemp("demo")
    data = root / "data"
    old = os.environ.get("PRESSROOM_DATA_DIR")
    os.environ["PRESSROOM_DATA_DIR"] = str(data)
    try:
        assert main(["--data-dir", str(data), "demo"]) == 0
        for name in ("r.json", "r.csv", "r.pdf"):
            assert main(["--data-dir", str(data), "report", "--out", str(root / name)]) == 0
        cp = root / "cp.bin"
        assert main(["--data-dir", str(data), "ledger", "checkpoint", "--out", str(cp)]) == 0
    finally:
        if old is not None:
            os.environ["PRESSROOM_DATA_DIR"] = old
    return root


@pytest.fixture
def evidence(demo_station, tmp_path):
    """A copy of the demo station's data and evidence, for planting faults in."""
    root = tmp_path / "copy"
    shutil.copytree(demo_station, root)
    return root


def _pub(root: Path) -> str:
    return str(next((root / "data" / "keys" / "trust").glob("*.pub")))


def _audit(root: Path, *files: str, disks: bool = False, capsys=None) -> tuple[int, dict]:
    argv = ["audit", *(str(root / f) for f in files), "--publisher", _pub(root), "--json"]
    if disks:
        argv += ["--disks", str(root / "data" / "sim")]
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


def _kinds(report: dict) -> list[str]:
    return [f["kind"] for f in report["findings"]]


def test_demo_reports_audit_clean(evidence, capsys, tmp_path):
    code, report = _audit(evidence, "r.json", "r.csv", "cp.bin", disks=True, capsys=capsys)
    assert code == 0 and report["clean"], report["findings"]
    assert report["reports"] == 2 and report["disks"] == 8 and len(report["stations"]) == 1
    (grant,) = report["grants"].values()
    assert grant == {"limit": 1000, "issued": 8, "licences": 8}
    pdf = tmp_path / "audit.pdf"
    argv = ["audit", str(evidence / "r.json"), "--publisher", _pub(evidence), "--pdf", str(pdf)]
    assert main(argv) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "The audit is clean." in capsys.readouterr().out


def test_an_edited_report_is_named(evidence, capsys):
    doc = json.loads((evidence / "r.json").read_text())
    doc["disks"][0]["copy_index"] = 99
    (evidence / "r.json").write_text(json.dumps(doc))
    text = (evidence / "r.csv").read_text().replace(",pass,", ",fail,", 1)
    (evidence / "r.csv").write_text(text)
    code, report = _audit(evidence, "r.json", "r.csv", capsys=capsys)
    assert code == 1
    assert _kinds(report) == ["unverified", "unverified"]
    assert all("changed after the station signed it" in f["sentence"] for f in report["findings"])


def test_a_report_from_another_publishers_station_is_named(evidence, capsys, tmp_path):
    other = App(load_config(tmp_path / "other"))
    other.station.keys.ensure(demo=True)
    pub = next((tmp_path / "other" / "keys" / "trust").glob("*.pub"))
    assert main(["audit", str(evidence / "r.json"), "--publisher", str(pub), "--json"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert finding["kind"] == "unverified" and "not signed by a publisher" in finding["sentence"]


def _station(root: Path) -> App:
    return App(load_config(root / "data"))


def test_a_copy_index_used_twice_is_named(evidence, capsys):
    app = _station(evidence)
    doc = json.loads((evidence / "r.json").read_text())
    twin = dict(doc["disks"][0], licence_id="ab" * 16)
    resign_report(app, evidence / "r.json", disks=[*doc["disks"], twin])
    code, report = _audit(evidence, "r.json", capsys=capsys)
    assert code == 1 and "index-twice" in _kinds(report)


def test_copies_beyond_the_grant_are_named(evidence, capsys):
    app = _station(evidence)
    doc = json.loads((evidence / "r.json").read_text())
    grants = [dict(doc["grants"][0], copies=5)]
    resign_report(app, evidence / "r.json", grants=grants)
    code, report = _audit(evidence, "r.json", capsys=capsys)
    assert code == 1 and _kinds(report) == ["beyond-grant"]
    assert "allows 5 copies, but 8 licences" in report["findings"][0]["sentence"]


def test_a_gap_and_an_unreported_licence_are_named(evidence, capsys):
    app = _station(evidence)
    doc = json.loads((evidence / "r.json").read_text())
    hidden = doc["disks"][-1]
    resign_report(app, evidence / "r.json", disks=doc["disks"][:-1])
    code, report = _audit(evidence, "r.json", disks=True, capsys=capsys)
    assert code == 1 and sorted(_kinds(report)) == ["gap", "unreported"]
    unreported = next(f for f in report["findings"] if f["kind"] == "unreported")
    assert hidden["licence_id"][:12] in unreported["sentence"]


def test_a_fork_and_a_rollback_are_named(evidence, capsys):
    app = _station(evidence)
    seq = old_head = app.ledger.checkpoint_state().seq
    rewrite_without_copy(app.ledger, 2)  # 2 events fewer, counters one lower
    drop_anchors(app)
    data = str(evidence / "data")
    for name in ("cp2", "cp3"):  # at the old head's seq, then one past it
        while app.ledger.checkpoint_state().seq < seq:
            app.ledger.append_event("note", {})
        assert (
            main(["--data-dir", data, "ledger", "checkpoint", "--out", str(evidence / name)]) == 0
        )
        seq += 1
    capsys.readouterr()
    code, report = _audit(evidence, "cp.bin", "cp2", "cp3", capsys=capsys)
    assert code == 1
    assert {"fork", "rollback"} <= set(_kinds(report)), report["findings"]
    fork = next(f for f in report["findings"] if f["kind"] == "fork")
    assert f"two heads at event {old_head}" in fork["sentence"]
    app.ledger.close()


def test_bad_input_is_one_sentence(evidence, capsys, tmp_path):
    assert main(["audit", str(tmp_path / "nope.json"), "--publisher", _pub(evidence)]) == 2
    assert "does not exist" in capsys.readouterr().err
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    assert main(["audit", str(evidence / "r.json"), "--publisher", str(junk)]) == 2
    assert "not a public key file" in capsys.readouterr().err
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\xff\x00garbage")
    assert main(["audit", str(garbage), "--publisher", _pub(evidence), "--json"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert finding["kind"] == "unverified" and "garbage.bin" in finding["sentence"]


def test_a_reused_released_index_and_a_replacement_are_not_faults(tmp_path):
    """Copy indices count per kind, and a released index is handed out again: the grant
    full, issued past its limit, and a replacement numbered 1 beside sale copy 1 is clean."""
    from checkpoint_support import grant_for, make_copies, station
    from ledger_support import passed_disk
    from pressroom.station.audit import run_audit

    app = station(tmp_path / "s", f"sqlite:///{tmp_path / 'l.sqlite3'}")
    grant = grant_for(app, copies=3, replacements=1)
    app.ledger.import_grant(grant.raw, app.keystore.trusted_publishers(), grant.issued_at)
    first = app.ledger.reserve(grant.id_hex, run_id=None, drive_id="x")
    assert first is not None
    app.ledger.release(first, "no licence was written")
    assert make_copies(app, grant.id_hex, 3) == [1, 2, 3]
    res = app.ledger.reserve(grant.id_hex, run_id=None, drive_id="r", kind="replacement")
    assert res is not None and res.copy_index == 1
    app.ledger.commit(res, passed_disk(1, licence_id="cd" * 16))
    out = tmp_path / "r.json"
    app.station.reports.write("json", out)
    kinds = {d["licence_id"]: d["kind"] for d in json.loads(out.read_text())["disks"]}
    assert kinds.pop("cd" * 16) == "replacement" and set(kinds.values()) == {"sale"}
    found = run_audit([out], app.keystore.trusted_publishers())
    assert found.clean, found.findings
    app.ledger.close()
