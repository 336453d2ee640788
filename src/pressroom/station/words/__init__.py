"""The shop's words: one glossary so the station window, the kiosk, the player and the
command line say the same thing for the same fact.

Developer detail (paths, USB ids, key names) stays in logs and behind Details; what is
here is what an operator (or a kiosk customer, or a listener) reads. Keyed by the stable
codes the engine, the identity judge and the verifier give, so a reason is worded once:

- :mod:`.disks`: a disk's failure, verdict and notes (``failure``, ``verdict``, ``note``)
- :mod:`.player`: why a disk or track will not play (``refusal_words``)
- :mod:`.settings`: setting labels and choices (``setting``)
- :mod:`.firststart`: what the first-start wizard says when done (``setup_done``)
- :mod:`.runs`: run statuses and short run ids (``run_status``, ``short_run_id``)
"""

from __future__ import annotations

from pressroom.station.words.disks import (
    all_failure_codes,
    failure,
    idle_words,
    knows,
    shown_reason,
    verdict,
)
from pressroom.station.words.firststart import setup_done
from pressroom.station.words.plain import UNEXPECTED, Words, developer_words
from pressroom.station.words.player import (
    PLAYER,
    REFUSALS,
    audio_missing_words,
    player_refusal,
    refusal_words,
)
from pressroom.station.words.runs import RUN_STATUS, run_status, short_run_id
from pressroom.station.words.settings import SETTINGS, Choice, Setting, setting

__all__ = [
    "PLAYER",
    "REFUSALS",
    "RUN_STATUS",
    "SETTINGS",
    "UNEXPECTED",
    "Choice",
    "Setting",
    "Words",
    "all_failure_codes",
    "audio_missing_words",
    "developer_words",
    "failure",
    "idle_words",
    "knows",
    "player_refusal",
    "refusal_words",
    "run_status",
    "setting",
    "setup_done",
    "short_run_id",
    "shown_reason",
    "verdict",
]
