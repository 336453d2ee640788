"""Can this station sign and wrap disks: its key, its certificate, the player key."""

from __future__ import annotations

from pathlib import Path

from pressroom.errors import PressroomError
from pressroom.secure.cert import load_station_cert
from pressroom.secure.keys import KeyStore
from pressroom.station.doctor.check import EXPIRY_WARN_SECONDS, Check, day
from pressroom.station.doctor.context import Examination


def check_keys(d: Examination) -> Check:
    ks = d.parts.keystore
    try:
        info = d.keys.summary()
    except PressroomError as exc:  # SecureError included: a damaged key or cert file
        return Check(
            "keys",
            "fail",
            f"The keys in {ks.root} cannot be read: {exc}",
            "Restore the keys folder from your backup (docs/OPERATIONS.md, 'Backups').",
        )
    if not info["station"]:
        return Check(
            "keys",
            "fail",
            f"This station has no keys in {ks.root}.",
            "Run 'pressroom keys init' (or 'pressroom keys init --demo' for a trial station).",
        )
    cert = info["certificate"]
    if not cert:
        return Check(
            "keys",
            "fail",
            "The station key has no certificate from a publisher, so its disks would not verify.",
            f"Send {ks.root / 'station.pub'} to your publisher, then run "
            "'pressroom keys import-cert FILE'.",
        )
    if "error" in cert:
        return Check(
            "keys",
            "fail",
            f"The station certificate is not valid: {cert['error']}",
            "Ask your publisher for a new certificate and install it with "
            "'pressroom keys import-cert FILE'.",
        )
    if not _cert_valid_at(ks, d.now):
        return Check(
            "keys",
            "fail",
            f"The station certificate is outside its validity period "
            f"(it ends {day(cert['not_after'])}).",
            "Ask your publisher for a renewed certificate ('pressroom keys import-cert FILE').",
        )
    if not info["player"]:
        return Check(
            "keys",
            "fail",
            "There is no player key to wrap each disk's key to, so no disk can be made.",
            "Install the player's public key with 'pressroom keys install-player FILE' "
            "(or 'pressroom keys init --demo' for a trial).",
        )
    loose = [p.name for p in _private_key_files(ks.root) if p.stat().st_mode & 0o077]
    if loose:
        return Check(
            "keys",
            "warn",
            f"Private key files readable by other users: {', '.join(loose)}.",
            f"chmod 600 {ks.root}/*.key && chmod 700 {ks.root}",
        )
    if cert["not_after"] - d.now < EXPIRY_WARN_SECONDS:
        return Check(
            "keys",
            "warn",
            f"The station certificate ends {day(cert['not_after'])}.",
            "Ask your publisher for a renewal now.",
        )
    return Check(
        "keys",
        "ok",
        f"Station key {info['station'][:16]} is certified as {cert['name']!r} until "
        f"{day(cert['not_after'])}; player key {info['player'][:16]}.",
    )


def _private_key_files(root: Path) -> list[Path]:
    return sorted(root.glob("*.key")) if root.is_dir() else []


def _cert_valid_at(ks: KeyStore, now: float) -> bool:
    cert = load_station_cert(ks.station_cert_bytes(), ks.trusted_publishers())
    return cert.not_before <= now <= cert.not_after
