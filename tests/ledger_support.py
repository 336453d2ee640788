"""Helpers shared by the ledger, grant and report tests: publisher keys and grants."""

from __future__ import annotations

import dataclasses
import hashlib
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pressroom.ledger import DiskRecord
from pressroom.secure import canonical
from pressroom.secure.grant import Grant, create_grant
from pressroom.secure.keys import Envelope, key_id, raw_public
from pressroom.secure.rights import RightsLimits


class Publisher:
    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.kid = key_id(raw_public(self.key.public_key()))

    @property
    def trusted(self):
        return {self.kid: self.key.public_key()}

    def grant(self, *, copies: int = 3, replacements: int = 0, days: int = 30, **kw) -> Grant:
        now = kw.pop("now", int(time.time()))
        return create_grant(
            self.key,
            title=kw.pop("title", "Test album"),
            tracks=kw.pop("tracks", [hashlib.sha256(b"track-1").digest()]),
            copies=copies,
            replacements=replacements,
            limits=kw.pop("limits", RightsLimits()),
            station=kw.pop("station", None),
            not_before=kw.pop("not_before", now - 60),
            not_after=kw.pop("not_after", now + days * 86_400),
            issued_at=now,
        )


def forged(grant: Grant, **changes) -> bytes:
    """The grant's envelope with its body changed (say, more copies) and the old signature."""
    env = Envelope.from_bytes(grant.raw, "grant", "grant")
    body = canonical.decode(env.body, "grant")
    body.update(changes or {"copies": body["copies"] * 100})
    return dataclasses.replace(env, body=canonical.encode(body)).to_bytes()


def passed_disk(n: int, run_id: str | None = None, **kw) -> DiskRecord:
    serial = f"SERIAL{n:04d}"
    values = dict(
        result="pass",
        started_at=1_700_000_000.0 + n,
        finished_at=1_700_000_030.0 + n,
        licence_id=hashlib.sha256(f"licence-{n}".encode()).hexdigest()[:32],
        run_id=run_id,
        slot=f"slot {n}",
        drive_id=f"drive-{n}",
        identity_hash=hashlib.sha256(f"id-{serial}".encode()).hexdigest(),
        serial_hash=hashlib.sha256(serial.encode()).hexdigest(),
        serial_masked="••••" + serial[-4:],
        vendor="SanDisk",
        product="Cruzer Blade",
        capacity=16_000_000_000,
        tracks=(hashlib.sha256(b"track-1").hexdigest(),),
        bytes=42_000_000,
        write_seconds=2.0,
        verify_seconds=1.0,
        mb_per_s=14.0,
        operator="Zoë",
        station_id="ab" * 16,
    )
    values.update(kw)
    return DiskRecord(**values)
