"""`pressroom grant create|import|show`: rights grants and how much of them is used."""

from __future__ import annotations

import argparse
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

from pressroom.app import App
from pressroom.errors import UsageError
from pressroom.secure.rights import RightsLimits
from pressroom.station.grants import GrantStatus

DEFAULT_VALID_DAYS = 365
_FULL_HASH = re.compile(r"[0-9a-fA-F]{64}")
_KID = re.compile(r"[0-9a-fA-F]{32}")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("grant", help="create, import and inspect rights grants")
    gs = p.add_subparsers(dest="grant_command", metavar="ACTION", required=True)

    create = gs.add_parser("create", help="issue a grant with this station's demo publisher key")
    create.add_argument(
        "--tracks", nargs="+", default=[], metavar="HASH|PREFIX|PATH", help="tracks it covers"
    )
    create.add_argument("--all-catalog", action="store_true", help="cover every catalog track")
    create.add_argument("--copies", type=_positive, required=True)
    create.add_argument("--replacements", type=_natural, default=0)
    create.add_argument("--max-plays", type=_positive, help="rights may allow at most N plays")
    create.add_argument("--max-days", type=_positive, help="rights must expire within N days")
    create.add_argument("--max-preview", type=_positive, metavar="S", help="preview-only, <= S s")
    create.add_argument("--export", action="store_true", help="rights may allow export")
    create.add_argument(
        "--require-marking",
        action="store_true",
        help="every copy must carry a forensic watermark (rights preset 'marked')",
    )
    create.add_argument(
        "--station", default=None, metavar="KID|any", help="station key id (default: this one)"
    )
    create.add_argument("--valid-days", type=_positive, default=DEFAULT_VALID_DAYS)
    create.add_argument("--title", default=None)
    create.add_argument("--out", metavar="FILE", help="write the grant to FILE, do not import it")
    create.add_argument("--json", action="store_true")
    create.set_defaults(func=cmd_create)

    imp = gs.add_parser("import", help="verify a grant file and record it in the ledger")
    imp.add_argument("file")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=cmd_import)

    show = gs.add_parser("show", help="grants with copies used and remaining")
    show.add_argument("id", nargs="?", help="grant id or its first characters")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, not {text!r}")
    return int(text)


def _natural(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}")
    return int(text)


# --- create ------------------------------------------------------------------------------


def _resolve_tracks(app: App, refs: list[str], all_catalog: bool) -> list[bytes]:
    catalog = app.station.catalog
    hashes: list[str] = []
    if all_catalog:
        hashes += [t.content_hash for t in catalog.tracks()]
        if not hashes:
            raise UsageError("The catalog is empty; add tracks with 'pressroom catalog import'.")
    for ref in refs:
        if _FULL_HASH.fullmatch(ref) and not Path(ref).is_file():
            hashes.append(ref.lower())  # a full hash need not be in this station's catalog
        else:
            hashes.append(catalog.track(ref).content_hash)
    if not hashes:
        raise UsageError("Name the tracks the grant covers: --tracks ... or --all-catalog.")
    return [bytes.fromhex(h) for h in dict.fromkeys(hashes)]


def _default_title(app: App, tracks: list[bytes]) -> str:
    known = {t.content_hash: t for t in app.station.catalog.tracks()}
    albums = set()
    for h in tracks:
        info = known.get(h.hex())
        albums.add(info.album if info else None)
    if len(albums) == 1 and (album := albums.pop()):
        return album
    return f"{len(tracks)} track" + ("s" if len(tracks) != 1 else "")


def _station(app: App, value: str | None) -> bytes | None:
    if value == "any":
        return None
    if value is None:
        return app.station.grants.station_id()
    if not _KID.fullmatch(value):
        raise UsageError(f"--station takes a 32-character station key id or 'any', not {value!r}.")
    return bytes.fromhex(value)


def cmd_create(args: argparse.Namespace) -> int:
    app = App.from_args(args)
    grants = app.station.grants
    grants.require_publisher()
    station = _station(app, args.station)
    if not args.out and grants.for_another_station(station):
        raise UsageError(
            "A grant for another station is not recorded here: write it to a file with "
            "--out FILE and import it on that station."
        )
    tracks = _resolve_tracks(app, args.tracks, args.all_catalog)
    grant = grants.create(
        tracks,
        title=args.title or _default_title(app, tracks),
        copies=args.copies,
        replacements=args.replacements,
        limits=RightsLimits(
            max_plays=args.max_plays,
            max_days=args.max_days,
            max_preview_seconds=args.max_preview,
            export=args.export,
            marking=args.require_marking,
        ),
        station=station,
        valid_days=args.valid_days,
    )
    if args.out:
        out = Path(args.out)
        try:
            out.write_bytes(grant.raw)
        except OSError as exc:
            raise UsageError(f"Cannot write {out}: {exc.strerror}.") from None
        if args.json:
            print(json.dumps({"grant_id": grant.id_hex, "file": str(out)}))
        else:
            print(f"Wrote grant {grant.id_hex} to {out}; import it with 'pressroom grant import'.")
        return 0
    grants.record(grant.raw, name=f"Grant {grant.id_hex[:12]}")
    status = grants.status(grant.id_hex)
    if args.json:
        print(json.dumps(status.to_json()))
    else:
        print(f"Created and recorded grant {grant.id_hex}.")
        _print_detail(status)
    return 0


# --- import ------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace) -> int:
    app = App.from_args(args)
    grants = app.station.grants
    grant = grants.import_file(args.file)
    status = grants.status(grant.id_hex)
    if args.json:
        print(json.dumps(status.to_json()))
        return 0
    print(f"Recorded grant {grant.id_hex}.")
    _print_detail(status)
    return 0


# --- show --------------------------------------------------------------------------------


def cmd_show(args: argparse.Namespace) -> int:
    grants = App.from_args(args).station.grants
    if args.id:
        status = grants.status(args.id)
        if args.json:
            print(json.dumps(status.to_json()))
        else:
            _print_detail(status)
        return 0
    statuses = grants.statuses()
    if args.json:
        print(json.dumps([s.to_json() for s in statuses]))
        return 0
    if not statuses:
        print("No grants are recorded; import one with 'pressroom grant import FILE'.")
        return 0
    _print_table(statuses)
    return 0


def _date(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _print_detail(s: GrantStatus) -> None:
    g = s.grant
    limits = g.limits
    rules = [
        f"at most {limits.max_plays} plays" if limits.max_plays else None,
        f"expiry within {limits.max_days} days" if limits.max_days else None,
        f"previews of at most {limits.max_preview_seconds} s"
        if limits.max_preview_seconds
        else None,
        "export allowed" if limits.export else "no export",
        "watermarked copies required" if limits.marking else None,
    ]
    lines = [
        ("Grant", g.id_hex),
        ("Title", g.title),
        ("Publisher", g.publisher.hex()),
        ("Station", g.station.hex() if g.station else "any certified station"),
        ("Tracks", str(len(g.tracks))),
        (
            "Copies",
            f"{s.copies_committed} made, {s.copies_used - s.copies_committed} in progress, "
            f"{s.copies_remaining} of {g.copies} remaining",
        ),
        ("Replacements", f"{s.replacements_remaining} of {g.replacements} remaining"),
        ("Rights", ", ".join(r for r in rules if r)),
        ("Valid", f"{_date(g.not_before)} to {_date(g.not_after)}"),
    ]
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        print(f"{key:<{width}}  {value}")


def _print_table(statuses: list[GrantStatus]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for name, justify in (
        ("Grant", "left"),
        ("Title", "left"),
        ("Used", "right"),
        ("Remaining", "right"),
        ("Replacements left", "right"),
        ("Valid until", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    now = time.time()
    for s in statuses:
        expired = now > s.grant.not_after
        table.add_row(
            s.grant_id[:12],
            s.grant.title,
            f"{s.copies_used}/{s.grant.copies}",
            str(s.copies_remaining),
            str(s.replacements_remaining),
            _date(s.grant.not_after) + (" (expired)" if expired else ""),
        )
    Console().print(table)
