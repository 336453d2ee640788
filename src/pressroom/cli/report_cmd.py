"""`pressroom report`: what was made, per run or per period, as CSV, JSON or PDF."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from pressroom.app import App
from pressroom.errors import UsageError
from pressroom.station.reports import FORMATS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="report disks made: one run or a period; CSV, JSON, PDF")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--run", metavar="ID", help="one run (its id or first characters)")
    which.add_argument("--since", metavar="DATE", help="disks finished since DATE (YYYY-MM-DD)")
    p.add_argument("--format", choices=FORMATS, help="default: from the --out file's suffix")
    p.add_argument("--out", metavar="FILE", help="where to write ('-' or none: stdout, not PDF)")
    p.set_defaults(func=cmd_report)


def parse_since(text: str) -> float:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--since takes a date like 2024-06-01, not {text!r}.") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.out).suffix.lower().lstrip(".") if args.out and args.out != "-" else ""
    if suffix in FORMATS:
        return suffix
    raise UsageError("Choose the report format with --format csv, json or pdf.")


def cmd_report(args: argparse.Namespace) -> int:
    fmt = _format(args)
    to_stdout = not args.out or args.out == "-"
    if fmt == "pdf" and to_stdout:
        raise UsageError("A PDF report needs a file: add --out report.pdf.")
    since = parse_since(args.since) if args.since else None
    out = None if to_stdout else Path(args.out)
    data = App.from_args(args).station.reports.write(fmt, out, run_id=args.run, since=since)
    if out is not None:
        print(f"Wrote a {fmt.upper()} report of {len(data.disks)} disks to {out}.", file=sys.stderr)
    return 0
