"""The duplication engine on simulated disks: full runs, faults, cancel, retry, hotplug."""

from __future__ import annotations

import threading
import time

import pytest

from engine_support import Env
from pressroom.drives.simulated import add_sim_disk, set_plugged
from pressroom.engine.events import DiskProgress, DiskState, RunState
from pressroom.engine.recovery import VolumeMedium
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.licence import DISK_DIR, LICENCE_FILE
from pressroom.secure.verifier import verify_disk


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    yield e
    e.close()


def verify_on(env: Env, label: str):
    d = next(x for x in env.app.drive_provider.list_drives() if x.label.startswith(label))
    ident = DiskIdentity.of(d.vendor_id, d.product_id, d.serial, d.capacity)
    return verify_disk(VolumeMedium(env.app.drive_provider.open_volume(d)), ident, env.app.trust())


def media(env: Env, name: str):
    return env.sim_dir / name / "media"


def test_full_run_makes_verified_disks_and_records_them(env):
    names = [env.disk(f"GOODDISK{i:04d}") for i in range(4)]
    summary = env.run(4)
    assert summary.state == RunState.FINISHED and summary.passed == 4
    assert all(v == ("pass", "") for v in env.results(summary).values())
    for name in names:
        report = verify_on(env, name)
        assert report.ok, report.reason
        assert not list(media(env, name).rglob("*.part"))
    status = env.app.ledger.get_grant(env.grant_id)
    assert (status.copies_used, status.copies_committed) == (4, 4)
    indices = sorted(d.copy_index for d in summary.disks.values())
    assert indices == [1, 2, 3, 4]
    assert env.app.ledger.verify_chain().ok
    assert not list(env.app.config.journal_dir.glob("*.jsonl"))  # settled runs leave none


def test_the_run_says_disks_are_being_written_before_any_finishes(env):
    """The header's outlook follows RunProgress: disks starting must be news, or the
    station says "insert blank disks or Finish" while 16 disks are writing."""
    from pressroom.engine.events import RunProgress
    from pressroom.station.runs import outlook

    for i in range(3):
        env.disk(f"SLOWSTART{i:03d}", mbps=4)
    env.run(3)
    runs = [e for e in env.events if isinstance(e, RunProgress)]
    first_pass = next(i for i, e in enumerate(runs) if e.passed)
    before = runs[:first_pass]
    assert any(e.in_flight > 0 for e in before)
    assert outlook(next(e for e in before if e.in_flight)).phase == "writing"


def test_a_disk_waiting_its_turn_says_so(env, monkeypatch):
    """A started disk says it waits its turn: before its bookkeeping stages (two disks at a
    time) and while its hub takes no more disks (its card said "Reserving copy 0 %")."""
    from pressroom.engine.events import Stage
    from pressroom.engine.run import Run

    env.disk("QUEUEDDISK01")
    shown: list[Stage] = []

    class Slot:  # the hub's admission, entered once the hub takes this disk
        def __enter__(self) -> None:
            running = [e for e in env.events if isinstance(e, DiskProgress)]
            shown.append(running[-1].stage)

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(Run, "_bus_slot", lambda self, drive: Slot())
    summary = env.run(1)
    assert summary.passed == 1
    assert shown == [Stage.QUEUED] and Stage.QUEUED.label == "Waiting its turn"
    running = [e.stage for e in env.events if isinstance(e, DiskProgress) and e.state == "running"]
    assert running[:2] == [Stage.QUEUED, Stage.IDENTIFY]  # its first word once started


def test_progress_events_are_throttled_and_complete(env):
    env.disk("PACEDDISK001", mbps=4)
    env.run(1)
    disk_events = [
        e for e in env.events if isinstance(e, DiskProgress) and e.state != DiskState.IDLE
    ]
    assert disk_events[-1].state == DiskState.PASS
    stages = [e.stage.value for e in disk_events]
    assert stages.index("write") < stages.index("verify") < stages.index("licence")
    writes = [e for e in disk_events if e.stage.value == "write"]
    span = writes[-1].at - writes[0].at
    assert len(writes) <= span * 10 + 3  # about ten a second at most
    assert any(0 < e.bytes_done < e.bytes_total and e.mbps > 0 for e in writes)


@pytest.mark.parametrize(
    ("faults", "code"),
    [
        ({"fail_after": 200_000}, "io-error"),
        ({"read_only": True}, "read-only"),
        ({"bitflip_on_read": 5000}, "bad-chunk"),
        ({"fake_capacity": 400_000}, "bad-chunk"),
        ({"unplug_after": 250_000}, "removed"),
    ],
)
def test_a_fault_fails_its_disk_and_the_others_pass(env, faults, code):
    good = [env.disk(f"HEALTHY{i:05d}") for i in range(2)]
    bad = env.disk("FAULTY000001", **faults)
    summary = env.run(3, timeout=60)
    results = env.results(summary)
    assert results[bad][0] == "fail" and results[bad][1] == code, results
    assert all(results[g] == ("pass", "") for g in good)
    reason = next(d.reason for d in summary.disks.values() if d.label == bad)
    assert reason.endswith(".") or reason.endswith(")")
    status = env.app.ledger.get_grant(env.grant_id)
    assert (status.copies_used, status.copies_committed) == (2, 2)  # the failure gave its copy back
    if code != "removed":
        assert not (media(env, bad) / DISK_DIR).exists(), "partial files must be removed"
    failed = [d for d in env.app.ledger.disks() if d.result == "fail"]
    assert len(failed) == 1 and failed[0].reason and failed[0].reason_code == code
    # History says it in the shop's words; the recorded sentence stays behind Details
    from pressroom.station import words

    history = env.app.station.history.load()
    (row,) = [r for rows in history.disks.values() for r in rows if not r.passed]
    assert (row.reason, row.detail) == (words.failure(code).text, failed[0].reason)
    assert env.app.ledger.verify_chain().ok  # the code is in the disk's chained event too


def test_disk_full_mid_write_is_explained(env, monkeypatch):
    from pressroom.engine import pipeline

    monkeypatch.setattr(pipeline.DiskPipeline, "check_space", lambda self: _open(self))
    env.disk("TINYDISK0001", size="600K")
    summary = env.run(1)
    ((state, code),) = env.results(summary).values()
    assert (state, code) == ("fail", "disk-full")


def _open(p):
    p.volume = p.ctx.provider.open_volume(p.drive)


def test_too_small_disk_is_refused_before_writing(env):
    name = env.disk("SMALLDISK001", size="300K")
    summary = env.run(1)
    assert env.results(summary)[name] == ("fail", "too-small")
    assert env.app.ledger.get_grant(env.grant_id).copies_used == 0


def test_refused_identities(env):
    blank = env.disk("  ")
    a = env.disk("SAMESERIAL01")
    b = env.disk("SAMESERIAL01")
    zero = env.disk("000000000000")
    summary = env.run(4)
    results = env.results(summary)
    assert results[blank] == ("fail", "identity-blank")
    assert results[a] == ("fail", "identity-duplicate") == results[b]
    assert results[zero] == ("fail", "identity-placeholder")
    assert env.app.ledger.get_grant(env.grant_id).copies_used == 0


def test_grant_exhausted_mid_run_stops_taking_disks(env):
    small = env.make_grant(2)
    for i in range(4):
        env.disk(f"EXHAUST{i:05d}")
    summary = env.run(4, grant=small)
    states = sorted(env.results(summary).values())
    assert states.count(("pass", "")) == 2
    assert summary.state == RunState.EXHAUSTED
    assert all(s == ("fail", "grant-exhausted") for s in states if s[0] == "fail")


def test_cancel_removes_partial_files_and_releases(env):
    names = [env.disk(f"SLOWDISK{i:04d}", mbps=0.4) for i in range(2)]
    run = env.station.start(env.plan(2), env.events.append)
    time.sleep(0.6)
    run.cancel()
    summary = run.wait(30)
    assert summary.state == RunState.CANCELLED
    assert all(s == ("cancelled", "cancelled") for s in env.results(summary).values())
    for n in names:
        assert not (media(env, n) / DISK_DIR).exists()
    assert env.app.ledger.get_grant(env.grant_id).copies_used == 0
    assert not env.app.ledger.dangling_reservations()


def test_failed_disk_is_retried_only_when_the_operator_asks(env):
    good = env.disk("RETRYGOOD001")
    bad = env.disk("RETRYBAD0001", fail_after=100_000)
    run = env.station.start(env.plan(2, insert_and_go=True), env.events.append)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and run.summary().failed < 1:
        time.sleep(0.05)
    time.sleep(0.5)
    assert run.summary().passed == 1 and not run.done  # never picked again by itself
    env.set_faults(bad)  # the operator re-seats the disk
    assert run.retry(env.drive_id(bad))
    summary = run.wait(30)
    assert summary.passed == 2 and env.results(summary)[bad] == ("pass", "")
    assert verify_on(env, bad).ok and verify_on(env, good).ok


def test_a_finished_disk_is_not_overwritten_without_retry(env):
    name = env.disk("FINISHED0001")
    assert env.run(1).passed == 1
    licence = (media(env, name) / LICENCE_FILE).read_bytes()
    summary = env.run(1)
    assert env.results(summary)[name] == ("fail", "has-licence")
    assert (media(env, name) / LICENCE_FILE).read_bytes() == licence
    assert not [d for d in env.app.ledger.disks() if d.result == "fail"]  # not a failed disk


def test_insert_and_go_starts_a_disk_that_arrives_mid_run(env):
    env.disk("FIRSTDISK001")
    run = env.station.start(env.plan(2, insert_and_go=True), env.events.append)
    time.sleep(0.5)
    assert not run.done
    late = add_sim_disk(env.sim_dir, serial="LATEARRIVAL1", size="1G", write_mbps=200).name
    summary = run.wait(30)
    assert summary.passed == 2 and env.results(summary)[late] == ("pass", "")


def test_removed_idle_disk_is_reported_and_the_run_goes_on(env):
    stays = env.disk("STAYSDISK001", mbps=2)
    gone = env.disk("LEAVESDISK01")
    run = env.station.start(env.plan(1, insert_and_go=True), env.events.append)
    set_plugged(env.sim_dir, gone, False)  # an idle disk pulled out: the first one is busy
    summary = run.wait(30)
    assert summary.passed == 1 and env.results(summary)[stays] == ("pass", "")
    removed = [
        e
        for e in env.events
        if isinstance(e, DiskProgress) and e.label == gone and e.state == DiskState.REMOVED
    ]
    assert removed, "the pulled disk's card must say it was removed"


def test_workers_run_concurrently(env):
    for i in range(4):
        env.disk(f"PARALLEL{i:04d}", mbps=2)
    seen = set()
    lock = threading.Lock()

    def listener(ev):
        if isinstance(ev, DiskProgress) and ev.stage.value == "write":
            with lock:
                seen.add(ev.drive_id)

    run = env.station.start(env.plan(4), listener)
    time.sleep(0.3)
    with lock:
        concurrent = len(seen)
    run.cancel()
    run.wait(30)
    assert concurrent == 4


def test_a_loose_connection_fails_once_and_retry_makes_the_disk(env):
    name = env.disk("LOOSECONN001", flaky_after=150_000)
    run = env.station.start(env.plan(1, insert_and_go=True), env.events.append)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and run.summary().failed < 1:
        time.sleep(0.05)
    assert env.results(run.summary())[name] == ("fail", "io-error")
    assert "loose connection" in run.summary().disks[env.drive_id(name)].reason
    assert run.retry(env.drive_id(name))
    summary = run.wait(30)
    assert summary.passed == 1 and env.results(summary)[name] == ("pass", "")
    assert verify_on(env, name).ok


def test_finish_ends_a_waiting_run_as_finished_never_cancelled(env):
    """Copies are missing and no disk is writing: the operator's Finish records the run as
    finished (made / failed / short counted from its disks), not cancelled; Finish is
    refused while a disk is still being written (that is Stop's job)."""
    env.disk("FINISHGOOD01")
    env.disk("FINISHSLOW01", mbps=0.3)
    run = env.station.start(env.plan(3, insert_and_go=True), env.events.append)
    assert not env.station.finish()  # a disk is being written
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and run.summary().passed < 2:
        time.sleep(0.05)
    assert not run.done  # 2 of 3: it waits for a blank disk
    assert env.station.finish()
    summary = run.wait(10)
    assert summary.state == RunState.FINISHED and summary.passed == 2
    assert env.app.ledger.get_run(run.id).status == "finished"
    assert not env.station.finish()  # already ended


def test_a_tower_shares_source_reads_and_keeps_bookkeeping_to_two_disks(env, monkeypatch):
    """Six disks: each source track is read from its file once, not once per disk, and
    at most two disks are in the bookkeeping stages (reservation, commit) at once."""
    from pressroom.engine import run as run_module
    from pressroom.ledger.store import Ledger

    assert run_module.BOOKKEEPING == 2

    for i in range(6):
        env.disk(f"TOWERDISK{i:04d}")
    inside, most, lock = [0], [0], threading.Lock()

    def counted(original):
        def call(self, *a, **kw):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            try:
                time.sleep(0.05)  # long enough for the other disks to pile up here
                return original(self, *a, **kw)
            finally:
                with lock:
                    inside[0] -= 1

        return call

    monkeypatch.setattr(Ledger, "reserve", counted(Ledger.reserve))
    monkeypatch.setattr(Ledger, "commit", counted(Ledger.commit))
    run = env.station.start(env.plan(6), env.events.append)
    summary = run.wait(60)
    assert run.done and summary.passed == 6
    assert 1 <= most[0] <= 2
    track_bytes = sum(t.size for t in run.job.tracks)
    assert run.sources.bytes_served == 6 * track_bytes
    assert run.sources.bytes_read == track_bytes  # once for the six disks
    assert run.sources.held == 0  # dropped when the run ended
