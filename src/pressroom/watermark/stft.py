"""A sqrt-Hann STFT with perfect reconstruction at half overlap (frames start at 0, HOP, ...)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pressroom.watermark.layout import HOP, NFFT

WINDOW = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(NFFT) / NFFT))


def frames(x: npt.NDArray[np.float64]) -> npt.NDArray[np.complex128]:
    """Spectra of the frames starting at 0, HOP, ... that fit wholly in ``x`` (1-D)."""
    n = (len(x) - NFFT) // HOP + 1
    if n <= 0:
        return np.zeros((0, NFFT // 2 + 1), dtype=np.complex128)
    idx = np.arange(NFFT)[None, :] + HOP * np.arange(n)[:, None]
    return np.fft.rfft(x[idx] * WINDOW, axis=1)


def overlap_add(spec: npt.NDArray[np.complex128], length: int) -> npt.NDArray[np.float64]:
    out = np.zeros(length)
    blocks = np.fft.irfft(spec, n=NFFT, axis=1) * WINDOW
    for i, block in enumerate(blocks):
        out[i * HOP : i * HOP + NFFT] += block
    return out
