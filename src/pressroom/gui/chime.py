"""A short chime when a run ends, where the machine has audio (the sound_when_done setting).

Qt's audio lives in QtMultimedia, which needs the system's PulseAudio library; without it
the import fails and the chime is simply not played (the alert and the title still say it).
The sound is made here, not shipped: a 0.3 s two-tone WAV written once to the data folder.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050


def chime_file(folder: Path) -> Path:
    """The chime's WAV in ``folder`` (written the first time)."""
    path = folder / "chime.wav"
    if path.is_file():
        return path
    frames = bytearray()
    for i in range(int(RATE * 0.3)):
        t = i / RATE
        tone = 880.0 if t < 0.12 else 1320.0
        fade = min(1.0, (0.3 - t) / 0.08)
        frames += struct.pack("<h", int(9000 * fade * math.sin(2 * math.pi * tone * t)))
    folder.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return path


def play_chime(parent, folder: Path) -> bool:
    """Play the chime; False when this machine has no Qt audio (nothing else happens)."""
    try:
        from PySide6.QtCore import QUrl
        from PySide6.QtMultimedia import QSoundEffect
    except ImportError:  # QtMultimedia without libpulse.so.0
        return False
    effect = QSoundEffect(parent)
    effect.setSource(QUrl.fromLocalFile(str(chime_file(folder))))
    effect.setVolume(0.6)
    effect.play()
    parent._chime = effect  # kept alive while it plays
    return True
