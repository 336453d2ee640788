"""`pressroom doctor [--json]`: one line per check of what this station needs.

Exit 0 when nothing FAILs (warnings allowed), 1 otherwise. The checks themselves live in
:mod:`pressroom.station.doctor` (``app.station.doctor``); this module only prints them.
"""

from __future__ import annotations

import argparse
import json

from pressroom.app import App
from pressroom.errors import EXIT_FAILED


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "doctor",
        help="check USB access, libusb, permissions, keys, grant, ledger, space and Qt",
        description="Check everything the station needs; each line says what to do.",
    )
    p.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    # The Qt check runs this same program with --probe-qt in a child process.
    p.add_argument("--probe-qt", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    from pressroom.station.doctor import exit_code, probe_qt

    if args.probe_qt:
        return probe_qt()
    with App.from_args(args) as app:
        checks = app.station.doctor.examine()
        if args.json:
            print(json.dumps(app.station.doctor.report_json(checks), indent=2))
        else:
            for check in checks:
                print(check.line())
            failed = sum(c.status == "fail" for c in checks)
            warned = sum(c.status == "warn" for c in checks)
            print(
                f"{failed} problem{'s' if failed != 1 else ''} to fix, "
                f"{warned} warning{'s' if warned != 1 else ''}."
                if failed or warned
                else "Everything this station needs is in place."
            )
    return EXIT_FAILED if exit_code(checks) else 0
