"""The perceptual score of `pressroom bench watermark` (ViSQOL, when installed): it tells
the shaped mark from white noise of the same power, and says when it cannot score."""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest

from pressroom.bench import quality
from pressroom.bench import watermark as bench
from pressroom.watermark import audio, code, embed
from pressroom.watermark.layout import slot_values


def test_the_bench_says_when_no_perceptual_scorer_is_installed(monkeypatch, tmp_path):
    def missing(_name: str) -> str:
        raise importlib.metadata.PackageNotFoundError

    monkeypatch.setattr(quality.importlib.metadata, "version", missing)
    assert quality.scorer() is None
    assert bench.perceptual([], [], tmp_path) == {"skipped": quality.MISSING}


def test_visqol_hears_the_shaped_mark_as_transparent_and_white_noise_not():
    pytest.importorskip("visqol", reason="needs visqol-python (pip install 'pressroom[quality]')")
    key = bytes(range(32))
    x = audio.music_like(10, 5)
    marked = embed.mark(key, x, slot_values(key, np.zeros(code.CODED_BITS, dtype=np.int8)))
    noise = np.random.default_rng(3).normal(0, 1, x.shape) * np.sqrt(np.mean((marked - x) ** 2))
    vq = quality.Visqol()
    ceiling = vq.mos(x, x)
    assert vq.mos(x, marked) > ceiling - 0.05
    assert vq.mos(x, x + noise) < ceiling - 0.5
