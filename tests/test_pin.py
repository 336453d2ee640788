"""The operator PIN without a screen: its rules, its hash, and guessing it against the lockout.

Every attack here is a guesser's: short or patterned PINs, guessing faster than the
lockout allows, restarting the kiosk, killing it mid-check, moving the clock, damaging or
replacing the lockout file, reading the hash. Each must fail for the stated reason.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from tests.secure_world import FakeClock

from pressroom.pin import (
    LOCKOUT_FILE,
    Lockout,
    LockoutPolicy,
    PinGate,
    hash_pin,
    needs_rehash,
    pin_problem,
    verify_pin,
    wait_words,
)
from pressroom.pin.hashing import parse_hash
from pressroom.pin.lockout import Locked

GOOD = "730519"
T0 = 1_800_000_000


# --- rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pin", "why"),
    [
        ("", "at least 6"),
        ("2468", "at least 6"),
        ("24681", "at least 6"),
        ("12a456", "digits only"),
        ("１２３４５７", "digits only"),  # full-width digits: str.isdigit() would say yes
        ("7305190000000", "at most 12"),
        ("000000", "repeated"),
        ("999999999", "repeated"),
        ("121212", "repeated"),
        ("123123", "repeated"),
        ("123456", "a run"),
        ("654321", "a run"),
        ("0123456789", "a run"),
        ("456789", "a run"),
    ],
)
def test_weak_pins_are_refused_with_a_reason(pin, why):
    problem = pin_problem(pin)
    assert problem is not None and why in problem.lower(), problem
    with pytest.raises(ValueError):
        hash_pin(pin)


@pytest.mark.parametrize("pin", [GOOD, "975318", "120946", "00012345", "123457"])
def test_ordinary_pins_are_accepted(pin):
    assert pin_problem(pin) is None


# --- hash --------------------------------------------------------------------------------


def test_hash_is_salted_scrypt_with_its_parameters_and_only_the_pin_matches():
    stored = hash_pin(GOOD)
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(1 << 17), "8", "1")
    assert len(salt) == 22 and len(digest) == 43  # 16 and 32 bytes, base64 unpadded
    assert GOOD not in stored
    assert verify_pin(GOOD, stored) and not verify_pin("730518", stored)
    assert hash_pin(GOOD) != stored  # a fresh salt each time
    assert not needs_rehash(stored)


def test_malformed_or_absurd_hashes_never_match():
    good = hash_pin(GOOD)
    _, n, r, p, salt, digest = good.split("$")
    for stored in (
        "",
        "plain$730519",
        f"bcrypt${n}${r}${p}${salt}${digest}",
        f"scrypt$1000${r}${p}${salt}${digest}",  # not a power of two
        f"scrypt${1 << 30}${r}${p}${salt}${digest}",  # 1 TiB of memory: refused, not tried
        f"scrypt${n}$512$512${salt}${digest}",
        f"scrypt${n}${r}${p}${salt}$AAAA",
        f"scrypt${n}${r}${p}$!!${digest}",
    ):
        assert parse_hash(stored) is None
        assert not verify_pin(GOOD, stored), stored


def test_an_old_parameter_hash_still_verifies_and_asks_for_a_rehash():
    import base64
    import hashlib

    salt = os.urandom(16)
    digest = hashlib.scrypt(b"2468", salt=salt, n=1 << 14, r=8, p=1, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode().rstrip("=")  # noqa: E731
    old = f"scrypt$16384$8$1${b64(salt)}${b64(digest)}"
    assert verify_pin("2468", old) and needs_rehash(old)


# --- lockout -----------------------------------------------------------------------------


def lockout(data: Path, clock: FakeClock, boot: str | None = "boot-1", **kw) -> Lockout:
    data.mkdir(parents=True, exist_ok=True)
    clocks = (lambda: (boot, float(clock.now))) if boot else None
    return Lockout.for_data_dir(data, wall=clock, boot=clocks, **kw)


def fail(lk: Lockout, times: int = 1, *clocks: FakeClock) -> None:
    """``times`` wrong tries, each after waiting out the lockout on ``clocks``."""
    for _ in range(times):
        wait = lk.remaining()
        for c in clocks:
            c.now += wait
        lk.record_attempt()  # counted before the check; a wrong PIN leaves it counted


def test_policy_waits_three_free_then_30_s_doubling_to_an_hour():
    p = LockoutPolicy()
    waits = [p.wait_after(f) for f in range(1, 13)]
    assert waits == [0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert p.wait_after(10**9) == 3600


def test_exhausting_all_six_digit_pins_takes_over_a_century():
    """The figure in docs/SECURITY.md: every 6-digit PIN (less the refused patterns)."""
    p = LockoutPolicy()
    allowed = sum(pin_problem(f"{i:06d}") is None for i in range(10**6))
    assert allowed == 998_900  # 1,100 runs and repeats refused
    seconds = sum(p.wait_after(f) for f in range(1, allowed))
    years = seconds / (365.25 * 86400)
    assert 113 < years < 115  # about 114 years; half of that on average to hit the PIN
    assert 86400 // 3600 == 24  # once waits are at the cap: 24 guesses a day


def test_wrong_tries_lock_and_the_lock_survives_a_new_lockout_object(tmp_path):
    clock = FakeClock(T0)
    lk = lockout(tmp_path, clock)
    fail(lk, 2)
    assert lk.remaining() == 0
    fail(lk)
    assert lk.remaining() == 30
    with pytest.raises(Locked) as exc:
        lk.record_attempt()  # a try during the wait: refused, and not counted
    assert exc.value.remaining == 30 and "30 s" in str(exc.value)
    clock.now += 10
    again = lockout(tmp_path, clock)  # the kiosk restarted
    assert again.remaining() == 20 and again.failures() == 3
    clock.now += 20
    assert again.remaining() == 0
    fail(again)
    assert again.remaining() == 60
    path = tmp_path / LOCKOUT_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [LOCKOUT_FILE]  # no temporary left
    again.succeeded()
    assert not path.exists() and again.failures() == 0


def test_setting_the_wall_clock_forward_does_not_end_a_wait_in_the_same_boot(tmp_path):
    clock = FakeClock(T0)
    boot_time = FakeClock(500)
    lk = Lockout.for_data_dir(tmp_path, wall=clock, boot=lambda: ("boot-1", float(boot_time())))
    fail(lk, 4, clock, boot_time)  # 60 s
    clock.now += 10 * 86400  # someone sets the clock ten days ahead, restarts the kiosk
    lk2 = Lockout.for_data_dir(tmp_path, wall=clock, boot=lambda: ("boot-1", float(boot_time())))
    assert lk2.remaining() == 60
    boot_time.now += 59
    assert lk2.remaining() == 1
    clock.now -= 20 * 86400  # and back: it never lengthens either
    assert lk2.remaining() == 1


def test_after_a_reboot_a_clock_set_back_never_stretches_a_wait_beyond_its_length(tmp_path):
    clock = FakeClock(T0)
    fail(lockout(tmp_path, clock, "boot-1"), 5, clock)  # 120 s
    clock.now -= 30 * 86400  # rebooted with a clock a month behind
    lk = lockout(tmp_path, clock, "boot-2")
    assert lk.remaining() == 120  # capped at the wait earned, not a month
    clock.now += 100
    assert lk.remaining() == 20  # re-anchored to this boot: it runs down
    clock.now += 20
    assert lk.remaining() == 0


def test_after_a_reboot_without_a_boot_clock_the_wall_clock_counts_and_is_capped(tmp_path):
    clock = FakeClock(T0)
    fail(lockout(tmp_path, clock, "boot-1"), 3)
    clock.now += 12
    lk = lockout(tmp_path, clock, boot=None)
    assert lk.remaining() == 18
    clock.now -= 86400
    assert lk.remaining() == 30  # capped, then counting down from here
    clock.now += 30
    assert lk.remaining() == 0


def test_an_edited_file_cannot_lock_for_longer_than_the_cap(tmp_path):
    clock = FakeClock(T0)
    path = tmp_path / LOCKOUT_FILE
    state = {"v": 1, "failures": 99, "until": T0 + 10**9, "span": 10**9}
    path.write_text(json.dumps({**state, "boot_id": "", "boot_until": 0}))
    assert lockout(tmp_path, clock, boot=None).remaining() == 3600


@pytest.mark.parametrize(
    "damage",
    ["garbage", "empty", "negative", "huge", "directory", "symlink", "fifo", "wrong-version"],
)
def test_a_damaged_lockout_file_counts_as_a_lockout_not_as_none(tmp_path, damage):
    clock = FakeClock(T0)
    path = tmp_path / LOCKOUT_FILE
    outside = tmp_path / "outside.txt"
    outside.write_text("not yours")
    if damage == "garbage":
        path.write_bytes(b"\xff\x00{")
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "negative":
        path.write_text('{"v": 1, "failures": -5, "until": 0, "span": 0, "boot_id": ""}')
    elif damage == "huge":
        path.write_bytes(b" " * 1_000_000)
    elif damage == "directory":
        path.mkdir()
    elif damage == "symlink":
        path.symlink_to(outside)
    elif damage == "fifo":
        os.mkfifo(path)
    elif damage == "wrong-version":
        path.write_text('{"v": 2}')
    lk = lockout(tmp_path, clock)
    assert lk.remaining() == 30 and lk.failures() == 3
    assert path.is_file() and not path.is_symlink()  # replaced by a good record
    assert outside.read_text() == "not yours"  # a link is replaced, never written through
    clock.now += 30
    assert lk.remaining() == 0
    fail(lk)
    assert lk.remaining() == 60


def test_a_link_at_the_lockout_file_is_never_followed_when_writing(tmp_path):
    clock = FakeClock(T0)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / LOCKOUT_FILE).symlink_to(victim)
    lk = lockout(tmp_path, clock)
    lk.succeeded()  # removes the link itself
    assert victim.read_text() == "keep me" and not (tmp_path / LOCKOUT_FILE).exists()


def test_wait_words():
    assert wait_words(150) == "2 min 30 s"
    assert wait_words(29.2) == "30 s"  # rounded up: never reads shorter than it is
    assert wait_words(60) == "1 min"
    assert wait_words(3600) == "1 h"
    assert wait_words(3661) == "1 h 1 min 1 s"
    assert wait_words(0) == "0 s"


# --- the gate: one try from start to end ---------------------------------------------


def test_gate_counts_checks_locks_and_resets(tmp_path):
    clock = FakeClock(T0)
    gate = PinGate(lockout(tmp_path, clock))
    stored = hash_pin(GOOD)
    for _ in range(2):
        v = gate.try_pin("111111", stored)
        assert not v.ok and v.checked and v.locked_for == 0
    v = gate.try_pin("222222", stored)
    assert not v.ok and v.locked_for == 30
    v = gate.try_pin(GOOD, stored)  # the right PIN during the wait is not even checked
    assert not v.ok and not v.checked and v.locked_for == 30
    assert gate.lockout.failures() == 3
    clock.now += 30
    v = gate.try_pin(GOOD, stored)
    assert v.ok and not v.must_change and not v.rehash
    assert gate.lockout.failures() == 0 and gate.locked_for() == 0


def test_a_weak_pin_that_matches_must_be_changed(tmp_path):
    import base64
    import hashlib

    salt = os.urandom(16)
    digest = hashlib.scrypt(b"2468", salt=salt, n=1 << 14, r=8, p=1, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode().rstrip("=")  # noqa: E731
    old = f"scrypt$16384$8$1${b64(salt)}${b64(digest)}"
    gate = PinGate(lockout(tmp_path, FakeClock(T0)))
    v = gate.try_pin("2468", old)
    assert v.ok and v.must_change
    digest6 = hashlib.scrypt(GOOD.encode(), salt=salt, n=1 << 14, r=8, p=1, dklen=32)
    v = gate.try_pin(GOOD, f"scrypt$16384$8$1${b64(salt)}${b64(digest6)}")
    assert v.ok and not v.must_change and v.rehash  # a good PIN under old parameters


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_killing_the_kiosk_while_a_guess_is_checked_still_counts_the_guess(tmp_path):
    """A guesser who kills the process before a wrong answer is recorded gains nothing."""
    src = Path(__file__).resolve().parents[1] / "src"
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(src)!r})
        import pressroom.pin.gate as gate_mod
        from pressroom.pin import Lockout, PinGate, hash_pin

        stored = hash_pin({GOOD!r})
        def killed(pin, stored):  # the process dies in the middle of the hash
            os.kill(os.getpid(), signal.SIGKILL)
        gate_mod.verify_pin = killed
        PinGate(Lockout.for_data_dir({str(tmp_path)!r})).try_pin("111111", stored)
        """
    )
    for n in (1, 2, 3):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
        assert done.returncode == -signal.SIGKILL, done.stderr.decode()
        assert Lockout.for_data_dir(tmp_path).failures() == n
    assert Lockout.for_data_dir(tmp_path).remaining() > 0  # three killed tries: a wait


# --- the administrator's command ---------------------------------------------------------


def test_kiosk_unlock_command_clears_a_lockout_and_says_what_it_cleared(tmp_path, capsys):
    from pressroom.cli import main

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    clock = FakeClock(int(time.time()))
    fail(lockout(data, clock, boot=None), 4, clock)  # a 60 s wait from (about) now
    lockout_now = Lockout.for_data_dir(data)  # the real clocks, as the command has
    assert main(["--data-dir", str(data), "kiosk", "status"]) == 0
    assert "4 wrong tries" in capsys.readouterr().out
    assert main(["--data-dir", str(data), "kiosk", "unlock"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Cleared the kiosk PIN lockout (4 wrong tries, ") and "min" in out
    assert lockout_now.remaining() == 0 and lockout_now.failures() == 0
    assert main(["--data-dir", str(data), "kiosk", "unlock"]) == 0
    assert "not locked" in capsys.readouterr().out


def test_kiosk_unlock_without_write_access_is_one_sentence(tmp_path, capsys, monkeypatch):
    from pressroom.cli import main

    data = tmp_path / "data"
    data.mkdir(mode=0o700)

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Lockout, "_clear", refuse)
    assert main(["--data-dir", str(data), "kiosk", "unlock"]) == 3
    err = capsys.readouterr().err
    assert "Cannot clear" in err and "Permission denied" in err and "Traceback" not in err
