"""The audit as a PDF a rights holder files: what was given, the grants, every finding."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from pressroom.station.audit import AuditReport


def _t(text: object) -> str:
    return str(text).encode("latin-1", "replace").decode("latin-1")


def render(report: AuditReport, path: Path, *, now: float) -> None:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Pressroom audit", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 9)
    when = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M UTC")
    verdict = "CLEAN" if report.clean else f"{sum(f.fault for f in report.findings)} FAULT(S)"
    for line in (
        f"Made {when}. Verdict: {verdict}.",
        f"{report.files} files ({report.reports} signed reports), {report.checkpoints} distinct "
        f"checkpoints, {report.disks} disk licences, from {len(report.stations)} station(s).",
        "Every signature was checked against the publisher's key only; no station database.",
    ):
        pdf.multi_cell(0, 5, _t(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Grants", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Courier", "", 8)
    for g, n in report.grants.items():
        limit = "?" if n["limit"] < 0 else n["limit"]
        pdf.cell(
            0,
            5,
            _t(f"{g}  limit {limit}  issued {n['issued']}  licences {n['licences']}"),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Findings", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 9)
    if not report.findings:
        pdf.cell(0, 5, "None.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for f in report.findings:
        pdf.multi_cell(0, 5, _t(f"[{f.kind}] {f.sentence}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.output(str(path))
