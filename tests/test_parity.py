"""Parity: every face of the station gives the same answer, because it asks the same rule.

The command line, the window's hub, History and the kiosk all call the application layer
(``app.station``); these tests put two faces side by side on one station and compare
what they did: the ledger events a job writes, the verdict a disk gets, the path a
reissue takes (and the one run guard that refuses it while a run is going), and the
grant rule that keeps a grant for another station out of the ledger.
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest

pytest.importorskip("PySide6")

from engine_support import Env
from gui_support import no_qt_leaks  # noqa: F401
from pressroom.app import App
from pressroom.cli import main
from pressroom.drives.simulated import add_sim_disk, set_plugged
from pressroom.engine import DiskState
from pressroom.secure.identity import mask_serial
from pressroom.secure.rights import RightsLimits
from pressroom.station.runs import RUN_GOING

SERIAL = "4C530001231218115091"


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path, track_sizes=(40_000, 25_000))
    yield e
    e.close()


def _cli(env: Env, *argv: str) -> int:
    """The command line on the same data folder (a separate App, as another process)."""
    return main(["--data-dir", str(env.app.config.data_dir), *argv])


def _shape(events) -> list[tuple[str, tuple[str, ...]]]:
    """What a run wrote, modulo ids, times and values: event kinds and payload keys."""
    return [(e.kind, tuple(sorted(e.payload))) for e in events]


def _wait(qtbot, run) -> None:
    qtbot.waitUntil(lambda: run is not None and run.done, timeout=60_000)


# --- the same job through the command line and through the window's hub ------------------


def test_the_same_job_writes_the_same_events_from_the_cli_and_from_the_hub(
    env,
    qtbot,
    capsys,
    no_qt_leaks,  # noqa: F811
):
    from pressroom.gui.application import StationHub

    first = env.disk("PARITYCLI001")
    start = env.app.ledger.events()[-1].seq
    code = _cli(
        env,
        "run",
        "--tracks",
        *env.tracks,
        "--copies",
        "1",
        "--drives",
        env.drive_id(first),
        "--no-wait",
        "--json",
    )
    assert code == 0, capsys.readouterr().err
    assert [json.loads(x)["result"] for x in capsys.readouterr().out.splitlines()] == ["pass"]
    by_cli = env.app.ledger.events(since_seq=start)
    set_plugged(env.sim_dir, first, False)

    env.disk("PARITYHUB001")
    middle = env.app.ledger.events()[-1].seq
    hub = StationHub(env.app, bridge_interval_ms=20)
    try:
        ready = []
        hub.start(on_ready=lambda: ready.append(True))
        qtbot.waitUntil(lambda: bool(ready), timeout=10_000)
        started = []
        rights = dict.fromkeys(env.tracks, "standard")
        hub.start_run(env.tracks, 1, rights, insert_and_go=False, on_started=started.append)
        qtbot.waitUntil(lambda: bool(started), timeout=10_000)
        _wait(qtbot, started[0])
        assert started[0].summary().passed == 1
    finally:
        hub.shutdown()
    by_hub = env.app.ledger.events(since_seq=middle)
    assert by_cli and _shape(by_cli) == _shape(by_hub)
    kinds = [e.kind for e in by_hub]
    assert len(kinds) >= 3 and kinds[0] != kinds[-1]  # a run's start, its disk, its end


# --- the same disk gets the same verdict from `pressroom drives` and from a run ----------


def test_drives_and_a_run_refuse_a_serial_the_ledger_knows_on_other_hardware(env, capsys):
    made = env.disk(SERIAL)
    assert env.run(1).passed == 1
    set_plugged(env.sim_dir, made, False)
    clone = add_sim_disk(env.sim_dir, serial=SERIAL, product_id=0x5053, size="1G").name

    assert _cli(env, "drives", "--json") == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    listed = rows[env.drive_id(clone)]["verdict"]
    summary = env.run(1)
    ran = next(d for d in summary.disks.values() if d.label == clone)
    assert listed["ok"] is False and listed["code"] == "known-elsewhere"
    assert (ran.state, ran.verdict) == (DiskState.FAIL, listed["code"])
    assert ran.reason_code == f"identity-{listed['code']}"
    # the window's hub asks the same service, so its card says the same
    verdicts = env.app.station.disks.judge(env.app.drive_provider.list_drives())
    assert verdicts[env.drive_id(clone)].code == listed["code"]
    assert rows[env.drive_id(clone)]["serial_masked"] == mask_serial(SERIAL)  # the one mask


# --- reissue from History and from the command line: one path, one guard ---------------


class _Shared:
    """``App.from_args`` for the command line: this test's station (so it shares its run
    guard, as the window and History do), not closed when the command ends."""

    def __init__(self, app: App):
        self.app = app

    def __enter__(self) -> App:
        return self.app

    def __exit__(self, *exc: object) -> None:
        return None


def test_reissue_takes_the_one_run_path_and_is_refused_while_a_run_is_going(
    env,
    qtbot,
    capsys,
    monkeypatch,
    no_qt_leaks,  # noqa: F811
):
    from pressroom.gui.history_tab import HistoryTab

    old = env.disk("REISSUEOLD01")
    summary = env.run(1)
    licence = next(d.licence_id for d in summary.disks.values() if d.licence_id)
    set_plugged(env.sim_dir, old, False)
    monkeypatch.setattr(App, "from_args", classmethod(lambda cls, args, **kw: _Shared(env.app)))
    runs = env.app.station.runs
    started: list[str] = []
    real_start = runs.start
    monkeypatch.setattr(
        runs, "start", lambda job, *a, **kw: started.append(job.kind) or real_start(job, *a, **kw)
    )

    errors: list[BaseException] = []
    tab = HistoryTab(SimpleNamespace(app=env.app, station=env.app.station, _report=errors.append))
    qtbot.addWidget(tab)
    tab.reload()
    qtbot.waitUntil(lambda: tab.disk_table.rowCount() == 1, timeout=10_000)
    tab.disk_table.selectRow(0)

    # A slow run is going: both faces are refused by the same guard, with the same words.
    slow = env.disk("SLOWRUN00001", mbps=0.02)
    going = runs.start(env.plan(1, drives=[env.drive_id(slow)]), env.events.append)
    try:
        tab.replace_selected(confirm=False)
        qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
        assert str(errors[0]) == RUN_GOING
        assert _cli(env, "reissue", "--licence", licence, "--no-wait") == 2
        assert RUN_GOING in capsys.readouterr().err
        assert not going.done  # the refused reissues did not disturb the run
    finally:
        going.cancel()
        going.wait(60)
    set_plugged(env.sim_dir, slow, False)
    assert env.app.ledger.replacement_of(licence) is None  # nothing was replaced or counted

    # The run is over: the command line replaces the disk, History replaces the new one.
    env.disk("REISSUENEW01")
    assert _cli(env, "reissue", "--licence", licence, "--no-wait", "--json") == 0
    new = json.loads(capsys.readouterr().out.splitlines()[-1])["new_licence"]
    assert env.app.ledger.replacement_of(licence).new_licence == new
    env.disk("REISSUENEW02")
    run_id = env.app.ledger.find_disk(new).run_id
    tab.reload()
    qtbot.waitUntil(lambda: any(r.run_id == run_id for r in tab.runs), timeout=10_000)
    tab.select_run(run_id)
    qtbot.waitUntil(lambda: tab.disk_table.rowCount() == 1, timeout=10_000)
    tab.disk_table.selectRow(0)
    assert tab.selected_licence() == new
    tab.replace_selected(confirm=False)
    qtbot.waitUntil(lambda: "was replaced by" in tab.aftercare.text(), timeout=60_000)
    assert env.app.ledger.replacement_of(new) is not None
    # Every start went through the one path: the slow sale, the two reissues it refused
    # (History's, then the command line's), then the two that ran.
    assert started == ["sale", "replacement", "replacement", "replacement", "replacement"]


# --- a grant for another station ------------------------------------------------------


def test_a_grant_for_another_station_is_refused_at_import_and_never_picked(env, capsys, tmp_path):
    grants = env.app.station.grants
    other = bytes.fromhex("ab" * 16)
    grant = grants.create(
        [bytes.fromhex(h) for h in env.tracks],
        copies=5,
        title="For the shop next door",
        limits=RightsLimits(export=True),
        station=other,
    )
    path = tmp_path / "next-door.grant"
    path.write_bytes(grant.raw)
    before = {s.grant_id for s in grants.statuses()}

    assert _cli(env, "grant", "import", str(path)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "issued to station abababab" in err and "not recorded" in err
    assert {s.grant_id for s in grants.statuses()} == before

    # One recorded before this rule existed (straight into the ledger) is never picked.
    ks = env.app.keystore
    env.app.ledger.import_grant(grant.raw, ks.trusted_publishers(), time.time())
    env.disk("OTHERSTATION1")
    assert (
        _cli(env, "run", "--tracks", *env.tracks, "--copies", "1", "--grant", grant.id_hex[:12])
        == 3
    )
    err = capsys.readouterr().err
    assert f"grant {grant.id_hex[:8]} was issued to another station" in err
    status = grants.status(grant.id_hex)
    assert status.copies_used == 0
    rule = grants.usability(status, now=time.time(), station=grants.station_id())
    assert (rule.ok, rule.code) == (False, "other-station")
    # the run picks the station's own grant instead, and the doctor agrees it is unusable
    job = env.app.station.runs.plan(env.tracks, copies=1)
    assert job.grant_id == env.grant_id


def test_creating_a_grant_for_another_station_without_out_records_nothing(env, capsys):
    before = env.app.station.grants.statuses()
    argv = ["grant", "create", "--tracks", env.tracks[0], "--copies", "1"]
    assert _cli(env, *argv, "--station", "ab" * 16) == 2
    err = capsys.readouterr().err
    assert "--out FILE" in err and err.count("\n") == 1
    assert len(env.app.station.grants.statuses()) == len(before)
