"""The offline player: authenticate a disk, enforce its rights, decrypt into memory only.

Qt-free; the player window (``pressroom.gui.player_window``) and ``pressroom play`` both
sit on :func:`open_disk`. Play counts live on the disk in an authenticated state file
(:mod:`.state`); the player's own memory (:mod:`.memory`) catches a rolled-back state file
and a clock set back.
"""

from pressroom.player.audio import AudioInfo, probe
from pressroom.player.disk import (
    Clock,
    PlayerDisk,
    PlayerTrack,
    PlayPermit,
    PlayRefused,
    Refusal,
    open_disk,
)
from pressroom.player.keys import derive_binding_key, play_state_key
from pressroom.player.memory import PlayerMemory
from pressroom.player.state import STATE_FILE, DiskStateFile, PlayState, StateStore

__all__ = [
    "STATE_FILE",
    "AudioInfo",
    "Clock",
    "DiskStateFile",
    "PlayPermit",
    "PlayRefused",
    "PlayState",
    "PlayerDisk",
    "PlayerMemory",
    "PlayerTrack",
    "Refusal",
    "StateStore",
    "derive_binding_key",
    "open_disk",
    "play_state_key",
    "probe",
]
