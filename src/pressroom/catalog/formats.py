"""One small reader per audio format, registered by extension and mutagen type.

Modelled on MusicBrainz Picard's ``picard.formats``: each format knows its mutagen class,
where its tags and front cover live, and what "whole" means for its stream. mutagen
chooses the class (it scores extension and header together), the registry maps that
class to its reader, and the reader turns the file into a :class:`TrackInfo`.
"""

from __future__ import annotations

import base64
import binascii
import struct
from pathlib import Path
from typing import Any, ClassVar

import mutagen
from mutagen.aiff import AIFF
from mutagen.asf import ASF
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from pressroom.catalog import integrity
from pressroom.catalog.track import TrackInfo

FRONT_COVER = 3  # picture type "Cover (front)" in ID3 APIC, FLAC and ASF alike


class FormatReader:
    """Reads one format's tags, stream facts and cover. Subclasses fill the class vars."""

    name: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]]
    mutagen_type: ClassVar[type[mutagen.FileType]]

    def __init__(self, audio: mutagen.FileType, path: Path) -> None:
        self.audio = audio
        self.path = path

    # Per-format hooks -------------------------------------------------------------------

    def tag(self, key: str) -> str | None:
        """The first value of a logical tag: title, artist, album, track."""
        raise NotImplementedError

    def cover(self) -> tuple[bytes, str] | None:
        return None

    def codec(self) -> str:
        return self.name

    def check_stream(self) -> str | None:
        """A sentence if the stream is cut short or damaged, else None."""
        return None

    # Shared -----------------------------------------------------------------------------

    def bitrate(self) -> int | None:
        bitrate = getattr(self.audio.info, "bitrate", 0)
        if bitrate:
            return int(bitrate)
        length = getattr(self.audio.info, "length", 0)
        return int(self.path.stat().st_size * 8 / length) if length else None  # average

    def sample_rate(self) -> int | None:
        return getattr(self.audio.info, "sample_rate", None) or None

    def track_info(self, content_hash: str, size: int) -> TrackInfo:
        info = self.audio.info
        cover = self.cover()
        length = getattr(info, "length", None)
        return TrackInfo(
            content_hash=content_hash,
            path=self.path,
            size=size,
            kind="audio",
            format=self.name,
            codec=self.codec(),
            title=self.tag("title") or self.path.stem,
            artist=self.tag("artist"),
            album=self.tag("album"),
            track_number=parse_track_number(self.tag("track")),
            duration=round(float(length), 3) if length else None,
            bitrate=self.bitrate(),
            sample_rate=self.sample_rate(),
            channels=getattr(info, "channels", None) or None,
            cover=cover[0] if cover else None,
            cover_mime=cover[1] if cover else None,
        )


def parse_track_number(value: Any) -> int | None:
    """'3', '3/12', (3, 12) and ' 03 ' are track 3; anything else is no number."""
    if value is None:
        return None
    if isinstance(value, tuple):
        value = value[0]
    text = str(value).strip().split("/")[0].strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def _first(values: Any) -> str | None:
    if values is None:
        return None
    if isinstance(values, list | tuple):
        values = values[0] if values else None
    text = str(values).strip() if values is not None else ""
    return text or None


def _best_picture(pictures: list[Any], kind=lambda p: p.type) -> Any | None:
    """The front cover if there is one, else the first picture."""
    for picture in pictures:
        if kind(picture) == FRONT_COVER:
            return picture
    return pictures[0] if pictures else None


# --- the registry ------------------------------------------------------------------------

_READERS: dict[type[mutagen.FileType], type[FormatReader]] = {}


def register(reader: type[FormatReader]) -> type[FormatReader]:
    _READERS[reader.mutagen_type] = reader
    return reader


def registered_formats() -> list[type[FormatReader]]:
    return list(_READERS.values())


def audio_extensions() -> frozenset[str]:
    return frozenset(ext for reader in _READERS.values() for ext in reader.extensions)


def open_audio(path: Path) -> FormatReader | None:
    """The reader for a file, or None if no registered format claims it.

    mutagen's own errors (bad headers, corrupt tags) propagate: the importer turns them
    into reasons a person can read.
    """
    audio = mutagen.File(path, options=list(_READERS))
    if audio is None:
        return None
    return _READERS[type(audio)](audio, path)


# --- ID3 family (MP3, WAV, AIFF) ---------------------------------------------------------

_ID3_KEYS = {"title": "TIT2", "artist": "TPE1", "album": "TALB", "track": "TRCK"}


class _ID3Reader(FormatReader):
    def _id3(self) -> ID3 | None:
        return self.audio.tags if isinstance(self.audio.tags, ID3) else None

    def tag(self, key: str) -> str | None:
        tags = self._id3()
        frame = tags.get(_ID3_KEYS[key]) if tags is not None else None
        return _first(frame.text) if frame is not None else None

    def cover(self) -> tuple[bytes, str] | None:
        tags = self._id3()
        if tags is None:
            return None
        picture = _best_picture(tags.getall("APIC"))
        return (picture.data, picture.mime or "image/jpeg") if picture else None


@register
class MP3Reader(_ID3Reader):
    name = "mp3"
    extensions = (".mp3", ".mp2", ".mpga")
    mutagen_type = MP3

    def codec(self) -> str:
        return f"mp{getattr(self.audio.info, 'layer', 3)}"


@register
class WaveReader(_ID3Reader):
    name = "wav"
    extensions = (".wav", ".wave")
    mutagen_type = WAVE

    def tag(self, key: str) -> str | None:
        """ID3 chunk first; else the RIFF INFO list most WAV writers (ffmpeg too) use."""
        value = super().tag(key)
        if value is None:
            if not hasattr(self, "_info_tags"):
                self._info_tags = read_riff_info(self.path)
            value = next(
                (self._info_tags[k] for k in _RIFF_INFO_KEYS[key] if k in self._info_tags), None
            )
        return value

    def codec(self) -> str:
        bits = getattr(self.audio.info, "bits_per_sample", 16)
        return "pcm_u8" if bits == 8 else f"pcm_s{bits}le"  # WAV PCM: 8-bit unsigned, else LE

    def check_stream(self) -> str | None:
        with open(self.path, "rb") as handle:
            return integrity.check_wave(handle)


_RIFF_INFO_KEYS = {
    "title": (b"INAM",),
    "artist": (b"IART",),
    "album": (b"IPRD",),
    "track": (b"ITRK", b"IPRT"),  # ffmpeg writes IPRT
}


def read_riff_info(path: Path) -> dict[bytes, str]:
    """The sub-chunks of a WAV file's LIST/INFO chunk, decoded (mutagen does not read it)."""
    found: dict[bytes, str] = {}
    with open(path, "rb") as handle:
        data_end = handle.seek(0, 2)
        pos = 12
        while pos + 8 <= data_end:
            handle.seek(pos)
            chunk_id, size = struct.unpack("<4sI", handle.read(8))
            if chunk_id == b"LIST" and handle.read(4) == b"INFO":
                body = handle.read(max(0, size - 4))
                at = 0
                while at + 8 <= len(body):
                    sub_id, sub_size = struct.unpack_from("<4sI", body, at)
                    raw = body[at + 8 : at + 8 + sub_size].split(b"\0", 1)[0]
                    text = raw.decode("utf-8", "replace").strip()
                    if text:
                        found.setdefault(sub_id, text)
                    at += 8 + sub_size + (sub_size & 1)
            pos += 8 + size + (size & 1)
    return found


@register
class AIFFReader(_ID3Reader):
    name = "aiff"
    extensions = (".aif", ".aiff", ".aifc")
    mutagen_type = AIFF

    def codec(self) -> str:
        return f"pcm_s{getattr(self.audio.info, 'bits_per_sample', 16)}be"


# --- Vorbis comment family (FLAC, Ogg Vorbis, Opus) --------------------------------------

_VORBIS_KEYS = {"title": "title", "artist": "artist", "album": "album", "track": "tracknumber"}


class _VorbisCommentReader(FormatReader):
    def tag(self, key: str) -> str | None:
        tags = self.audio.tags
        return _first(tags.get(_VORBIS_KEYS[key])) if tags is not None else None

    def _block_pictures(self) -> list[Picture]:
        """METADATA_BLOCK_PICTURE comments: base64 of a FLAC picture block."""
        pictures = []
        for value in (self.audio.tags or {}).get("metadata_block_picture", []):
            try:
                pictures.append(Picture(base64.b64decode(value)))
            except (binascii.Error, mutagen.MutagenError, struct.error, ValueError):
                continue  # one bad picture must not hide the track
        return pictures

    def cover(self) -> tuple[bytes, str] | None:
        picture = _best_picture(self._block_pictures())
        return (picture.data, picture.mime or "image/jpeg") if picture else None


@register
class FLACReader(_VorbisCommentReader):
    name = "flac"
    extensions = (".flac",)
    mutagen_type = FLAC

    def cover(self) -> tuple[bytes, str] | None:
        picture = _best_picture(list(self.audio.pictures)) or _best_picture(self._block_pictures())
        return (picture.data, picture.mime or "image/jpeg") if picture else None

    def check_stream(self) -> str | None:
        with open(self.path, "rb") as handle:
            return integrity.check_flac(handle, self.audio.info)


@register
class OggVorbisReader(_VorbisCommentReader):
    name = "ogg"
    extensions = (".ogg", ".oga")
    mutagen_type = OggVorbis

    def codec(self) -> str:
        return "vorbis"

    def check_stream(self) -> str | None:
        with open(self.path, "rb") as handle:
            return integrity.check_ogg(handle, "Vorbis")


@register
class OpusReader(_VorbisCommentReader):
    name = "opus"
    extensions = (".opus",)
    mutagen_type = OggOpus

    def sample_rate(self) -> int | None:
        return 48000  # Opus always decodes at 48 kHz, whatever the input rate was

    def check_stream(self) -> str | None:
        with open(self.path, "rb") as handle:
            return integrity.check_ogg(handle, "Opus")


# --- MP4 / M4A ---------------------------------------------------------------------------

_MP4_KEYS = {"title": "\xa9nam", "artist": "\xa9ART", "album": "\xa9alb", "track": "trkn"}


@register
class MP4Reader(FormatReader):
    name = "m4a"
    extensions = (".m4a", ".m4b", ".m4p", ".mp4", ".aac")
    mutagen_type = MP4

    def tag(self, key: str) -> str | None:
        tags = self.audio.tags
        values = tags.get(_MP4_KEYS[key]) if tags is not None else None
        if key == "track" and values:
            return str(values[0][0])
        return _first(values)

    def cover(self) -> tuple[bytes, str] | None:
        covers = (self.audio.tags or {}).get("covr") or []
        if not covers:
            return None
        cover = covers[0]
        mime = "image/png" if cover.imageformat == MP4Cover.FORMAT_PNG else "image/jpeg"
        return bytes(cover), mime

    def codec(self) -> str:
        codec = getattr(self.audio.info, "codec", "") or ""
        return "aac" if codec.startswith("mp4a.40") else codec or "mp4"

    def check_stream(self) -> str | None:
        with open(self.path, "rb") as handle:
            return integrity.check_mp4(handle)

    def has_video(self) -> bool:
        """True if a track's handler is 'vide': a film, which the catalog files as other."""
        from mutagen.mp4 import Atoms

        with open(self.path, "rb") as handle:
            atoms = Atoms(handle)
            moov = atoms.path(b"moov")[-1] if b"moov" in atoms else None
            for trak in moov.findall(b"trak") if moov else ():
                for hdlr in trak.findall(b"hdlr", recursive=True):
                    ok, data = hdlr.read(handle)
                    if ok and data[8:12] == b"vide":
                        return True
        return False


# --- ASF / WMA ---------------------------------------------------------------------------

_ASF_KEYS = {
    "title": "Title",
    "artist": "Author",
    "album": "WM/AlbumTitle",
    "track": "WM/TrackNumber",
}


def parse_wm_picture(data: bytes) -> tuple[int, str, bytes] | None:
    """WM/Picture: type byte, uint32 LE length, UTF-16LE mime and description, data."""
    if len(data) < 9:
        return None
    kind, length = struct.unpack_from("<BI", data)
    pos = 5
    strings = []
    for _ in range(2):
        end = pos
        while end + 1 < len(data) and data[end : end + 2] != b"\0\0":
            end += 2
        strings.append(data[pos:end].decode("utf-16-le", "replace"))
        pos = end + 2
    payload = data[pos : pos + length]
    return (kind, strings[0], payload) if len(payload) == length else None


@register
class ASFReader(FormatReader):
    name = "wma"
    extensions = (".wma", ".asf")
    mutagen_type = ASF

    def tag(self, key: str) -> str | None:
        values = (self.audio.tags or {}).get(_ASF_KEYS[key])
        return _first([str(v) for v in values]) if values else None

    def cover(self) -> tuple[bytes, str] | None:
        values = (self.audio.tags or {}).get("WM/Picture", [])
        parsed = [p for p in (parse_wm_picture(v.value) for v in values) if p]
        picture = _best_picture(parsed, kind=lambda p: p[0])
        return (picture[2], picture[1] or "image/jpeg") if picture else None

    def codec(self) -> str:
        name = (getattr(self.audio.info, "codec_name", "") or "").lower()
        return "wmav2" if "windows media audio" in name else name or "wma"
