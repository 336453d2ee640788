"""A ledger outage during a run: disks wait at safe points, nothing is wiped, cancel works.

SQLite: a fault-injecting connection (every statement fails with SQLite's "disk I/O
error" while the switch is down). PostgreSQL: a throwaway server really stopped and
started mid-run (tests/pg.py).
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from engine_support import Env
from pressroom.engine import outage
from pressroom.engine.events import DiskProgress, DiskState, RunState, Stage
from pressroom.ledger.errors import LedgerUnreachable
from pressroom.secure.licence import LICENCE_FILE
from test_engine_run import verify_on

FAST = outage.Backoff(first=0.05, cap=0.2)


class Outage:
    """Makes every statement of one ledger engine fail while ``down`` is set."""

    def __init__(self, engine: sa.Engine) -> None:
        self.down = threading.Event()
        sa.event.listen(engine, "before_cursor_execute", self._check)

    def _check(self, *_args: object) -> None:
        if self.down.is_set():
            raise sqlite3.OperationalError("disk I/O error")


class Watch:
    """A run listener that drops the ledger at a stage and notes "waiting" on a disk."""

    def __init__(self, outage_: Outage | None, at: Stage | None) -> None:
        self.outage, self.at = outage_, at
        self.waiting = threading.Event()
        self.events: list[object] = []

    def __call__(self, ev: object) -> None:
        self.events.append(ev)
        if not isinstance(ev, DiskProgress):
            return
        if self.at is not None and ev.stage == self.at and self.outage is not None:
            self.outage.down.set()
            self.at = None  # once: the test brings the ledger back
        if ev.reason.startswith(outage.WAITING):
            self.waiting.set()

    def reasons(self) -> list[str]:
        return [e.reason for e in self.events if isinstance(e, DiskProgress)]


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setattr(outage, "DEFAULT_BACKOFF", FAST)
    e = Env(tmp_path)
    yield e
    e.close()


def start(env: Env, watch: Watch, copies: int):
    return env.station.start(env.plan(copies), watch)


@pytest.mark.parametrize("at", [Stage.CHECK_SPACE, Stage.LICENCE, Stage.COMMIT])
def test_a_run_waits_out_an_outage_and_carries_on(env, at):
    """Down before reserving, before the licence stage, or after the licence verified
    (before committing): the disks wait,
    then pass once the ledger is back; no disk says "Internal error"."""
    names = [env.disk(f"OUTAGE{i:06d}") for i in range(2)]
    out = Outage(env.app.ledger.engine)
    watch = Watch(out, at)
    run = start(env, watch, 2)
    assert watch.waiting.wait(30), "no disk said it was waiting for the ledger"
    out.down.clear()
    summary = run.wait(60)
    assert run.done and summary.state == RunState.FINISHED and summary.passed == 2
    assert not any("Internal error" in r for r in watch.reasons())
    for name in names:
        assert verify_on(env, name).ok
    status = env.app.ledger.get_grant(env.grant_id)
    assert (status.copies_used, status.copies_committed) == (2, 2)
    assert not env.app.ledger.dangling_reservations()
    assert env.app.ledger.verify_chain().ok
    assert not list(env.app.config.journal_dir.glob("*.jsonl"))


def test_cancel_while_waiting_to_commit_keeps_the_disk_and_the_journal(env):
    """The licence verified, the ledger is gone, the operator stops: the disk is not
    wiped, the journal stays, and the next start commits the copy from it."""
    name = env.disk("OUTAGECANCEL")
    out = Outage(env.app.ledger.engine)
    watch = Watch(out, Stage.COMMIT)
    run = start(env, watch, 1)
    assert watch.waiting.wait(30)
    run.cancel()
    summary = run.wait(30)
    assert run.done and summary.state == RunState.CANCELLED
    (disk,) = [d for d in summary.disks.values() if d.state != DiskState.IDLE]
    assert (disk.state, disk.reason_code) == (DiskState.CANCELLED, "commit-pending")
    assert (env.sim_dir / name / "media" / LICENCE_FILE).exists()
    assert verify_on(env, name).ok
    assert list(env.app.config.journal_dir.glob("*.jsonl")), "the journal was deleted"
    out.down.clear()
    assert len(env.app.ledger.dangling_reservations()) == 1
    lines = env.app.station.runs.reconcile()
    assert lines and "committed" in lines[0]
    status = env.app.ledger.get_grant(env.grant_id)
    assert (status.copies_used, status.copies_committed) == (1, 1)
    assert env.app.ledger.verify_chain().ok
    assert not list(env.app.config.journal_dir.glob("*.jsonl"))


def test_cancel_while_waiting_to_reserve_ends_the_run(env):
    env.disk("OUTAGEBEFORE")
    out = Outage(env.app.ledger.engine)
    watch = Watch(out, Stage.CHECK_SPACE)
    run = start(env, watch, 1)
    assert watch.waiting.wait(30)
    run.cancel()
    summary = run.wait(30)
    assert run.done and summary.state == RunState.CANCELLED and summary.passed == 0
    out.down.clear()
    assert not env.app.ledger.dangling_reservations()
    assert env.app.ledger.get_grant(env.grant_id).copies_used == 0


def test_a_failed_disk_during_an_outage_is_released_from_the_journal(env):
    """A disk fails (read-back corrupt) while the ledger is down and the run is stopped:
    its files were wiped, the journal says so, and the next start releases the copy."""
    env.disk("OUTAGEFAIL01", bitflip_on_read=1000)
    out = Outage(env.app.ledger.engine)
    watch = Watch(out, Stage.VERIFY)
    run = start(env, watch, 1)
    assert watch.waiting.wait(30)
    run.cancel()
    run.wait(30)
    assert run.done
    assert list(env.app.config.journal_dir.glob("*.jsonl"))
    out.down.clear()
    lines = env.app.station.runs.reconcile()
    assert lines and "released" in lines[0] and "wiped" in lines[0]
    assert env.app.ledger.get_grant(env.grant_id).copies_used == 0


@pytest.mark.parametrize(
    "argv",
    [["ledger", "verify"], ["run", "--tracks", "abcdef", "--copies", "1", "--no-wait"]],
)
def test_an_unreachable_ledger_is_one_sentence_and_its_own_exit_code(tmp_path, capsys, argv):
    """Story 7: `run` with the ledger down at start exited 1, the code of a failed disk."""
    from pressroom.cli import main
    from pressroom.errors import EXIT_LEDGER

    url = "postgresql://pressroom@127.0.0.1:1/none"
    code = main(["--data-dir", str(tmp_path), "--ledger", url, *argv])
    err = capsys.readouterr().err
    assert code == EXIT_LEDGER == 4
    assert "cannot be reached" in err and "Traceback" not in err


def test_the_outage_is_typed_not_a_driver_error(env):
    out = Outage(env.app.ledger.engine)
    out.down.set()
    with pytest.raises(LedgerUnreachable):
        env.app.ledger.grants()
    out.down.clear()
    assert env.app.ledger.grants()


@pytest.fixture
def pg_cluster():
    """A throwaway PostgreSQL this test may stop and start (not a shared server)."""
    import subprocess

    from pg import LocalCluster, _why_no_local_server

    reason = _why_no_local_server()
    if reason:
        pytest.skip(f"a PostgreSQL outage test needs a local server: {reason}")
    cluster = LocalCluster()
    try:
        url = cluster.start()
    except subprocess.CalledProcessError as exc:
        cluster.stop()
        pytest.skip(f"could not start a throwaway PostgreSQL: {exc.stderr.decode()[-300:]}")
    yield cluster, url
    cluster.stop()


def test_postgres_stopped_and_started_mid_run(tmp_path, monkeypatch, pg_cluster):
    """Issue 20, story 1, for real: the server stops while disks are being written and
    starts again; every disk passes once it is back, nothing hangs, nothing is wiped."""
    cluster, url = pg_cluster
    monkeypatch.setattr(outage, "DEFAULT_BACKOFF", FAST)
    monkeypatch.setenv("PRESSROOM_LEDGER_URL", url)
    env = Env(tmp_path)
    try:
        names = [env.disk(f"PGOUTAGE{i:04d}", mbps=1) for i in range(3)]
        watch = Watch(None, None)
        writing = threading.Event()

        def listener(ev: object) -> None:
            watch(ev)
            if isinstance(ev, DiskProgress) and ev.stage == Stage.WRITE:
                writing.set()

        run = env.station.start(env.plan(3), listener)
        assert writing.wait(30)
        cluster.pause()
        try:
            assert watch.waiting.wait(60), "no disk said it was waiting for the ledger"
        finally:
            cluster.resume()
        summary = run.wait(120)
        assert run.done and summary.passed == 3, env.results(summary)
        assert not any("Internal error" in r for r in watch.reasons())
        for name in names:
            assert verify_on(env, name).ok
        status = env.app.ledger.get_grant(env.grant_id)
        assert (status.copies_used, status.copies_committed) == (3, 3)
        assert not env.app.ledger.dangling_reservations()
        assert env.app.ledger.verify_chain().ok
    finally:
        env.close()
