"""`pressroom ledger verify`: check the ledger's hash-chained audit log, and that the
tables the station acts on (quota counters, reservations, disks...) agree with it."""

from __future__ import annotations

import argparse
import json

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
