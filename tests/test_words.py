"""The glossary (pressroom.station.words): every reason the engine, the identity judge
and the verifier can give has shop words, free of developer vocabulary, and the raw
sentence stays for Details."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest

from pressroom.config import Settings
from pressroom.drives.identity import judge
from pressroom.player.disk import HEADLINES
from pressroom.station import words
from pressroom.station.runs import retry_helps
from pressroom.station.words.disks import VERDICTS, station_problem

SRC = Path(__file__).resolve().parents[1] / "src" / "pressroom"


def _read(*parts: str) -> str:
    return (SRC.joinpath(*parts)).read_text(encoding="utf-8")


def engine_codes() -> set[str]:
    """Every reason code the per-disk pipeline can put on a disk, read from its source."""
    text = _read("engine", "pipeline.py")
    codes = set(re.findall(r'DiskFailed\(\s*"([a-z-]+)"', text))
    codes |= set(re.findall(r'self\.fail\(\s*"([a-z-]+)"', text))
    codes |= set(re.findall(r'return\s+\(?\s*"([a-z-]+)",', text))  # describe_os_error
    codes |= set(re.findall(r'reason_code=(?:"[a-z-]*" if [^\n]* else )?"([a-z-]+)"', text))
    codes |= {f"identity-{c}" for c in verdict_codes()}
    codes |= secure_codes()  # a read-back or a seal passes a SecureError's code on
    return codes


def verdict_codes() -> set[str]:
    text = _read("drives", "identity.py")
    found = set(re.findall(r'return\s+\(?\s*"([a-z-]+)",', text)) - {"ok"}
    return found | {"refused"}  # pipeline: IdentityRefused -> identity-refused


def secure_codes() -> set[str]:
    """Codes of the disk format's errors the pipeline can meet (its checkpoints are not a
    disk's business)."""
    codes: set[str] = set()
    for path in (SRC / "secure").glob("*.py"):
        if path.name == "checkpoint.py":
            continue
        text = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'code\s*=\s*"([a-z-]+)"', text))
    return codes


def test_the_source_walk_finds_the_codes_it_should():
    codes = engine_codes()
    for known in (
        "removed",
        "too-small",
        "io-error",
        "permission",
        "identity-permission",
        "identity-reader",
        "verify-hash",
        "grant-exhausted",
        "eject-failed",
        "cache-only",
        "bad-chunk",
        "internal",
    ):
        assert known in codes, known


@pytest.mark.parametrize("code", sorted(engine_codes()))
def test_every_engine_reason_has_plain_words(code):
    assert words.knows(code), f"{code} falls back to the catch-all: give it words"
    w = words.failure(code)
    for text in (w.title, w.text, w.for_customer, w.customer_heading):
        assert text and not words.developer_words(text), (code, text)
    assert w.what.endswith(".") and (not w.todo or w.todo.endswith("."))
    assert len(re.findall(r"[.!?](\s|$)", w.text)) <= 3, "one or two short sentences"


@pytest.mark.parametrize("code", sorted(VERDICTS))
def test_every_verdict_has_plain_words(code):
    w = words.verdict(code)
    assert w.text and not words.developer_words(w.text), w.text
    assert words.failure(f"identity-{code}") is w  # a card and a failed run say the same


def test_an_unknown_code_gets_the_catch_all_not_a_crash():
    assert not words.knows("no-such-code")
    assert "Something went wrong" in words.failure("no-such-code").text


def test_the_banned_vocabulary_catches_the_issues_examples():
    raw = (
        "Permission denied reading the USB serial of USB device 1209:5052 (bus 2 address 4); "
        "install packaging/udev/70-pressroom.rules (group 'pressroom')"
    )
    found = words.developer_words(raw)
    for bit in ("udev", ".rules", "1209:5052", "bus 2", "address 4", "group '"):
        assert bit in found
    assert words.developer_words("track key does not unwrap under this disk's identity")
    assert words.developer_words("fell back to posix_fadvise on /tmp/x (O_DIRECT)")
    assert words.developer_words("key 3f2a9c1e9b7d0c44aa") == ["3f2a9c1e9b7d0c44aa"]


def test_a_permission_problem_is_a_station_problem_with_no_retry():
    from usb.core import USBError

    from pressroom.drives.usb import explain_usb_error

    raw = explain_usb_error(USBError("Access denied", errno=errno.EACCES), "USB device 1209:5052")
    d = _disk(serial=None, serial_error=raw)
    v = judge([d])["sim:a"]
    assert (v.ok, v.code) == (False, "permission") and "70-pressroom.rules" in v.reason
    shown = words.verdict(v.code)
    assert "not allowed to read this disk's serial number" in shown.text
    assert "(Details)" in shown.text and not words.developer_words(shown.text)
    assert not retry_helps(f"identity-{v.code}") and not retry_helps("permission")
    assert station_problem("identity-permission") and station_problem("permission")


@pytest.mark.parametrize(
    ("serial_error", "code"),
    [
        (
            "USB device 1 did not answer the serial-number request in time (USB timeout).",
            "unreadable",
        ),
        ("USB device 1 was unplugged while its serial was being read.", "unreadable"),
        ("Loop devices have no USB serial; none was given.", "missing"),
    ],
)
def test_a_serial_read_error_is_judged_by_what_went_wrong(serial_error, code):
    assert judge([_disk(serial=None, serial_error=serial_error)])["sim:a"].code == code


def test_every_player_refusal_has_plain_words():
    from pressroom.station.words.player import REFUSALS

    for code in HEADLINES:
        assert code in REFUSALS, f"the player's {code} has no words"
    for code in {*HEADLINES, "no-track", "unknown-code"}:
        w = words.refusal_words(code)
        assert w.title and not words.developer_words(w.text), (code, w.text)
    wrong = words.refusal_words("wrong-disk")
    assert "only play from that disk" in wrong.text
    missing_audio = words.audio_missing_words()
    assert "sound" in missing_audio.text and not words.developer_words(missing_audio.text)


def test_settings_words_cover_every_stored_value_and_speak_plainly():
    s = Settings()
    for key, values in (
        ("identity_policy", ("refuse", "warn")),
        ("verify_mode", ("media", "strict")),
    ):
        shown = words.setting(key)
        assert [c.value for c in shown.choices] == list(values)
        assert getattr(s, key) in values
        for c in shown.choices:
            assert c.label != c.value and not words.developer_words(c.label)
    for key, setting in words.SETTINGS.items():
        assert hasattr(s, key) or key == "data_dir"
        assert "bus" not in setting.label.lower() and not words.developer_words(setting.hint)
    assert words.setting("verify_mode").label_of("strict").startswith("Only from the disk")


def test_first_start_says_what_was_done_plainly():
    for choice in ("demo", "keys", "grant"):
        w = words.setup_done(choice)  # type: ignore[arg-type]
        assert not words.developer_words(w.text) and "certified" not in w.text
    both = words.setup_done("keys", with_grant=True)
    assert "keys" in both.what and "rights" in both.what


def _disk(**kw):
    from tests.test_drives_identity import disk

    return disk(**kw)


def test_the_terminal_says_the_cards_words_and_adds_the_detail():
    from rich.console import Console

    from pressroom.cli.run_view import disk_json, live_table, reason_cell, summary_table
    from pressroom.engine.events import DiskProgress, DiskState, Stage

    raw = "The disk reported a write or read error: Input/output error."
    d = DiskProgress(
        "sim:a", "a", "1-1", DiskState.FAIL, Stage.WRITE, reason=raw, reason_code="io-error"
    )
    cell = reason_cell(d).plain
    assert cell.startswith(words.failure("io-error").text)  # what the card shows
    assert raw in cell and "[io-error]" in cell  # the detail the card keeps for Details
    console = Console(width=200, record=True)
    console.print(summary_table([d]))
    out = console.export_text()
    assert "stopped working" in out and "Input/output error" in out
    assert disk_json(d)["words"] == words.failure("io-error").text
    assert disk_json(d)["reason"] == raw  # --json keeps the raw sentence and code

    class Board:
        def snapshot(self):
            return [d], None

    console = Console(width=200, record=True)
    console.print(live_table(Board()))  # type: ignore[arg-type]
    assert "stopped working" in console.export_text()


def test_pressroom_drives_says_the_cards_words_for_a_refused_disk(capsys, monkeypatch):
    from pressroom.cli import main

    monkeypatch.setenv("COLUMNS", "300")  # one line per cell: the words can be searched

    assert main(["sim", "add", "--serial", "00000000"]) == 0  # a placeholder serial
    capsys.readouterr()
    assert main(["drives"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "made-up serial number" in out  # the glossary's words, as on the card
    assert "[placeholder]" in out  # and the judge's code for whoever looks it up
