"""`pressroom ledger verify`: check the ledger's hash-chained audit log, and that the
tables the station acts on (quota counters, reservations, disks...) agree with it.
`pressroom ledger settle`: settle the copies a crashed or vanished station left open."""

from __future__ import annotations

import argparse
import json
import time

from pressroom.app import App
from pressroom.errors import EXIT_FAILED, EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ledger", help="the ledger's audit log")
    ls = p.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    verify = ls.add_parser(
        "verify",
        help="check that no audit event was edited, deleted or reordered, and that the "
        "tables agree with the events",
    )
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=cmd_verify)
    settle = ls.add_parser(
        "settle",
        help="settle copies left open: this station's from its journal, other stations' "
        "once their lease expired; list those still held",
    )
    settle.set_defaults(func=cmd_settle)


def cmd_settle(args: argparse.Namespace) -> int:
    with App.from_args(args) as app:
        runs = app.station.runs
        for line in runs.reconcile():
            print(f"settled: {line}")
        now = time.time()
        for res in runs.open_copies():
            left = (res.lease_until or 0) - now
            lease = f"lease ends in {left:.0f} s" if left > 0 else "lease expired"
            print(
                f"open: copy {res.copy_index} of grant {res.grant_id[:12]} held by station "
                f"{res.station_id[:12]} ({res.stage}, {lease})"
            )
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    report = App.from_args(args).station.reports.check_chain()
    if args.json:
        print(json.dumps(report.to_json()))
    elif report.ok:
        print(f"The ledger is intact: {report.rows} events, head {report.head}.")
    elif report.mismatch is not None:
        print(
            f"The ledger's {report.rows} events verify, but its tables disagree with them: "
            f"{report.reason}."
        )
    else:
        print(
            f"The ledger does not verify at event {report.first_bad_seq}: {report.reason} "
            f"({report.rows} events before it verify)."
        )
    return EXIT_OK if report.ok else EXIT_FAILED
