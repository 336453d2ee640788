"""What a decrypted track is, read from memory with mutagen (no file, no audio device)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import mutagen

from pressroom.secure.errors import FormatError

_NAMES = {
    "MP3": "MP3",
    "MP4": "AAC/MP4",
    "WAVE": "WAV",
    "FLAC": "FLAC",
    "OggVorbis": "Ogg Vorbis",
    "OggOpus": "Opus",
    "OggFLAC": "Ogg FLAC",
    "ASF": "WMA",
    "AIFF": "AIFF",
}
_FIXED_RATE = {"OggOpus": 48_000}  # Opus always decodes at 48 kHz


@dataclass(frozen=True)
class AudioInfo:
    format: str
    duration: float  # seconds
    sample_rate: int | None
    channels: int | None


def probe(data: bytes | bytearray | memoryview) -> AudioInfo:
    """Parse the audio container in ``data``; FormatError when it is not audio we know."""
    try:
        parsed = mutagen.File(io.BytesIO(data))
    except mutagen.MutagenError as exc:
        raise FormatError(f"The decrypted track is not readable audio ({exc}).") from None
    if parsed is None or getattr(parsed, "info", None) is None:
        raise FormatError("The decrypted track is not in an audio format this player knows.")
    kind = type(parsed).__name__
    info = parsed.info
    return AudioInfo(
        format=_NAMES.get(kind, kind),
        duration=float(getattr(info, "length", 0.0) or 0.0),
        sample_rate=getattr(info, "sample_rate", None) or _FIXED_RATE.get(kind),
        channels=getattr(info, "channels", None),
    )
