"""Blind detection: find the block's alignment by its sync slots, then decode the bits.

The search covers sample offsets within a frame (``STEP`` apart), the frame's place in
its slot, and the slot's place in its block, so an excerpt cut anywhere is found. Soft
bits of every block repetition in the excerpt are summed before decoding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.ndimage import uniform_filter1d  # type: ignore[import-untyped]

from pressroom.watermark import stft
from pressroom.watermark.code import Payload, decode
from pressroom.watermark.layout import (
    BAND,
    BLOCK_SLOTS,
    FRAMES_PER_SLOT,
    HOP,
    MARKED_FRAMES,
    SLOT,
    patterns,
)

STEP = 64  # samples between tried offsets (an eighth of a hop)
CANDIDATES = 3  # alignments decoded; each passes the 32-bit check by chance at 2**-32
SYNC_THRESHOLD = 4.0  # z-score below which no decode is tried (saves time on unmarked files)


@dataclass(frozen=True)
class Detection:
    payload: Payload | None
    sync_z: float  # the best alignment's sync correlation, in noise standard deviations
    offset: int  # samples from the excerpt's start to the first slot found
    seconds: float


def _log_band(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Band log-magnitudes with the music's own shape taken out.

    The spectral envelope (a running mean over bins) and the stationary part (the mean of
    the neighbouring frames, whose patterns are unrelated) are subtracted; what is left is
    mostly the mark and the music's fast changes.
    """
    spec = stft.frames(x)
    mag = np.abs(spec[:, BAND[0] : BAND[1]])
    floor = 1e-3 * mag.max(axis=1, keepdims=True) + 1e-9  # deep valleys say nothing
    log = np.log(mag + floor)
    log -= uniform_filter1d(log, 9, axis=1, mode="nearest")
    log -= (uniform_filter1d(log, 5, axis=0, mode="nearest") * 5 - log) / 4
    return log - log.mean(axis=1, keepdims=True)


def _alignments(key: bytes, mono: npt.NDArray[np.float64]):  # type: ignore[no-untyped-def]
    """Yield (z, offset, slot soft values, block phase) for every hypothesis's best phase."""
    p = patterns(key)
    w = p.scramble * p.sync_value
    for start in range(0, HOP, STEP):
        log = _log_band(mono[start:])
        r = log @ p.chips.T  # (frames, MARKED_FRAMES)
        for phase in range(FRAMES_PER_SLOT):
            n_slots = (len(r) - phase - MARKED_FRAMES) // FRAMES_PER_SLOT + 1
            if n_slots <= 0:
                continue
            idx = phase + FRAMES_PER_SLOT * np.arange(n_slots)[:, None] + np.arange(MARKED_FRAMES)
            s = r[idx, np.arange(MARKED_FRAMES)].sum(axis=1)
            pos = (np.arange(n_slots)[None, :] + np.arange(BLOCK_SLOTS)[:, None]) % BLOCK_SLOTS
            weights = w[pos]
            num = weights @ s
            den = np.sqrt(np.abs(weights) @ (s * s)) + 1e-12
            z = num / den
            for beta in np.argsort(z)[-CANDIDATES:]:
                yield float(z[beta]), start + phase * HOP, s, int(beta)


def detect(key: bytes, mono: npt.NDArray[np.float64], rate: int = 44100) -> Detection:
    """Read the mark from ``mono`` (float samples at 44.1 kHz); payload None if none found."""
    p = patterns(key)
    seconds = len(mono) / rate
    found = sorted(_alignments(key, mono), key=lambda a: a[0], reverse=True)
    if not found:
        return Detection(None, 0.0, 0, seconds)
    best_z = found[0][0]
    for z, offset, s, beta in found[:CANDIDATES]:
        if z < SYNC_THRESHOLD:
            break
        acc = np.zeros(BLOCK_SLOTS)
        np.add.at(acc, (np.arange(len(s)) + beta) % BLOCK_SLOTS, s)
        acc *= p.scramble
        payload = decode(key, acc[p.data_order])
        if payload is not None:
            return Detection(payload, z, offset % SLOT, seconds)
    return Detection(None, best_z, 0, seconds)
