"""Rights grants: the publisher's signed permission to make N copies of some tracks.

A grant names tracks by the SHA-256 of their source file (the catalog's content hash),
the station allowed to use it (or any station the publisher certified), how many copies
and how many replacement copies may be made, the range of rights each copy may carry, and
its validity window. It travels inside every licence, so a player can check offline that
the disk was made within a genuine grant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pressroom.secure import canonical
from pressroom.secure.canonical import Cbor
from pressroom.secure.errors import FormatError, GrantError, TrustError
from pressroom.secure.keys import Envelope, sign
from pressroom.secure.rights import RightsLimits

GRANT_TYPE = "grant"
_FIELDS = (
    "v",
    "grant_id",
    "title",
    "publisher",
    "station",
    "tracks",
    "copies",
    "replacements",
    "limits",
    "not_before",
    "not_after",
    "issued_at",
)


@dataclass(frozen=True)
class Grant:
    grant_id: bytes  # 16 random bytes
    title: str
    publisher: bytes  # key id of the signing publisher
    station: bytes | None  # key id of the one station allowed, or None: any certified station
    tracks: tuple[bytes, ...]  # SHA-256 content hashes, sorted
    copies: int
    replacements: int
    limits: RightsLimits
    not_before: int
    not_after: int
    issued_at: int
    raw: bytes = field(default=b"", compare=False, repr=False)  # the signed envelope

    @property
    def id_hex(self) -> str:
        return self.grant_id.hex()

    def to_cbor(self) -> dict[str, Cbor]:
        return {
            "v": 1,
            "grant_id": self.grant_id,
            "title": self.title,
            "publisher": self.publisher,
            "station": self.station,
            "tracks": sorted(self.tracks),
            "copies": self.copies,
            "replacements": self.replacements,
            "limits": self.limits.to_cbor(),
            "not_before": self.not_before,
            "not_after": self.not_after,
            "issued_at": self.issued_at,
        }

    def covers_track(self, content_hash: bytes) -> bool:
        return content_hash in self.tracks

    def check_valid_at(self, when: int) -> None:
        if when < self.not_before:
            raise GrantError(f"The grant {self.id_hex[:8]} is not valid yet.", code="grant-early")
        if when > self.not_after:
            raise GrantError(f"The grant {self.id_hex[:8]} has expired.", code="grant-expired")


def create_grant(
    publisher: Ed25519PrivateKey,
    *,
    title: str,
    tracks: list[bytes],
    copies: int,
    replacements: int = 0,
    limits: RightsLimits,
    station: bytes | None,
    not_before: int,
    not_after: int,
    issued_at: int,
    grant_id: bytes | None = None,
) -> Grant:
    if copies < 1:
        raise GrantError("A grant must allow at least one copy.")
    if not tracks:
        raise GrantError("A grant must name at least one track.")
    if any(len(t) != 32 for t in tracks):
        raise GrantError("Grant tracks are named by 32-byte SHA-256 content hashes.")
    if not_after <= not_before:
        raise GrantError("A grant must end after it starts.")
    from pressroom.secure.keys import key_id, raw_public

    grant = Grant(
        grant_id=grant_id or uuid.uuid4().bytes,
        title=title,
        publisher=key_id(raw_public(publisher.public_key())),
        station=station,
        tracks=tuple(sorted(set(tracks))),
        copies=copies,
        replacements=replacements,
        limits=limits,
        not_before=not_before,
        not_after=not_after,
        issued_at=issued_at,
    )
    env = sign(publisher, GRANT_TYPE, canonical.encode(grant.to_cbor()))
    return parse_grant_body(env.body, raw=env.to_bytes())


def parse_grant_body(body: bytes, *, raw: bytes) -> Grant:
    m = canonical.expect_map(canonical.decode(body, "grant"), "grant", _FIELDS)
    if m["v"] != 1:
        raise FormatError(f"grant version {m['v']!r} is not supported.")
    tracks: list[bytes] = []
    for t in canonical.expect(m["tracks"], list, "grant tracks"):
        if not isinstance(t, bytes) or len(t) != 32:
            raise FormatError("grant tracks must be 32-byte hashes.")
        tracks.append(t)
    station = canonical.expect_optional(m["station"], bytes, "grant station")
    copies, replacements, not_before, not_after, issued_at = (
        canonical.expect(m[name], int, f"grant {name}")
        for name in ("copies", "replacements", "not_before", "not_after", "issued_at")
    )
    return Grant(
        grant_id=canonical.expect(m["grant_id"], bytes, "grant id"),
        title=canonical.expect(m["title"], str, "grant title"),
        publisher=canonical.expect(m["publisher"], bytes, "grant publisher"),
        station=station,
        tracks=tuple(tracks),
        copies=copies,
        replacements=replacements,
        limits=RightsLimits.from_cbor(m["limits"]),
        not_before=not_before,
        not_after=not_after,
        issued_at=issued_at,
        raw=raw,
    )


def load_grant(data: bytes, trusted: dict[bytes, Ed25519PublicKey]) -> Grant:
    """Parse a signed grant and check the publisher's signature (not its dates)."""
    env = Envelope.from_bytes(data, "grant", GRANT_TYPE)
    public = trusted.get(env.kid)
    if public is None:
        raise TrustError(
            "The grant is signed by a publisher key this station does not trust.",
            code="grant-untrusted",
        )
    try:
        env.verify(public, "grant")
    except Exception as exc:
        raise GrantError(str(exc), code="grant-forged") from None
    grant = parse_grant_body(env.body, raw=data)
    if grant.publisher != env.kid:
        raise GrantError("The grant names another publisher than its signer.", code="grant-forged")
    return grant
