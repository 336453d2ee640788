"""`pressroom report` writes CSV, JSON and PDF files for one run or a period."""

from __future__ import annotations

import csv
import json

from pressroom.app import App
from pressroom.cli import main
from pressroom.config import load_config
from test_report_formats import _shop_day


def test_report_files(tmp_path, capsys):
    ledger = App(load_config()).ledger
    run = _shop_day(ledger)
    ledger.close()
    out = tmp_path / "run.csv"
    assert main(["report", "--run", run[:8], "--out", str(out)]) == 0  # format from suffix
    assert len(list(csv.DictReader(out.open(encoding="utf-8")))) == 12
    assert main(["report", "--since", "2024-05-31", "--format", "json", "--out", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["totals"] == {**doc["totals"], "disks": 12, "passed": 10, "failed": 2}
    pdf = tmp_path / "run.pdf"
    assert main(["report", "--run", run, "--format", "pdf", "--out", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_report_usage_errors(capsys):
    assert main(["report", "--format", "pdf"]) == 2
    assert "needs a file" in capsys.readouterr().err
    assert main(["report", "--out", "x.txt"]) == 2
    assert main(["report", "--since", "yesterday", "--format", "csv"]) == 2
    assert main(["report", "--run", "ffff", "--format", "csv"]) == 2
