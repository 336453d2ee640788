"""The station's keys: create what is missing, summarise them, trust a publisher.

These use cases lived in ``cli/keys_cmd`` and the window, the demo, the benchmarks and
the doctor imported them from there; they now live here and ``keys_cmd`` only renders.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from pressroom.datadir import make_private_dir
from pressroom.errors import SetupError, UsageError
from pressroom.secure.cert import StationCert, issue_station_cert, load_station_cert
from pressroom.secure.errors import SecureError
from pressroom.secure.keys import key_id, raw_public
from pressroom.station.parts import Parts

CERT_YEARS = 5


@dataclass(frozen=True)
class Certified:
    """A station certificate written by the publisher, and what to hand the station."""

    station: str  # the certified station's key id (hex)
    not_after: int
    out: Path
    publisher_pub: Path  # the station trusts this ('pressroom keys trust')
    player_pub: Path | None  # and wraps disk keys to this ('pressroom keys install-player')


def _read_public(path: str | Path) -> object:
    try:
        return serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(f"Cannot read a public key from {path}: {exc}.") from None


class KeyService:
    def __init__(self, parts: Parts) -> None:
        self._parts = parts

    def has_keys(self) -> bool:
        return self._parts.keystore.has_station()

    def ensure(self, *, demo: bool, name: str | None = None) -> list[str]:
        """Create whatever is missing; report each step. Existing keys are never replaced."""
        make_private_dir(self._parts.config.keys_dir)  # data folder and keys/ 0700 from the start
        ks = self._parts.keystore
        done: list[str] = []
        if ks.has_station():
            done.append(f"station key exists: {ks.station_key_path} (left unchanged)")
        else:
            kid = ks.init_station()
            done.append(f"created station key {kid.hex()[:16]} in {ks.station_key_path}")
        if not demo:
            if not ks.station_cert_path.exists():
                done.append(
                    f"send {ks.root / 'station.pub'} to your publisher for a station "
                    "certificate, then run 'pressroom keys import-cert FILE'"
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
                name=name or self._parts.config.settings.station_label,
                not_before=now - 3600,
                not_after=now + CERT_YEARS * 365 * 86400,
            )
            ks.save_station_cert(env)
            done.append(f"certified this station with the demo publisher for {CERT_YEARS} years")
        return done

    def summary(self) -> dict[str, Any]:
        """Key ids, certificate and trust, as ``pressroom keys show --json`` prints them."""
        ks = self._parts.keystore
        out: dict[str, Any] = {
            "dir": str(ks.root),
            "station": None,
            "certificate": None,
            "player": None,
        }
        if ks.has_station():
            out["station"] = ks.station_id().hex()
        if ks.has_player_public():
            out["player"] = key_id(raw_public(ks.player_public())).hex()
        out["player_private"] = ks.has_player()
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

    def trust_publisher(self, path: str | Path) -> bytes:
        """Trust the Ed25519 publisher key in a PEM file; returns its key id."""
        try:
            key = serialization.load_pem_public_key(Path(path).read_bytes())
        except (OSError, ValueError) as exc:
            raise UsageError(f"Cannot read a public key from {path}: {exc}.") from None
        if not isinstance(key, Ed25519PublicKey):
            raise UsageError(f"{path} is not an Ed25519 publisher key.")
        make_private_dir(self._parts.config.keys_dir)
        kid: bytes = self._parts.keystore.add_trusted_publisher(key)
        return kid

    def install_player(self, path: str | Path) -> bytes:
        """Install the player's public key (PEM, X25519) that disk keys are wrapped to."""
        key = _read_public(path)
        if not isinstance(key, X25519PublicKey):
            raise UsageError(f"{path} is not a player public key (X25519).")
        make_private_dir(self._parts.config.keys_dir)
        kid: bytes = self._parts.keystore.install_player_public(key)
        return kid

    def certify(
        self, station_pub: str | Path, out: Path, *, days: int, name: str | None = None
    ) -> Certified:
        """The publisher's side: certify another station's public key for ``days`` days.

        Written to ``out`` (never over an existing file); the station installs it with
        'pressroom keys import-cert', after trusting this publisher's public key."""
        ks = self._parts.keystore
        if not ks.has_publisher():
            raise SetupError(
                f"This data folder has no publisher key ({ks.publisher_key_path}); certify "
                "stations in the publisher's own data folder."
            )
        if not 1 <= days <= 3660:
            raise UsageError("--days must be between 1 and 3660.")
        key = _read_public(station_pub)
        if not isinstance(key, Ed25519PublicKey):
            raise UsageError(f"{station_pub} is not a station public key (Ed25519).")
        if out.exists():
            raise UsageError(f"{out} exists already; choose another --out file.")
        now = int(time.time())
        station_id = key_id(raw_public(key))
        env = issue_station_cert(
            ks.publisher_key(),
            key,
            name=name or f"station {station_id.hex()[:12]}",
            not_before=now - 3600,
            not_after=now + days * 86400,
        )
        try:
            out.write_bytes(env.to_bytes())
        except OSError as exc:
            raise UsageError(f"Cannot write {out}: {exc.strerror}.") from None
        publisher = ks.publisher_key().public_key()
        trust_file = ks.trust_dir / f"{key_id(raw_public(publisher)).hex()}.pub"
        return Certified(
            station=station_id.hex(),
            not_after=now + days * 86400,
            out=out,
            publisher_pub=trust_file,
            player_pub=ks.player_pub_path if ks.has_player_public() else None,
        )

    def import_cert(self, path: str | Path) -> StationCert:
        """Install this station's certificate from its publisher (checked, never another's)."""
        ks = self._parts.keystore
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise UsageError(f"Cannot read {path}: {exc.strerror}.") from None
        cert = load_station_cert(data, ks.trusted_publishers())
        if cert.station != ks.station_id():
            raise UsageError("That certificate is for another station's key, not this one's.")
        ks.station_cert_path.write_bytes(data)
        return cert
