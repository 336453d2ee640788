"""Decoding and encoding audio through ffmpeg (any format it reads), and a test signal."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pressroom.watermark.layout import RATE, SLOT


class AudioError(Exception):
    """One sentence: why a file could not be decoded or encoded."""


def ffmpeg() -> str:
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise AudioError("ffmpeg is not installed (Debian package ffmpeg); it decodes the audio.")
    return exe


def decode(
    path: Path, *, channels: int = 2, seconds: float | None = None
) -> npt.NDArray[np.float64]:
    """Samples (n, channels) at 44.1 kHz, float in [-1, 1], whatever the file's format."""
    # "file:" and the whitelist: a name like "concat:a|b" or a playlist inside the file
    # must not make ffmpeg open anything but this one local file
    cmd = [ffmpeg(), "-v", "error", "-nostdin", "-protocol_whitelist", "file"]
    cmd += ["-i", f"file:{path.resolve()}"]
    if seconds is not None:
        cmd += ["-t", f"{seconds:.3f}"]
    cmd += ["-f", "f32le", "-ac", str(channels), "-ar", str(RATE), "-"]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        first = proc.stderr.decode(errors="replace").strip().splitlines()
        why = first[-1] if first else "unknown error"
        raise AudioError(f"{path.name} cannot be decoded as audio ({why}).")
    data = np.frombuffer(proc.stdout, dtype="<f4").astype(np.float64)
    return data.reshape(-1, channels)


def to_pcm16(audio: npt.NDArray[np.float64]) -> bytes:
    return (np.clip(np.round(audio * 32767.0), -32768, 32767).astype("<i2")).tobytes()


def encode_flac(audio: npt.NDArray[np.float64], out: Path) -> None:
    """Lossless FLAC with a fixed block size of one slot, so frames are A/B segments."""
    channels = audio.shape[1]
    cmd = [
        ffmpeg(), "-v", "error", "-nostdin", "-y",
        "-f", "s16le", "-ac", str(channels), "-ar", str(RATE), "-i", "-",
        "-map_metadata", "-1", "-c:a", "flac", "-frame_size", str(SLOT),
        "-compression_level", "5", "-f", "flac", str(out),
    ]  # fmt: skip
    proc = subprocess.run(cmd, input=to_pcm16(audio), capture_output=True, check=False)
    if proc.returncode != 0:
        raise AudioError(
            f"ffmpeg could not write {out.name}: {proc.stderr.decode(errors='replace').strip()}"
        )


def transcode(src: Path, dst: Path, args: list[str]) -> None:
    """Run ffmpeg on ``src`` with output ``args`` into ``dst`` (the robustness transforms)."""
    cmd = [ffmpeg(), "-v", "error", "-nostdin", "-y", "-i", str(src), *args, str(dst)]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        raise AudioError(
            f"ffmpeg failed on {src.name}: {proc.stderr.decode(errors='replace').strip()}"
        )


def music_like(seconds: float, seed: int) -> npt.NDArray[np.float64]:
    """Generated stereo music-like audio: chords of harmonic notes, a bass line, drums."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    out = np.zeros((n, 2))
    beat = 60.0 / rng.uniform(90, 140)
    roots = rng.choice([45, 47, 48, 50, 52, 53, 55, 57], size=int(seconds / (4 * beat)) + 2)
    for bar, root in enumerate(roots):
        start = int(bar * 4 * beat * RATE)
        if start >= n:
            break
        length = min(int(4 * beat * RATE), n - start)
        tt = t[:length]
        env = np.exp(-tt * rng.uniform(0.3, 1.5))
        for interval, pan in ((0, 0.5), (4 if rng.random() < 0.5 else 3, 0.3), (7, 0.7), (12, 0.5)):
            f0 = 440.0 * 2 ** ((root + 12 + interval - 69) / 12)
            note = sum(
                np.sin(2 * np.pi * f0 * h * tt + rng.uniform(0, 6)) / h**1.3 for h in range(1, 9)
            )
            out[start : start + length, 0] += 0.08 * env * note * (1 - pan)
            out[start : start + length, 1] += 0.08 * env * note * pan
        fb = 440.0 * 2 ** ((root - 69) / 12)
        bass = np.sin(2 * np.pi * fb * tt) + 0.3 * np.sin(4 * np.pi * fb * tt)
        out[start : start + length] += 0.15 * (bass * np.exp(-tt * 0.8))[:, None]
    for k in range(int(seconds / beat * 2)):
        start = int(k * beat / 2 * RATE)
        length = min(int(0.12 * RATE), n - start)
        if length <= 0:
            break
        hit = rng.normal(0, 1, length) * np.exp(-np.arange(length) / (0.02 * RATE))
        gain = 0.25 if k % 4 == 2 else 0.07
        out[start : start + length] += gain * hit[:, None]
    return 0.9 * out / max(1e-9, float(np.max(np.abs(out))))
