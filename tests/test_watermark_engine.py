"""Marked copies through the real engine: each disk's copy differs, the grant's marking
limit is enforced, a damaged variant cache is prepared again."""

from __future__ import annotations

import cbor2
import pytest

from media_support import FFMPEG_MISSING, ffmpeg_runs
from pressroom.bench.station import ThrowawayStation
from pressroom.engine.events import DiskState
from pressroom.errors import UsageError
from pressroom.secure.licence import LICENCE_FILE
from pressroom.secure.rights import RightsLimits

pytestmark = pytest.mark.skipif(not ffmpeg_runs(), reason=FFMPEG_MISSING)


@pytest.fixture
def st(tmp_path):
    station = ThrowawayStation(tmp_path, track_sizes=(), audio_seconds=(22.0,), copies=20)
    yield station
    station.close()


def _run(st: ThrowawayStation, serials: list[str], rights: str = "marked"):
    names = [st.disk(s) for s in serials]
    ids = [d.id for d in st.app.drive_provider.list_drives() if d.label in names]
    runs = st.app.station.runs
    job = runs.plan(st.tracks, copies=len(ids), grant_id=st.grant_id, drives=ids,
                    insert_and_go=False, rights=rights)  # fmt: skip
    summary = runs.start(job, lambda ev: None).wait(120)
    return names, summary


def _track_entry(st: ThrowawayStation, name: str) -> dict:
    raw = (st.sim_dir / name / "media" / LICENCE_FILE).read_bytes()
    body = cbor2.loads(cbor2.loads(raw)["body"])
    return body["tracks"][0]


def test_each_disk_gets_its_own_marked_flac_copy(st):
    names, summary = _run(st, ["MARKENGINE0001", "MARKENGINE0002"])
    assert [d.state for d in summary.disks.values()] == [DiskState.PASS] * 2
    entries = [_track_entry(st, n) for n in names]
    for e in entries:
        assert e["rights"]["marked"] is True and e["format"] == "flac"
        assert e["plain_sha256"] != e["track_id"]  # not the catalog source
    assert entries[0]["plain_sha256"] != entries[1]["plain_sha256"]  # two different copies


def test_a_grant_requiring_marking_refuses_unmarked_copies(st):
    st.grant_id = st.make_grant(5, RightsLimits(export=True, marking=True))
    with pytest.raises(UsageError, match="the grant requires watermarked copies"):
        st.app.station.runs.plan(st.tracks, copies=1, grant_id=st.grant_id)
    _names, summary = _run(st, ["MARKENGINE0003"])
    assert [d.state for d in summary.disks.values()] == [DiskState.PASS]


def test_a_damaged_variant_cache_is_prepared_again(st):
    _run(st, ["MARKENGINE0004"])
    cache = st.app.station.marking.cache_dir
    (b,) = cache.glob("*/b.flac")
    b.write_bytes(b.read_bytes()[:1000])  # cut short behind the station's back
    _names, summary = _run(st, ["MARKENGINE0005"])
    assert [d.state for d in summary.disks.values()] == [DiskState.PASS]
    assert b.stat().st_size > 1000


def test_a_grant_too_large_for_the_copy_index_is_refused_in_one_sentence(st):
    st.grant_id = st.make_grant(40_000)
    job = st.app.station.runs.plan(st.tracks, copies=1, grant_id=st.grant_id, rights="marked")
    with pytest.raises(UsageError, match="A watermark names at most 32767 copies"):
        st.app.station.marking.prepare(job)


class _Gate:
    """Stands in for the variants' preparation: holds it until opened (at most a minute,
    so a start() that did the work inline fails instead of hanging), then prepares."""

    def __init__(self, monkeypatch):
        import threading

        from pressroom.watermark import variants

        self.open = threading.Event()
        self.entered = threading.Event()
        self.threads: list[str] = []
        real = variants.prepare

        def held(*args, **kw):
            self.threads.append(threading.current_thread().name)
            self.entered.set()
            assert self.open.wait(60), "start() waited for the preparation"
            return real(*args, **kw)

        monkeypatch.setattr(variants, "prepare", held)


def _job(st, serials, rights="marked"):
    names = [st.disk(s) for s in serials]
    ids = [d.id for d in st.app.drive_provider.list_drives() if d.label in names]
    return st.app.station.runs.plan(st.tracks, copies=len(ids), grant_id=st.grant_id,
                                    drives=ids, insert_and_go=False, rights=rights)  # fmt: skip


def test_start_returns_before_the_variants_are_prepared_and_reports_the_step(st, monkeypatch):
    import threading

    from pressroom.engine.events import RunProgress

    gate = _Gate(monkeypatch)
    events: list[RunProgress] = []
    run = st.app.station.runs.start(
        _job(st, ["MARKENGINE0006"]),
        lambda ev: events.append(ev) if isinstance(ev, RunProgress) else None,
    )
    assert gate.entered.wait(60)
    # start() has returned while the preparation is held: it ran on another thread
    assert gate.threads == ["run-prepare"] and threading.current_thread().name not in gate.threads
    assert run.summary().step == "Preparing marked tracks 1 of 1" and not run.done
    assert all(d.state != DiskState.RUNNING for d in run.summary().disks.values())
    gate.open.set()
    summary = run.wait(120)
    assert [d.state for d in summary.disks.values()] == [DiskState.PASS]
    assert "Preparing marked tracks 1 of 1" in [e.step for e in events]
    assert summary.step == "" and events[-1].step == ""


def test_stop_while_preparing_ends_the_run_without_touching_a_disk(st, monkeypatch):
    gate = _Gate(monkeypatch)
    run = st.app.station.runs.start(_job(st, ["MARKENGINE0007"]), lambda ev: None)
    assert gate.entered.wait(60)
    run.cancel()
    summary = run.wait(30)
    gate.open.set()
    assert run.done and summary.state.value == "cancelled" and summary.error == ""
    assert all(d.state == DiskState.IDLE for d in summary.disks.values())
    assert st.app.ledger.get_grant(st.grant_id).copies_used == 0


def test_a_track_that_cannot_be_marked_ends_the_run_with_one_sentence(st, monkeypatch):
    from pressroom.watermark import audio, variants

    def broken(*_args, **_kw):
        raise audio.AudioError("song.flac cannot be decoded as audio (Invalid data).")

    monkeypatch.setattr(variants, "prepare", broken)
    run = st.app.station.runs.start(_job(st, ["MARKENGINE0008"]), lambda ev: None)
    summary = run.wait(60)
    assert summary.state.value == "cancelled"
    assert summary.error.endswith("cannot be watermarked: song.flac cannot be decoded as audio "
                                  "(Invalid data).")  # fmt: skip
    assert isinstance(run.failure, UsageError)
    assert all(d.state == DiskState.IDLE for d in summary.disks.values())
