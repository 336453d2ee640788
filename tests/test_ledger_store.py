"""The ledger's grant, quota and disk bookkeeping, on SQLite and (when available) PostgreSQL."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from ledger_support import Publisher, forged, passed_disk
from pg import pg_server_url, pg_url  # noqa: F401  (fixtures)
from pressroom.errors import UsageError
from pressroom.ledger import DiskRecord, Ledger, StaleReservation
from pressroom.ledger import db as ledger_db
from pressroom.secure.errors import GrantError, TrustError


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_url")
    with Ledger.open(url) as led:
        yield led


@pytest.fixture
def publisher():
    return Publisher()


def _imported(ledger, publisher, **kw):
    grant = publisher.grant(**kw)
    ledger.import_grant(grant.raw, publisher.trusted, time.time())
    return grant


def test_import_grant_records_it_once(ledger, publisher):
    grant = publisher.grant(copies=5, replacements=2, title="Live at the Pressroom")
    assert ledger.import_grant(grant.raw, publisher.trusted, time.time()) == grant
    ledger.import_grant(grant.raw, publisher.trusted, time.time())  # idempotent
    [status] = ledger.grants()
    assert status.grant == grant
    assert (status.copies_remaining, status.replacements_remaining) == (5, 2)
    assert ledger.get_grant(grant.id_hex[:6]).grant.title == "Live at the Pressroom"
    assert [e.kind for e in ledger.events()] == ["grant-imported"]


def test_forged_grant_is_refused_and_not_recorded(ledger, publisher):
    with pytest.raises(GrantError) as err:
        ledger.import_grant(forged(publisher.grant()), publisher.trusted, time.time())
    assert err.value.code == "grant-forged"
    assert ledger.grants() == []
    assert ledger.events() == []


def test_grant_from_untrusted_publisher_is_refused(ledger, publisher):
    with pytest.raises(TrustError) as err:
        ledger.import_grant(publisher.grant().raw, Publisher().trusted, time.time())
    assert err.value.code == "grant-untrusted"
    assert ledger.grants() == []


def test_expired_grant_is_refused_but_a_future_one_is_accepted(ledger, publisher):
    now = int(time.time())
    old = publisher.grant(now=now - 100 * 86_400, days=30)
    with pytest.raises(GrantError) as err:
        ledger.import_grant(old.raw, publisher.trusted, now)
    assert err.value.code == "grant-expired"
    future = publisher.grant(not_before=now + 86_400, not_after=now + 10 * 86_400)
    ledger.import_grant(future.raw, publisher.trusted, now)
    assert [s.grant_id for s in ledger.grants()] == [future.id_hex]


def test_reserve_until_exhausted_then_none(ledger, publisher):
    grant = _imported(ledger, publisher, copies=2, replacements=1)
    run = ledger.start_run(
        grant_id=grant.id_hex, station_id="ab" * 16, tracks=[], copies_wanted=3, rights={}
    )
    a = ledger.reserve(grant.id_hex, run_id=run, drive_id="d1")
    b = ledger.reserve(grant.id_hex, run_id=run, drive_id="d2")
    assert (a.copy_index, b.copy_index) == (1, 2)
    assert ledger.reserve(grant.id_hex, run_id=run, drive_id="d3") is None
    r = ledger.reserve(grant.id_hex, run_id=run, drive_id="d3", kind="replacement")
    assert (r.kind, r.copy_index) == ("replacement", 1)
    assert ledger.reserve(grant.id_hex, run_id=run, drive_id="d4", kind="replacement") is None
    status = ledger.get_grant(grant.id_hex)
    assert (status.copies_used, status.copies_remaining, status.replacements_remaining) == (
        2,
        0,
        0,
    )


def test_release_returns_the_copy_and_its_index_burn_keeps_both(ledger, publisher):
    grant = _imported(ledger, publisher, copies=3)
    run = ledger.start_run(
        grant_id=grant.id_hex, station_id="s", tracks=[], copies_wanted=3, rights={}
    )
    first = ledger.reserve(grant.id_hex, run_id=run, drive_id="d1")
    second = ledger.reserve(grant.id_hex, run_id=run, drive_id="d2")
    failed = passed_disk(2, run, result="fail", licence_id=None, reason="write error")
    ledger.release(second, "write error", disk=failed)
    assert ledger.get_grant(grant.id_hex).copies_remaining == 2
    third = ledger.reserve(grant.id_hex, run_id=run, drive_id="d2")
    assert third.copy_index == 2  # no licence can exist for the released copy 2: reused
    fourth = ledger.reserve(grant.id_hex, run_id=run, drive_id="d4")
    assert fourth.copy_index == 3
    ledger.burn(fourth, "pulled while its licence was written")
    assert ledger.get_grant(grant.id_hex).copies_remaining == 0  # a burned copy stays counted
    assert ledger.reserve(grant.id_hex, run_id=run, drive_id="d9") is None
    ledger.commit(first, passed_disk(1, run))
    ledger.commit(third, passed_disk(2, run))
    status = ledger.get_grant(grant.id_hex)
    assert (status.copies_used, status.copies_committed) == (3, 2)
    made = ledger.disks(run_id=run)
    assert sorted((d.result, d.copy_index) for d in made) == [
        ("fail", 2),
        ("pass", 1),
        ("pass", 2),
    ]
    with pytest.raises(StaleReservation):
        ledger.release(first, "too late")
    with pytest.raises(StaleReservation):
        ledger.commit(second, passed_disk(4, run))
    assert ledger.verify_chain().ok


def test_dangling_reservations_are_reconciled(ledger, publisher):
    grant = _imported(ledger, publisher, copies=3)
    run = ledger.start_run(
        grant_id=grant.id_hex, station_id="s1", tracks=[], copies_wanted=3, rights={}
    )
    done = ledger.reserve(grant.id_hex, run_id=run, drive_id="d1", station_id="s1")
    licence_written = ledger.reserve(grant.id_hex, run_id=run, drive_id="d2", station_id="s1")
    interrupted = ledger.reserve(grant.id_hex, run_id=run, drive_id="d3", station_id="s1")
    ledger.commit(done, passed_disk(1, run))
    ledger.finish_run(run, "crashed")
    dangling = ledger.dangling_reservations(station_id="s1")
    assert [r.id for r in dangling] == [licence_written.id, interrupted.id]
    assert ledger.dangling_reservations(station_id="other") == []
    ledger.reconcile(dangling[0], "commit", disk=passed_disk(2, run))
    ledger.reconcile(dangling[1], "release")
    assert ledger.dangling_reservations() == []
    status = ledger.get_grant(grant.id_hex)
    assert (status.copies_used, status.copies_committed) == (2, 2)
    kinds = [e.kind for e in ledger.events()]
    assert kinds[-2:] == ["reconciled-commit", "reconciled-release"]
    with pytest.raises(StaleReservation):
        ledger.reconcile(dangling[1], "release")


def test_known_identity_finds_the_same_serial_on_other_hardware(ledger, publisher):
    grant = _imported(ledger, publisher)
    res = ledger.reserve(grant.id_hex, run_id=None, drive_id="d1")
    disk = ledger.commit(res, passed_disk(1))
    same = ledger.known_identity(disk.identity_hash, disk.serial_hash)
    assert same.known and not same.serial_clash
    clone = ledger.known_identity("ee" * 32, disk.serial_hash)
    assert clone.known and clone.serial_clash
    assert clone.matches[0].licence_id == disk.licence_id
    assert not ledger.known_identity("ee" * 32, "ff" * 32).known


def test_failure_without_reservation_and_filters(ledger, publisher):
    grant = _imported(ledger, publisher)
    run = ledger.start_run(
        grant_id=grant.id_hex, station_id="s", tracks=["aa" * 32], copies_wanted=1, rights={}
    )
    refused = passed_disk(7, run, result="fail", licence_id=None, reason="blank serial")
    ledger.record_failure(refused)
    with pytest.raises(ValueError):
        ledger.record_failure(passed_disk(8, run))
    assert [d.reason for d in ledger.disks(run_id=run)] == ["blank serial"]
    assert ledger.disks(since=refused.finished_at + 1) == []
    ledger.finish_run(run, "finished")
    [record] = ledger.runs()
    assert (record.status, record.tracks) == ("finished", ("aa" * 32,))
    assert ledger.get_run(run[:6]).run_id == run
    with pytest.raises(UsageError):
        ledger.get_grant("zz")


def test_sqlite_settings_and_reopen(tmp_path):
    url = f"sqlite:///{tmp_path / 'sub' / 'ledger.sqlite3'}"
    with Ledger.open(url) as led, led.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    with Ledger.open(url) as led:
        assert ledger_db.current_revision(led.engine) == "0006_reason_code"


def test_migration_adopts_a_catalog_table_made_before_the_ledger(tmp_path):
    from pressroom.catalog.store import SqlCatalogStore

    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    early = sa.create_engine(url)
    SqlCatalogStore(early).ensure_table()
    early.dispose()
    with Ledger.open(url) as led:
        names = sa.inspect(led.engine).get_table_names()
    assert {"catalog", "grants", "disks", "events", "chain_head"} <= set(names)


def test_postgres_urls_are_normalised():
    assert ledger_db.normalise_url("postgres://u@h/db").startswith("postgresql+psycopg://")
    assert ledger_db.normalise_url("postgresql://u@h/db").startswith("postgresql+psycopg://")
    with pytest.raises(UsageError):
        ledger_db.normalise_url("mysql://u@h/db")
    with pytest.raises(UsageError):
        ledger_db.normalise_url("not a url")


def test_disk_record_round_trips(ledger, publisher):
    grant = _imported(ledger, publisher)
    res = ledger.reserve(grant.id_hex, run_id=None, drive_id="d1")
    original = passed_disk(1)
    stored = ledger.commit(res, original)
    assert isinstance(stored, DiskRecord)
    assert stored.serial_masked == "••••0001" and stored.operator == "Zoë"
    assert (stored.grant_id, stored.copy_index, stored.reservation_id) == (
        grant.id_hex,
        1,
        res.id,
    )
    assert ledger.disks() == [stored]
