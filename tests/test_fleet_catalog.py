"""Issue 20, story 4: one catalog shared by stations, a track is its content hash, and
each station records (and uses) where it keeps its own copy of the file."""

from __future__ import annotations

import shutil

import pytest

from engine_support import Env
from pressroom.app import App
from pressroom.catalog import import_paths
from pressroom.config import load_config
from pressroom.errors import SetupError


@pytest.fixture
def stations(tmp_path):
    a = Env(tmp_path / "a")
    url = a.app.config.ledger_url
    b = App(load_config(tmp_path / "b" / "data", ledger_url=url))
    b.station.keys.ensure(demo=True)
    folder_b = tmp_path / "b" / "music"
    shutil.copytree(a.root / "tracks", folder_b)
    yield a, b, folder_b
    b.close()
    a.close()


def test_each_station_keeps_its_own_path(stations):
    a, b, folder_b = stations
    report = import_paths(sorted(folder_b.iterdir()), b.catalog, other=True)
    assert not report.imported and len(report.known) == len(a.tracks)  # same content
    assert all(t.path.parent == folder_b for t in report.known)  # reported where B has it
    for h in a.tracks:
        assert b.catalog.get(h).path.parent == folder_b
        assert a.app.catalog.get(h).path.parent == a.root / "tracks"
    assert {t.path.parent for t in b.catalog.all()} == {folder_b}
    job = b.station.runs.plan  # the job's tracks are read from B's folder
    with pytest.raises(SetupError, match="No grant"):
        job(a.tracks, copies=1)  # B has no grant here; the files themselves were accepted


def test_a_station_without_the_file_is_told_which_and_where_before_any_disk(stations):
    a, b, _folder_b = stations
    # B never imported the music: the catalog knows the tracks, B has no file for them
    missing = a.tracks[0]
    shutil.move(a.app.catalog.get(missing).path, a.root / "elsewhere.bin")
    with pytest.raises(SetupError) as err:
        b.station.runs.plan([missing], copies=1)
    text = str(err.value)
    assert "is missing at" in text and missing in text and "pressroom catalog import" in text
    with pytest.raises(SetupError, match="is missing at"):
        a.app.station.runs.plan([missing], copies=1)
