"""The player's sentences: one for every refusal it can show, in a listener's words."""

from __future__ import annotations

import re

from pressroom.player.disk import HEADLINES
from pressroom.station import words
from pressroom.station.device import DEVICE_HEADLINES

DEVELOPER = re.compile(r"unwrap|identity|\bkey\b|cbor|serial number|/|\.prt|\.prl|0x", re.I)


def test_every_refusal_code_has_a_sentence():
    codes = set(HEADLINES) | set(DEVICE_HEADLINES) | {"expired", "no-plays-left", "no-track"}
    missing = sorted(c for c in codes if c not in words.PLAYER_REFUSALS)
    assert not missing


def test_sentences_speak_to_a_listener():
    for code, sentence in {**words.PLAYER_REFUSALS, **words.PLAYER}.items():
        assert not DEVELOPER.search(sentence), (code, sentence)
        assert sentence[0].isupper() and sentence.endswith("."), (code, sentence)


def test_the_wrong_disk_sentence_and_the_fallback():
    assert words.player_refusal("wrong-disk") == (
        "This music belongs to another disk: it plays only from the disk it was made for."
    )
    assert words.player_refusal("something-new") == words.PLAYER_REFUSAL_DEFAULT
