"""`pressroom sim add|list|remove|plug`: virtual disks for demos and tests."""

from __future__ import annotations

import argparse
import json

from pressroom.app import App
from pressroom.drives.base import format_size
from pressroom.drives.simulated import (
    SimDiskSpec,
    add_sim_disk,
    is_plugged,
    list_sim_disks,
    parse_fault,
    remove_sim_disk,
    set_plugged,
)
from pressroom.errors import UsageError


def _hex_id(text: str) -> int:
    try:
        value = int(text, 16)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a hexadecimal USB id") from None
    if not 0 <= value <= 0xFFFF:
        raise argparse.ArgumentTypeError(f"{text!r} is not a 16-bit USB id")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sim", help="simulated disks for demos and tests")
    sub = p.add_subparsers(dest="sim_command", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="create a simulated disk")
    add.add_argument("--serial", required=True, help="USB serial string ('' for none)")
    add.add_argument("--name", help="folder name (default disk1, disk2, ...)")
    add.add_argument("--vendor", default="Pressroom", help="manufacturer string")
    add.add_argument("--product", default="Virtual Disk", help="product string")
    add.add_argument("--vid", type=_hex_id, default=0x1209, help="USB vendor id, hex")
    add.add_argument("--pid", type=_hex_id, default=0x5052, help="USB product id, hex")
    add.add_argument("--size", default="8G", help="capacity, e.g. 8G, 512M")
    add.add_argument("--write-mbps", type=float, default=30.0, help="write speed, MB/s")
    add.add_argument("--read-mbps", type=float, default=90.0, help="read speed, MB/s")
    add.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="FAULT",
        help="fail-after=N, flaky-after=N, unplug-after=N, bitflip-on-read=N, read-only, "
        "fake-capacity=SIZE, slow, usb-permission, usb-timeout (repeatable)",
    )
    add.add_argument("--json", action="store_true", help="print the descriptor as JSON")
    add.set_defaults(func=_add)

    ls = sub.add_parser("list", help="list simulated disks")
    ls.add_argument("--json", action="store_true", help="JSON output")
    ls.set_defaults(func=_list)

    rm = sub.add_parser("remove", help="delete simulated disks and their files")
    rm.add_argument("name", nargs="?", help="disk name")
    rm.add_argument("--all", action="store_true", help="remove every simulated disk")
    rm.set_defaults(func=_remove)

    plug = sub.add_parser("plug", help="plug a disk back in after an eject or unplug fault")
    plug.add_argument("name", help="disk name")
    plug.set_defaults(func=_plug)


def _sim_dir(args: argparse.Namespace):
    return App.from_args(args).config.sim_dir


def _add(args: argparse.Namespace) -> int:
    faults = None
    for text in args.fault:
        faults = parse_fault(text, faults)
    try:
        spec = add_sim_disk(
            _sim_dir(args),
            args.name,
            serial=args.serial,
            vendor=args.vendor,
            product=args.product,
            vendor_id=args.vid,
            product_id=args.pid,
            size=args.size,
            write_mbps=args.write_mbps,
            read_mbps=args.read_mbps,
            faults=faults,
        )
    except ValueError as exc:
        raise UsageError(f"Invalid disk size: {exc}.") from None
    if args.json:
        print(json.dumps(spec.to_dict(), indent=2))
    else:
        print(
            f"Added simulated disk {spec.name} on port {spec.port_path} ({format_size(spec.size)})."
        )
    return 0


def _row(spec: SimDiskSpec, plugged: bool) -> dict[str, object]:
    return {**spec.to_dict(), "plugged": plugged}


def _list(args: argparse.Namespace) -> int:
    sim_dir = _sim_dir(args)
    specs = list_sim_disks(sim_dir)
    if args.json:
        print(json.dumps([_row(s, is_plugged(sim_dir, s.name)) for s in specs], indent=2))
        return 0
    if not specs:
        print(f"No simulated disks in {sim_dir}; add one with `pressroom sim add --serial S`.")
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Simulated disks in {sim_dir}")
    for col in (
        "name",
        "port",
        "USB id",
        "vendor / product",
        "serial",
        "size",
        "MB/s w/r",
        "faults",
    ):
        table.add_column(col)
    for s in specs:
        name = s.name if is_plugged(sim_dir, s.name) else f"{s.name} (unplugged)"
        table.add_row(
            name,
            s.port_path,
            f"{s.vendor_id:04x}:{s.product_id:04x}",
            f"{s.vendor} {s.product}",
            s.serial or "(none)",
            format_size(s.size),
            f"{s.effective_write_mbps:g}/{s.effective_read_mbps:g}",
            ", ".join(s.faults.describe()) or "-",
        )
    Console().print(table)
    return 0


def _remove(args: argparse.Namespace) -> int:
    sim_dir = _sim_dir(args)
    if args.all == bool(args.name):
        raise UsageError("Give either a disk name or --all.")
    names = [s.name for s in list_sim_disks(sim_dir)] if args.all else [args.name]
    for name in names:
        remove_sim_disk(sim_dir, name)
    print(f"Removed {len(names)} simulated disk{'s' if len(names) != 1 else ''}.")
    return 0


def _plug(args: argparse.Namespace) -> int:
    set_plugged(_sim_dir(args), args.name, True)
    print(f"Plugged {args.name} back in.")
    return 0
