"""`ledger verify` replays the chain: tables edited behind its back are named, row and column.

Each test builds one small history through the Ledger (a grant, a run, disks committed,
released, burned and failed, a dangling reservation, revocations, a replacement), then
edits the database directly, as a shop with the SQLite file could, and checks that
verification names the first row that disagrees (table, key, column, expected, found).
"""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from ledger_support import Publisher, passed_disk
from pg import pg_server_url, pg_url  # noqa: F401  (fixtures)
from pressroom.app import App
from pressroom.cli import main
from pressroom.config import load_config
from pressroom.ledger import DiskRecord, Ledger, ReplacementRecord, RevocationRecord
from pressroom.ledger.schema import (
    disks,
    grants,
    replacements,
    reservations,
    revocations,
    runs,
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_url")
    with Ledger.open(url) as led:
        yield led


def _history(ledger: Ledger) -> dict[str, object]:
    """A grant with four disks made (one a replacement), one released, one burned, one
    failed before its reservation, one reservation left dangling, two revocations."""
    pub = Publisher()
    grant = pub.grant(copies=10, replacements=2)
    ledger.import_grant(grant.raw, pub.trusted, time.time())
    gid = grant.id_hex
    run = ledger.start_run(
        grant_id=gid, station_id="ab" * 16, tracks=["t1"], copies_wanted=6, rights={"plays": 3}
    )
    made = []
    for n in range(1, 4):
        r = ledger.reserve(gid, run_id=run, drive_id=f"drive-{n}")
        made.append(ledger.commit(r, passed_disk(n, run)))
    r = ledger.reserve(gid, run_id=run, drive_id="drive-4")
    failed = DiskRecord(result="fail", started_at=1.0, finished_at=2.0, reason="write error")
    ledger.release(r, "no licence reached the disk", disk=failed)
    r = ledger.reserve(gid, run_id=run, drive_id="drive-5")
    ledger.burn(r, "pulled while the licence was written")
    ledger.record_failure(
        DiskRecord(result="fail", started_at=3.0, finished_at=4.0, reason="duplicate serial")
    )
    dangling = ledger.reserve(gid, run_id=run, drive_id="drive-6")
    r = ledger.reserve(gid, run_id=run, drive_id="drive-7", kind="replacement")
    new = ledger.commit(r, passed_disk(7, run))
    ledger.record_replacement(
        ReplacementRecord(
            old_licence=made[0].licence_id,
            new_licence=new.licence_id,
            run_id=run,
            operator="Zoë",
            plays_carried=True,
            at=time.time(),
        )
    )
    ledger.record_revocations(
        RevocationRecord(
            target_kind="licence",
            target=lic,
            reason="lost",
            operator="Zoë",
            station_id="ab" * 16,
            list_number=None,
            source="requested",
            at=time.time(),
        )
        for lic in (made[0].licence_id, made[1].licence_id)
    )
    ledger.finish_run(run, "finished")
    return {"grant": gid, "run": run, "made": made, "dangling": dangling, "new": new}


def _edit(ledger: Ledger, *statements: sa.Executable) -> None:
    with ledger.engine.begin() as conn:
        for s in statements:
            conn.execute(s)


def _mismatch(ledger: Ledger) -> dict[str, object]:
    report = ledger.verify_chain()
    assert not report.ok and report.mismatch is not None
    assert report.reason == report.mismatch.sentence()
    return report.mismatch.to_json()


def test_an_untouched_history_verifies(ledger):
    _history(ledger)
    report = ledger.verify_chain()
    assert report.ok, report.reason
    assert report.mismatch is None and report.rows == len(ledger.events())


def test_counters_set_to_zero_are_named(ledger):
    h = _history(ledger)
    _edit(ledger, grants.update().values(copies_used=0, copies_issued=0))
    m = _mismatch(ledger)
    # 3 committed + 1 burned + 1 dangling are held; 6 indices were handed out
    assert m["table"] == "grants" and m["key"] == f"grant_id {h['grant']}"
    assert (m["column"], m["expected"], m["found"]) == ("copies_used", 5, 0)
    _edit(ledger, grants.update().values(copies_used=5))
    m = _mismatch(ledger)
    assert (m["column"], m["expected"], m["found"]) == ("copies_issued", 6, 0)


def test_raised_limit_is_named(ledger):
    _history(ledger)
    _edit(ledger, grants.update().values(copies=1000))
    m = _mismatch(ledger)
    assert (m["table"], m["column"], m["expected"], m["found"]) == ("grants", "copies", 10, 1000)


def test_deleted_disk_row_is_named(ledger):
    h = _history(ledger)
    second = h["made"][1]
    _edit(ledger, disks.delete().where(disks.c.id == second.id))
    m = _mismatch(ledger)
    assert (m["table"], m["key"], m["column"]) == ("disks", f"id {second.id}", "(row)")
    assert (m["expected"], m["found"]) == ("a row", "no such row")
    assert m["seq"] is not None  # the event that made the row
    event = next(e for e in ledger.events() if e.seq == m["seq"])
    assert event.kind == "committed" and event.payload["disk"] == second.id


def test_issue_story_counters_zeroed_and_a_disk_deleted(ledger):
    """Both edits at once: the first row in chain order, the deleted disk, is named."""
    h = _history(ledger)
    last = h["made"][2]
    _edit(
        ledger,
        grants.update().values(copies_used=0, copies_issued=0),
        disks.delete().where(disks.c.id == last.id),
    )
    m = _mismatch(ledger)
    assert (m["table"], m["key"]) == ("disks", f"id {last.id}")


def test_edited_disk_column_is_named(ledger):
    h = _history(ledger)
    first = h["made"][0]
    _edit(ledger, disks.update().where(disks.c.id == first.id).values(copy_index=9))
    m = _mismatch(ledger)
    assert (m["table"], m["key"], m["column"]) == ("disks", f"id {first.id}", "copy_index")
    assert (m["expected"], m["found"]) == (1, 9)


def test_edited_disk_vendor_is_named(ledger):
    """Columns the engine reads for the serial memory are covered too."""
    h = _history(ledger)
    first = h["made"][0]
    _edit(ledger, disks.update().where(disks.c.id == first.id).values(vendor="Kingston"))
    m = _mismatch(ledger)
    assert (m["column"], m["expected"], m["found"]) == ("vendor", "SanDisk", "Kingston")


def test_disk_row_no_event_made_is_named(ledger):
    _history(ledger)
    with ledger.engine.begin() as conn:
        extra = conn.execute(
            disks.insert()
            .values(result="pass", licence_id="f" * 32, started_at=1.0, finished_at=2.0)
            .returning(disks.c.id)
        ).scalar_one()
    m = _mismatch(ledger)
    assert (m["table"], m["key"], m["column"]) == ("disks", f"id {extra}", "(row)")
    assert m["seq"] is None and m["found"] == "a row"


def test_reservation_state_and_reason_are_checked(ledger):
    h = _history(ledger)
    rid = h["made"][0].reservation_id
    _edit(ledger, reservations.update().where(reservations.c.id == rid).values(state="released"))
    m = _mismatch(ledger)
    assert (m["table"], m["key"], m["column"]) == ("reservations", f"id {rid}", "state")
    assert (m["expected"], m["found"]) == ("committed", "released")


def test_released_reservation_keeps_its_own_reason(ledger):
    """The released event carries a disk whose reason differs from the reservation's."""
    _history(ledger)
    _edit(
        ledger,
        reservations.update().where(reservations.c.state == "released").values(reason="edited"),
    )
    m = _mismatch(ledger)
    assert (m["table"], m["column"]) == ("reservations", "reason")
    assert (m["expected"], m["found"]) == ("no licence reached the disk", "edited")


def test_dangling_reservation_is_checked_at_the_end(ledger):
    h = _history(ledger)
    rid = h["dangling"].id
    _edit(ledger, reservations.update().where(reservations.c.id == rid).values(copy_index=7))
    m = _mismatch(ledger)
    assert (m["table"], m["key"], m["column"]) == ("reservations", f"id {rid}", "copy_index")


def test_deleted_reservation_is_named(ledger):
    h = _history(ledger)
    rid = h["dangling"].id
    _edit(ledger, reservations.delete().where(reservations.c.id == rid))
    m = _mismatch(ledger)
    assert (m["table"], m["key"], m["column"]) == ("reservations", f"id {rid}", "(row)")


def test_deleted_revocation_is_named(ledger):
    _history(ledger)
    with ledger.engine.connect() as conn:
        first = conn.execute(sa.select(sa.func.min(revocations.c.id))).scalar_one()
    _edit(ledger, revocations.delete().where(revocations.c.id == first))
    m = _mismatch(ledger)
    assert (m["table"], m["key"], m["column"]) == ("revocations", f"id {first}", "(row)")


def test_edited_revocation_is_named(ledger):
    _history(ledger)
    _edit(ledger, revocations.update().values(source="imported"))
    m = _mismatch(ledger)
    assert (m["table"], m["column"], m["found"]) == ("revocations", "source", "imported")


def test_replacement_edited_deleted_or_added_is_named(ledger):
    h = _history(ledger)
    old = h["made"][0].licence_id
    key = f"old_licence {old}"
    _edit(ledger, replacements.update().values(plays_carried=False))
    m = _mismatch(ledger)
    assert (m["table"], m["key"], m["column"]) == ("replacements", key, "plays_carried")
    _edit(ledger, replacements.delete())
    m = _mismatch(ledger)
    assert (m["table"], m["key"], m["column"]) == ("replacements", key, "(row)")
    _edit(
        ledger,
        replacements.insert().values(
            old_licence=old,
            new_licence=h["new"].licence_id,
            operator="Zoë",
            plays_carried=True,
            at=1.0,
            run_id=h["run"],
        ),
    )
    m = _mismatch(ledger)
    assert (m["table"], m["column"], m["found"]) == ("replacements", "at", 1.0)
    _edit(
        ledger,
        replacements.delete(),
        replacements.insert().values(
            old_licence="e" * 32, new_licence="d" * 32, plays_carried=False, at=1.0
        ),
    )
    m = _mismatch(ledger)
    assert (m["table"], m["key"]) == ("replacements", f"old_licence {old}")
    assert m["column"] == "(row)" and m["found"] == "no such row"


def test_runs_are_checked_from_start_to_finish(ledger):
    h = _history(ledger)
    key = f"run_id {h['run']}"
    _edit(ledger, runs.update().values(status="aborted"))
    m = _mismatch(ledger)
    assert (m["table"], m["key"], m["column"]) == ("runs", key, "status")
    assert (m["expected"], m["found"]) == ("finished", "aborted")
    _edit(ledger, runs.update().values(status="finished", operator="someone else"))
    assert (_mismatch(ledger)["column"]) == "operator"
    _edit(ledger, runs.update().values(operator=""))
    assert ledger.verify_chain().ok
    second = ledger.start_run(
        grant_id=h["grant"], station_id="ab" * 16, tracks=["t1"], copies_wanted=1, rights={}
    )
    assert ledger.verify_chain().ok  # a run still going: its row says "running"
    _edit(ledger, runs.update().where(runs.c.run_id == second).values(finished_at=5.0))
    m = _mismatch(ledger)
    assert (m["key"], m["column"], m["expected"]) == (f"run_id {second}", "finished_at", None)
    _edit(
        ledger,
        runs.update().where(runs.c.run_id == second).values(finished_at=None),
        runs.insert().values(
            run_id="0" * 32,
            started_at=1.0,
            station_id="",
            grant_id=h["grant"],
            tracks="[]",
            copies_wanted=1,
            rights="{}",
            status="finished",
        ),
    )
    m = _mismatch(ledger)
    assert (m["table"], m["key"], m["column"]) == ("runs", f"run_id {'0' * 32}", "(row)")


def test_a_column_that_is_no_longer_json_is_named(ledger):
    h = _history(ledger)
    _edit(ledger, runs.update().values(tracks="not json"))
    m = _mismatch(ledger)
    assert (m["key"], m["column"], m["found"]) == (f"run_id {h['run']}", "tracks", "not json")


def test_grant_row_no_event_made_is_named(ledger):
    pub = Publisher()
    _history(ledger)
    other = pub.grant(copies=5)
    _edit(
        ledger,
        grants.insert().values(
            grant_id=other.id_hex,
            raw=other.raw,
            title="x",
            publisher="00",
            tracks="[]",
            copies=5,
            replacements=0,
            not_before=0,
            not_after=1,
            imported_at=1.0,
        ),
    )
    m = _mismatch(ledger)
    assert (m["table"], m["key"], m["column"]) == ("grants", f"grant_id {other.id_hex}", "(row)")


def test_swapped_grant_envelope_is_named(ledger):
    """The signed grant kept in the row is the one the event recorded."""
    h = _history(ledger)
    other = Publisher().grant(copies=1000)
    _edit(ledger, grants.update().values(raw=other.raw))
    m = _mismatch(ledger)
    assert (m["table"], m["key"], m["column"]) == ("grants", f"grant_id {h['grant']}", "raw")


def test_cli_names_the_row_and_exits_1(capsys):
    ledger = App(load_config()).ledger
    h = _history(ledger)
    assert main(["ledger", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    _edit(ledger, grants.update().values(copies_used=0, copies_issued=0))
    assert main(["ledger", "verify"]) == 1
    out = capsys.readouterr().out
    assert "events verify" in out and f"grants row grant_id {h['grant']}" in out
    assert "column copies_used: the events say 5, the table has 0" in out
    assert "Traceback" not in out
    assert main(["ledger", "verify", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["mismatch"]["column"] == "copies_used" and report["mismatch"]["found"] == 0
    ledger.close()


def test_infinite_speed_is_stored_as_unknown_and_verifies(ledger):
    """A measurement JSON cannot hold must not stop a disk from being recorded."""
    h = _history(ledger)
    r = ledger.reserve(h["grant"], run_id=h["run"], drive_id="drive-9")
    stored = ledger.commit(r, passed_disk(9, h["run"], mb_per_s=float("inf")))
    assert stored.mb_per_s is None
    assert ledger.verify_chain().ok


# Keys the events gained when they became enough to rebuild the tables.
_NEWER_KEYS = {
    "grant-imported": {"station", "tracks", "not_before", "imported_at", "raw"},
    "reserved": {"at"},
    "revoked": {"id"},
    "run-started": {"at"},
    "run-finished": {"at"},
}
_NEWER_DISK_KEYS = {
    "slot", "drive_id", "serial_masked", "vendor", "product", "capacity", "started_at",
    "finished_at", "write_seconds", "verify_seconds", "mb_per_s", "operator",
    "state", "at", "reservation_reason",
}  # fmt: skip


def _rewrite_as_older_events(ledger: Ledger) -> None:
    """Strip the newer keys from every event and re-hash the chain, as an older ledger."""
    from pressroom.ledger.chain import canonical_json, row_hash
    from pressroom.ledger.schema import GENESIS_HASH, chain_head, events

    prev = GENESIS_HASH
    with ledger.engine.begin() as conn:
        rows = conn.execute(sa.select(events).order_by(events.c.seq)).all()
        for row in rows:
            payload = json.loads(row.payload)
            for key in _NEWER_KEYS.get(row.kind, _NEWER_DISK_KEYS):
                payload.pop(key, None)
            if "disk" in payload and row.kind != "disk-failed":
                payload["reason"] = payload.get("reason")  # older: the disk's reason
            text = canonical_json(payload)
            digest = row_hash(prev, row.seq, row.at, row.kind, text)
            conn.execute(
                events.update()
                .where(events.c.seq == row.seq)
                .values(payload=text, prev_hash=prev, hash=digest)
            )
            prev = digest
        conn.execute(chain_head.update().values(hash=prev))


def test_older_events_are_checked_on_what_they_carry(ledger):
    h = _history(ledger)
    _rewrite_as_older_events(ledger)
    assert ledger.verify_chain().ok, ledger.verify_chain().reason
    _edit(ledger, grants.update().values(copies_used=0))
    m = _mismatch(ledger)
    assert (m["key"], m["column"], m["expected"]) == (f"grant_id {h['grant']}", "copies_used", 5)
    _edit(ledger, grants.update().values(copies_used=5), disks.update().values(vendor="x"))
    assert ledger.verify_chain().ok  # older events did not carry the vendor
    first = h["made"][0]
    _edit(ledger, disks.delete().where(disks.c.id == first.id))
    assert _mismatch(ledger)["key"] == f"id {first.id}"
