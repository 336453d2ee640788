"""`pressroom ledger verify|checkpoint|recover|settle`: check the ledger's hash-chained
audit log, that the tables the station acts on (quota counters, reservations, disks...)
agree with it and that it extends a signed checkpoint; sign a checkpoint; record a
recovery; settle the copies a crashed or vanished station left open."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from pathlib import Path

from pressroom.app import App
from pressroom.errors import EXIT_FAILED, EXIT_OK, UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ledger", help="the ledger's audit log")
    ls = p.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    verify = ls.add_parser(
        "verify",
        help="check that no audit event was edited, deleted or reordered, and that the "
        "tables agree with the events",
    )
    verify.add_argument("--json", action="store_true")
    verify.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="also prove that the ledger extends this signed checkpoint (a checkpoint file, "
        "or a JSON or CSV report that carries one)",
    )
    verify.set_defaults(func=cmd_verify)
    settle = ls.add_parser(
        "settle",
        help="settle copies left open: this station's from its journal, other stations' "
        "once their lease expired; list those still held",
    )
    settle.set_defaults(func=cmd_settle)

    cp = ls.add_parser("checkpoint", help="sign the ledger's head and counters now")
    cp.add_argument("--out", metavar="FILE", help="write the signed checkpoint here")
    cp.set_defaults(func=cmd_checkpoint)
    rec = ls.add_parser(
        "recover",
        help="record, signed, that the ledger was lost and this one continues from the "
        "anchored checkpoint (grants continue from its counts)",
    )
    rec.add_argument("--reason", required=True, help="why: what was lost, and how")
    rec.add_argument("--operator", default="", help="who (default: the login name)")
    rec.set_defaults(func=cmd_recover)


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


def _checkpoint_bytes(path: Path) -> bytes:
    """A checkpoint from a file: the raw checkpoint, or the one a report carries."""
    from pressroom.station.audit import checkpoint_of_file

    try:
        return checkpoint_of_file(path)
    except OSError as exc:
        raise UsageError(f"Cannot read {path}: {exc.strerror}.") from None


def cmd_verify(args: argparse.Namespace) -> int:
    if args.checkpoint:
        return _verify_checkpoint(args)
    station = App.from_args(args).station
    report = station.reports.check_chain()
    anchored = station.checkpoints.check() if report.ok else None
    if anchored is not None and not anchored.ok:  # intact, but not the history it signed
        if args.json:
            print(json.dumps({**report.to_json(), "ok": False, "reason": anchored.reason}))
        else:
            print(
                f"The ledger's {report.rows} events verify, but it does not extend this "
                f"station's anchored checkpoint: {anchored.reason}."
            )
        return EXIT_FAILED
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


def _verify_checkpoint(args: argparse.Namespace) -> int:
    data = _checkpoint_bytes(Path(args.checkpoint))
    proof = App.from_args(args).station.checkpoints.prove(data)
    ext = proof.extension
    if args.json:
        out = {"ok": proof.ok, "chain": proof.chain.to_json(), "extends": ext.ok}
        print(json.dumps({**out, "reason": ext.reason}))
    elif not proof.chain.ok:
        print(f"The ledger does not verify ({proof.chain.reason}), so it proves nothing.")
    elif ext.ok:
        print(f"The ledger is intact ({proof.chain.rows} events) and {ext.reason}.")
    else:
        print(f"The ledger does not extend the checkpoint: {ext.reason}.")
    return EXIT_OK if proof.ok else EXIT_FAILED


def cmd_checkpoint(args: argparse.Namespace) -> int:
    service = App.from_args(args).station.checkpoints
    if args.out:
        cp = service.write(Path(args.out))
        print(f"Wrote {cp.label} to {args.out}.", file=sys.stderr)
    else:
        cp = service.make()
        print(f"Signed {cp.label}; it is anchored in the keys directory.")
    return EXIT_OK


def cmd_recover(args: argparse.Namespace) -> int:
    operator = args.operator or getpass.getuser()
    cp = App.from_args(args).station.checkpoints.recover(args.reason, operator)
    assert cp.recovery is not None
    print(
        f"Recorded the recovery, signed as {cp.label}; it replaces checkpoint "
        f"{cp.recovery.seq} (head {cp.recovery.head[:12]}), and every grant it named "
        "continues from its counts."
    )
    return EXIT_OK
