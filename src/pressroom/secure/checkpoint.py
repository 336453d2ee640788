"""Signed ledger checkpoints and signed reports (docs/FORMAT.md 12).

A checkpoint is the station's signed statement "the ledger I write to had, at event
``seq``, the head hash ``head``, and these per-grant counters": the station signs it with
its own key and carries its publisher-signed certificate inside, so a rights holder can
check it offline with nothing but the publisher's public key. Anything kept elsewhere (a
report sent last month, the station's keyring) then pins the ledger's history: a ledger
rewritten, rolled back or replaced no longer extends it.

A signed report is a JSON document whose canonical form (compact, key-sorted) is hashed
and the hash signed, in an envelope of type ``report``; it carries its checkpoint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pressroom.secure import canonical
from pressroom.secure.canonical import Cbor
from pressroom.secure.cert import StationCert, load_station_cert
from pressroom.secure.errors import FormatError, TrustError
from pressroom.secure.keys import Envelope, key_id, raw_public, sign

CHECKPOINT_TYPE = "checkpoint"
REPORT_TYPE = "report"
MAX_CHECKPOINT = 1 << 20  # bytes; a checkpoint of a few thousand grants is far below
_FIELDS = ("v", "station", "ledger", "seq", "head", "at", "grants", "cert", "recovery")
_GRANT_FIELDS = (
    "grant",
    "copies_used",
    "copies_issued",
    "replacements_used",
    "replacements_issued",
)


@dataclass(frozen=True)
class GrantMarks:
    """One grant's counters at the checkpoint: copies held (used) and indices ever handed
    out (issued), per kind. ``issued`` never goes down; it is the high-water mark."""

    grant: str  # hex
    copies_used: int
    copies_issued: int
    replacements_used: int = 0
    replacements_issued: int = 0

    def to_cbor(self) -> dict[str, Cbor]:
        return {
            "grant": bytes.fromhex(self.grant),
            "copies_used": self.copies_used,
            "copies_issued": self.copies_issued,
            "replacements_used": self.replacements_used,
            "replacements_issued": self.replacements_issued,
        }

    @classmethod
    def from_cbor(cls, raw: Cbor) -> GrantMarks:
        m = canonical.expect_map(raw, "checkpoint grant", _GRANT_FIELDS)
        counts = [canonical.expect(m[k], int, f"checkpoint {k}") for k in _GRANT_FIELDS[1:]]
        if any(c < 0 for c in counts):
            raise FormatError("A checkpoint counter is negative.")
        return cls(canonical.expect(m["grant"], bytes, "checkpoint grant id").hex(), *counts)


@dataclass(frozen=True)
class Recovery:
    """What a recovery checkpoint replaces: the checkpoint the lost ledger had reached."""

    replaces: str  # hex SHA-256 of the replaced checkpoint's bytes
    ledger: str  # the lost ledger's id (hash of its first event)
    seq: int
    head: str  # hex
    reason: str

    def to_cbor(self) -> dict[str, Cbor]:
        return {
            "replaces": bytes.fromhex(self.replaces),
            "ledger": bytes.fromhex(self.ledger),
            "seq": self.seq,
            "head": bytes.fromhex(self.head),
            "reason": self.reason,
        }

    @classmethod
    def from_cbor(cls, raw: Cbor) -> Recovery:
        m = canonical.expect_map(
            raw, "checkpoint recovery", ("replaces", "ledger", "seq", "head", "reason")
        )
        return cls(
            replaces=canonical.expect(m["replaces"], bytes, "recovery digest").hex(),
            ledger=canonical.expect(m["ledger"], bytes, "recovery ledger").hex(),
            seq=canonical.expect(m["seq"], int, "recovery seq"),
            head=canonical.expect(m["head"], bytes, "recovery head").hex(),
            reason=canonical.expect(m["reason"], str, "recovery reason"),
        )


@dataclass(frozen=True)
class Checkpoint:
    """The body of a checkpoint. Hashes and ids are lowercase hex here."""

    station: str  # key id of the station key
    ledger: str  # hash of the ledger's first event: which chain this is (zeros: empty)
    seq: int
    head: str
    at: int  # Unix seconds
    grants: tuple[GrantMarks, ...]
    cert: bytes = field(repr=False)  # the station certificate, as the publisher signed it
    recovery: Recovery | None = None
    raw: bytes = field(default=b"", compare=False, repr=False)  # the signed envelope

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def label(self) -> str:
        """How a sentence names it: 'checkpoint 42 (head 3f2a9c1b…) of station 5e...'."""
        return f"checkpoint {self.seq} (head {self.head[:12]}) of station {self.station[:12]}"

    def marks(self, grant_id: str) -> GrantMarks | None:
        return next((g for g in self.grants if g.grant == grant_id), None)

    def body(self) -> bytes:
        value: dict[str, Cbor] = {
            "v": 1,
            "station": bytes.fromhex(self.station),
            "ledger": bytes.fromhex(self.ledger),
            "seq": self.seq,
            "head": bytes.fromhex(self.head),
            "at": self.at,
            "grants": [g.to_cbor() for g in sorted(self.grants, key=lambda g: g.grant)],
            "cert": self.cert,
            "recovery": None if self.recovery is None else self.recovery.to_cbor(),
        }
        return canonical.encode(value)


def sign_checkpoint(private: Ed25519PrivateKey, checkpoint: Checkpoint) -> bytes:
    """The signed envelope of ``checkpoint``; the key must be the station's own."""
    if key_id(raw_public(private.public_key())).hex() != checkpoint.station:
        raise ValueError("a checkpoint is signed by the station it names")
    return sign(private, CHECKPOINT_TYPE, checkpoint.body()).to_bytes()


def _parse_body(env: Envelope, raw: bytes) -> Checkpoint:
    m = canonical.expect_map(canonical.decode(env.body, "checkpoint"), "checkpoint", _FIELDS)
    if m["v"] != 1:
        raise FormatError("This checkpoint's version is not supported.")
    grants = canonical.expect(m["grants"], list, "checkpoint grants")
    recovery = m["recovery"]
    cp = Checkpoint(
        station=canonical.expect(m["station"], bytes, "checkpoint station").hex(),
        ledger=canonical.expect(m["ledger"], bytes, "checkpoint ledger").hex(),
        seq=canonical.expect(m["seq"], int, "checkpoint seq"),
        head=canonical.expect(m["head"], bytes, "checkpoint head").hex(),
        at=canonical.expect(m["at"], int, "checkpoint time"),
        grants=tuple(GrantMarks.from_cbor(g) for g in grants),
        cert=canonical.expect(m["cert"], bytes, "checkpoint certificate"),
        recovery=None if recovery is None else Recovery.from_cbor(recovery),
        raw=raw,
    )
    if cp.seq < 0 or len(cp.head) != 64 or len(cp.ledger) != 64:
        raise FormatError("The checkpoint's seq or hashes have the wrong form.")
    if env.kid.hex() != cp.station:
        raise FormatError("The checkpoint names another station than the key that signed it.")
    return cp


def load_checkpoint(
    data: bytes, trusted: Mapping[bytes, Ed25519PublicKey], *, now: float | None = None
) -> tuple[Checkpoint, StationCert]:
    """A checkpoint verified offline: its certificate against the trusted publishers, its
    signature against the certified station key. ``now`` checks the certificate was valid
    when the checkpoint says it was made (a checkpoint is evidence, kept for years)."""
    if len(data) > MAX_CHECKPOINT:
        raise FormatError("The checkpoint is too large.", code="too-complex")
    env = Envelope.from_bytes(data, "checkpoint", CHECKPOINT_TYPE)
    cp = _parse_body(env, data)
    cert = load_station_cert(cp.cert, dict(trusted))
    if cert.station != env.kid:
        raise TrustError(
            "The checkpoint is signed by a key its certificate does not certify.",
            code="checkpoint-cert-mismatch",
        )
    env.verify(cert.station_key, "checkpoint")
    if not cert.not_before <= cp.at <= cert.not_after:
        raise TrustError(
            "The checkpoint was made outside its station certificate's validity.",
            code="checkpoint-cert-expired",
        )
    return cp, cert


def load_own_checkpoint(data: bytes, station_key: Ed25519PublicKey) -> Checkpoint:
    """A checkpoint this station signed (read back from its own anchors)."""
    if len(data) > MAX_CHECKPOINT:
        raise FormatError("The checkpoint is too large.", code="too-complex")
    env = Envelope.from_bytes(data, "checkpoint", CHECKPOINT_TYPE)
    if env.kid != key_id(raw_public(station_key)):
        raise TrustError("The checkpoint was signed by another station.", code="other-station")
    env.verify(station_key, "checkpoint")
    return _parse_body(env, data)


# --- signed reports ----------------------------------------------------------------------


def json_digest(document: Mapping[str, Any]) -> bytes:
    """SHA-256 of the document's canonical JSON (compact, key-sorted, UTF-8)."""
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).digest()


def sign_report(private: Ed25519PrivateKey, document: Mapping[str, Any]) -> bytes:
    """The ``report`` envelope over the digest of ``document`` (without its signature)."""
    body: dict[str, Cbor] = {"v": 1, "sha256": json_digest(document)}
    return sign(private, REPORT_TYPE, canonical.encode(body)).to_bytes()


def verify_report(signature: bytes, document: Mapping[str, Any], station: StationCert) -> None:
    """Check that the certified station signed exactly ``document``."""
    env = Envelope.from_bytes(signature, "report signature", REPORT_TYPE)
    if env.kid != station.station:
        raise TrustError(
            "The report is signed by another key than its checkpoint's station.",
            code="report-other-station",
        )
    env.verify(station.station_key, "report")
    m = canonical.expect_map(canonical.decode(env.body, "report"), "report", ("v", "sha256"))
    if m["v"] != 1:
        raise FormatError("This report signature's version is not supported.")
    if m["sha256"] != json_digest(document):
        raise TrustError(
            "The report was changed after the station signed it.", code="report-altered"
        )
