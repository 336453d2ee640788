"""`pressroom audit`: the rights holder's check of signed reports, checkpoints and disks,
offline, with only the publisher's public key."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from pressroom.errors import EXIT_FAILED, EXIT_OK, UsageError
from pressroom.secure.errors import SecureError
from pressroom.station.audit import load_publisher, run_audit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "audit",
        help="the rights holder's audit: verify signed reports and checkpoints (and disks) "
        "from one or many stations; list copies beyond a grant, reused copy numbers, forks, "
        "gaps and licences no report contains",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="signed reports and checkpoints")
    p.add_argument(
        "--publisher",
        action="append",
        default=[],
        metavar="PEM",
        help="a publisher public key to trust (default: this station's trusted publishers)",
    )
    p.add_argument("--grant-file", action="append", default=[], metavar="FILE")
    p.add_argument("--grant", metavar="ID", help="audit one grant (its id or first characters)")
    p.add_argument(
        "--disks",
        action="append",
        default=[],
        metavar="PATH",
        help="a mounted disk, a folder of mounts, or a licence file",
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("--pdf", metavar="FILE", help="also write the audit as a PDF")
    p.set_defaults(func=cmd_audit)


def cmd_audit(args: argparse.Namespace) -> int:
    try:
        if args.publisher:
            trusted = dict(load_publisher(Path(p)) for p in args.publisher)
        else:
            from pressroom.app import App

            trusted = App.from_args(args).keystore.trusted_publishers()
    except SecureError as exc:
        raise UsageError(str(exc)) from None
    if not trusted:
        raise UsageError("No publisher key to check against: give --publisher KEY.pem.")
    missing = [f for f in [*args.files, *args.disks, *args.grant_file] if not Path(f).exists()]
    if missing:
        raise UsageError(f"{missing[0]} does not exist.")
    grant = args.grant.strip().lower() if args.grant else None
    report = run_audit(
        [Path(f) for f in args.files],
        trusted,
        disks=[Path(d) for d in args.disks],
        grant_files=[Path(g) for g in args.grant_file],
        grant=grant,
    )
    if args.pdf:
        from pressroom.station.audit_pdf import render

        try:
            render(report, Path(args.pdf), now=time.time())
        except OSError as exc:
            raise UsageError(f"Cannot write {args.pdf}: {exc.strerror}.") from None
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        _table(report)
    return EXIT_OK if report.clean else EXIT_FAILED


def _table(report) -> None:  # type: ignore[no-untyped-def]
    out = sys.stdout
    out.write(
        f"{report.files} files, {report.reports} signed reports, {report.checkpoints} "
        f"checkpoints, {report.disks} disk licences, {len(report.stations)} station(s).\n"
    )
    out.write(f"{'grant':<34}{'limit':>7}{'issued':>8}{'licences':>10}\n")
    for g, n in report.grants.items():
        limit = "?" if n["limit"] < 0 else str(n["limit"])
        out.write(f"{g:<34}{limit:>7}{n['issued']:>8}{n['licences']:>10}\n")
    for f in report.findings:
        out.write(f"{f.kind:<13} {f.sentence}\n")
    faults = sum(f.fault for f in report.findings)
    out.write("The audit is clean.\n" if not faults else f"The audit found {faults} fault(s).\n")
