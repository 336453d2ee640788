"""The player's sentences: one for every refusal it can show, in a listener's words."""

from __future__ import annotations

import re

from pressroom.player.disk import HEADLINES
from pressroom.station import words
from pressroom.station.device import DEVICE_HEADLINES

DEVELOPER = re.compile(r"unwrap|identity|\bkey\b|cbor|/|\.prt|\.prl|0x", re.I)


def test_every_refusal_code_has_a_sentence():
    codes = set(HEADLINES) | set(DEVICE_HEADLINES) | {"expired", "no-plays-left", "no-track"}
    missing = sorted(c for c in codes if c not in words.REFUSALS)
    assert not missing


def test_sentences_speak_to_a_listener():
    sentences = {code: w.text for code, w in words.REFUSALS.items()} | words.PLAYER
    for code, sentence in sentences.items():
        assert not DEVELOPER.search(sentence), (code, sentence)
        assert not words.developer_words(sentence), (code, sentence)
        assert sentence[0].isupper() and sentence.endswith("."), (code, sentence)


def test_the_wrong_disk_sentence_and_the_fallback():
    assert words.player_refusal("wrong-disk") == (
        "These songs were copied from the disk they were made for; they only play from that "
        "disk. Play the original disk."
    )
    assert words.player_refusal("something-new") == words.refusal_words("something-new").text
    assert words.player_refusal("something-new") != words.player_refusal("wrong-disk")
