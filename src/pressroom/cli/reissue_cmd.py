"""`pressroom reissue --licence ID`: replace a customer's lost or failed disk in one action."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console

from pressroom.app import App
from pressroom.cli.run_cmd import follow_run
from pressroom.cli.run_view import summary_table
from pressroom.engine import DiskState
from pressroom.errors import EXIT_FAILED


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reissue",
        help="make a replacement for a lost or failed disk and revoke the old licence",
    )
    p.add_argument("--licence", required=True, metavar="ID", help="the old disk's licence id")
    p.add_argument("--reason", default="", help="why (recorded in the ledger)")
    p.add_argument("--drives", nargs="+", metavar="ID", help="write only to these disks")
    p.add_argument(
        "--no-wait", action="store_true", help="use the disks attached now; do not wait for one"
    )
    p.add_argument("--demo", action="store_true", help="simulated demo disks only")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(func=cmd_reissue)


def cmd_reissue(args: argparse.Namespace) -> int:
    with App.from_args(args) as app:
        aftercare = app.station.aftercare
        plan = aftercare.plan_reissue(
            args.licence,
            drives=tuple(args.drives) if args.drives else None,
            insert_and_go=not args.no_wait,
        )
        console = Console(stderr=True)
        if not args.json:
            console.print(
                f"Replacing licence {plan.old.licence_id[:12]} "
                f"({plan.replacements_left} replacement(s) left in the grant); {plan.note}."
            )
        summary = follow_run(
            app, lambda board: aftercare.start(plan, board), json_out=args.json, console=console
        )
        outcome = aftercare.complete(plan, summary, reason=args.reason)
        if args.json:
            print(json.dumps(outcome.to_json()))
        else:
            disks = [d for d in summary.disks.values() if d.state != DiskState.IDLE]
            out = Console(file=sys.stdout)
            out.print(summary_table(sorted(disks, key=lambda d: (d.port, d.label))))
            out.print(outcome.sentence())
        return 0 if outcome.ok else EXIT_FAILED
