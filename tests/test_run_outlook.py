"""The run's outlook (station.runs): when a run waits, what Stop / Finish / Retry mean."""

from __future__ import annotations

import pytest

from pressroom.engine.events import RunProgress, RunState
from pressroom.station.runs import outlook, retry_helps


def ev(state=RunState.RUNNING, target=16, passed=0, failed=0, in_flight=0) -> RunProgress:
    return RunProgress("r", state, target, passed, failed, in_flight)


def test_writing_offers_stop_only():
    look = outlook(ev(passed=3, failed=1, in_flight=4))
    assert look.phase == "writing" and look.can_stop and not look.can_finish
    assert look.headline == "Writing: 3 of 16 made, 1 failed, 4 being written."


def test_nothing_writing_and_copies_missing_waits_for_disks_or_finish():
    look = outlook(ev(passed=12, failed=2))
    assert look.phase == "waiting" and look.can_finish and not look.can_stop
    assert look.headline == "4 copies still to make: insert blank disks or Finish."
    assert look.can_retry and look.short == 4
    one = outlook(ev(target=4, passed=3), insert_and_go=False)
    assert one.headline == "1 copy still to make: Retry a failed disk or Finish."


@pytest.mark.parametrize(
    ("state", "passed", "headline"),
    [
        (RunState.FINISHED, 12, "Finished: 12 of 16 made, 2 failed, 4 short."),
        (RunState.FINISHED, 16, "Finished: 16 of 16 made, 2 failed."),
        (RunState.CANCELLED, 12, "Stopped: 12 of 16 made, 2 failed."),
        (RunState.EXHAUSTED, 12, "The grant has no copies left: 12 of 16 made, 2 failed."),
    ],
)
def test_an_ended_run_says_how_it_ended_and_offers_nothing(state, passed, headline):
    look = outlook(ev(state, passed=passed, failed=2))
    assert look.phase == "ended" and look.headline == headline
    assert not (look.can_stop or look.can_finish or look.can_retry)


def test_stopping_offers_nothing():
    look = outlook(ev(RunState.STOPPING, passed=2, in_flight=3))
    assert look.phase == "stopping" and not (look.can_stop or look.can_finish)


@pytest.mark.parametrize(
    ("code", "helps"),
    [
        ("io-error", True),
        ("verify-hash", True),
        ("cancelled", True),
        ("read-only", True),  # the lock switch can be slid
        ("permission", False),  # the station's rights, not the disk
        ("identity-missing", False),
        ("identity-refused", False),
        ("grant-exhausted", False),
        ("too-small", False),
        ("removed", False),
    ],
)
def test_retry_only_where_a_second_write_could_end_differently(code, helps):
    assert retry_helps(code) is helps


def test_clock_and_overall_eta():
    from pressroom.station.runs import clock, eta_seconds, timing, title

    assert clock(42) == "0:42" and clock(724) == "12:04" and clock(3730) == "1:02:10"
    assert eta_seconds(60, 0, 4) is None  # nothing made yet: no pace to go by
    assert eta_seconds(120, 4, 4) == 120
    writing = outlook(ev(target=8, passed=4, in_flight=2))
    assert timing(120, writing) == "2:00 elapsed · about 2:00 left"
    waiting = outlook(ev(target=8, passed=4))
    assert timing(120, waiting) == "2:00 elapsed"  # no estimate while nothing is written
    assert title("Pressroom", writing) == "4/8 made — Pressroom"
    done = outlook(ev(RunState.FINISHED, target=8, passed=8))
    assert title("Pressroom", done) == "Finished (8/8) — Pressroom"
    assert title("Pressroom", None) == "Pressroom"


def test_the_chime_is_a_short_valid_wav(tmp_path):
    import wave

    from pressroom.gui.chime import chime_file

    path = chime_file(tmp_path)
    with wave.open(str(path)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert 0.2 < seconds < 0.5 and chime_file(tmp_path) == path


def test_preparing_marked_tracks_says_so_and_offers_stop_only():
    step = RunProgress("r", RunState.RUNNING, 4, 0, 0, 0, step="Preparing marked tracks 2 of 5")
    look = outlook(step)
    assert look.phase == "preparing" and look.can_stop
    assert not look.can_finish and not look.can_retry
    assert look.headline == "Preparing marked tracks 2 of 5 (before the first disk)."
    # once it has ended, the step no longer shows
    ended = RunProgress("r", RunState.CANCELLED, 4, 0, 0, 0, step="")
    assert outlook(ended).headline == "Stopped: 0 of 4 made."
