"""Each demo format read through its registered reader: tags, stream facts, cover, hash."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import mutagen
import pytest

from pressroom.catalog import hash_file, read_track
from pressroom.catalog.formats import (
    audio_extensions,
    parse_track_number,
    parse_wm_picture,
    registered_formats,
)

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"

ALBUM_A = ("The Test Tones", "Pressroom Demo", "image/png", PNG_MAGIC)
ALBUM_B = ("Duplicator Ensemble", "Night Shift at the Press", "image/jpeg", JPEG_MAGIC)

# file, format, codec, title, track, sample rate, channels, album facts
CASES = [
    ("01-first-light.mp3", "mp3", "mp3", "First Light", 1, 44100, 2, ALBUM_A),
    ("02-serial-number.flac", "flac", "flac", "Serial Number", 2, 22050, 1, ALBUM_A),
    ("03-bound-to-the-disk.ogg", "ogg", "vorbis", "Bound to the Disk", 3, 44100, 2, ALBUM_A),
    ("04-read-back.opus", "opus", "opus", "Read Back", 4, 48000, 2, ALBUM_A),
    ("01-insert-and-go.m4a", "m4a", "aac", "Insert and Go", 1, 44100, 2, ALBUM_B),
    ("02-quota.wav", "wav", "pcm_s16le", "Quota", 2, 16000, 1, ALBUM_B),
    ("03-licence-last.wma", "wma", "wmav2", "Licence Last", 3, 44100, 2, ALBUM_B),
]


@pytest.mark.parametrize(
    ("name", "fmt", "codec", "title", "number", "rate", "channels", "album"),
    CASES,
    ids=[c[0].split(".")[-1] for c in CASES],
)
def test_demo_track_is_read_completely(name, fmt, codec, title, number, rate, channels, album):
    path = DEMO / name
    track = read_track(path)
    artist, album_title, mime, magic = album
    assert track.kind == "audio"
    assert (track.format, track.codec) == (fmt, codec)
    assert (track.title, track.artist, track.album) == (title, artist, album_title)
    assert track.track_number == number
    assert track.duration == pytest.approx(8.0, abs=0.1)
    assert track.sample_rate == rate
    assert track.channels == channels
    assert track.bitrate and 16_000 <= track.bitrate <= 300_000
    assert track.size == path.stat().st_size
    assert track.path == path
    assert track.cover_mime == mime
    assert track.cover is not None and track.cover.startswith(magic)
    assert track.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_demo_catalog_stays_small_and_has_album_covers():
    files = [p for p in DEMO.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 2_000_000
    covers = sorted(p.name for p in (DEMO / "covers").glob("*.png"))
    assert covers == ["night-shift.png", "pressroom-demo.png"]
    assert all((DEMO / "covers" / c).read_bytes().startswith(PNG_MAGIC) for c in covers)


def test_content_hash_is_stable_across_copies_and_names(tmp_path):
    source = DEMO / "02-serial-number.flac"
    copy = tmp_path / "renamed.flac"
    shutil.copyfile(source, copy)
    assert hash_file(copy) == hash_file(source) == read_track(copy).content_hash
    copy.write_bytes(copy.read_bytes() + b"\0")
    assert hash_file(copy) != hash_file(source)


def test_hash_streams_files_larger_than_one_block(tmp_path):
    big = tmp_path / "big.bin"
    data = bytes(range(256)) * (5 * 4096 + 17)  # > 5 MiB, not a multiple of the block
    big.write_bytes(data)
    assert hash_file(big) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("name", ["01-first-light.mp3", "03-bound-to-the-disk.ogg"])
def test_title_falls_back_to_the_file_name(tmp_path, name):
    copy = tmp_path / f"untitled-take{Path(name).suffix}"
    shutil.copyfile(DEMO / name, copy)
    audio = mutagen.File(copy)
    audio.delete()
    track = read_track(copy)
    assert track.title == "untitled-take"
    assert track.artist is None and track.album is None and track.track_number is None
    assert track.duration == pytest.approx(8.0, abs=0.1)


def test_every_required_format_is_registered():
    names = {reader.name for reader in registered_formats()}
    assert {"mp3", "flac", "ogg", "opus", "m4a", "wav", "wma"} <= names
    assert {".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav", ".wma"} <= audio_extensions()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3), ("3/12", 3), (" 07 ", 7), ((4, 10), 4), ("", None), ("A1", None), ("0", None)],
)
def test_parse_track_number(value, expected):
    assert parse_track_number(value) == expected


def test_parse_wm_picture_rejects_short_payloads():
    text = "image/png".encode("utf-16-le") + b"\0\0" + b"\0\0"
    good = bytes([3]) + (4).to_bytes(4, "little") + text + b"abcd"
    assert parse_wm_picture(good) == (3, "image/png", b"abcd")
    assert parse_wm_picture(good[:-1]) is None
    assert parse_wm_picture(b"\x03") is None


def _riff_info_wav(path: Path, tags: dict[bytes, bytes]) -> None:
    """A 0.1 s silent WAV carrying only a LIST/INFO chunk, written by hand."""
    import struct

    body = b"INFO"
    for key, value in tags.items():
        value += b"\0"
        body += key + struct.pack("<I", len(value)) + value + (b"\0" if len(value) % 2 else b"")
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    samples = b"\0\0" * 800
    chunks = (
        b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"LIST" + struct.pack("<I", len(body)) + body
        + b"data" + struct.pack("<I", len(samples)) + samples
    )  # fmt: skip
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)


def test_wav_without_id3_uses_riff_info_tags(tmp_path):
    path = tmp_path / "info.wav"
    _riff_info_wav(
        path, {b"INAM": b"Take Five", b"IART": b"Quartet", b"IPRD": b"LP", b"IPRT": b"5"}
    )
    track = read_track(path)
    assert (track.title, track.artist, track.album, track.track_number) == (
        "Take Five", "Quartet", "LP", 5,
    )  # fmt: skip
    assert track.duration == pytest.approx(0.1)
    assert (track.codec, track.sample_rate, track.channels, track.cover) == (
        "pcm_s16le", 8000, 1, None,
    )  # fmt: skip
