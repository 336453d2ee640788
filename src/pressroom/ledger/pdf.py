"""The printed report (fpdf2): what a shop hands to the rights holder.

Layout: a title block with the station and the scope, one box per grant with its quota,
then per run its facts and a table with one row per disk, the totals, and the ledger's
chain head with its verification status. Every page has a running header and "page x of
y". DejaVu Sans is used when found (it has '•' and accents); without it the core
Helvetica is used and text is reduced to Latin-1, masking serials with '*'.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from pressroom.ledger.models import DiskRecord, GrantStatus, RunRecord
from pressroom.ledger.reports import MB, PortColumns, ReportData, Totals

RGB = tuple[int, int, int]

INK: RGB = (33, 37, 41)
MUTED: RGB = (108, 117, 125)
RULE: RGB = (206, 212, 218)
BAND: RGB = (241, 243, 245)
ACCENT: RGB = (31, 78, 121)
PASS: RGB = (25, 135, 84)
FAIL: RGB = (200, 35, 51)
FAIL_BAND: RGB = (250, 218, 221)

_ASCII = str.maketrans({"•": "*", "—": "-", "–": "-", "·": "-", "…": "...", "’": "'"})


def _when(ts: float | None) -> str:
    return "—" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _titles(run: RunRecord) -> str:
    """How many tracks, and their names where the run kept them (runs since 0005_titles)."""
    names = [
        t.title + (f" — {t.artist}" if t.artist else "") + (f" ({t.album})" if t.album else "")
        for t in run.titles
    ]
    return f"{len(run.tracks)}: " + "; ".join(names) if names else str(len(run.tracks))


def _marking(run: RunRecord) -> str:
    """Which copies carry a forensic watermark (the run's per-track rights say)."""
    rights = run.rights if isinstance(run.rights, dict) else {}
    marked = sum(1 for r in rights.values() if isinstance(r, dict) and r.get("marked"))
    if not marked:
        return "none"
    return (
        f"every copy marked with its copy index ({marked} of {len(run.tracks)} tracks); "
        "'pressroom trace' names the disk of a leaked file"
    )


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class _Report(FPDF):
    def __init__(self, data: ReportData, fonts: tuple[Path, Path, Path] | None):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.data = data
        self.unicode = fonts is not None
        if fonts:
            self.add_font("body", "", str(fonts[0]))
            self.add_font("body", "B", str(fonts[1]))
            self.add_font("mono", "", str(fonts[2]))
            self.body, self.mono = "body", "mono"
        else:
            self.body, self.mono = "helvetica", "courier"
        self.set_margins(15, 16, 15)
        self.set_auto_page_break(True, margin=18)
        self.set_title(f"Pressroom duplication report — {data.scope}")
        self.set_author(data.station_label or "Pressroom")
        self.set_creator("Pressroom")

    # text that every font can show
    def t(self, text: object) -> str:
        s = str(text)
        if self.unicode:
            return s
        return s.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False, mono: bool = False, color: RGB = INK) -> None:
        self.set_font(self.mono if mono else self.body, "B" if bold and not mono else "", size)
        self.set_text_color(*color)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.font(8, color=MUTED)
        self.cell(0, 5, self.t(f"Duplication report · {self.data.station_label}"))
        self.cell(0, 5, self.t(self.data.scope), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._rule()
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-12)
        self.font(8, color=MUTED)
        self.cell(0, 5, self.t(f"Generated {_when(self.data.generated_at)} by Pressroom"))
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    def _rule(self, color: RGB = RULE, width: float = 0.2) -> None:
        self.set_draw_color(*color)
        self.set_line_width(width)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())

    def section(self, title: str, right: str = "", color: RGB = ACCENT) -> None:
        if self.get_y() > self.h - 60:
            self.add_page()
        self.ln(4)
        self.font(12, bold=True, color=color)
        self.cell(0, 7, self.t(title))
        if right:
            self.font(9, color=MUTED)
            self.cell(0, 7, self.t(right), align="R")
        self.ln(7)
        self._rule(color, 0.4)
        self.ln(2)

    def facts(self, rows: list[tuple[str, str]], *, mono_keys: tuple[str, ...] = ()) -> None:
        for key, value in rows:
            self.font(9, color=MUTED)
            self.cell(38, 5.5, self.t(key))
            self.font(9, mono=key in mono_keys)
            self.multi_cell(0, 5.5, self.t(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # blocks
    def title_block(self) -> None:
        d = self.data
        self.font(20, bold=True)
        self.cell(0, 10, "Duplication report")
        self.font(11, bold=True, color=ACCENT)
        self.cell(0, 10, self.t(d.station_label or "Pressroom station"), align="R")
        self.ln(10)
        self.font(10, color=MUTED)
        self.cell(0, 6, self.t(d.scope))
        self.cell(0, 6, self.t(f"Station {d.station_id or 'unknown'}"), align="R")
        self.ln(7)
        self._rule(ACCENT, 0.6)
        self.ln(3)
        t = d.totals
        if d.chain.ok:
            chain = "intact"
        elif d.chain.mismatch is not None:
            chain = "TABLES DISAGREE"
        else:
            chain = f"BROKEN at event {d.chain.first_bad_seq}"
        self.summary_band(
            [
                ("Disks", str(t.disks)),
                ("Passed", str(t.passed)),
                ("Failed", str(t.failed)),
                ("Written", f"{t.bytes / MB:,.1f} MB"),
                ("Ledger", chain),
            ]
        )

    def summary_band(self, items: list[tuple[str, str]]) -> None:
        width = (self.w - self.l_margin - self.r_margin) / len(items)
        x0, y0 = self.l_margin, self.get_y()
        self.set_fill_color(*BAND)
        self.rect(x0, y0, width * len(items), 15, style="F")
        for i, (label, value) in enumerate(items):
            self.set_xy(x0 + i * width, y0 + 1.5)
            self.font(8, color=MUTED)
            self.cell(width, 4, self.t(label), align="C")
            self.set_xy(x0 + i * width, y0 + 6)
            color = INK
            if label == "Failed" and value != "0":
                color = FAIL
            if label == "Ledger":
                color = PASS if self.data.chain.ok else FAIL
            self.font(12, bold=True, color=color)
            self.cell(width, 7, self.t(value), align="C")
        self.set_xy(x0, y0 + 17)

    def grant_block(self, s: GrantStatus) -> None:
        g = s.grant
        lim = g.limits
        rules = [
            f"at most {lim.max_plays} plays" if lim.max_plays else "",
            f"expiry within {lim.max_days} days" if lim.max_days else "",
            f"previews of at most {lim.max_preview_seconds} s" if lim.max_preview_seconds else "",
            "export allowed" if lim.export else "no export",
        ]
        in_progress = s.copies_used - s.copies_committed
        self.section(f"Grant: {g.title}")
        self.facts(
            [
                ("Grant id", g.id_hex),
                (
                    "Copies",
                    f"{s.copies_committed} made · {in_progress} in progress · "
                    f"{s.copies_remaining} of {g.copies} remaining",
                ),
                (
                    "Replacements",
                    f"{s.replacements_committed} made · "
                    f"{s.replacements_remaining} of {g.replacements} remaining",
                ),
                ("Tracks", f"{len(g.tracks)}"),
                ("Rights limits", ", ".join(r for r in rules if r)),
                ("Valid", f"{_when(g.not_before)} to {_when(g.not_after)}"),
                ("Publisher", g.publisher.hex()),
                ("Station", g.station.hex() if g.station else "any certified station"),
            ],
            mono_keys=("Grant id", "Publisher", "Station"),
        )

    def run_block(self, run: RunRecord | None, disks: list[DiskRecord]) -> None:
        if run is None:
            self.section("Disks outside a run")
        else:
            self.section(f"Run {run.run_id[:12]}", right=run.status.upper())
            span = _when(run.started_at)
            if run.finished_at is not None:
                span += f" to {_when(run.finished_at)}"
            self.facts(
                [
                    ("Time", span),
                    ("Operator", run.operator or "—"),
                    ("Grant", run.grant_id),
                    ("Copies wanted", str(run.copies_wanted)),
                    ("Tracks", _titles(run)),
                    ("Watermark", _marking(run)),
                ],
                mono_keys=("Grant",),
            )
            self.ln(2)
        if not disks:
            self.font(9, color=MUTED)
            self.cell(0, 6, "No disk was recorded.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            return
        self.disk_table(disks)
        if run is not None and self.data.port_maps.get(run.run_id):
            self.port_map(self.data.port_maps[run.run_id])
        t = Totals.of(disks)
        speed = "—" if t.mean_mb_per_s is None else f"{t.mean_mb_per_s:.1f} MB/s mean"
        self.font(8.5, color=MUTED)
        self.cell(
            0,
            6,
            self.t(
                f"{t.passed} passed, {t.failed} failed · {t.bytes / MB:,.1f} MB written · "
                f"{speed} · {_duration(t.seconds)} disk time"
            ),
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def disk_table(self, disks: list[DiskRecord]) -> None:
        self.font(8)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        heads = ("Copy", "Slot", "Serial", "Result", "Reason", "Tracks", "MB", "MB/s", "Time")
        with self.table(
            col_widths=(11, 24, 24, 15, 50, 13, 16, 14, 13),
            text_align=("RIGHT", "LEFT", "LEFT", "CENTER", "LEFT", "RIGHT", "RIGHT", "RIGHT",
                        "RIGHT"),
            headings_style=FontFace(emphasis="BOLD", color=INK, fill_color=BAND),
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            line_height=5.2,
            padding=(0.8, 1.2),
            cell_fill_mode="NONE",
        ) as table:  # fmt: skip
            head = table.row()
            for h in heads:
                head.cell(h)
            for d in disks:
                row = table.row()
                ok = d.result == "pass"
                row.cell("" if d.copy_index is None else str(d.copy_index))
                row.cell(self.t(d.slot or d.drive_id or "—"))
                row.cell(self.t(d.serial_masked or "—"))
                row.cell(
                    "PASS" if ok else "FAIL",
                    style=FontFace(emphasis="BOLD", color=PASS if ok else FAIL),
                )
                row.cell(self.t(d.reason or ("verified" if ok else "—")))
                row.cell(str(len(d.tracks)))
                row.cell(f"{d.bytes / MB:,.1f}")
                row.cell("—" if d.mb_per_s is None else f"{d.mb_per_s:.1f}")
                row.cell(_duration(d.seconds))

    def port_map(self, columns: PortColumns, per_band: int = 7) -> None:
        """The run's ports as the tower stands (one column per hub, as in the window's
        tower view), each with its result and copy number; failed ports in red, so the
        operator finds the stick to pull."""
        gap, cell_h, head_h = 1.5, 5.0, 4.0
        width = (self.w - self.l_margin - self.r_margin - gap * (per_band - 1)) / per_band
        failed = sum(f for _hub, cells in columns for _t, f in cells)
        self.ln(1)
        self.font(9, bold=True)
        note = f" ({failed} failed, in red)" if failed else ""
        self.cell(0, 5, self.t(f"Port map{note}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for start in range(0, len(columns), per_band):
            band = columns[start : start + per_band]
            need = head_h + max(len(cells) for _hub, cells in band) * (cell_h + 0.8)
            if self.get_y() + need > self.h - 20:
                self.add_page()
            top = self.get_y()
            for i, (hub, cells) in enumerate(band):
                x = self.l_margin + i * (width + gap)
                self.set_xy(x, top)
                self.font(7, color=MUTED)
                self.cell(width, head_h, self.t(f"hub {hub}" if hub else ""))
                for row, (text, bad) in enumerate(cells):
                    y = top + head_h + row * (cell_h + 0.8)
                    self.set_draw_color(*(FAIL if bad else RULE))
                    self.set_fill_color(*(FAIL_BAND if bad else BAND))
                    self.set_line_width(0.4 if bad else 0.2)
                    self.rect(x, y, width, cell_h, style="DF")
                    self.set_xy(x, y)
                    self.font(7, bold=bad, color=FAIL if bad else INK)
                    self.cell(width, cell_h, self.t(text), align="C")
            self.set_xy(self.l_margin, top + need + 1.5)

    def totals_block(self) -> None:
        t = self.data.totals
        self.section("Totals")
        self.facts(
            [
                ("Disks", f"{t.disks} ({t.passed} passed, {t.failed} failed)"),
                ("Data written", f"{t.bytes / MB:,.1f} MB on passed disks"),
                (
                    "Mean speed",
                    "—" if t.mean_mb_per_s is None else f"{t.mean_mb_per_s:.1f} MB/s per disk",
                ),
                ("Disk time", _duration(t.seconds)),
            ]
        )

    def ledger_block(self) -> None:
        c = self.data.chain
        self.section("Ledger audit chain", color=PASS if c.ok else FAIL)
        if c.ok:
            status = f"intact: all {c.rows} events verify, and the tables agree with them"
        elif c.mismatch is not None:
            status = f"the {c.rows} events verify, but a table DISAGREES: {c.reason}"
        else:
            status = f"DOES NOT VERIFY at event {c.first_bad_seq}: {c.reason}"
        self.facts([("Status", status), ("Head hash", c.head)], mono_keys=("Head hash",))
        self.ln(2)
        self.font(8, color=MUTED)
        self.multi_cell(
            0,
            4.2,
            self.t(
                "Every disk made, failed or reconciled is an event in an append-only chain, "
                "each hashed together with the one before it. Keep the head hash: "
                "'pressroom ledger verify' on the station reproduces it, and any later edit, "
                "deletion or reordering of the ledger shows."
            ),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        if self.data.checkpoint:
            self.checkpoint_block()

    def checkpoint_block(self) -> None:
        """The station's signed checkpoint, printed whole: the JSON report carries the
        same bytes, and 'pressroom audit' checks them against the publisher's key."""
        self.section("Signed checkpoint", color=ACCENT)
        digest = hashlib.sha256(base64.b64decode(self.data.checkpoint)).hexdigest()
        self.facts([("SHA-256", digest)], mono_keys=("SHA-256",))
        self.font(6, mono=True, color=MUTED)
        text = self.data.checkpoint
        self.multi_cell(0, 2.8, "\n".join(text[i : i + 110] for i in range(0, len(text), 110)))
        self.ln(1)
        self.font(8, color=MUTED)
        self.multi_cell(
            0,
            4.2,
            self.t(
                "The station signed its ledger's head and every grant's counters with its "
                "certified key when this report was made. The same checkpoint is in the JSON "
                "report; 'pressroom audit' verifies it offline with the publisher's key, and "
                "'pressroom ledger verify --checkpoint' proves the ledger still extends it."
            ),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def signatures(self) -> None:
        if self.get_y() > self.h - 45:
            self.add_page()
        self.ln(12)
        width = (self.w - self.l_margin - self.r_margin - 20) / 2
        y = self.get_y() + 10
        for i, label in enumerate(("Made and handed over by", "Received for the rights holder")):
            x = self.l_margin + i * (width + 20)
            self.set_draw_color(*MUTED)
            self.set_line_width(0.2)
            self.line(x, y, x + width, y)
            self.set_xy(x, y + 1)
            self.font(8, color=MUTED)
            self.cell(width, 4, self.t(f"{label} (name, date, signature)"))
        self.set_xy(self.l_margin, y + 6)


def render(data: ReportData, path: Path, fonts: tuple[Path, Path, Path] | None) -> None:
    pdf = _Report(data, fonts)
    pdf.add_page()
    pdf.title_block()
    for status in data.grants:
        pdf.grant_block(status)
    for run in data.runs:
        pdf.run_block(run, data.disks_of(run.run_id))
    loose = data.disks_of(None)
    if loose:
        pdf.run_block(None, loose)
    if not data.runs and not loose:
        pdf.section("Disks")
        pdf.font(9, color=MUTED)
        pdf.cell(0, 6, "No disk was made in this period.")
        pdf.ln(6)
    pdf.totals_block()
    pdf.ledger_block()
    pdf.signatures()
    pdf.output(str(path))


# --- fonts and the file ------------------------------------------------------------------

_FONT_DIRS = (
    Path(__file__).with_name("fonts"),  # packagers may bundle fonts here
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
    Path("C:/Windows/Fonts"),
)


def find_font() -> tuple[Path, Path, Path] | None:
    """DejaVu Sans regular, bold and mono, which cover '•' and accented names."""
    names = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf")
    for folder in _FONT_DIRS:
        regular, bold, mono = (folder / n for n in names)
        if regular.is_file() and bold.is_file() and mono.is_file():
            return regular, bold, mono
    if shutil.which("fc-match"):
        found = []
        for pattern in ("DejaVu Sans", "DejaVu Sans:bold", "DejaVu Sans Mono"):
            out = subprocess.run(
                ["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True
            )
            found.append(Path(out.stdout.strip()))
        if all(p.name.startswith("DejaVu") and p.is_file() for p in found):
            return found[0], found[1], found[2]
    return None


def write_pdf(data: ReportData, path: Path) -> None:
    render(data, path, find_font())
