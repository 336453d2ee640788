"""`pressroom bench watermark`: recovery rate per transform, false positives, mark SNR,
and a perceptual score (ViSQOL, when the optional visqol-python is installed).

Generated music-like tracks are marked once (A/B variants); each copy is assembled with a
random payload, transformed by ffmpeg, cut to a 30-second excerpt at a random place, and
read blind. Unmarked tracks (other seeds, other keys' marks) measure false positives.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from pressroom.watermark import audio, code, detect, embed, layout, variants

KEY = b"pressroom-bench-watermark-key-01"
TRACK_SECONDS = 60.0
EXCERPT = 30.0
# name -> ffmpeg output arguments (the excerpt is cut with -ss/-t before them)
TRANSFORMS: dict[str, list[str]] = {
    "mp3 128k": ["-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3"],
    "aac 128k": ["-c:a", "aac", "-b:a", "128k", "-f", "adts"],
    "opus 96k": ["-c:a", "libopus", "-b:a", "96k", "-f", "ogg"],
    "resample 48k": ["-ar", "48000", "-c:a", "pcm_s16le", "-f", "wav"],
    "gain +6 dB": ["-af", "volume=6dB", "-c:a", "pcm_s16le", "-f", "wav"],
    "gain -6 dB": ["-af", "volume=-6dB", "-c:a", "pcm_s16le", "-f", "wav"],
    "mono downmix": ["-ac", "1", "-c:a", "pcm_s16le", "-f", "wav"],
}
QUICK = {"copies": 4, "unmarked": 8, "tracks": 2}
QUALITY_FROM, QUALITY_SECONDS = 15.0, 30.0  # the window of each track ViSQOL listens to


def perceptual(sources: list[Path], prepared: list[variants.Variants], tmp: Path) -> dict[str, Any]:
    """ViSQOL's MOS-LQO of each track's marked variant A against its unmarked source, over
    the same 30 s window; for scale, on the first track, the unmarked source against itself
    (the ceiling), with white noise of the mark's power added, and as MP3 at 128 kbit/s."""
    from pressroom.bench import quality

    name = quality.scorer()
    if name is None:
        return {"skipped": quality.MISSING}
    a, b = int(QUALITY_FROM * layout.RATE), int((QUALITY_FROM + QUALITY_SECONDS) * layout.RATE)
    vq = quality.Visqol()
    marked, first = [], None
    for src, v in zip(sources, prepared, strict=True):
        ref = audio.decode(src)[a:b]
        mark = audio.decode(v.a)[a:b]
        marked.append(round(vq.mos(ref, mark), 3))
        print(f"watermark bench: ViSQOL {src.name}: {marked[-1]}", file=sys.stderr, flush=True)
        if first is None:
            first = (src, ref, mark)
    assert first is not None
    src, ref, mark = first
    noise = np.random.default_rng(7).normal(0, 1, ref.shape) * np.sqrt(np.mean((mark - ref) ** 2))
    mp3 = tmp / "reference.mp3"
    audio.transcode(src, mp3, ["-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3"])
    coded = audio.decode(mp3)
    lag = _lag(ref, coded, a)  # the MP3 decoder's delay
    return {
        "scorer": name,
        "window_seconds": [QUALITY_FROM, QUALITY_FROM + QUALITY_SECONDS],
        "marked_mos_per_track": marked,
        "first_track_unmarked_itself": round(vq.mos(ref, ref), 3),
        "first_track_white_noise_of_the_marks_power": round(vq.mos(ref, ref + noise), 3),
        "first_track_unmarked_as_mp3_128k": round(vq.mos(ref, coded[a + lag : b + lag]), 3),
    }


def _transparent(scores: dict[str, Any]) -> bool:
    """Every marked track within 0.1 MOS of the ceiling (true when nothing could score)."""
    if "marked_mos_per_track" not in scores:
        return True
    ceiling = scores["first_track_unmarked_itself"]
    return bool(min(scores["marked_mos_per_track"]) >= ceiling - 0.1)


def _lag(ref: Any, coded: Any, at: int) -> int:
    """The delay (samples, 0 to 4095) that best aligns ``coded`` with ``ref`` at ``at``."""
    probe = ref[: 1 << 15].mean(axis=1)
    mono = coded.mean(axis=1)
    scores = [
        float(np.dot(probe, mono[at + d : at + d + len(probe)]))
        for d in range(4096)
        if at + d + len(probe) <= len(mono)
    ]
    return int(np.argmax(scores)) if scores else 0


def run(copies: int = 50, unmarked: int = 200, tracks: int = 5, seed: int = 1) -> dict[str, Any]:
    audio.ffmpeg()  # one sentence naming the Debian package when it is missing
    rng = random.Random(seed)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pressroom-wm-bench-") as tmp_s:
        tmp = Path(tmp_s)
        prepared = []
        sources = []
        snr = []
        for i in range(tracks):
            src = tmp / f"track{i}.flac"
            audio.encode_flac(audio.music_like(TRACK_SECONDS, 100 + i), src)
            v = variants.prepare(KEY, src, f"bench{i}", tmp / "cache")
            prepared.append(v)
            sources.append(src)
            snr.append(round(v.snr_db, 1))
        quality = perceptual(sources, prepared, tmp)
        per: dict[str, dict[str, Any]] = {}
        for name, args in TRANSFORMS.items():
            ok = wrong = 0
            zs = []
            for c in range(copies):
                v = prepared[c % tracks]
                payload = code.Payload(rng.getrandbits(32), rng.randrange(1, 1 << 16))
                leak = tmp / "copy.flac"
                with variants.MarkedCopy(KEY, v, payload) as copy, open(leak, "wb") as out:
                    buf = memoryview(bytearray(1 << 20))
                    while n := copy.readinto(buf):
                        out.write(buf[:n])
                start = rng.uniform(0, TRACK_SECONDS - EXCERPT)
                dst = tmp / "leak.bin"
                audio.transcode(leak, dst, ["-ss", f"{start:.3f}", "-t", str(EXCERPT), *args])
                found = detect.detect(KEY, audio.decode(dst, channels=1)[:, 0])
                zs.append(found.sync_z)
                if found.payload == payload:
                    ok += 1
                elif found.payload is not None:
                    wrong += 1
            print(f"watermark bench: {name}: {ok}/{copies}", file=sys.stderr, flush=True)
            per[name] = {
                "copies": copies,
                "recovered": ok,
                "rate": round(ok / copies, 3),
                "wrong_payloads": wrong,
                "median_confidence": round(sorted(zs)[len(zs) // 2], 2),
            }
        false_pos = 0
        fp_z = []
        for u in range(unmarked):
            x = audio.music_like(EXCERPT, 10_000 + u)
            mono = x.mean(axis=1)
            if u % 2:  # half of them carry another station's mark
                other = b"another-station-key-%08d----" % u
                vals = layout.slot_values(other, code.encode(other, code.Payload(u, 1)))
                mono = embed.mark(other, x, vals).mean(axis=1)
            found = detect.detect(KEY, mono)
            fp_z.append(found.sync_z)
            false_pos += found.payload is not None
    rates = [r["rate"] for r in per.values()]
    return {
        "suite": "watermark",
        "tracks": tracks,
        "track_seconds": TRACK_SECONDS,
        "excerpt_seconds": EXCERPT,
        "snr_db_per_track": snr,
        "perceptual": quality,
        "transforms": per,
        "unmarked_files": unmarked,
        "false_positives": false_pos,
        "unmarked_max_confidence": round(max(fp_z), 2) if fp_z else None,
        "false_positive_bound_per_file": f"{detect.CANDIDATES} * 2**-32 = "
        f"{detect.CANDIDATES * 2.0**-32:.1e}",
        "seconds": round(time.monotonic() - t0, 1),
        "pass": false_pos == 0 and min(rates) >= 0.9 and min(snr) >= 30.0 and _transparent(quality),
    }
