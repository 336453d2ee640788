"""`pressroom trace FILE [--json]`: name the copy a leaked track or excerpt came from.

Exit 0 when a mark was found (whether or not this station's ledger knows the copy),
1 when no watermark was found.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

from pressroom.app import App
from pressroom.errors import EXIT_FAILED, UsageError
from pressroom.station.marking import Trace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("trace", help="read the forensic watermark of a leaked file")
    p.add_argument("file", nargs="?", help="a leaked track or excerpt (any format ffmpeg reads)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "--key-file",
        help="a tracing key exported by the station (a rights holder's trace, without its keys)",
    )
    p.add_argument(
        "--report",
        action="append",
        default=[],
        help="a station report in JSON to name the copy from, instead of this ledger "
        "(repeat for several stations)",
    )
    p.add_argument(
        "--export-key",
        metavar="OUT",
        help="write this station's tracing key to OUT (mode 0600) for the rights holder",
    )
    p.set_defaults(func=cmd_trace)


def cmd_trace(args: argparse.Namespace) -> int:
    with App.from_args(args) as app:
        if args.export_key:
            app.station.marking.export_key(Path(args.export_key))
            print(f"Tracing key written to {args.export_key}; keep it secret.")
            return 0
        if not args.file:
            raise UsageError("Name the leaked file to trace (or use --export-key OUT).")
        trace = app.station.marking.trace(
            Path(args.file),
            key_file=Path(args.key_file) if args.key_file else None,
            reports=[Path(r) for r in args.report],
        )
    if args.json:
        print(json.dumps(as_json(trace), indent=2))
    else:
        print_trace(trace)
    return 0 if trace.found else EXIT_FAILED


def as_json(trace: Trace) -> dict[str, object]:
    p = trace.payload
    return {
        "found": trace.found,
        "confidence": round(trace.confidence, 2),
        "seconds": round(trace.seconds, 1),
        "grant_tag": None if p is None else f"{p.grant_tag:08x}",
        "copy_index": None if p is None else p.index,
        "replacement": None if p is None else p.replacement,
        "grant_id": trace.grant_id,
        "copies": [asdict(c) for c in trace.copies],
    }


def print_trace(trace: Trace) -> None:
    if not trace.found or trace.payload is None:
        print(
            f"No watermark found in {trace.seconds:.1f} s of audio "
            f"(detector confidence {trace.confidence:.1f}; a mark reads above 4)."
        )
        return
    p = trace.payload
    kind = "replacement copy" if p.replacement else "copy"
    print(
        f"Watermark found (confidence {trace.confidence:.1f}): {kind} {p.index}, "
        f"grant tag {p.grant_tag:08x}."
    )
    if not trace.copies:
        print("No disk for that copy in the ledger or the reports given (check other stations').")
    for c in trace.copies:
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(c.made_at))
        print(f"  grant    {c.grant_id}")
        print(f"  copy     {c.copy_index}")
        print(f"  licence  {c.licence_id}")
        print(f"  disk     {c.serial_masked}")
        print(f"  run      {c.run_id}")
        print(f"  station  {c.station_id}")
        print(f"  made     {when}")
