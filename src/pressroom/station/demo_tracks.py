"""The demo's long tracks: music long enough to carry a watermark, made at first use.

The shipped demo catalog (``resources/demo``) is seven 8-second tracks in seven formats,
small enough to keep in the repository, but shorter than one whole watermark (18.2 s), so
a marked demo copy could not be made from them. Rather than ship ~20 MB of longer audio,
the demo writes three 40-second tracks of generated music (chords of harmonic notes, a
bass line, noise drums: :func:`pressroom.watermark.audio.music_like`) into the data dir the
first time it is set up, as tagged 16-bit WAV. The generator is seeded, so the same
installation writes the same bytes (and content hashes) every time; nothing needs ffmpeg.
"""

from __future__ import annotations

import contextlib
import os
import wave
from pathlib import Path

FOLDER = "demo-long"  # in the data dir
ARTIST = "The Test Tones"
ALBUM = "Pressroom Long Play"  # sorts after the shipped demo albums in the catalog
SECONDS = 40.0  # a 30-second excerpt cut anywhere in it holds one whole mark
TRACKS = (("Side A", 101), ("Side B", 102), ("Run-out Groove", 103))  # title, seed


def folder(data_dir: Path) -> Path:
    return data_dir / FOLDER


def ensure(where: Path) -> list[Path]:
    """The long demo tracks in ``where``, written now where missing."""
    where.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, (title, seed) in enumerate(TRACKS, start=1):
        path = where / f"{number:02d}-{title.lower().replace(' ', '-')}.wav"
        if not path.is_file():
            _write(path, title, number, seed)
        paths.append(path)
    return paths


def _write(path: Path, title: str, number: int, seed: int) -> None:
    """Synthesise, write and tag one track under a temporary name, then rename it: an
    interrupted first start leaves no half track for the catalog to import."""
    # numpy is loaded only the first time (the signal work is not for every command)
    from mutagen.id3 import TALB, TIT2, TPE1, TRCK
    from mutagen.wave import WAVE

    from pressroom.watermark.audio import music_like, to_pcm16
    from pressroom.watermark.layout import RATE

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with wave.open(str(tmp), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(to_pcm16(music_like(SECONDS, seed)))
        tagged = WAVE(tmp)  # type: ignore[no-untyped-call]
        tagged.add_tags()  # type: ignore[no-untyped-call]
        tags = tagged.tags
        assert tags is not None
        tags.add(TIT2(encoding=3, text=title))
        tags.add(TPE1(encoding=3, text=ARTIST))
        tags.add(TALB(encoding=3, text=ALBUM))
        tags.add(TRCK(encoding=3, text=f"{number}/{len(TRACKS)}"))
        tagged.save()
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
