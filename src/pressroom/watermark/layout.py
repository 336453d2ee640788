"""Where the mark lives: STFT frames, slots (one per A/B segment), the keyed patterns.

The signal is cut in slots of ``SLOT`` samples (one FLAC frame each, so that A/B segments
swap on frame boundaries). A slot carries one bit: every STFT frame lying wholly inside
the slot scales the magnitudes of ``BAND`` bins by exp(±DELTA) following a keyed ±1
pattern; the frame that straddles two slots is left alone, so splicing variant A's slot
after variant B's gives exactly the signal marked with both bits. A block is
``SYNC_SLOTS`` known slots spread among the coded bits; it repeats through the track.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from pressroom.watermark.code import CODED_BITS

RATE = 44100
NFFT = 1024
HOP = NFFT // 2
SLOT = 4096  # samples per slot = the FLAC block size of the delivered copy
FRAMES_PER_SLOT = SLOT // HOP  # frame starts per slot
MARKED_FRAMES = FRAMES_PER_SLOT - 1  # the last one straddles the next slot
BAND = (12, 187)  # FFT bins, about 0.5 to 8 kHz: survives 96-128 kbit/s codecs
SYNC_SLOTS = 24
BLOCK_SLOTS = CODED_BITS + SYNC_SLOTS  # 196 slots, 18.2 s at 44.1 kHz
DELTA = 0.07  # log-magnitude step; the mark follows the music's own spectrum


@dataclass(frozen=True)
class Patterns:
    """The key's patterns: per frame-in-slot ±1 over the band, per block slot a sign."""

    chips: npt.NDArray[np.float64]  # (MARKED_FRAMES, bins)
    scramble: npt.NDArray[np.float64]  # (BLOCK_SLOTS,) ±1
    is_sync: npt.NDArray[np.bool_]  # (BLOCK_SLOTS,)
    sync_value: npt.NDArray[np.float64]  # (BLOCK_SLOTS,) ±1 where sync, 0 elsewhere
    data_order: npt.NDArray[np.int64]  # block slot of coded bit i


@lru_cache(maxsize=8)
def patterns(key: bytes) -> Patterns:
    seed = int.from_bytes(hashlib.sha256(b"pressroom-wm-patterns" + key).digest(), "big")
    rng = np.random.default_rng(seed)
    bins = BAND[1] - BAND[0]
    half = np.array([1.0] * (bins // 2) + [-1.0] * (bins - bins // 2))
    chips = np.stack([rng.permutation(half) for _ in range(MARKED_FRAMES)])
    scramble = rng.choice([-1.0, 1.0], size=BLOCK_SLOTS)
    is_sync = np.zeros(BLOCK_SLOTS, dtype=bool)
    is_sync[np.linspace(0, BLOCK_SLOTS, SYNC_SLOTS, endpoint=False).astype(int)] = True
    sync_value = np.where(is_sync, rng.choice([-1.0, 1.0], size=BLOCK_SLOTS), 0.0)
    data_slots = np.flatnonzero(~is_sync)
    data_order = rng.permutation(data_slots)
    return Patterns(chips, scramble, is_sync, sync_value, data_order)


def slot_values(key: bytes, coded: npt.NDArray[np.int8]) -> npt.NDArray[np.float64]:
    """The ±1 each block slot carries for these coded bits (sync slots: their known value)."""
    p = patterns(key)
    values = p.sync_value.copy()
    values[p.data_order] = coded.astype(np.float64) * 2.0 - 1.0
    return values
