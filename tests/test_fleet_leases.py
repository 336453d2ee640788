"""Issue 20, story 2: a station's open copies carry a lease; once it expires any station
settles them on evidence (released before the licence stage, burned after), says who did,
and `pressroom run` settles before it checks the grant.

Time is passed in (``now``), so no test sleeps for a lease to run out."""

from __future__ import annotations

import time

import pytest

from engine_support import Env
from pressroom.engine.recovery import settle_expired_leases
from pressroom.ledger.errors import StaleReservation

A, B = "a" * 32, "b" * 32
LEASE = 30.0


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path, copies=3)
    yield e
    e.close()


def reserve(env: Env, station: str):
    res = env.app.ledger.reserve(
        env.grant_id, run_id=None, drive_id=f"drive-{station[:4]}", station_id=station,
        lease_seconds=LEASE,
    )  # fmt: skip
    assert res is not None
    return res


def test_an_expired_lease_before_the_licence_is_released_by_another_station(env):
    ledger = env.app.ledger
    res = reserve(env, A)
    assert (res.stage, res.lease_until is not None) == ("before-licence", True)
    assert settle_expired_leases(ledger, B, lease_seconds=LEASE) == []  # still alive
    later = time.time() + LEASE + 5
    lines = settle_expired_leases(ledger, B, lease_seconds=LEASE, now=later)
    assert lines == [f"copy 1 of station {A[:12]}: lease expired, released (no licence can exist)"]
    status = ledger.get_grant(env.grant_id)
    assert (status.copies_used, status.copies_committed) == (0, 0)
    (event,) = [e for e in ledger.events() if e.kind == "reconciled-release"]
    assert event.payload["settled_by"] == B and event.payload["lease_expired"] is True
    assert not ledger.dangling_reservations()
    assert reserve(env, B).copy_index == 1  # the index is free again
    assert ledger.verify_chain().ok


def test_an_expired_lease_after_the_licence_stage_is_burned(env):
    ledger = env.app.ledger
    res = reserve(env, A)
    ledger.licence_stage(res, lease_seconds=LEASE)
    later = time.time() + LEASE + 5
    lines = settle_expired_leases(ledger, B, lease_seconds=LEASE, now=later)
    assert lines == [f"copy 1 of station {A[:12]}: lease expired, kept counted"]
    status = ledger.get_grant(env.grant_id)
    assert (status.copies_used, status.copies_committed) == (1, 0)  # counted, never reused
    assert reserve(env, B).copy_index == 2
    assert ledger.verify_chain().ok


def test_a_renewed_lease_is_not_settled(env):
    ledger = env.app.ledger
    run_id = ledger.start_run(
        grant_id=env.grant_id, station_id=A, tracks=env.tracks, copies_wanted=1, rights={}
    )
    ledger.reserve(env.grant_id, run_id=run_id, drive_id="d", station_id=A, lease_seconds=LEASE)
    soon = time.time() + LEASE + 5
    assert ledger.renew_leases(run_id, lease_seconds=LEASE * 4) == 1
    assert settle_expired_leases(ledger, B, lease_seconds=LEASE, now=soon) == []
    assert len(ledger.dangling_reservations()) == 1


def test_a_station_does_not_settle_its_own_by_lease(env):
    reserve(env, A)
    later = time.time() + LEASE + 5
    assert settle_expired_leases(env.app.ledger, A, lease_seconds=LEASE, now=later) == []


def test_a_settled_copy_refuses_the_licence_stage(env):
    """The holder comes back after its copy was released: it may not write a licence."""
    ledger = env.app.ledger
    res = reserve(env, A)
    settle_expired_leases(ledger, B, lease_seconds=LEASE, now=time.time() + LEASE + 5)
    with pytest.raises(StaleReservation, match="lease expired"):
        ledger.licence_stage(res, lease_seconds=LEASE)


def test_run_settles_before_it_checks_the_grant(tmp_path, capsys, monkeypatch):
    """A crashed run held the grant's only copy: `pressroom run` used to refuse "no copies
    left" (it planned before reconciling); now it settles the copy first and makes it."""
    from pressroom.cli import main
    from test_engine_recovery import crash_at

    env = Env(tmp_path, copies=1)
    try:
        env.disk("LEASECRASH01")
        crash_at(env, "read_back")
        assert env.app.ledger.get_grant(env.grant_id).copies_remaining == 0
        data = str(env.app.config.data_dir)
        code = main(["--data-dir", data, "run", "--tracks", *env.tracks, "--copies", "1",
                     "--no-wait", "--json"])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 0, err
        assert "recovered: copy 1 released" in err
        status = env.app.ledger.get_grant(env.grant_id)
        assert (status.copies_used, status.copies_committed) == (1, 1)
    finally:
        env.close()


def test_ledger_settle_is_the_recorded_procedure(env, capsys, monkeypatch):
    """`pressroom ledger settle` on a live station: another station's expired copy is
    settled and recorded; a copy still leased is listed with its lease."""
    from pressroom.cli import main

    monkeypatch.setenv("PRESSROOM_LEASE_SECONDS", "1")
    env.app.ledger.reserve(
        env.grant_id, run_id=None, drive_id="d", station_id=A, lease_seconds=-5
    )  # a station that stopped renewing long ago
    env.app.ledger.reserve(
        env.grant_id, run_id=None, drive_id="e", station_id=B, lease_seconds=3600
    )
    data = str(env.app.config.data_dir)
    assert main(["--data-dir", data, "ledger", "settle"]) == 0
    out = capsys.readouterr().out
    assert f"settled: copy 1 of station {A[:12]}: lease expired, released" in out
    assert f"open: copy 2 of grant {env.grant_id[:12]} held by station {B[:12]}" in out
    mine = env.app.keystore.station_id().hex()
    (event,) = [e for e in env.app.ledger.events() if e.kind == "reconciled-release"]
    assert event.payload["settled_by"] == mine
