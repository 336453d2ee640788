"""`pressroom verify MOUNT [--serial S] [--json]`: authenticate a whole disk offline.

Exit 0 only when every check passed: licence signature, certificate chain, revocations,
grant, identity binding, and every chunk of every track.

``--serial`` is the support desk's check of a disk (or a copy of its files) against a
serial someone typed. It is a report only: nothing that plays ever takes a serial from
the user (``pressroom play`` reads it from the device), and the output says so.
"""

from __future__ import annotations

import argparse
import json

from pressroom.app import App
from pressroom.cli.progress import byte_progress
from pressroom.errors import EXIT_FAILED
from pressroom.secure.verifier import DiskReport
from pressroom.station.disks import TYPED_SERIAL


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="authenticate a disk completely, offline")
    p.add_argument("mount", help="mount point (or simulated disk folder) of the disk")
    p.add_argument(
        "--serial",
        help=(
            "check against this typed USB serial instead of the device's (support desk); "
            "a report only, it never makes a disk playable"
        ),
    )
    p.add_argument("--json", action="store_true", help="print a per-track result table as JSON")
    p.set_defaults(func=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    with App.from_args(args) as app:
        outcome = app.station.disks.verify(
            args.mount,
            serial=args.serial,
            progress=lambda total: byte_progress("verifying", total, enabled=not args.json),
        )
    report = outcome.report
    if args.json:
        out = report.as_json()
        out["identity"] = {
            "source": outcome.source,
            "serial_tail": outcome.identity.serial[-4:],
            "typed": outcome.typed,  # a typed serial never grants a play
        }
        out["read_back"] = outcome.read_back
        print(json.dumps(out, indent=2))
    else:
        print_report(report, outcome.source)
        print(f"  read back: {outcome.read_back_sentence}")
        if outcome.typed:
            print(f"Note: {TYPED_SERIAL}.")
    return 0 if report.ok else EXIT_FAILED


def print_report(report: DiskReport, source: str) -> None:
    for t in report.tracks:
        mark = "ok  " if t.ok else "FAIL"
        detail = f"{t.bytes / 1e6:7.2f} MB" if t.ok else t.reason.removeprefix(f"{t.file}: ")
        print(f"  {mark} {t.file:<26} {t.title[:32]:<32} {detail}")
    if report.ok:
        lic, grant = report.licence, report.grant
        assert lic is not None and grant is not None and report.station is not None
        size = sum(t.bytes for t in report.tracks) / 1e6
        print(
            f"PASS: the disk authenticates completely ({len(report.tracks)} tracks, "
            f"{size:.1f} MB; {source}; {lic.kind} copy {lic.copy_index} of grant "
            f"{grant.title!r}; made by {report.station.name!r})."
        )
    else:
        where = (
            f"{report.file}: " if report.file and not report.reason.startswith(report.file) else ""
        )
        print(f"FAIL: {where}{report.reason}")
