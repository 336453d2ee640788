"""`pressroom keys init|show|trust|import-cert`: the station's keys."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pressroom.app import App
from pressroom.datadir import make_private_dir
from pressroom.errors import SetupError, UsageError
from pressroom.secure.cert import issue_station_cert, load_station_cert
from pressroom.secure.errors import SecureError
from pressroom.secure.keys import key_id, raw_public

CERT_YEARS = 5


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


def ensure_keys(app: App, *, demo: bool, name: str | None = None) -> list[str]:
    """Create whatever is missing; report each step. Existing keys are never replaced."""
    make_private_dir(app.config.keys_dir)  # data folder and keys/ 0700 from the start
    ks = app.keystore
    done: list[str] = []
    if ks.has_station():
        done.append(f"station key exists: {ks.station_key_path} (left unchanged)")
    else:
        kid = ks.init_station()
        done.append(f"created station key {kid.hex()[:16]} in {ks.station_key_path}")
    if not demo:
        if not ks.station_cert_path.exists():
            done.append(
                f"send {ks.root / 'station.pub'} to your publisher for a station certificate, "
                "then run 'pressroom keys import-cert FILE'"
            )
        return done
    if ks.has_publisher():
        done.append("demo publisher key exists (left unchanged)")
    else:
        kid = ks.init_publisher()
        done.append(f"created demo publisher key {kid.hex()[:16]}")
    if ks.has_player():
        done.append("demo player key exists (left unchanged)")
    else:
        kid = ks.init_player()
        done.append(f"created demo player key {kid.hex()[:16]}")
    if ks.station_cert_path.exists():
        done.append("station certificate exists (left unchanged)")
    else:
        now = int(time.time())
        env = issue_station_cert(
            ks.publisher_key(),
            ks.station_key().public_key(),
            name=name or app.config.settings.station_label,
            not_before=now - 3600,
            not_after=now + CERT_YEARS * 365 * 86400,
        )
        ks.save_station_cert(env)
        done.append(f"certified this station with the demo publisher for {CERT_YEARS} years")
    return done


def cmd_init(args: argparse.Namespace) -> int:
    app = App.from_args(args)
    for line in ensure_keys(app, demo=args.demo, name=args.name):
        print(line)
    return 0


def key_summary(app: App) -> dict:
    ks = app.keystore
    out: dict = {"dir": str(ks.root), "station": None, "certificate": None, "player": None}
    if ks.has_station():
        out["station"] = ks.station_id().hex()
    if ks.has_player():
        out["player"] = key_id(raw_public(ks.player_public())).hex()
    trusted = ks.trusted_publishers()
    out["trusted_publishers"] = [k.hex() for k in trusted]
    out["demo_publisher"] = ks.has_publisher()
    if ks.station_cert_path.exists():
        try:
            cert = load_station_cert(ks.station_cert_bytes(), trusted)
            out["certificate"] = {
                "name": cert.name,
                "station": cert.station.hex(),
                "publisher": cert.publisher.hex(),
                "not_after": cert.not_after,
                "valid": cert.not_before <= time.time() <= cert.not_after,
            }
        except SecureError as exc:
            out["certificate"] = {"error": str(exc)}
    return out


def cmd_show(args: argparse.Namespace) -> int:
    app = App.from_args(args)
    info = key_summary(app)
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
    print(f"player key id      {info['player'] or 'none'}")
    print(f"trusted publishers {', '.join(k[:16] for k in info['trusted_publishers']) or 'none'}")
    return 0


def cmd_trust(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    app = App.from_args(args)
    try:
        key = serialization.load_pem_public_key(Path(args.file).read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(f"Cannot read a public key from {args.file}: {exc}.") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{args.file} is not an Ed25519 publisher key.")
    make_private_dir(app.config.keys_dir)
    kid = app.keystore.add_trusted_publisher(key)
    print(f"now trusting publisher {kid.hex()[:16]}")
    return 0


def cmd_import_cert(args: argparse.Namespace) -> int:
    app = App.from_args(args)
    ks = app.keystore
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read {args.file}: {exc.strerror}.") from None
    cert = load_station_cert(data, ks.trusted_publishers())
    if cert.station != ks.station_id():
        raise UsageError("That certificate is for another station's key, not this one's.")
    ks.station_cert_path.write_bytes(data)
    print(f"installed certificate {cert.name!r} from publisher {cert.publisher.hex()[:16]}")
    return 0
