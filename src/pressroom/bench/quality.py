"""An objective perceptual score for the watermark: ViSQOL v3, audio mode.

ViSQOL (Google's Virtual Speech Quality Objective Listener; its audio mode is meant for
music) compares a degraded signal with its reference and predicts a listener's mean
opinion score, MOS-LQO, from 1 (bad) to about 4.73 (no audible difference; the audio
model's ceiling). ``visqol-python`` is a maintained pure-Python port, conformance-tested
against Google's C++ code. It is optional (``pip install 'pressroom[quality]'``): without
it ``pressroom bench watermark`` says so and reports the mark's SNR only.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.signal import resample_poly

from pressroom.watermark.layout import RATE

VISQOL_RATE = 48000  # the audio mode's rate
MISSING = "visqol-python is not installed (pip install 'pressroom[quality]')"


def scorer() -> str | None:
    """What scores, with its version; None when the library is missing."""
    try:
        return f"ViSQOL v3 audio mode (visqol-python {importlib.metadata.version('visqol-python')})"
    except importlib.metadata.PackageNotFoundError:
        return None


class Visqol:
    """One ViSQOL instance (its model is loaded once) scoring 44.1 kHz stereo signals."""

    def __init__(self) -> None:
        from visqol import VisqolApi  # type: ignore[import-not-found,unused-ignore]

        self._api: Any = VisqolApi()
        self._api.create(mode="audio")

    def mos(self, reference: npt.NDArray[np.float64], degraded: npt.NDArray[np.float64]) -> float:
        """MOS-LQO of ``degraded`` against ``reference`` ((n, channels) at 44.1 kHz; the
        audio mode listens to the mono mix at 48 kHz)."""
        n = min(len(reference), len(degraded))
        ref, deg = (_to_48k(x[:n]) for x in (reference, degraded))
        return float(self._api.measure_from_arrays(ref, deg, VISQOL_RATE).moslqo)


def _to_48k(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    mono = x.mean(axis=1) if x.ndim == 2 else x
    out: npt.NDArray[np.float64] = resample_poly(mono, 160, 147)  # 44100 * 160/147 = 48000
    assert RATE * 160 // 147 == VISQOL_RATE
    return out
