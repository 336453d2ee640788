"""`pressroom keys init|show|trust|import-cert|install-player|certify`: the station's keys,
and (in the publisher's data folder) certifying another station."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pressroom.app import App
from pressroom.errors import SetupError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keys", help="create and inspect the station's keys")
    ks = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    init = ks.add_parser("init", help="create the station key pair (never overwrites)")
    init.add_argument(
        "--demo",
        action="store_true",
        help="also create a demo publisher (certifies this station) and a demo player key",
    )
    init.add_argument("--name", default=None, help="station name in its certificate")
    init.set_defaults(func=cmd_init)
    show = ks.add_parser("show", help="key ids, certificate and trust")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)
    trust = ks.add_parser("trust", help="trust a publisher public key (PEM file)")
    trust.add_argument("file")
    trust.set_defaults(func=cmd_trust)
    cert = ks.add_parser("import-cert", help="install the station certificate from the publisher")
    cert.add_argument("file")
    cert.set_defaults(func=cmd_import_cert)
    player = ks.add_parser(
        "install-player", help="install the player's public key (disk keys are wrapped to it)"
    )
    player.add_argument("file")
    player.set_defaults(func=cmd_install_player)
    certify = ks.add_parser(
        "certify", help="publisher: certify another station's public key (station.pub)"
    )
    certify.add_argument("station_pub", metavar="STATION.pub")
    certify.add_argument("--out", required=True, help="the certificate file to write")
    certify.add_argument("--days", type=int, default=365, help="validity (default 365)")
    certify.add_argument("--name", default=None, help="station name in its certificate")
    certify.set_defaults(func=cmd_certify)


def cmd_install_player(args: argparse.Namespace) -> int:
    kid = App.from_args(args).station.keys.install_player(args.file)
    print(f"installed player key {kid.hex()[:16]}; disks made here are for that player")
    return 0


def cmd_certify(args: argparse.Namespace) -> int:
    done = App.from_args(args).station.keys.certify(
        args.station_pub, Path(args.out), days=args.days, name=args.name
    )
    until = time.strftime("%Y-%m-%d", time.gmtime(done.not_after))
    print(f"certified station {done.station[:16]} until {until}: {done.out}")
    print("Give the station these files and run there:")
    print(f"  pressroom keys trust {done.publisher_pub}")
    if done.player_pub is not None:
        print(f"  pressroom keys install-player {done.player_pub}")
    print(f"  pressroom keys import-cert {done.out.name}")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    app = App.from_args(args, demo=False)  # --demo here means demo keys, not demo disks
    for line in app.station.keys.ensure(demo=args.demo, name=args.name):
        print(line)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    info = App.from_args(args).station.keys.summary()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    if not info["station"]:
        raise SetupError("This station has no keys; run 'pressroom keys init' (or --demo).")
    cert = info["certificate"] or {}
    print(f"keys directory     {info['dir']}")
    print(f"station key id     {info['station']}")
    if "error" in cert:
        print(f"certificate        INVALID: {cert['error']}")
    elif cert:
        until = time.strftime("%Y-%m-%d", time.gmtime(cert["not_after"]))
        print(f"certificate        {cert['name']!r} until {until}")
    else:
        print("certificate        none (ask your publisher)")
    player = info["player"]
    if player and not info.get("player_private"):
        player = f"{player} (public key only: disks are made for this player)"
    print(f"player key id      {player or 'none'}")
    print(f"trusted publishers {', '.join(k[:16] for k in info['trusted_publishers']) or 'none'}")
    return 0


def cmd_trust(args: argparse.Namespace) -> int:
    kid = App.from_args(args).station.keys.trust_publisher(args.file)
    print(f"now trusting publisher {kid.hex()[:16]}")
    return 0


def cmd_import_cert(args: argparse.Namespace) -> int:
    cert = App.from_args(args).station.keys.import_cert(args.file)
    print(f"installed certificate {cert.name!r} from publisher {cert.publisher.hex()[:16]}")
    return 0
