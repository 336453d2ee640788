"""`pressroom play` end to end: simulated disks, serials read over the simulated USB bus."""

from __future__ import annotations

import json

import pytest

from player_support import Station
from pressroom.cli import main
from pressroom.player import STATE_FILE
from pressroom.secure.rights import Rights


@pytest.fixture
def station(_isolated_data_dir) -> Station:
    return Station(_isolated_data_dir)


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(["play", *argv])
    return code, capsys.readouterr().out


def test_lists_tracks_with_rights(station, capsys):
    mount = station.disk("AA11BB22CC33", [Rights(plays=2), Rights(preview_seconds=3), Rights()])
    code, out = run(capsys, str(mount))
    assert code == 0
    assert "The disk authenticates (serial read over USB from disk1" in out
    assert "2 of 2 left" in out and "preview 3 s" in out
    code, out = run(capsys, str(mount), "--json")
    doc = json.loads(out)
    assert doc["disk"]["ok"] and [t["plays_left"] for t in doc["disk"]["tracks"]] == [2, None, None]


def test_plays_decodes_counts_and_refuses_at_zero(station, capsys):
    mount = station.disk("AA11BB22CC33", [Rights(plays=2), Rights(), Rights()])
    code, out = run(capsys, str(mount), "1")
    assert code == 0
    assert "would play 8.0 s of FLAC audio (22050 Hz, mono); 1 play left." in out
    code, out = run(capsys, str(mount), "serial number", "--json")
    play = json.loads(out)["play"]
    assert play["format"] == "FLAC" and play["plays_left"] == 0 and play["sample_rate"] == 22050
    assert (mount / STATE_FILE).is_file()
    code, out = run(capsys, str(mount), "1")
    assert code == 1 and "REFUSED: Serial Number: all 2 plays have been used." in out


def test_preview_track_reports_the_cut(station, capsys):
    mount = station.disk("AA11BB22CC33", [Rights(), Rights(preview_seconds=3), Rights()])
    code, out = run(capsys, str(mount), "first light")
    assert code == 0
    assert "would play 3.0 s of MP3 audio (44100 Hz, stereo) (preview 3 s of 8.0 s)" in out


def test_clone_is_refused_with_exit_1(station, capsys):
    mount = station.disk("AA11BB22CC33")
    clone = station.clone(mount, "ZZ99YY88XX77")
    code, out = run(capsys, str(clone), "1")
    assert code == 1
    assert out.startswith("REFUSED: PRESSROOM/tracks/01.prt: the track key does not unwrap")
    assert "serial ends in 'CC33'" in out and "'XX77'" in out
    code, out = run(capsys, str(clone), "--json")
    assert code == 1 and json.loads(out)["disk"]["code"] == "wrong-disk"
    # The support desk can still check the copy as if it were on the original disk.
    code, out = run(capsys, str(clone), "--serial", "AA11BB22CC33")
    assert code == 0 and "as if its serial were 'AA11BB22CC33'" in out


def test_bad_track_and_missing_mount_are_usage_errors(station, capsys, tmp_path):
    mount = station.disk("AA11BB22CC33")
    assert main(["play", str(mount), "9"]) == 2
    assert main(["play", str(mount), "no such song"]) == 2
    assert main(["play", str(tmp_path / "nowhere")]) == 2
    assert main(["play"]) == 2
    assert "no track 9" in capsys.readouterr().err.lower()


def test_no_plaintext_left_anywhere(station, capsys, _isolated_data_dir):
    mount = station.disk("AA11BB22CC33")
    for n in ("1", "2", "3"):
        assert run(capsys, str(mount), n)[0] == 0
    probes = [s.path.read_bytes()[4000:4064] for s in station.sources]
    files = [p for p in _isolated_data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "state.prs" for p in files)
    assert any(p.name == "memory.json" for p in files)
    for p in files:
        blob = p.read_bytes()
        assert not any(probe in blob for probe in probes), p
