"""The forensic watermark: code, A/B splicing, blind detection after lossy transforms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from media_support import FFMPEG_MISSING, ffmpeg_runs
from pressroom.watermark import audio, code, detect, embed, flac, layout, variants

KEY = b"\x11" * 32
needs_ffmpeg = pytest.mark.skipif(not ffmpeg_runs(), reason=FFMPEG_MISSING)


def test_code_round_trip_and_keyed_check() -> None:
    payload = code.Payload(grant_tag=0xDEADBEEF, copy_index=1234)
    coded = code.encode(KEY, payload)
    assert len(coded) == code.CODED_BITS
    rng = np.random.default_rng(5)
    soft = (coded * 2.0 - 1.0) + rng.normal(0, 0.5, len(coded))
    assert code.decode(KEY, soft) == payload
    # another key's check bits do not match: the payload is refused, not misread
    assert code.decode(b"\x22" * 32, coded * 2.0 - 1.0) is None


def test_mark_is_quiet_and_detected_blind() -> None:
    x = audio.music_like(25, 1)
    payload = code.Payload(0x01020304, 9)
    y = embed.mark(KEY, x, layout.slot_values(KEY, code.encode(KEY, payload)))
    assert embed.snr_db(x, y) >= 30.0
    found = detect.detect(KEY, y.mean(axis=1)[7777:])
    assert found.payload == payload
    assert detect.detect(KEY, x.mean(axis=1)).payload is None
    assert detect.detect(b"\x33" * 32, y.mean(axis=1)).payload is None


@pytest.fixture(scope="module")
def prepared(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, np.ndarray, variants.Variants]:
    if not ffmpeg_runs():
        pytest.skip(FFMPEG_MISSING)
    tmp = tmp_path_factory.mktemp("wm")
    x = audio.music_like(40, 2)
    audio.encode_flac(x, tmp / "src.flac")
    v = variants.prepare(KEY, tmp / "src.flac", "c0ffee", tmp / "cache")
    return tmp, x, v


def _copy_bytes(v: variants.Variants, payload: code.Payload) -> bytes:
    out = bytearray()
    buf = memoryview(bytearray(65536))
    with variants.MarkedCopy(KEY, v, payload) as copy:
        while n := copy.readinto(buf):
            out += buf[:n]
        assert len(out) == copy.size
    return bytes(out)


@needs_ffmpeg
def test_spliced_copy_equals_the_directly_marked_signal(prepared) -> None:  # type: ignore[no-untyped-def]
    tmp, _x, v = prepared
    payload = code.Payload(0xA5A5A5A5, 3)
    (tmp / "copy.flac").write_bytes(_copy_bytes(v, payload))
    spliced = audio.decode(tmp / "copy.flac")
    direct = embed.mark(
        KEY, audio.decode(tmp / "src.flac"), layout.slot_values(KEY, code.encode(KEY, payload))
    )
    # the same int16 samples: splicing at slot boundaries is exact
    assert np.max(np.abs(spliced - np.round(direct * 32767) / 32767)) < 1.5 / 32767
    # a second read of the cache gives the same layout
    assert variants.prepare(KEY, tmp / "src.flac", "c0ffee", tmp / "cache") == v


@needs_ffmpeg
@pytest.mark.parametrize(
    "name,args",
    [
        ("mp3", ["-ss", "6", "-t", "30", "-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3"]),
        (
            "opus",
            ["-ss", "3", "-t", "30", "-ac", "1", "-c:a", "libopus", "-b:a", "96k", "-f", "ogg"],
        ),
    ],
)
def test_a_30_second_lossy_excerpt_names_the_copy(prepared, name: str, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    tmp, _x, v = prepared
    payload = code.Payload(0x5EED5EED, 17)
    (tmp / "leak.flac").write_bytes(_copy_bytes(v, payload))
    audio.transcode(tmp / "leak.flac", tmp / f"leak.{name}", args)
    found = detect.detect(KEY, audio.decode(tmp / f"leak.{name}", channels=1)[:, 0])
    assert found.payload == payload, found


def test_flac_parser_refuses_what_it_cannot_splice() -> None:
    with pytest.raises(flac.FlacError):
        flac.parse(b"RIFF....")
    with pytest.raises(flac.FlacError):
        flac.parse(b"fLaC\x00\x00")


def test_marking_is_a_right_and_a_grant_may_require_it() -> None:
    from pressroom.errors import UsageError
    from pressroom.secure.errors import FormatError
    from pressroom.secure.rights import PRESETS, Rights, RightsLimits, parse_rights

    assert "marked" in PRESETS
    marked = parse_rights("marked", 0)
    assert marked == Rights(marked=True) == parse_rights("mark=yes", 0)
    assert Rights.from_cbor(marked.to_cbor()) == marked
    # an unmarked licence keeps its exact fields (no new key), and reads back unmarked
    assert "marked" not in Rights().to_cbor()
    with pytest.raises(FormatError):
        Rights.from_cbor({**Rights().to_cbor(), "marked": False})
    with pytest.raises(UsageError):
        parse_rights("mark=maybe", 0)
    limits = RightsLimits(marking=True)
    assert RightsLimits.from_cbor(limits.to_cbor()) == limits
    assert "marking" not in RightsLimits().to_cbor()
    assert limits.violation(Rights(), 0) == "the grant requires watermarked copies"
    assert limits.violation(marked, 0) is None


def test_copy_payload_carries_kind_and_refuses_an_index_that_does_not_fit() -> None:
    sale = code.Payload.for_copy(7, 12)
    spare = code.Payload.for_copy(7, 12, replacement=True)
    assert (sale.index, sale.replacement) == (12, False)
    assert (spare.index, spare.replacement) == (12, True)
    assert code.Payload.from_int(spare.to_int()) == spare
    with pytest.raises(ValueError):
        code.Payload.for_copy(7, 1 << 15)
