"""Stations for the checkpoint and audit tests: keys, a grant, copies made, and the three
tampering stories of issue 14 done to a ledger the way an operator with root would."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import time
from pathlib import Path

import sqlalchemy as sa

from ledger_support import passed_disk
from pressroom.app import App
from pressroom.config import load_config
from pressroom.ledger import Ledger
from pressroom.ledger.chain import row_hash
from pressroom.ledger.schema import GENESIS_HASH, chain_head, disks, events, grants, reservations
from pressroom.secure.cert import issue_station_cert
from pressroom.secure.grant import Grant, create_grant
from pressroom.secure.rights import RightsLimits
from pressroom.station.checkpoints import ANCHOR_FILE

TRACK = hashlib.sha256(b"track-1").digest()


def station(root: Path, url: str, *, publisher_of: App | None = None) -> App:
    """A station with its own data folder on ledger ``url``; certified by its own demo
    publisher, or by the publisher of ``publisher_of`` (one rights holder, many stations)."""
    app = App(load_config(root, url))
    if publisher_of is None:
        app.station.keys.ensure(demo=True)
        return app
    ks, pub = app.keystore, publisher_of.keystore.publisher_key()
    ks.init_station()
    now = int(time.time())
    cert = issue_station_cert(
        pub,
        ks.station_key().public_key(),
        name=root.name,
        not_before=now - 60,
        not_after=now + 86_400,
    )
    ks.save_station_cert(cert)
    ks.add_trusted_publisher(pub.public_key())
    return app


def grant_for(app: App, copies: int = 20, replacements: int = 0) -> Grant:
    now = int(time.time())
    grant = create_grant(
        app.keystore.publisher_key(),
        title="Album",
        tracks=[TRACK],
        copies=copies,
        replacements=replacements,
        limits=RightsLimits(),
        station=None,
        not_before=now - 60,
        not_after=now + 86_400,
        issued_at=now,
    )
    return grant


def make_copies(app: App, grant_id: str, n: int, tag: str = "") -> list[int]:
    """``n`` copies reserved and committed as a run's disks would be; their indices."""
    ledger, sid = app.ledger, app.keystore.station_id().hex()
    got = []
    for i in range(n):
        res = ledger.reserve(grant_id, run_id=None, drive_id=f"d{i}", station_id=sid)
        assert res is not None
        lic = hashlib.sha256(f"{tag}{sid}{time.time_ns()}{i}".encode()).hexdigest()[:32]
        ledger.commit(res, passed_disk(res.copy_index, licence_id=lic, station_id=sid))
        got.append(res.copy_index)
    return got


def rewrite_without_copy(ledger: Ledger, copy_index: int) -> None:
    """Story 2: drop one copy's events and rows, re-hash the chain, fix the head and the
    counters, so that ``ledger verify`` alone says intact."""
    with ledger.engine.begin() as conn:
        res = conn.execute(
            sa.select(reservations.c.id, reservations.c.grant_id).where(
                reservations.c.copy_index == copy_index
            )
        ).one()
        rows = conn.execute(sa.select(events).order_by(events.c.seq)).all()
        kept = [r for r in rows if json.loads(r.payload).get("reservation") != res.id]
        conn.execute(disks.delete().where(disks.c.reservation_id == res.id))
        conn.execute(reservations.delete().where(reservations.c.id == res.id))
        conn.execute(events.delete())
        prev = GENESIS_HASH
        for seq, r in enumerate(kept, start=1):
            digest = row_hash(prev, seq, r.at, r.kind, r.payload)
            conn.execute(
                events.insert().values(
                    seq=seq, at=r.at, kind=r.kind, payload=r.payload, prev_hash=prev, hash=digest
                )
            )
            prev = digest
        conn.execute(chain_head.update().values(seq=len(kept), hash=prev))
        conn.execute(
            grants.update()
            .where(grants.c.grant_id == res.grant_id)
            .values(copies_used=grants.c.copies_used - 1, copies_issued=grants.c.copies_issued - 1)
        )


def wipe_ledger(app: App, url: str) -> App:
    """Story 3: the ledger deleted (every table emptied) and the station opened again."""
    app.ledger.close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in ("disks", "reservations", "replacements", "revocations", "runs", "grants"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
        conn.execute(events.delete())
        conn.execute(chain_head.update().values(seq=0, hash=GENESIS_HASH))
    engine.dispose()
    return App(load_config(app.config.data_dir, url))


def drop_anchors(app: App) -> None:
    """What root can also do: delete the anchor file (the tests' keyring stores nothing)."""
    (app.keystore.root / ANCHOR_FILE).unlink()


def resign_report(app: App, path: Path, **changes: object) -> None:
    """A JSON report changed and signed again with the station's own key (the station
    itself lying: its signature verifies, so only the audit's cross-checks can catch it)."""
    from pressroom.secure.checkpoint import sign_report

    doc = json.loads(path.read_text())
    doc.pop("signature")
    doc.update(changes)
    sig = sign_report(app.keystore.station_key(), doc)
    doc["signature"] = base64.b64encode(sig).decode()
    path.write_text(json.dumps(doc))


def replace_field(obj: object, **kw: object) -> object:
    return dataclasses.replace(obj, **kw)  # type: ignore[type-var]
