"""Station certificates and revocation lists, both signed by the publisher.

A station certificate says "this Ed25519 key belongs to a station I trust, from ... to".
A revocation list is numbered; a verifier keeps the highest-numbered list it has seen and
never goes back to a lower one, so an old list cannot un-revoke anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pressroom.errors import UsageError
from pressroom.secure import canonical
from pressroom.secure.canonical import Cbor
from pressroom.secure.errors import FormatError, SecureError, TrustError
from pressroom.secure.keys import (
    Envelope,
    KeyStore,
    ed25519_public_from_raw,
    key_id,
    raw_public,
    sign,
)

CERT_TYPE = "station-cert"
REVOCATION_TYPE = "revocations"


@dataclass(frozen=True)
class StationCert:
    station: bytes  # key id of the station key
    station_key: Ed25519PublicKey
    name: str
    publisher: bytes
    not_before: int
    not_after: int
    raw: bytes = field(default=b"", compare=False, repr=False)


def issue_station_cert(
    publisher: Ed25519PrivateKey,
    station_public: Ed25519PublicKey,
    *,
    name: str,
    not_before: int,
    not_after: int,
) -> Envelope:
    raw = raw_public(station_public)
    body: dict[str, Cbor] = {
        "v": 1,
        "station": key_id(raw),
        "station_key": raw,
        "name": name,
        "publisher": key_id(raw_public(publisher.public_key())),
        "not_before": not_before,
        "not_after": not_after,
    }
    return sign(publisher, CERT_TYPE, canonical.encode(body))


def load_station_cert(data: bytes, trusted: dict[bytes, Ed25519PublicKey]) -> StationCert:
    """Check the certificate's signature against the trusted publishers."""
    env = Envelope.from_bytes(data, "station certificate", CERT_TYPE)
    publisher = trusted.get(env.kid)
    if publisher is None:
        raise TrustError(
            "The station certificate is not signed by a publisher this player trusts "
            "(an uncertified station made this disk).",
            code="station-uncertified",
        )
    env.verify(publisher, "station certificate")
    m = canonical.expect_map(
        canonical.decode(env.body, "station certificate"),
        "station certificate",
        ("v", "station", "station_key", "name", "publisher", "not_before", "not_after"),
    )
    if m["v"] != 1:
        raise FormatError("station certificate version is not supported.")
    raw_key = canonical.expect(m["station_key"], bytes, "station key")
    if key_id(raw_key) != m["station"] or m["publisher"] != env.kid:
        raise FormatError("The station certificate's key ids do not match its keys.")
    return StationCert(
        station=m["station"],
        station_key=ed25519_public_from_raw(raw_key, "station key"),
        name=canonical.expect(m["name"], str, "station name"),
        publisher=env.kid,
        not_before=canonical.expect(m["not_before"], int, "certificate start"),
        not_after=canonical.expect(m["not_after"], int, "certificate end"),
        raw=data,
    )


@dataclass(frozen=True)
class RevocationList:
    number: int
    publisher: bytes
    issued_at: int
    stations: frozenset[bytes]
    licences: frozenset[bytes]
    raw: bytes = field(default=b"", compare=False, repr=False)

    @classmethod
    def empty(cls) -> RevocationList:
        return cls(0, b"", 0, frozenset(), frozenset())


def issue_revocations(
    publisher: Ed25519PrivateKey,
    *,
    number: int,
    issued_at: int,
    stations: set[bytes],
    licences: set[bytes],
) -> bytes:
    body: dict[str, Cbor] = {
        "v": 1,
        "number": number,
        "publisher": key_id(raw_public(publisher.public_key())),
        "issued_at": issued_at,
        "stations": sorted(stations),
        "licences": sorted(licences),
    }
    return sign(publisher, REVOCATION_TYPE, canonical.encode(body)).to_bytes()


def load_revocations(data: bytes, trusted: dict[bytes, Ed25519PublicKey]) -> RevocationList:
    env = Envelope.from_bytes(data, "revocation list", REVOCATION_TYPE)
    publisher = trusted.get(env.kid)
    if publisher is None:
        raise TrustError("The revocation list is signed by an unknown publisher.")
    env.verify(publisher, "revocation list")
    m = canonical.expect_map(
        canonical.decode(env.body, "revocation list"),
        "revocation list",
        ("v", "number", "publisher", "issued_at", "stations", "licences"),
    )
    if m["v"] != 1 or m["publisher"] != env.kid:
        raise FormatError("The revocation list's version or publisher does not match its signer.")
    return RevocationList(
        number=canonical.expect(m["number"], int, "revocation number"),
        publisher=env.kid,
        issued_at=canonical.expect(m["issued_at"], int, "revocation time"),
        stations=frozenset(canonical.expect(m["stations"], list, "revoked stations")),
        licences=frozenset(canonical.expect(m["licences"], list, "revoked licences")),
        raw=data,
    )


def newest(
    candidates: list[bytes | None], trusted: dict[bytes, Ed25519PublicKey]
) -> RevocationList:
    """The highest-numbered list among those that verify; unverifiable ones are ignored."""
    best = RevocationList.empty()
    for data in candidates:
        if not data:
            continue
        try:
            rl = load_revocations(data, trusted)
        except SecureError:
            continue
        if rl.number > best.number:
            best = rl
    return best


def install_revocations(ks: KeyStore, data: bytes) -> int:
    """Store a list that verifies and is newer than the stored one; returns its number.

    Never replaces a higher- (or equally) numbered list, so nothing can un-revoke.
    """
    trusted = ks.trusted_publishers()
    new = load_revocations(data, trusted)
    old = newest([ks.revocations_bytes()], trusted)
    if old.raw == data:
        return new.number
    if new.number <= old.number:
        raise UsageError(
            f"Revocation list {new.number} is not newer than list {old.number}, which "
            "this station already has; the newer list was kept."
        )
    ks.write_revocations(data)
    return new.number
