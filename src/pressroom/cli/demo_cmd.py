"""`pressroom demo`: the headless main job on embedded defaults.

Creates demo keys, catalog, grant and 8 simulated disks when missing, makes one verified
copy per disk, authenticates every disk again as a player would, and writes the report.
"""

from __future__ import annotations

import argparse
import time

from rich.console import Console

from pressroom.app import App
from pressroom.cli.run_cmd import execute, report
from pressroom.demo import prepare_demo
from pressroom.engine import DiskState, Station
from pressroom.errors import EXIT_FAILED


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="headless demo: set up, make 8 disks, verify, report")
    p.add_argument("--disks", type=int, default=8, help="how many simulated disks (default 8)")
    p.add_argument("--tracks", type=int, default=3, help="how many demo tracks per disk")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    with App.from_args(args) as app:
        app.demo = True
        setup = prepare_demo(app, disks=args.disks)
        for step in setup.steps:
            console.print(f"setup: {step}")
        station = Station(app)
        drives = app.drive_provider.list_drives()[: args.disks]
        _erase_demo_disks(app, drives)
        job = station.plan(
            setup.track_hashes[: args.tracks],
            copies=len(drives),
            grant_id=setup.grant_id,
            drives=[d.id for d in drives],
            insert_and_go=False,
        )
        summary = execute(app, job, json_out=False, console=console)
        code = report(summary, json_out=False)
        bad = _verify_all(app, station, summary, console)
        pdf = _write_pdf(app, summary.run_id)
        print(f"Report: {pdf}")
        return EXIT_FAILED if bad or code else 0


def _erase_demo_disks(app: App, drives) -> None:
    """The demo owns its simulated disks: each run starts them blank."""
    from pressroom.secure.licence import DISK_DIR

    for d in drives:
        vol = app.drive_provider.open_volume(d)
        if vol.exists(DISK_DIR):
            vol.remove_tree(DISK_DIR)


def _verify_all(app: App, station: Station, summary, console: Console) -> int:
    from pressroom.engine.recovery import VolumeMedium
    from pressroom.secure.identity import DiskIdentity
    from pressroom.secure.verifier import verify_disk

    trust = app.trust()
    bad = 0
    drives = {d.id: d for d in app.drive_provider.list_drives()}
    for disk in summary.disks.values():
        if disk.state != DiskState.PASS or disk.drive_id not in drives:
            continue
        d = drives[disk.drive_id]
        ident = DiskIdentity.of(d.vendor_id, d.product_id, d.serial, d.capacity)
        result = verify_disk(VolumeMedium(app.drive_provider.open_volume(d)), ident, trust)
        mark = "authenticates" if result.ok else f"DOES NOT verify: {result.reason}"
        console.print(f"verify {d.label:<10} {mark}")
        bad += not result.ok
    return bad


def _write_pdf(app: App, run_id: str):
    from pressroom.ledger.reports import gather, write_pdf

    out = app.config.data_dir / "reports" / f"run-{run_id[:12]}.pdf"
    out.parent.mkdir(parents=True, exist_ok=True)
    data = gather(
        app.ledger,
        run_id=run_id,
        station_label=app.config.settings.station_label,
        station_id=app.keystore.station_id().hex(),
        now=time.time(),
    )
    write_pdf(data, out)
    return out
