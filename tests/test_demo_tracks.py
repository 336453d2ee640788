"""The demo's long tracks (made in the data dir at first use, for watermarked copies)."""

from __future__ import annotations

from pressroom.app import App
from pressroom.catalog import read_track
from pressroom.config import load_config
from pressroom.station import demo_tracks
from pressroom.station.marking import MIN_SECONDS


def test_the_long_tracks_are_the_same_bytes_every_time_and_tagged(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for where in (first, second):
        where.mkdir()
        demo_tracks._write(where / "side-a.wav", "Side A", 1, 101)
    a, b = (where / "side-a.wav" for where in (first, second))
    assert a.read_bytes() == b.read_bytes()
    assert sorted(p.name for p in first.iterdir()) == ["side-a.wav"]  # no temporary left
    info = read_track(a)
    assert (info.title, info.album, info.track_number) == ("Side A", demo_tracks.ALBUM, 1)
    assert info.duration is not None and abs(info.duration - demo_tracks.SECONDS) < 0.1
    assert info.duration > 30 > MIN_SECONDS  # a 30-second excerpt of it holds a whole mark


def test_the_demo_imports_them_once_and_marked_jobs_use_them():
    with App(load_config(), demo=True) as app:
        setup = app.station.demo.prepare(1)
        assert len(setup.long_hashes) == 3 and not set(setup.long_hashes) & set(setup.track_hashes)
        assert any("long demo tracks" in step for step in setup.steps)
        again = app.station.demo.prepare(1)  # made and imported once
        assert again.long_hashes == setup.long_hashes
        assert not any("long demo tracks" in step for step in again.steps)
        assert again.grant_id == setup.grant_id  # the demo grant covers all ten tracks
        assert setup.tracks_for("marked", 2) == setup.long_hashes[:2]
        assert setup.tracks_for("standard", 3) == setup.track_hashes[:3]
