"""`pressroom revoke licence|station|import|show`: the station's revocation list.

Lists are numbered and cumulative; the station keeps the highest-numbered one it has and
puts it on every disk it makes, so players learn of revocations from new disks.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pressroom.app import App
from pressroom.errors import EXIT_FAILED, UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("revoke", help="revoke licences or stations; import or show the list")
    verbs = p.add_subparsers(dest="verb", metavar="licence|station|import|show", required=True)
    for what in ("licence", "station"):
        v = verbs.add_parser(what, help=f"revoke one or more {what}s")
        v.add_argument("ids", nargs="+", metavar="ID", help=f"{what} id (hex)")
        v.add_argument("--reason", default="", help="why (recorded in the ledger)")
        v.set_defaults(func=cmd_revoke, target=what)
    imp = verbs.add_parser("import", help="store a newer revocation list from the publisher")
    imp.add_argument("file", help="the publisher's revocation list (.cbor)")
    imp.set_defaults(func=cmd_import)
    show = verbs.add_parser("show", help="the stored list, with who revoked what and why")
    show.add_argument("--json", action="store_true", help="print as JSON")
    show.set_defaults(func=cmd_show)


def cmd_revoke(args: argparse.Namespace) -> int:
    with App.from_args(args) as app:
        outcome = app.station.aftercare.revoke(
            args.target,
            args.ids,
            reason=args.reason,
            operator=app.station.shift.current(),
        )
        print(outcome.sentence())
        return EXIT_FAILED if outcome.requested_only else 0


def cmd_import(args: argparse.Namespace) -> int:
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read {args.file}: {exc.strerror or exc}.") from None
    with App.from_args(args) as app:
        rl = app.station.aftercare.import_list(data, operator=app.station.shift.current())
        print(
            f"Stored revocation list {rl.number}: {len(rl.licences)} licence(s) and "
            f"{len(rl.stations)} station(s) revoked."
        )
        return 0


def cmd_show(args: argparse.Namespace) -> int:
    with App.from_args(args) as app:
        info = app.station.aftercare.describe()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    if info["number"] == 0:
        print("This station holds no revocation list.")
    else:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(info["issued_at"]))
        print(f"Revocation list {info['number']}, issued {stamp}:")
    for e in info["licences"] + info["stations"]:
        why = f" - {e['reason']}" if e["reason"] else ""
        who = f" (by {e['operator']})" if e["operator"] else ""
        print(f"  {e['kind']:8} {e['id']}{why}{who}")
    for r in info["requested"]:
        print(f"  requested from the publisher: {r['target_kind']} {r['target']} - {r['reason']}")
    return 0
