"""`pressroom demo`: the headless main job on embedded defaults.

Creates demo keys, catalog, grant and 8 simulated disks when missing, makes one verified
copy per disk, authenticates every disk again as a player would, and writes the report.
"""

from __future__ import annotations

import argparse

from rich.console import Console

from pressroom.app import App
from pressroom.cli.run_cmd import execute, report
from pressroom.engine import DiskState, RunSummary
from pressroom.errors import EXIT_FAILED


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="headless demo: set up, make 8 disks, verify, report")
    p.add_argument("--disks", type=int, default=8, help="how many simulated disks (default 8)")
    p.add_argument("--tracks", type=int, default=3, help="how many demo tracks per disk")
    p.add_argument(
        "--rights",
        default="standard",
        help="rights preset for the copies, e.g. 'marked' for watermarked copies",
    )
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    with App.from_args(args, demo=True) as app:
        station = app.station
        setup = station.demo.prepare(args.disks)
        for step in setup.steps:
            console.print(f"setup: {step}")
        drives = station.demo.blank_disks(args.disks)
        job = station.runs.plan(
            setup.tracks_for(args.rights, args.tracks),
            copies=len(drives),
            grant_id=setup.grant_id,
            drives=[d.id for d in drives],
            rights=args.rights,
            insert_and_go=False,
        )
        summary = execute(app, job, json_out=False, console=console)
        code = report(summary, json_out=False)
        bad = _verify_all(app, summary, console)
        pdf = station.reports.run_pdf(summary.run_id)
        print(f"Report: {pdf}")
        return EXIT_FAILED if bad or code else 0


def _verify_all(app: App, summary: RunSummary, console: Console) -> int:
    """Authenticate every disk that passed again, as a player would; count the failures."""
    bad = 0
    drives = {d.id: d for d in app.station.disks.attached()}
    for disk in summary.disks.values():
        if disk.state != DiskState.PASS or disk.drive_id not in drives:
            continue
        d = drives[disk.drive_id]
        result = app.station.disks.authenticate(d)
        mark = "authenticates" if result.ok else f"DOES NOT verify: {result.reason}"
        console.print(f"verify {d.label:<10} {mark}")
        bad += not result.ok
    return bad
