"""Issue 18's end to end: a marked demo copy, played, re-encoded and cut, names its disk."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from media_support import FFMPEG_MISSING, ffmpeg_runs
from pressroom.app import App
from pressroom.cli import main
from pressroom.config import load_config
from pressroom.watermark import audio

pytestmark = pytest.mark.skipif(not ffmpeg_runs(), reason=FFMPEG_MISSING)


@pytest.fixture
def long_audio(tmp_path: Path) -> Path:
    """A generated 40-second music-like FLAC file that carries no mark."""
    path = tmp_path / "unmarked.flac"
    audio.encode_flac(audio.music_like(40, 11), path)
    return path


def _drives(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["drives", "--json"]) == 0
    return list(json.loads(capsys.readouterr().out))


def test_a_played_reencoded_excerpt_names_exactly_its_copy(capsys, tmp_path, monkeypatch):
    # the real demo: its own long tracks, made in the data dir at first use
    monkeypatch.delenv("PRESSROOM_DEMO_DIR", raising=False)
    assert main(["demo", "--disks", "2", "--tracks", "1", "--rights", "marked"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "made 3 long demo tracks for watermarked copies" in captured.err
    assert "2 of 2 copies verified" in out
    pdf = out.strip().splitlines()[-1].removeprefix("Report: ")
    if shutil.which("pdftotext"):  # Debian poppler-utils: the report says the copies are marked
        text = subprocess.run(
            ["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "every copy marked with its copy index (1 of 1 tracks)" in " ".join(text.split())
    traced: dict[str, int] = {}
    for drive in _drives(capsys):
        mount = str(drive["mount_point"])
        if not (Path(mount) / "PRESSROOM" / "licence.prl").exists():
            continue  # a disk this demo did not use
        with App(load_config(), demo=True) as app:
            opened = app.station.disks.open_for_play(mount)
            assert opened.disk.refusal is None, opened.disk.refusal
            plain = opened.disk.decrypt(0)
            assert opened.disk.licence is not None
            licence = opened.disk.licence.licence_id.hex()
        assert plain.startswith(b"fLaC")  # a marked copy is delivered as FLAC
        played = tmp_path / f"{drive['serial']}.flac"
        played.write_bytes(plain)
        leak = tmp_path / f"{drive['serial']}.mp3"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-ss", "7", "-t", "30", "-i", str(played),
             "-c:a", "libmp3lame", "-b:a", "128k", str(leak)],
            check=True,
        )  # fmt: skip
        assert main(["trace", str(leak), "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["found"] is True
        assert [c["licence_id"] for c in result["copies"]] == [licence]
        traced[licence] = result["copy_index"]
    assert sorted(traced.values()) == [1, 2]  # two disks, two different copies named

    # the rights holder: the station's tracing key and its report, no station keys or ledger
    key, report = tmp_path / "trace.key", tmp_path / "report.json"
    assert main(["trace", "--export-key", str(key)]) == 0
    assert key.stat().st_mode & 0o077 == 0
    assert main(["report", "--format", "json", "--out", str(report)]) == 0
    capsys.readouterr()
    holder = ["--data-dir", str(tmp_path / "rights-holder")]
    assert main([*holder, "trace", str(leak), "--key-file", str(key), "--report", str(report),
                 "--json"]) == 0  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    assert [c["licence_id"] for c in result["copies"]] == [licence]
    # without the key, the same leak shows no mark to someone else's station
    assert main([*holder, "keys", "init", "--demo"]) == 0
    capsys.readouterr()
    assert main([*holder, "trace", str(leak)]) == 1


def test_unmarked_audio_is_no_watermark_found(long_audio, capsys):
    assert main(["keys", "init", "--demo"]) == 0
    capsys.readouterr()
    assert main(["trace", str(long_audio)]) == 1
    assert capsys.readouterr().out.startswith("No watermark found in 40.0 s of audio")


def test_trace_refuses_what_is_not_audio(tmp_path, capsys):
    assert main(["keys", "init", "--demo"]) == 0
    capsys.readouterr()
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"not audio at all" * 10)
    assert main(["trace", str(junk)]) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot be decoded as audio" in err and "\n" not in err
    assert main(["trace", str(tmp_path / "missing.wav")]) == 2


def test_marking_refuses_a_track_too_short_to_carry_the_mark(capsys):
    assert main(["demo", "--disks", "1", "--tracks", "1"]) == 0
    capsys.readouterr()
    with App(load_config(), demo=True) as app:
        short = app.station.demo.prepare(1).track_hashes[0]  # a shipped 8-second track
    assert main(["run", "--tracks", short, "--copies", "1", "--rights", "marked",
                 "--no-wait"]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "a watermark needs at least 19 s of audio" in err


def test_bad_tracing_key_and_report_are_one_sentence(long_audio, tmp_path, capsys):
    leak = long_audio
    key = tmp_path / "k"
    key.write_text("not a key")
    assert main(["trace", str(leak), "--key-file", str(key)]) == 2
    assert "is not a tracing key (64 hex digits)" in capsys.readouterr().err
    key.write_text("ab" * 32)
    report = tmp_path / "r.json"
    report.write_text('{"disks": [{"copy_index": "one"}]}')
    assert main(["trace", str(leak), "--key-file", str(key), "--report", str(report)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("is not a Pressroom report in JSON.") and "\n" not in err
    assert main(["trace"]) == 2
    assert "Name the leaked file to trace" in capsys.readouterr().err
