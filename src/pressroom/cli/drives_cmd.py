"""`pressroom drives`: the attached disks, their serials and whether they can be used."""

from __future__ import annotations

import argparse
import json

from pressroom.app import App
from pressroom.drives.base import Drive, format_size
from pressroom.drives.identity import Verdict, judge
from pressroom.secure.identity import mask_serial


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("drives", help="attached disks, identity and verdict")
    p.add_argument("--json", action="store_true", help="JSON list on stdout")
    p.add_argument("--demo", action="store_true", help="show the simulated demo disks")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    app = App.from_args(args)
    app.demo = bool(getattr(args, "demo", False) or getattr(args, "demo_mode", False))
    provider = app.drive_provider
    try:
        drives = provider.list_drives()
    finally:
        provider.close()
    verdicts = judge(drives, policy=app.config.settings.identity_policy)  # type: ignore[arg-type]
    if args.json:
        out = [
            {
                **d.to_json(),
                "serial_masked": mask_serial(d.serial),
                "verdict": _verdict_json(verdicts[d.id]),
            }
            for d in drives
        ]
        print(json.dumps(out, indent=2))
        return 0
    _print_table(drives, verdicts)
    return 0


def _verdict_json(v: Verdict) -> dict[str, object]:
    return {"ok": v.ok, "code": v.code, "reason": v.reason, "warning": v.warning}


def _print_table(drives: list[Drive], verdicts: dict[str, Verdict]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not drives:
        console.print(
            "No removable disks attached. Plug one in, or try `pressroom drives --demo` "
            "or `pressroom sim add --serial S`."
        )
        return
    table = Table(title="Attached disks")
    table.add_column("disk")
    for col in ("port", "serial", "capacity", "free", "fs"):
        table.add_column(col, no_wrap=True)
    table.add_column("verdict", ratio=1)
    for d in sorted(drives, key=lambda d: (d.kind, d.port_path)):
        v = verdicts[d.id]
        style = "yellow" if v.warning else ("green" if v.ok else "red")
        verdict = "ok" if v.code == "ok" else f"{v.code}: {v.reason}"
        table.add_row(
            f"{d.label}\n[dim]{d.vendor} {d.product}[/dim]",
            d.port_path,
            mask_serial(d.serial),
            format_size(d.capacity),
            format_size(d.free),
            d.filesystem or "-",
            f"[{style}]{verdict}[/{style}]",
        )
    console.print(table)
