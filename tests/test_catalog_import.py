"""Importing folders: bad files reported one per line with a reason, good ones imported."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy

from media_support import FFMPEG_MISSING, ffmpeg_runs
from pressroom.catalog import SqlCatalogStore, define_catalog_table, import_paths, read_track
from pressroom.catalog.track import TrackReadError

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo"
DEMO_TRACKS = sorted(p for p in DEMO.iterdir() if p.is_file())


@pytest.fixture
def store() -> SqlCatalogStore:
    engine = sqlalchemy.create_engine("sqlite://")
    metadata = sqlalchemy.MetaData()
    table = define_catalog_table(metadata)
    metadata.create_all(engine)
    return SqlCatalogStore(engine, table)


def _bad_files(folder: Path) -> dict[str, str]:
    """Damaged files, each with the start of the reason the importer must give."""
    folder.mkdir(parents=True, exist_ok=True)
    flac = (DEMO / "02-serial-number.flac").read_bytes()
    (folder / "cut.flac").write_bytes(flac[: len(flac) // 2])
    (folder / "noise.mp3").write_bytes(os.urandom(4096))
    mp3 = (DEMO / "01-first-light.mp3").read_bytes()
    (folder / "bad-tag.mp3").write_bytes(mp3[:3] + b"\xff\x00" + mp3[5:])  # ID3v2.255
    (folder / "readme.txt").write_text("liner notes\n")
    wav = (DEMO / "02-quota.wav").read_bytes()
    (folder / "cut.wav").write_bytes(wav[:-40_000])
    opus = (DEMO / "04-read-back.opus").read_bytes()
    (folder / "cut.opus").write_bytes(opus[:-5000])
    return {
        "cut.flac": "truncated FLAC stream",
        "noise.mp3": "not an audio file mutagen recognises",
        "bad-tag.mp3": "corrupt ID3 tag: ID3v2.255 not supported",
        "readme.txt": "not an audio file mutagen recognises",
        "cut.wav": "truncated WAV file",
        "cut.opus": "truncated Opus stream",
    }


def test_bad_files_are_reported_and_good_ones_imported(tmp_path, store):
    music = tmp_path / "music"
    shutil.copytree(DEMO, music)
    expected = _bad_files(music / "damaged")
    seen: list[tuple[int, int]] = []
    report = import_paths([music], store, on_progress=lambda d, t, _p: seen.append((d, t)))
    assert len(report.imported) == len(DEMO_TRACKS)
    assert {t.title for t in report.imported} >= {"First Light", "Licence Last"}
    reasons = {s.path.name: s.reason for s in report.skipped}
    assert set(reasons) == set(expected)
    for name, start in expected.items():
        assert reasons[name].startswith(start), (name, reasons[name])
    assert all("\n" not in str(s) and str(s).startswith(str(music)) for s in report.skipped)
    assert sorted(p.name for p in report.ignored) == ["night-shift.png", "pressroom-demo.png"]
    total = len(DEMO_TRACKS) + len(expected) + 2
    assert seen[-1] == (total, total) and len(seen) == total
    assert report.summary() == (
        f"{len(DEMO_TRACKS)} imported, 0 already known, {len(expected)} skipped "
        "(2 cover, playlist or log files ignored)"
    )


def test_reimport_is_idempotent(tmp_path, store):
    first = import_paths([DEMO], store)
    before = {t.content_hash: t for t in store.all()}
    copy = tmp_path / "elsewhere.mp3"
    shutil.copyfile(DEMO / "01-first-light.mp3", copy)
    second = import_paths([DEMO, copy], store)
    assert len(first.imported) == len(DEMO_TRACKS)
    assert second.imported == []
    assert len(second.known) == len(DEMO_TRACKS) + 1
    after = {t.content_hash: t for t in store.all()}
    assert after == before  # same rows: path and import time of the first import kept
    assert str(after[read_track(copy).content_hash].path) == str(DEMO / "01-first-light.mp3")


def test_other_content_by_extension_and_by_flag(tmp_path, store):
    (tmp_path / "film.mkv").write_bytes(b"\x1aE\xdf\xa3" + os.urandom(2000))
    (tmp_path / "setup.exe").write_bytes(b"MZ" + os.urandom(500))
    blob = tmp_path / "manual.bin"
    blob.write_bytes(os.urandom(300))
    walked = import_paths([tmp_path], store)
    assert sorted(t.title for t in walked.imported) == ["film.mkv", "setup.exe"]
    assert all(t.kind == "other" and t.duration is None for t in walked.imported)
    assert [s.path.name for s in walked.skipped] == ["manual.bin"]
    named = import_paths([blob], store, other=True)
    (track,) = named.imported
    assert (track.kind, track.format, track.size) == ("other", "bin", 300)
    assert store.get(track.content_hash).kind == "other"


def test_damaged_audio_stays_skipped_even_with_other(tmp_path, store):
    _bad_files(tmp_path)
    report = import_paths([tmp_path / "cut.flac", tmp_path / "noise.mp3"], store, other=True)
    assert [s.path.name for s in report.skipped] == ["cut.flac"]
    assert [t.kind for t in report.imported] == ["other"]


def test_hidden_files_excluded_folders_and_missing_paths(tmp_path, store):
    music = tmp_path / "music"
    (music / ".trash").mkdir(parents=True)
    (music / "data").mkdir()
    shutil.copyfile(DEMO / "01-first-light.mp3", music / ".hidden.mp3")
    shutil.copyfile(DEMO / "02-quota.wav", music / ".trash" / "quota.wav")
    shutil.copyfile(DEMO / "03-licence-last.wma", music / "data" / "licence.wma")
    shutil.copyfile(DEMO / "04-read-back.opus", music / "read-back.opus")
    report = import_paths([music, tmp_path / "missing"], store, exclude=[music / "data"])
    assert [t.path.name for t in report.imported] == ["read-back.opus"]
    assert [(s.path.name, s.reason) for s in report.skipped] == [
        ("missing", "no such file or folder")
    ]


def test_empty_and_unreadable_files_give_reasons(tmp_path):
    empty = tmp_path / "empty.flac"
    empty.touch()
    with pytest.raises(TrackReadError, match="the file is empty"):
        read_track(empty)
    with pytest.raises(TrackReadError, match="cannot read the file"):
        read_track(tmp_path / "gone.mp3")


def test_flac_cut_exactly_at_a_frame_boundary_is_caught(tmp_path):
    data = (DEMO / "02-serial-number.flac").read_bytes()
    boundary = data.rfind(b"\xff\xf8", 0, len(data) - 64)
    cut = tmp_path / "boundary.flac"
    cut.write_bytes(data[:boundary])
    with pytest.raises(TrackReadError, match=r"truncated FLAC stream: the audio ends at sample"):
        read_track(cut)


def test_mp4_with_a_video_track_is_other(tmp_path):
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None or not ffmpeg_runs():
        pytest.skip(FFMPEG_MISSING)
    import subprocess

    film = tmp_path / "clip.mp4"
    subprocess.run(
        [ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i", "color=c=blue:s=32x32:d=0.2",
         "-f", "lavfi", "-i", "sine=d=0.2", "-shortest", "-c:v", "mpeg4", "-c:a", "aac",
         str(film)],
        check=True,
    )  # fmt: skip
    assert read_track(film).kind == "other"
    audio_only = tmp_path / "tune.mp4"
    shutil.copyfile(DEMO / "01-insert-and-go.m4a", audio_only)
    assert read_track(audio_only).kind == "audio"
