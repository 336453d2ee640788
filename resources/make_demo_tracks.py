#!/usr/bin/env python3
"""Make the demo catalog in ``resources/demo/`` from sound and pictures drawn here.

A developer tool, not part of the station: the generated files are committed, so the
demo and the tests never need ffmpeg. The music is synthesised in pure Python (additive
tones with envelopes, written as 16-bit WAV with the ``array`` module), encoded with
ffmpeg into one format per track, then tagged and given cover art with mutagen, the same
library the catalog reads them with. Covers are drawn with Pillow (already installed as
a dependency of fpdf2). Run: ``.venv/bin/python resources/make_demo_tracks.py``.
"""

from __future__ import annotations

import array
import io
import math
import shutil
import struct
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from mutagen.asf import ASF, ASFByteArrayAttribute
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3, TALB, TIT2, TPE1, TRCK
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE
from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent / "demo"
RATE = 44100
SECONDS = 8.0


@dataclass(frozen=True)
class Album:
    title: str
    artist: str
    slug: str
    colours: tuple[tuple[int, int, int], tuple[int, int, int]]
    cover_format: str  # "PNG" or "JPEG": both kinds of embedded cover get exercised


@dataclass(frozen=True)
class Demo:
    file: str
    title: str
    album: Album
    number: int
    notes: tuple[float, ...]  # semitones above A3, one per step of the arpeggio
    bpm: int
    ffmpeg: tuple[str, ...]  # codec arguments


ALBUM_A = Album(
    "Pressroom Demo", "The Test Tones", "pressroom-demo", ((22, 48, 94), (240, 180, 40)), "PNG"
)
ALBUM_B = Album(
    "Night Shift at the Press",
    "Duplicator Ensemble",
    "night-shift",
    ((40, 18, 60), (80, 220, 190)),
    "JPEG",
)

DEMOS = (
    Demo(
        "01-first-light.mp3",
        "First Light",
        ALBUM_A,
        1,
        (0, 4, 7, 12, 7, 4),
        112,
        ("-c:a", "libmp3lame", "-b:a", "96k"),
    ),
    Demo(
        "02-serial-number.flac",
        "Serial Number",
        ALBUM_A,
        2,
        (0, 3, 7, 10, 12, 10, 7, 3),
        96,
        ("-c:a", "flac", "-compression_level", "8", "-ar", "22050", "-ac", "1"),
    ),
    Demo(
        "03-bound-to-the-disk.ogg",
        "Bound to the Disk",
        ALBUM_A,
        3,
        (-5, 0, 4, 7, 11, 7),
        120,
        ("-c:a", "libvorbis", "-q:a", "2"),
    ),
    Demo(
        "04-read-back.opus",
        "Read Back",
        ALBUM_A,
        4,
        (2, 5, 9, 14, 9, 5),
        104,
        ("-c:a", "libopus", "-b:a", "48k"),
    ),
    Demo(
        "01-insert-and-go.m4a",
        "Insert and Go",
        ALBUM_B,
        1,
        (0, 7, 12, 16, 12, 7),
        126,
        ("-c:a", "aac", "-b:a", "80k"),
    ),
    Demo(
        "02-quota.wav",
        "Quota",
        ALBUM_B,
        2,
        (-3, 0, 4, 9),
        88,
        ("-c:a", "pcm_s16le", "-ar", "16000", "-ac", "1"),
    ),
    Demo(
        "03-licence-last.wma",
        "Licence Last",
        ALBUM_B,
        3,
        (0, 2, 4, 7, 9, 12),
        132,
        ("-c:a", "wmav2", "-b:a", "64k"),
    ),
)


# --- sound -------------------------------------------------------------------------------


def _noise(seed: int):
    """A tiny deterministic LCG, so the hi-hat is the same on every run."""
    state = seed
    while True:
        state = (1103515245 * state + 12345) & 0x7FFFFFFF
        yield state / 0x3FFFFFFF - 1.0


def synthesise(demo: Demo) -> array.array:
    """Stereo 16-bit samples: an arpeggio (panned), a bass note per bar, a soft hi-hat."""
    total = int(RATE * SECONDS)
    left = [0.0] * total
    right = [0.0] * total
    step = int(RATE * 60 / demo.bpm / 2)  # eighth notes
    two_pi = 2 * math.pi
    for index, start in enumerate(range(0, total, step)):
        semis = demo.notes[index % len(demo.notes)]
        freq = 220.0 * 2 ** (semis / 12)
        pan = 0.5 + 0.35 * math.sin(index * 0.9)
        length = min(step * 2, total - start)
        for n in range(length):
            t = n / RATE
            env = min(1.0, n / 300) * math.exp(-3.2 * t)
            value = env * (
                math.sin(two_pi * freq * t)
                + 0.35 * math.sin(two_pi * 2 * freq * t)
                + 0.12 * math.sin(two_pi * 3 * freq * t)
            )
            left[start + n] += 0.22 * value * (1 - pan)
            right[start + n] += 0.22 * value * pan
    bar = step * 8
    for index, start in enumerate(range(0, total, bar)):
        freq = 55.0 * 2 ** (demo.notes[(index * 2) % len(demo.notes)] / 12)
        for n in range(min(bar, total - start)):
            t = n / RATE
            value = 0.25 * min(1.0, n / 400) * math.exp(-1.1 * t) * math.sin(two_pi * freq * t)
            left[start + n] += value
            right[start + n] += value
    noise = _noise(demo.number * 7919 + len(demo.title))
    for start in range(step, total, step * 2):
        for n in range(min(1800, total - start)):
            value = 0.05 * math.exp(-n / 260) * next(noise)
            left[start + n] += value
            right[start + n] += value
    fade = int(RATE * 0.4)
    samples = array.array("h")
    for i in range(total):
        gain = min(1.0, (total - i) / fade)
        for channel in (left, right):
            samples.append(int(max(-1.0, min(1.0, channel[i] * gain)) * 32000))
    return samples


def write_wav(path: Path, samples: array.array) -> None:
    if sys.byteorder != "little":
        samples.byteswap()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())


def encode(source: Path, target: Path, codec_args: tuple[str, ...]) -> None:
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(source),
            "-map_metadata",
            "-1",
            "-fflags",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            *codec_args,
            str(target),
        ],
        check=True,
    )


# --- covers ------------------------------------------------------------------------------


def draw_cover(album: Album, size: int) -> Image.Image:
    """A record-sleeve design: a background, concentric grooves, the album's name."""
    back, accent = album.colours
    image = Image.new("RGB", (size, size), back)
    draw = ImageDraw.Draw(image)
    cx, cy = size // 2, int(size * 0.42)
    for ring in range(12, 0, -1):
        radius = int(size * 0.36 * ring / 12)
        shade = tuple(
            int(b + (a - b) * (ring % 2) * 0.8) for a, b in zip(accent, back, strict=True)
        )
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=shade)
    hole = size // 20
    draw.ellipse((cx - hole, cy - hole, cx + hole, cy + hole), fill=back)
    font = ImageFont.load_default(size=max(10, size // 14))
    draw.rectangle((0, size - size // 6, size, size), fill=back)
    draw.text((size // 24, size - size // 7), album.title, fill=accent, font=font)
    return image


def image_bytes(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, "JPEG", quality=80)
    else:
        image.quantize(colors=16).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


# --- tags --------------------------------------------------------------------------------


def tag(path: Path, demo: Demo, cover: bytes, mime: str) -> None:
    album = demo.album
    total = sum(1 for d in DEMOS if d.album == album)
    suffix = path.suffix.lower()
    if suffix in (".mp3", ".wav"):
        audio = MP3(path) if suffix == ".mp3" else WAVE(path)
        if audio.tags is None:
            audio.add_tags()
        tags: ID3 = audio.tags
        tags.add(TIT2(encoding=3, text=demo.title))
        tags.add(TPE1(encoding=3, text=album.artist))
        tags.add(TALB(encoding=3, text=album.title))
        tags.add(TRCK(encoding=3, text=f"{demo.number}/{total}"))
        tags.add(APIC(encoding=3, mime=mime, type=3, desc="Front cover", data=cover))
        audio.save()
    elif suffix in (".flac", ".ogg", ".opus"):
        audio = {".flac": FLAC, ".ogg": OggVorbis, ".opus": OggOpus}[suffix](path)
        audio["title"] = demo.title
        audio["artist"] = album.artist
        audio["album"] = album.title
        audio["tracknumber"] = str(demo.number)
        audio["tracktotal"] = str(total)
        picture = _picture(cover, mime)
        if isinstance(audio, FLAC):
            audio.add_picture(picture)
        else:
            import base64

            audio["metadata_block_picture"] = base64.b64encode(picture.write()).decode("ascii")
        audio.save()
    elif suffix == ".m4a":
        audio = MP4(path)
        audio["\xa9nam"] = demo.title
        audio["\xa9ART"] = album.artist
        audio["\xa9alb"] = album.title
        audio["trkn"] = [(demo.number, total)]
        kind = MP4Cover.FORMAT_JPEG if mime == "image/jpeg" else MP4Cover.FORMAT_PNG
        audio["covr"] = [MP4Cover(cover, imageformat=kind)]
        audio.save()
    elif suffix == ".wma":
        audio = ASF(path)
        audio["Title"] = demo.title
        audio["Author"] = album.artist
        audio["WM/AlbumTitle"] = album.title
        audio["WM/TrackNumber"] = str(demo.number)
        audio["WM/Picture"] = [ASFByteArrayAttribute(_wm_picture(cover, mime))]
        audio.save()
    else:
        raise ValueError(f"no tagger for {path.name}")


def _picture(cover: bytes, mime: str) -> Picture:
    picture = Picture()
    picture.type = 3
    picture.mime = mime
    picture.desc = "Front cover"
    image = Image.open(io.BytesIO(cover))
    picture.width, picture.height = image.size
    picture.depth = 24
    picture.data = cover
    return picture


def _wm_picture(cover: bytes, mime: str) -> bytes:
    """WM/Picture: type byte, data length, UTF-16LE mime and description, data."""
    text = mime.encode("utf-16-le") + b"\0\0" + "Front cover".encode("utf-16-le") + b"\0\0"
    return struct.pack("<BI", 3, len(cover)) + text + cover


def main() -> int:
    if shutil.which("ffmpeg") is None:
        print(
            "ffmpeg is needed to encode the demo tracks (Debian package ffmpeg).", file=sys.stderr
        )
        return 3
    OUT.mkdir(exist_ok=True)
    (OUT / "covers").mkdir(exist_ok=True)
    covers: dict[str, tuple[bytes, str]] = {}
    for album in (ALBUM_A, ALBUM_B):
        draw_cover(album, 512).quantize(colors=32).save(
            OUT / "covers" / f"{album.slug}.png", optimize=True
        )
        data = image_bytes(draw_cover(album, 200), album.cover_format)
        covers[album.slug] = (data, "image/jpeg" if album.cover_format == "JPEG" else "image/png")
    with tempfile.TemporaryDirectory() as tmp:
        for demo in DEMOS:
            source = Path(tmp) / f"{demo.number}-{demo.album.slug}.wav"
            write_wav(source, synthesise(demo))
            target = OUT / demo.file
            encode(source, target, demo.ffmpeg)
            data, mime = covers[demo.album.slug]
            tag(target, demo, data, mime)
            print(f"{target.relative_to(OUT.parent)}  {target.stat().st_size // 1024} KiB")
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"demo catalog: {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
