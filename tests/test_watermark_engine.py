"""Marked copies through the real engine: each disk's copy differs, the grant's marking
limit is enforced, a damaged variant cache is prepared again."""

from __future__ import annotations

import shutil

import cbor2
import pytest

from pressroom.bench.station import ThrowawayStation
from pressroom.engine.events import DiskState
from pressroom.errors import UsageError
from pressroom.secure.licence import LICENCE_FILE
from pressroom.secure.rights import RightsLimits

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="needs ffmpeg (Debian package ffmpeg)"
)


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
