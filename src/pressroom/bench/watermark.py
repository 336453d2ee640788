"""`pressroom bench watermark`: recovery rate per transform, false positives, mark SNR.

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


def run(copies: int = 50, unmarked: int = 200, tracks: int = 5, seed: int = 1) -> dict[str, Any]:
    audio.ffmpeg()  # one sentence naming the Debian package when it is missing
    rng = random.Random(seed)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pressroom-wm-bench-") as tmp_s:
        tmp = Path(tmp_s)
        prepared = []
        snr = []
        for i in range(tracks):
            src = tmp / f"track{i}.flac"
            audio.encode_flac(audio.music_like(TRACK_SECONDS, 100 + i), src)
            v = variants.prepare(KEY, src, f"bench{i}", tmp / "cache")
            prepared.append(v)
            snr.append(round(v.snr_db, 1))
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
        "transforms": per,
        "unmarked_files": unmarked,
        "false_positives": false_pos,
        "unmarked_max_confidence": round(max(fp_z), 2) if fp_z else None,
        "false_positive_bound_per_file": f"{detect.CANDIDATES} * 2**-32 = "
        f"{detect.CANDIDATES * 2.0**-32:.1e}",
        "seconds": round(time.monotonic() - t0, 1),
        "pass": false_pos == 0 and min(rates) >= 0.9 and min(snr) >= 30.0,
    }
