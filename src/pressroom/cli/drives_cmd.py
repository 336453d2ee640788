"""`pressroom drives`: the attached disks, their serials and whether a run may use them.

The verdicts are the station's (:meth:`pressroom.station.disks.DiskService.survey`),
judged with the ledger's memory of serials, so this command and a run agree.
"""

from __future__ import annotations

import argparse
import json

from rich.markup import escape

from pressroom.app import App
from pressroom.drives.base import format_size
from pressroom.drives.identity import Verdict
from pressroom.station import words
from pressroom.station.disks import DiskView


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("drives", help="attached disks, identity and verdict")
    p.add_argument("--json", action="store_true", help="JSON list on stdout")
    p.add_argument("--demo", action="store_true", help="show the simulated demo disks")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    demo = bool(getattr(args, "demo", False) or getattr(args, "demo_mode", False))
    with App.from_args(args, demo=demo) as app:
        views = app.station.disks.survey()
    if args.json:
        out = [
            {
                **v.drive.to_json(),
                "serial_masked": v.serial_masked,
                "verdict": _verdict_json(v.verdict),
            }
            for v in views
        ]
        print(json.dumps(out, indent=2))
        return 0
    _print_table(views)
    return 0


def _verdict_json(v: Verdict) -> dict[str, object]:
    return {"ok": v.ok, "code": v.code, "reason": v.reason, "warning": v.warning}


def _print_table(views: list[DiskView]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not views:
        console.print(
            "No removable disks attached. Plug one in, or try `pressroom drives --demo` "
            "or `pressroom sim add --serial S`."
        )
        return
    table = Table(title="Attached disks")
    table.add_column("disk")
    for col in ("port", "serial", "capacity", "free", "fs"):
        table.add_column(col, no_wrap=True)
    table.add_column("verdict", ratio=1)
    for view in sorted(views, key=lambda v: (v.drive.kind, v.drive.port_path)):
        d, v = view.drive, view.verdict
        style = "yellow" if v.warning else ("green" if v.ok else "red")
        verdict = "ok"
        if v.code != "ok":  # the shop's words, then the judge's own sentence
            detail = escape(f"{v.reason} [{v.code}]")
            verdict = f"{escape(words.verdict(v.code).text)}\n[dim]{detail}[/dim]"
        table.add_row(
            f"{d.label}\n[dim]{d.vendor} {d.product}[/dim]",
            d.port_path,
            view.serial_masked,
            format_size(d.capacity),
            format_size(d.free),
            d.filesystem or "-",
            f"[{style}]{verdict}[/{style}]",
        )
    console.print(table)
