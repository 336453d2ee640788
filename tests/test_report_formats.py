"""Reports: CSV, JSON and the printed PDF (rendered to PNG and kept as a screenshot)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from ledger_support import Publisher, passed_disk
from pressroom.ledger import Ledger, reports
from pressroom.ledger import pdf as pdf_out
from pressroom.ledger.schema import events

SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "report.png"
STATION = "5f1c9a0e7b3d4c2a8e6f0b1d2c3a4e5f"


def _shop_day(ledger: Ledger) -> str:
    """A run of 12 disks on one grant: 10 pass, one fails verification, one was pulled."""
    publisher = Publisher()
    grant = publisher.grant(copies=50, replacements=5, title="Nocturnes — Live in Kraków")
    ledger.import_grant(grant.raw, publisher.trusted, time.time())
    run = ledger.start_run(
        grant_id=grant.id_hex,
        station_id=STATION,
        tracks=[t.hex() for t in grant.tracks] * 12,
        copies_wanted=12,
        rights={"plays": None, "export": False},
        operator="Zoë Åberg",
        now=1_717_230_000.0,
    )
    failures = {
        5: "read-back: chunk 37 of track 4 does not authenticate",
        9: "disk removed during write",
    }
    for n in range(1, 13):
        res = ledger.reserve(grant.id_hex, run_id=run, drive_id=f"drive-{n}", station_id=STATION)
        kw = dict(
            slot=f"Hub A · port {n}",
            started_at=1_717_230_000.0 + 40 * n,
            finished_at=1_717_230_000.0 + 40 * n + 31.5,
            mb_per_s=12.0 + n * 0.7,
            serial_masked=f"••••{0x1A2B + 97 * n:04X}",
            tracks=tuple(t.hex() for t in grant.tracks) * 12,
            bytes=96_500_000 + n * 1000,
        )
        if n in failures:
            disk = passed_disk(n, run, result="fail", licence_id=None, reason=failures[n], **kw)
            ledger.release(res, failures[n], disk=disk)
        else:
            ledger.commit(res, passed_disk(n, run, **kw))
    ledger.finish_run(run, "finished", now=1_717_230_600.0)
    return run


def _data(tmp_path: Path) -> reports.ReportData:
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as ledger:
        run = _shop_day(ledger)
        return reports.gather(
            ledger,
            run_id=run[:8],
            station_label="Pressroom — Café Ölmühle",
            station_id=STATION,
            now=1_717_231_000.0,
        )


def test_gather_and_totals(tmp_path):
    data = _data(tmp_path)
    t = data.totals
    assert (t.disks, t.passed, t.failed) == (12, 10, 2)
    assert t.bytes == sum(d.bytes for d in data.disks if d.result == "pass")
    [grant] = data.grants
    assert (grant.copies_committed, grant.copies_remaining) == (10, 40)
    assert data.chain.ok and data.chain.rows == 1 + 1 + 12 * 2 + 1


def test_csv_has_one_row_per_disk(tmp_path):
    data = _data(tmp_path)
    out = io.StringIO()
    reports.write_csv(data, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 12
    assert [r["result"] for r in rows].count("fail") == 2
    assert rows[0]["serial_masked"].startswith("••••")
    assert rows[4]["reason"].startswith("read-back")
    assert rows[0]["started_at"].endswith("+00:00")


def test_json_report_is_complete(tmp_path):
    data = _data(tmp_path)
    out = io.StringIO()
    reports.write_json(data, out)
    doc = json.loads(out.getvalue())
    assert doc["totals"]["passed"] == 10 and doc["ledger"]["ok"] is True
    assert doc["grants"][0]["title"] == "Nocturnes — Live in Kraków"
    assert doc["runs"][0]["operator"] == "Zoë Åberg"
    assert len(doc["disks"]) == 12


def test_report_shows_a_broken_chain(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with Ledger.open(url) as ledger:
        run = _shop_day(ledger)
        with ledger.engine.begin() as conn:
            conn.execute(events.update().where(events.c.seq == 7).values(payload="{}"))
        data = reports.gather(ledger, run_id=run, now=time.time())
    assert not data.chain.ok and data.chain.first_bad_seq == 7
    assert reports.ReportData.to_json(data)["ledger"]["first_bad_seq"] == 7


def test_since_covers_runs_in_the_period(tmp_path):
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as ledger:
        _shop_day(ledger)
        everything = reports.gather(ledger, since=1_717_000_000.0, now=time.time())
        nothing = reports.gather(ledger, since=1_800_000_000.0, now=time.time())
    assert len(everything.runs) == 1 and len(everything.disks) == 12
    assert nothing.disks == () and nothing.runs == ()


def test_pdf_report_renders(tmp_path):
    data = _data(tmp_path)
    pdf = tmp_path / "report.pdf"
    pdf_out.write_pdf(data, pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Nocturnes — Live in Kraków" in text
        assert "FAIL" in text and "PASS" in text
        assert data.chain.head in text.replace("\n", "").replace(" ", "")
        assert "Page 1 of" in text
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed: PNG not rendered")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
         str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    png = tmp_path / "page.png"
    assert png.stat().st_size > 10_000
    if os.environ.get("PRESSROOM_SCREENSHOTS") == "1":  # refresh docs/ only when asked
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, SCREENSHOT)


def test_pdf_without_unicode_fonts_falls_back_to_ascii(tmp_path, monkeypatch):
    from pressroom.ledger import pdf as pdf_module

    data = _data(tmp_path)
    out = tmp_path / "plain.pdf"
    pdf_module.render(data, out, None)
    assert out.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "****" in text and "Krak" in text
