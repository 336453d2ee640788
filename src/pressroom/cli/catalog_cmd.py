"""`pressroom catalog import|list|show`: bring tracks in, see what is there.

Exit codes of ``import``: 0 when at least one file is in the catalog afterwards (newly
imported or already known) — bad files are still listed on stderr, one per line with
the reason; 1 when files were found but none could be imported (or none were found);
2 when none of the given paths exists.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from pressroom.app import App
from pressroom.catalog import ImportReport, TrackInfo
from pressroom.errors import EXIT_FAILED, EXIT_OK, UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("catalog", help="import and list tracks")
    sub = parser.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)

    imp = sub.add_parser("import", help="import audio files or folders (recursively)")
    imp.add_argument("paths", nargs="+", metavar="DIR|FILE", help="files or folders to import")
    imp.add_argument(
        "--other",
        action="store_true",
        help="accept files named here that are not audio (video, software) as 'other' content",
    )
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.set_defaults(func=_import)

    lst = sub.add_parser("list", help="list the catalog")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(func=_list)

    show = sub.add_parser("show", help="show one track by hash prefix (>= 8 hex) or path")
    show.add_argument("ref", help="hash prefix or file path")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=_show)


def _import(args: argparse.Namespace) -> int:
    if not any(Path(p).expanduser().exists() for p in args.paths):
        names = ", ".join(args.paths)
        raise UsageError(f"Nothing to import: {names} does not exist.")
    app = App.from_args(args)
    err = Console(stderr=True)
    with Progress(
        TextColumn("[bold]Importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}", style="dim"),
        console=err,
        transient=True,
        disable=args.json or not err.is_terminal,
    ) as progress:
        task = progress.add_task("", total=None)

        def on_progress(done: int, total: int, path: Path) -> None:
            progress.update(task, completed=done, total=total, description=path.name)

        report = app.station.catalog.import_paths(
            args.paths, other=args.other, on_progress=on_progress
        )
    for skipped in report.skipped:
        print(f"skipped {skipped}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        _print_summary(report)
    return EXIT_OK if report.accepted else EXIT_FAILED


def _print_summary(report: ImportReport) -> None:
    print(report.summary())
    if not report.accepted and not report.skipped:
        print("No files were found to import.", file=sys.stderr)


def _list(args: argparse.Namespace) -> int:
    tracks = App.from_args(args).station.catalog.tracks()
    if args.json:
        print(json.dumps([t.to_json() for t in tracks], indent=2))
        return EXIT_OK
    if not tracks:
        print("The catalog is empty; add tracks with `pressroom catalog import DIR`.")
        return EXIT_OK
    table = Table(box=None, header_style="bold")
    for name, justify in (
        ("Hash", "left"),
        ("Title", "left"),
        ("Artist", "left"),
        ("Album", "left"),
        ("Time", "right"),
        ("Format", "left"),
        ("Size", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for t in tracks:
        table.add_row(
            t.short_hash,
            t.title,
            t.artist or "",
            t.album or "",
            format_duration(t.duration),
            t.format,
            format_size(t.size),
        )
    Console(soft_wrap=True).print(table)
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    track = App.from_args(args).station.catalog.track(args.ref)
    if args.json:
        print(json.dumps(track.to_json(), indent=2))
        return EXIT_OK
    for label, value in _describe(track):
        print(f"{label:<12} {value}")
    return EXIT_OK


def _describe(t: TrackInfo) -> list[tuple[str, str]]:
    rows = [
        ("hash", t.content_hash),
        ("title", t.title),
        ("artist", t.artist or "-"),
        ("album", t.album or "-"),
        ("track", str(t.track_number or "-")),
        ("kind", t.kind),
        ("format", f"{t.format} ({t.codec})" if t.codec else t.format),
        ("duration", format_duration(t.duration) or "-"),
        ("size", format_size(t.size)),
        ("path", str(t.path)),
    ]
    if t.bitrate:
        rows.append(("bitrate", f"{round(t.bitrate / 1000)} kbit/s"))
    if t.sample_rate:
        rows.append(("sample rate", f"{t.sample_rate} Hz, {t.channels or '?'} ch"))
    rows.append(("cover", t.cover_mime or "none"))
    return rows


def format_duration(seconds: float | None) -> str:
    """m:ss, rounded to the nearest second, as players show it."""
    if seconds is None:
        return ""
    total = round(seconds)
    return f"{total // 60}:{total % 60:02d}"


def format_size(size: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000  # type: ignore[assignment]
    return f"{size} B"  # pragma: no cover
