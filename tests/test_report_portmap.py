"""The port map: one Qt-free rule lays out a tower's ports by hub, for the window's tower
view and for the run's printed report, where the failed sticks stand out."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import replace

import pytest

from ledger_support import Publisher, passed_disk
from pressroom.ledger import Ledger, reports
from pressroom.ledger import pdf as pdf_out
from pressroom.station.portmap import MAX_ROWS, hub_columns, hub_of, printed_map, report_maps

STATION = "5f1c9a0e7b3d4c2a8e6f0b1d2c3a4e5f"


def test_columns_group_ports_by_hub_in_port_order():
    ports = [
        ("d10", "2-1.10"),
        ("d2", "2-1.2"),
        ("a1", "1-1.1"),
        ("b", "1-1.3.2"),
        ("c", "1-1.3.1"),
    ]
    columns = hub_columns(ports)
    assert [(c.hub, c.ids) for c in columns] == [
        ("1-1", ("a1",)),
        ("1-1.3", ("c", "b")),
        ("2-1", ("d2", "d10")),  # 2-1.2 before 2-1.10: numbers compare as numbers
    ]
    assert hub_of("2-1.3.4") == "2-1.3" and hub_of("1-4") == "1"


def test_a_long_hub_continues_in_unlabelled_columns():
    ports = [(f"p{i}", f"3-1.{i}") for i in range(1, 2 * MAX_ROWS + 2)]
    columns = hub_columns(ports)
    assert [len(c.ids) for c in columns] == [MAX_ROWS, MAX_ROWS, 1]
    assert [c.hub for c in columns] == ["3-1", "", ""]
    assert hub_columns(ports, rows=4)[0].ids == ("p1", "p2", "p3", "p4")


def test_a_retried_port_shows_its_last_disk():
    hubs = printed_map([("1-1.2", "fail", None, "write error"), ("1-1.2", "pass", 7, "")])
    assert [(h.hub, [p.text for p in h.ports]) for h in hubs] == [("1-1", ["1-1.2 PASS #7"])]


def _tower_run(ledger: Ledger) -> tuple[str, dict[str, str]]:
    """20 disks on three hubs of a tower; two fail."""
    publisher = Publisher()
    grant = publisher.grant(copies=50, replacements=5, title="Tower day")
    ledger.import_grant(grant.raw, publisher.trusted, time.time())
    run = ledger.start_run(
        grant_id=grant.id_hex,
        station_id=STATION,
        tracks=[t.hex() for t in grant.tracks],
        copies_wanted=20,
        rights={"plays": None, "export": False},
        operator="Ana",
        now=1_717_230_000.0,
    )
    ports = [f"2-1.{h}.{p}" for h in (1, 2, 3) for p in range(1, 8)][:20]
    failures = {"2-1.2.4": "read-back failed", "2-1.3.6": "disk removed during write"}
    for n, port in enumerate(ports, 1):
        res = ledger.reserve(grant.id_hex, run_id=run, drive_id=f"drive-{n}", station_id=STATION)
        kw = dict(slot=port, started_at=1_717_230_000.0 + n, finished_at=1_717_230_030.0 + n)
        if port in failures:
            disk = passed_disk(n, run, result="fail", licence_id=None, reason=failures[port], **kw)
            ledger.release(res, failures[port], disk=disk)
        else:
            ledger.commit(res, passed_disk(n, run, **kw))
    ledger.finish_run(run, "finished", now=1_717_230_600.0)
    return run, failures


@pytest.fixture
def tower_report(tmp_path):
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as ledger:
        run, failures = _tower_run(ledger)
        data = reports.gather(
            ledger, run_id=run, station_label="Shop", station_id=STATION, now=1.8e9
        )
    return data, run, failures


def test_report_map_has_every_port_by_hub_with_failures_marked(tower_report):
    data, run, _failures = tower_report
    columns = report_maps(data)[run]
    assert [hub for hub, _cells in columns] == ["2-1.1", "2-1.2", "2-1.3"]
    cells = [cell for _hub, col in columns for cell in col]
    assert len(cells) == 20
    failed = sorted(text for text, bad in cells if bad)
    assert failed == ["2-1.2.4 FAIL", "2-1.3.6 FAIL"]
    assert all("PASS #" in text for text, bad in cells if not bad)


def test_printed_report_shows_the_port_map(tower_report, tmp_path):
    data, _run, _failures = tower_report
    pdf = tmp_path / "tower.pdf"
    pdf_out.write_pdf(replace(data, port_maps=report_maps(data)), pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed: text not checked")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Port map (2 failed, in red)" in text
    for hub in ("hub 2-1.1", "hub 2-1.2", "hub 2-1.3"):
        assert hub in text
    assert "2-1.2.4 FAIL" in text and "2-1.3.6 FAIL" in text
    # hubs stand side by side: a port's row holds one port of each hub
    assert any("2-1.1.4" in line and "2-1.2.4 FAIL" in line for line in text.splitlines())


def test_a_run_without_ports_prints_no_map(tower_report, tmp_path):
    data, _run, _failures = tower_report
    data = replace(data, disks=tuple(replace(d, slot="") for d in data.disks))
    assert report_maps(data) == {}
