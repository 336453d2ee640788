"""Marking a signal: each slot's frames scale the band's magnitudes by exp(±DELTA·chip).

Multiplying magnitudes (phases kept) makes the mark follow the music's own spectrum:
loud bands carry a proportionally stronger mark, silent ones none, which is the
masking shape a patchwork watermark relies on. The same gains apply to every channel,
so a mono downmix keeps the mark.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pressroom.watermark import stft
from pressroom.watermark.layout import (
    BAND,
    BLOCK_SLOTS,
    DELTA,
    FRAMES_PER_SLOT,
    MARKED_FRAMES,
    patterns,
)


def frame_signs(
    key: bytes, values: npt.NDArray[np.float64], n_frames: int
) -> npt.NDArray[np.float64]:
    """For each frame: the ±1 its slot carries times the slot's scramble, 0 if unmarked."""
    p = patterns(key)
    f = np.arange(n_frames)
    slot = f // FRAMES_PER_SLOT
    pos = slot % BLOCK_SLOTS
    signs = values[pos] * p.scramble[pos]
    signs[f % FRAMES_PER_SLOT >= MARKED_FRAMES] = 0.0
    return signs


def mark(
    key: bytes, audio: npt.NDArray[np.float64], values: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """``audio`` (samples, channels) in [-1, 1] marked with per-block-slot ``values`` (±1)."""
    p = patterns(key)
    n = audio.shape[0]
    out = audio.copy()
    for ch in range(audio.shape[1]):
        spec = stft.frames(audio[:, ch])
        if len(spec) == 0:
            continue
        signs = frame_signs(key, values, len(spec))
        m = np.arange(len(spec)) % FRAMES_PER_SLOT
        m[m >= MARKED_FRAMES] = 0
        gain = np.exp(DELTA * signs[:, None] * p.chips[m]) - 1.0
        delta = np.zeros_like(spec)
        delta[:, BAND[0] : BAND[1]] = spec[:, BAND[0] : BAND[1]] * gain
        out[:, ch] += stft.overlap_add(delta, n)
    return out


def snr_db(original: npt.NDArray[np.float64], marked: npt.NDArray[np.float64]) -> float:
    """Signal to mark ratio over the whole track, in dB."""
    noise = float(np.sum((marked - original) ** 2))
    signal = float(np.sum(original**2))
    if noise == 0.0:
        return float("inf")
    return 10.0 * np.log10(signal / noise)
