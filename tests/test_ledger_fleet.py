"""Several stations and workers reserving from one grant never exceed it nor fork the chain.

200 attempts on a grant of 100 copies, from 4 OS processes (spawned, each with its own
connection pool) on PostgreSQL and on SQLite, and from 4 threads sharing one Ledger on
SQLite: exactly 100 succeed, copy indices are exactly 1..100, and the chain verifies.
"""

from __future__ import annotations

import json
import multiprocessing
import signal
import subprocess
import sys
import threading
import time

import pytest

from ledger_support import Publisher
from pg import pg_server_url, pg_url  # noqa: F401  (fixtures)
from pressroom.ledger import Ledger

WORKERS = 4
ATTEMPTS_EACH = 50
COPIES = 100


def _reserve_many(ledger: Ledger, grant_id: str, worker: int) -> tuple[int, list[int]]:
    """(attempts made, copy indices won)."""
    got = []
    for n in range(ATTEMPTS_EACH):
        res = ledger.reserve(
            grant_id, run_id=None, drive_id=f"w{worker}-d{n}", station_id=f"station-{worker}"
        )
        if res is not None:
            got.append(res.copy_index)
    return ATTEMPTS_EACH, got


def _station_process(url: str, grant_id: str, worker: int, start, results) -> None:
    with Ledger.open(url) as ledger:
        start.wait(60)  # every station connected: now they race
        results.put((worker, _reserve_many(ledger, grant_id, worker)))


def _prepared(url: str) -> str:
    publisher = Publisher()
    grant = publisher.grant(copies=COPIES)
    with Ledger.open(url) as ledger:
        ledger.import_grant(grant.raw, publisher.trusted, time.time())
    return grant.id_hex


def _check(url: str, grant_id: str, outcomes: list[tuple[int, list[int]]]) -> None:
    assert sum(attempts for attempts, _ in outcomes) == WORKERS * ATTEMPTS_EACH
    indices = [i for _, won in outcomes for i in won]
    assert len(indices) == COPIES, f"{len(indices)} reservations succeeded"
    assert sorted(indices) == list(range(1, COPIES + 1))
    with Ledger.open(url) as ledger:
        status = ledger.get_grant(grant_id)
        assert (status.copies_used, status.copies_remaining) == (COPIES, 0)
        report = ledger.verify_chain()
        assert report.ok, report.reason
        assert report.rows == 1 + COPIES  # the import, then one event per reservation


def _run_processes(url: str) -> None:
    grant_id = _prepared(url)
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [
        ctx.Process(target=_station_process, args=(url, grant_id, w, start, results))
        for w in range(WORKERS)
    ]
    for p in procs:
        p.start()
    per_worker = dict(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert sorted(per_worker) == list(range(WORKERS))
    _check(url, grant_id, list(per_worker.values()))


@pytest.mark.postgres
def test_fleet_of_processes_on_postgres(pg_url):  # noqa: F811
    _run_processes(pg_url)


def test_fleet_of_processes_on_sqlite(tmp_path):
    _run_processes(f"sqlite:///{tmp_path / 'fleet.sqlite3'}")


def test_threads_sharing_one_sqlite_ledger(tmp_path):
    url = f"sqlite:///{tmp_path / 'threads.sqlite3'}"
    grant_id = _prepared(url)
    results: dict[int, tuple[int, list[int]]] = {}
    barrier = threading.Barrier(WORKERS)
    with Ledger.open(url) as ledger:

        def work(worker: int) -> None:
            barrier.wait()
            results[worker] = _reserve_many(ledger, grant_id, worker)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(WORKERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert sorted(results) == list(range(WORKERS))
    _check(url, grant_id, list(results.values()))


# --- issue 14 item 6: a fleet's signed checkpoints audit clean; a tampered one is named ---


def _fleet_audit(tmp_path, url: str) -> None:
    from checkpoint_support import grant_for, make_copies, resign_report, station
    from pressroom.station.audit import run_audit

    first = station(tmp_path / "s0", url)
    fleet = [first] + [station(tmp_path / f"s{i}", url, publisher_of=first) for i in (1, 2, 3)]
    grant = grant_for(first, copies=40)
    first.ledger.import_grant(grant.raw, first.keystore.trusted_publishers(), grant.issued_at)
    for round_ in range(2):  # interleaved, as stations sharing one ledger work
        for app in fleet:
            make_copies(app, grant.id_hex, 3, tag=f"r{round_}")
    reports = []
    for i, app in enumerate(fleet):
        app.station.checkpoints.require()  # each extends its own anchored checkpoint
        out = tmp_path / f"station{i}.json"
        app.station.reports.write("json", out)
        reports.append(out)
    trusted = first.keystore.trusted_publishers()
    clean = run_audit(reports, trusted)
    assert clean.clean, clean.findings
    assert len(clean.stations) == 4 and clean.grants[grant.id_hex]["licences"] == 24
    # station 2 hides one of its copies and signs the report again
    doc = json.loads(reports[2].read_text())
    own = fleet[2].keystore.station_id().hex()
    hidden = next(d for d in doc["disks"] if d["station_id"] == own)
    resign_report(fleet[2], reports[2], disks=[d for d in doc["disks"] if d is not hidden])
    # station 3's report is edited after it was signed
    doc = json.loads(reports[3].read_text())
    doc["disks"][0]["copy_index"] = 99
    reports[3].write_text(json.dumps(doc))
    found = run_audit(reports[2:], trusted)  # as if only these two had been sent
    kinds = sorted(f.kind for f in found.findings)
    assert kinds == ["gap", "unverified"], found.findings
    assert any("station3.json" in f.sentence for f in found.findings)
    for app in fleet:
        app.ledger.close()


@pytest.mark.postgres
def test_four_stations_on_postgres_audit_clean_then_a_tampered_one_is_named(
    pg_url,  # noqa: F811
    tmp_path,
):
    _fleet_audit(tmp_path, pg_url)


def test_four_stations_on_sqlite_audit_clean_then_a_tampered_one_is_named(tmp_path):
    _fleet_audit(tmp_path, f"sqlite:///{tmp_path / 'fleet.sqlite3'}")


_FREEZE_INSIDE_A_WRITE = """
import sys, time
from pressroom.ledger import db
from pressroom.ledger.errors import LedgerUnreachable
db.IDLE_IN_TRANSACTION_SECONDS = 2  # the station's setting, short for the test
engine = db.create_engine(sys.argv[1])
try:
    with db.write_transaction(engine) as conn:
        print("holding the write lock", flush=True)
        time.sleep(3)  # stopped meanwhile: on waking, the sleep is over
        conn.exec_driver_sql("SELECT 1")
    print("committed")
except LedgerUnreachable as exc:
    print(f"woke to an outage: {exc}")
"""


@pytest.mark.postgres
def test_a_station_frozen_inside_a_write_does_not_hold_the_fleet(pg_url):  # noqa: F811
    """A station stopped (SIGSTOP, a paused VM, a suspended laptop) while it holds the
    ledger's write lock: the server ends its idle transaction, and the other stations
    write again instead of waiting for it forever."""
    with Ledger.open(pg_url) as ledger:
        ledger.append_event("test", {"n": 0})
    frozen = subprocess.Popen(
        [sys.executable, "-c", _FREEZE_INSIDE_A_WRITE, pg_url],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert frozen.stdout is not None
        assert frozen.stdout.readline().strip() == "holding the write lock"
        frozen.send_signal(signal.SIGSTOP)
        wrote = threading.Event()

        def write() -> None:
            with Ledger.open(pg_url) as other:
                other.append_event("test", {"n": 1})
            wrote.set()

        writer = threading.Thread(target=write, daemon=True)
        t0 = time.monotonic()
        writer.start()
        writer.join(60)
        assert wrote.is_set(), "a frozen station's open write held every other station"
        assert time.monotonic() - t0 < 30
        frozen.send_signal(signal.SIGCONT)  # it wakes: its transaction is gone, not written
        out, _ = frozen.communicate(timeout=60)
        assert out.startswith("woke to an outage: The ledger database cannot be reached"), out
    finally:
        frozen.kill()
        frozen.wait(30)
    with Ledger.open(pg_url) as ledger:
        assert [e.payload for e in ledger.events()] == [{"n": 0}, {"n": 1}]
        assert ledger.verify_chain().ok
