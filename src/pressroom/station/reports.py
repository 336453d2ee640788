"""Reports: the one writer of what was made, as CSV, JSON or PDF.

``pressroom report``, History's export, the window's "Save report" and ``pressroom demo``
each wrote reports their own way (the demo without the station-key check or the
one-sentence error); they all call :meth:`ReportService.write` now.
"""

from __future__ import annotations

import base64
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from pressroom.errors import UsageError
from pressroom.ledger import ChainReport, reports
from pressroom.ledger.pdf import write_pdf
from pressroom.secure.checkpoint import sign_report
from pressroom.station import words
from pressroom.station.checkpoints import CheckpointService
from pressroom.station.parts import Parts
from pressroom.station.portmap import report_maps

FORMATS = ("csv", "json", "pdf")


@dataclass(frozen=True)
class SavedReport:
    """A run's report saved in the reports folder: the PDF and its CSV beside it."""

    folder: Path
    pdf: Path
    csv: Path

    def sentence(self) -> str:
        return f"The run's report is saved in {self.folder} ({self.pdf.name})."


class ReportService:
    def __init__(self, parts: Parts, checkpoints: CheckpointService) -> None:
        self._parts = parts
        self._checkpoints = checkpoints

    def check_chain(self) -> ChainReport:
        """Walk the ledger's hash chain (every row: call it off the GUI thread)."""
        report: ChainReport = self._parts.ledger.verify_chain()
        return report

    def gather(
        self, *, run_id: str | None = None, since: float | None = None
    ) -> reports.ReportData:
        """The disks of one run (or since a time, or all), with this station's name."""
        ks = self._parts.keystore
        data = reports.gather(
            self._parts.ledger,
            run_id=run_id,
            since=since,
            station_label=self._parts.config.settings.station_label,
            station_id=ks.station_id().hex() if ks.has_station() else "",
            now=time.time(),
        )
        if not (ks.has_station() and ks.station_cert_path.exists()):
            return data  # an uncertified station cannot sign what it reports
        cp = self._checkpoints.make()
        return replace(data, checkpoint=base64.b64encode(cp.raw).decode("ascii"))

    def _signed(self, fmt: str, data: reports.ReportData) -> reports.ReportData:
        """The report signed by the station key (JSON: the document; CSV: its rows and
        checkpoint); a PDF carries the checkpoint only."""
        if not data.checkpoint or fmt == "pdf":
            return data
        if fmt == "json":
            doc: dict[str, Any] = data.to_json()
        else:
            doc = {"csv": reports.csv_rows(data), "checkpoint": data.checkpoint}
        sig = sign_report(self._parts.keystore.station_key(), doc)
        return replace(data, signature=base64.b64encode(sig).decode("ascii"))

    def write(
        self,
        fmt: str,
        out: Path | IO[str] | None,
        *,
        run_id: str | None = None,
        since: float | None = None,
    ) -> reports.ReportData:
        """Write one report to a file (or a text stream, not for PDF; None: stdout).

        Raises one sentence when the format is unknown or the file cannot be written."""
        if fmt not in FORMATS:
            raise UsageError("Choose the report format with --format csv, json or pdf.")
        if fmt == "pdf" and not isinstance(out, Path):
            raise UsageError("A PDF report needs a file: add --out report.pdf.")
        data = self._signed(fmt, self.gather(run_id=run_id, since=since))
        if fmt == "pdf":
            data = _printed(data)
        text = reports.write_csv if fmt == "csv" else reports.write_json
        if not isinstance(out, Path):
            text(data, out if out is not None else sys.stdout)
            return data
        try:
            if fmt == "pdf":
                write_pdf(data, out)
            else:
                with out.open("w", encoding="utf-8", newline="") as fh:
                    text(data, fh)
        except OSError as exc:
            raise UsageError(f"Cannot write {out}: {exc.strerror}.") from None
        return data

    def run_pdf(self, run_id: str) -> Path:
        """The PDF of one run in the reports folder (what ``pressroom demo`` leaves)."""
        return self.save_run(run_id).pdf

    def after_run(self, run_id: str) -> SavedReport | None:
        """At a run's end: its report saved in the reports folder when the setting
        "Save each run's report" is on (the window and ``pressroom run`` call this)."""
        if not self._parts.config.settings.save_reports:
            return None
        return self.save_run(run_id)

    def save_run(self, run_id: str) -> SavedReport:
        """Write one run's PDF and CSV into the reports folder, named so that a folder
        listing sorts by start time ("2026-12-01 143207 run 3f2a9c1e.pdf"). Each file appears
        whole or not at all; a folder that cannot be written is one sentence. The run's
        record in the ledger is never touched by this."""
        folder = self._parts.config.reports_dir
        try:
            folder.mkdir(parents=True, exist_ok=True)
            data = self.gather(run_id=run_id)
            stem = f"{_stamp(data.runs[0].started_at)} run {data.runs[0].run_id[:8]}"
            pdf, csv = folder / f"{stem}.pdf", folder / f"{stem}.csv"
            _atomic(pdf, lambda tmp: write_pdf(_printed(data), tmp))
            signed = self._signed("csv", data)

            def csv_to(tmp: Path) -> None:
                with tmp.open("w", encoding="utf-8", newline="") as fh:
                    reports.write_csv(signed, fh)

            _atomic(csv, csv_to)
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise UsageError(f"The run's report could not be saved in {folder}: {why}.") from None
        return SavedReport(folder, pdf, csv)


def _printed(data: reports.ReportData) -> reports.ReportData:
    """What the printed report shows: each run's ports as the tower stands, and why a disk
    failed in the shop's words. The CSV and JSON keep the sentence the ledger recorded:
    they are the signed record; the PDF carries only the checkpoint."""
    shown = [replace(d, reason=words.shown_reason(d.reason_code, d.reason)) for d in data.disks]
    data = replace(data, disks=tuple(shown))
    return replace(data, port_maps=report_maps(data))


def _stamp(ts: float) -> str:
    """Start time to the second, so a folder sorted by name is sorted by time."""
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H%M%S")


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    """``write`` into a temporary file beside ``path``, then rename it into place."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
