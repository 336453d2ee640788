"""A/B preparation (once per track and key) and per-copy assembly (a byte copy).

Variant A carries bit 0 in every data slot, variant B bit 1; sync slots are the same in
both. A copy takes, for each slot, the FLAC frame of the variant its coded bit names.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pressroom.watermark import audio, code, embed, flac
from pressroom.watermark.layout import BLOCK_SLOTS, SLOT, patterns, slot_values


@dataclass(frozen=True)
class Variants:
    """The two marked encodings of one track and where each frame lies in them."""

    a: Path
    b: Path
    header: bytes
    frames_a: tuple[tuple[int, int], ...]
    frames_b: tuple[tuple[int, int], ...]
    snr_db: float

    @property
    def max_size(self) -> int:
        return len(self.header) + sum(
            max(fa[1], fb[1]) for fa, fb in zip(self.frames_a, self.frames_b, strict=True)
        )


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"pressroom-wm-id" + key).hexdigest()[:12]


def prepare(key: bytes, source: Path, content_hash: str, cache_dir: Path) -> Variants:
    """The cached variants of ``source``, made now if missing (decode, mark twice, FLAC)."""
    where = cache_dir / f"{content_hash}.{key_id(key)}"
    meta = where / "layout.json"
    if meta.is_file():
        cached = _load(where, meta)
        if _intact(cached):
            return cached
        shutil.rmtree(where)  # damaged or half-deleted: prepare again
    samples = audio.decode(source, channels=2)
    zeros = np.zeros(code.CODED_BITS, dtype=np.int8)
    marked_a = embed.mark(key, samples, slot_values(key, zeros))
    marked_b = embed.mark(key, samples, slot_values(key, zeros + 1))
    snr = min(embed.snr_db(samples, marked_a), embed.snr_db(samples, marked_b))
    tmp = where.with_name(where.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    audio.encode_flac(marked_a, tmp / "a.flac")
    audio.encode_flac(marked_b, tmp / "b.flac")
    la = flac.parse((tmp / "a.flac").read_bytes())
    lb = flac.parse((tmp / "b.flac").read_bytes())
    if len(la.frames) != len(lb.frames) or la.block_size != SLOT or lb.block_size != SLOT:
        raise flac.FlacError("the two variants do not have the same frames")
    if la.header != lb.header:
        raise flac.FlacError("the two variants have different stream headers")
    (tmp / "layout.json").write_text(
        json.dumps(
            {
                "header": la.header.hex(),
                "frames_a": la.frames,
                "frames_b": lb.frames,
                "snr_db": snr,
            }
        )
    )
    with contextlib.suppress(OSError):  # another process prepared it first
        os.rename(tmp, where)
    return _load(where, meta)


def _intact(v: Variants) -> bool:
    """The cached files are as long as their layout says (a cheap check, no decoding)."""
    for path, frames in ((v.a, v.frames_a), (v.b, v.frames_b)):
        end = frames[-1][0] + frames[-1][1] if frames else 0
        try:
            if path.stat().st_size != end:
                return False
        except OSError:
            return False
    return True


def _load(where: Path, meta: Path) -> Variants:
    m = json.loads(meta.read_text())
    return Variants(
        a=where / "a.flac",
        b=where / "b.flac",
        header=bytes.fromhex(m["header"]),
        frames_a=tuple((int(o), int(n)) for o, n in m["frames_a"]),
        frames_b=tuple((int(o), int(n)) for o, n in m["frames_b"]),
        snr_db=float(m["snr_db"]),
    )


def choices(key: bytes, payload: code.Payload, n_slots: int) -> list[bool]:
    """For each slot (= FLAC frame): True to take variant B."""
    p = patterns(key)
    bit_at = np.zeros(BLOCK_SLOTS, dtype=bool)
    bit_at[p.data_order] = code.encode(key, payload).astype(bool)
    return [bool(bit_at[i % BLOCK_SLOTS]) for i in range(n_slots)]


class MarkedCopy:
    """One copy's bytes, read as a stream: the header, then each slot's chosen frame.

    Reads only byte ranges of the two cached files, so a copy costs what copying the
    track costs. ``sha256`` is the digest of everything read so far.
    """

    def __init__(self, key: bytes, variants: Variants, payload: code.Payload) -> None:
        picks = choices(key, payload, len(variants.frames_a))
        self._plan: list[tuple[int, int, int]] = [(0, 0, len(variants.header))]
        for i, use_b in enumerate(picks):
            off, n = (variants.frames_b if use_b else variants.frames_a)[i]
            self._plan.append((2 if use_b else 1, off, n))
        self.size = sum(n for _src, _off, n in self._plan)
        self._header = variants.header
        self._files: dict[int, io.BufferedReader] = {
            1: open(variants.a, "rb"),  # noqa: SIM115 - closed in close()
            2: open(variants.b, "rb"),  # noqa: SIM115
        }
        self._step, self._within = 0, 0
        self._hash = hashlib.sha256()

    def readinto(self, buf: memoryview, /) -> int:
        while self._step < len(self._plan):
            src, off, n = self._plan[self._step]
            left = n - self._within
            if left == 0:
                self._step, self._within = self._step + 1, 0
                continue
            want = min(left, len(buf))
            if src == 0:
                got = want
                buf[:got] = self._header[self._within : self._within + got]
            else:
                fh = self._files[src]
                fh.seek(off + self._within)
                got = fh.readinto(buf[:want]) or 0
                if got == 0:
                    raise flac.FlacError("a prepared variant is shorter than its layout")
            self._hash.update(buf[:got])
            self._within += got
            return got
        return 0

    def sha256(self) -> bytes:
        return self._hash.digest()

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()

    def __enter__(self) -> MarkedCopy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
