"""`pressroom sim add|list|remove|plug|attach`: virtual disks for demos and tests.

``sim add --backing FS`` (root) makes a loop-backed disk: a simulated USB identity over
a real file system in an image file, written through the Linux provider.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

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
    add.add_argument("--size", help="capacity, e.g. 8G, 512M (default 8G; 256M with --backing)")
    add.add_argument(
        "--backing",
        choices=["ext4", "exfat", "fat32", "fat16"],
        help="root only: a real file system in a sparse image on a loop device, mounted at "
        "the disk's media folder (speeds and faults other than usb-* do not apply)",
    )
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
    add.add_argument("--port", help="USB port path behind hubs, e.g. 2-1.3.4 (sets the bus)")
    add.add_argument("--json", action="store_true", help="print the descriptor as JSON")
    add.set_defaults(func=_add)

    tower = sub.add_parser("tower", help="add a tower: many disks behind hubs on several buses")
    tower.add_argument("--disks", type=int, required=True, help="how many disks")
    tower.add_argument(
        "--buses",
        default="usb3,usb3",
        help="root buses, comma-separated: usb2 (40 MB/s), usb3 (400 MB/s) or KIND:MBPS",
    )
    tower.add_argument("--first-bus", type=int, default=2, help="number of the first bus")
    tower.add_argument("--seed", type=int, default=1, help="seed of the mixed disk speeds")
    tower.add_argument("--size", default="8G", help="capacity of each disk")
    tower.add_argument("--sd-share", type=float, default=0.4, help="share of SD cards (0-1)")
    tower.set_defaults(func=_tower)

    bus = sub.add_parser("bus", help="set or clear a simulated root bus's bandwidth")
    bus.add_argument("bus", type=int, help="bus number")
    bus.add_argument("--mbps", type=float, help="bandwidth in MB/s (omit to make it unlimited)")
    bus.set_defaults(func=_bus)

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

    att = sub.add_parser(
        "attach", help="re-attach loop-backed disks (after a reboot or an eject; root)"
    )
    att.add_argument("name", nargs="?", help="disk name")
    att.add_argument("--all", action="store_true", help="every loop-backed disk")
    att.set_defaults(func=_attach)


def _sim_dir(args: argparse.Namespace):
    return App.from_args(args).config.sim_dir


def _add(args: argparse.Namespace) -> int:
    faults = None
    for text in args.fault:
        faults = parse_fault(text, faults)
    identity = dict(
        serial=args.serial,
        vendor=args.vendor,
        product=args.product,
        vendor_id=args.vid,
        product_id=args.pid,
        faults=faults,
    )
    try:
        if args.backing:
            spec = _add_backed(args, faults, identity)
        else:
            spec = add_sim_disk(
                _sim_dir(args),
                args.name,
                size=args.size or "8G",
                write_mbps=args.write_mbps,
                read_mbps=args.read_mbps,
                port_path=args.port,
                **identity,  # type: ignore[arg-type]
            )
    except ValueError as exc:
        raise UsageError(f"Invalid disk size: {exc}.") from None
    if args.json:
        print(json.dumps(spec.to_dict(), indent=2))
    elif spec.backing is not None:
        b = spec.backing
        print(
            f"Added loop-backed disk {spec.name} on port {spec.port_path} "
            f"({format_size(spec.size)} {b.fs} on {b.loop_device}, {b.driver} driver, "
            f"mounted at {b.mount_point})."
        )
    else:
        print(
            f"Added simulated disk {spec.name} on port {spec.port_path} ({format_size(spec.size)})."
        )
    return 0


def _tower(args: argparse.Namespace) -> int:
    from pressroom.drives.simtower import build_tower, parse_buses

    if not 0 <= args.sd_share <= 1:
        raise UsageError("--sd-share must be between 0 and 1.")
    buses = parse_buses(args.buses, args.first_bus)
    try:
        specs = build_tower(
            _sim_dir(args),
            args.disks,
            buses,
            seed=args.seed,
            sd_share=args.sd_share,
            size=args.size,
        )
    except ValueError as exc:
        raise UsageError(f"Invalid disk size: {exc}.") from None
    for b in buses:
        on = [s for s in specs if s.bus == b.bus]
        if not on:
            continue
        media = sum(s.write_mbps for s in on)
        print(
            f"Bus {b.bus} ({b.mbps:g} MB/s): {len(on)} disks, ports {on[0].port_path} to "
            f"{on[-1].port_path}, media {media:.0f} MB/s in all."
        )
    return 0


def _bus(args: argparse.Namespace) -> int:
    from pressroom.drives.simulated import set_bus

    set_bus(_sim_dir(args), args.bus, args.mbps)
    limit = f"{args.mbps:g} MB/s" if args.mbps is not None else "unlimited"
    print(f"Simulated bus {args.bus}: {limit}.")
    return 0


def _add_backed(args: argparse.Namespace, faults, identity: dict) -> SimDiskSpec:
    from pressroom.drives.loopsim import add_loop_disk

    if faults is not None and any(
        v not in (None, False) for k, v in asdict(faults).items() if k != "usb"
    ):
        raise UsageError(
            "A loop-backed disk is written through a real file system, so only the "
            "usb-permission and usb-timeout faults apply to it."
        )
    return add_loop_disk(
        _sim_dir(args), args.name, fs=args.backing, size=args.size or "256M", **identity
    )


def _state(sim_dir, spec: SimDiskSpec) -> str:
    if spec.backing is None:
        return "plugged" if is_plugged(sim_dir, spec.name) else "unplugged"
    from pressroom.drives.loopsim import loop_state

    return loop_state(spec)


def _row(sim_dir, spec: SimDiskSpec) -> dict[str, object]:
    state = _state(sim_dir, spec)
    return {**spec.to_dict(), "plugged": state in ("plugged", "attached"), "state": state}


def _list(args: argparse.Namespace) -> int:
    sim_dir = _sim_dir(args)
    specs = list_sim_disks(sim_dir)
    if args.json:
        print(json.dumps([_row(sim_dir, s) for s in specs], indent=2))
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
        "backing",
        "faults",
    ):
        table.add_column(col)
    detached = []
    for s in specs:
        state = _state(sim_dir, s)
        name = s.name if state in ("plugged", "attached") else f"{s.name} ({state})"
        if s.backing is not None and state != "attached":
            detached.append(s.name)
        b = s.backing
        table.add_row(
            name,
            s.port_path,
            f"{s.vendor_id:04x}:{s.product_id:04x}",
            f"{s.vendor} {s.product}",
            s.serial or "(none)",
            format_size(s.size),
            "-" if b else f"{s.effective_write_mbps:g}/{s.effective_read_mbps:g}",
            f"{b.fs} ({b.driver or '?'}) {b.loop_device or ''}".strip() if b else "folder",
            ", ".join(s.faults.describe()) or "-",
        )
    Console().print(table)
    if detached:
        print(f"Re-attach with `pressroom sim attach NAME` as root: {', '.join(detached)}.")
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
    sim_dir = _sim_dir(args)
    spec = next((s for s in list_sim_disks(sim_dir) if s.name == args.name), None)
    if spec is not None and spec.backing is not None:
        args.all = False
        return _attach(args)
    set_plugged(sim_dir, args.name, True)
    print(f"Plugged {args.name} back in.")
    return 0


def _attach(args: argparse.Namespace) -> int:
    from pressroom.drives.loopsim import attach_loop_disk

    sim_dir = _sim_dir(args)
    if args.all == bool(args.name):
        raise UsageError("Give either a disk name or --all.")
    specs = list_sim_disks(sim_dir)
    names = [s.name for s in specs if s.backing is not None] if args.all else [args.name]
    for name in names:
        spec = attach_loop_disk(sim_dir, name)
        b = spec.backing
        assert b is not None
        print(f"Attached {name}: {b.fs} on {b.loop_device}, mounted at {b.mount_point}.")
    if not names:
        print("There are no loop-backed disks to attach.")
    return 0
