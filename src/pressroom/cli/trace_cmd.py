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
from pressroom.errors import EXIT_FAILED
from pressroom.station.marking import Trace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("trace", help="read the forensic watermark of a leaked file")
    p.add_argument("file", help="a leaked track or excerpt (any format ffmpeg reads)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_trace)


def cmd_trace(args: argparse.Namespace) -> int:
    with App.from_args(args) as app:
        trace = app.station.marking.trace(Path(args.file))
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
        print(
            "This station's ledger has no disk for that copy (check the other stations' reports)."
        )
    for c in trace.copies:
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(c.made_at))
        print(f"  grant    {c.grant_id}")
        print(f"  copy     {c.copy_index}")
        print(f"  licence  {c.licence_id}")
        print(f"  disk     {c.serial_masked}")
        print(f"  run      {c.run_id}")
        print(f"  station  {c.station_id}")
        print(f"  made     {when}")
