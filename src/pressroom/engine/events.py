"""Progress as plain events: the engine emits them, the CLI and the Qt bridge listen.

Events are immutable snapshots, safe to hand from a worker thread to any other thread.
Per disk they are throttled to about ten a second; stage changes and results always pass.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class Stage(StrEnum):
    WAITING = "waiting"  # attached, not (yet) part of the run
    IDENTIFY = "identify"
    CHECK_SPACE = "check-space"
    RESERVE = "reserve"
    QUEUED = "queued"  # started, waiting for its turn: the bookkeeping stages, then its hub
    CLEAN = "clean"
    WRITE = "write"
    VERIFY = "verify"
    LICENCE = "licence"
    COMMIT = "commit"
    DONE = "done"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Stage.WAITING: "Waiting",
    Stage.IDENTIFY: "Reading serial",
    Stage.CHECK_SPACE: "Checking space",
    Stage.RESERVE: "Reserving copy",
    Stage.QUEUED: "Waiting its turn",
    Stage.CLEAN: "Removing old files",
    Stage.WRITE: "Writing",
    Stage.VERIFY: "Verifying",
    Stage.LICENCE: "Writing licence",
    Stage.COMMIT: "Recording",
    Stage.DONE: "Done",
}


class DiskState(StrEnum):
    IDLE = "idle"  # attached, not started
    RUNNING = "running"
    PASS = "pass"
    FAIL = "fail"
    CANCELLED = "cancelled"
    REMOVED = "removed"


@dataclass(frozen=True)
class DiskProgress:
    drive_id: str
    label: str
    port: str
    state: DiskState
    stage: Stage
    bytes_done: int = 0
    bytes_total: int = 0
    mbps: float = 0.0  # MB/s (10^6 bytes) over the current stage
    eta_seconds: float | None = None
    reason: str = ""  # one sentence: why it failed, or a warning
    reason_code: str = ""
    licence_id: str | None = None
    copy_index: int | None = None
    serial_masked: str = ""
    verdict: str = ""  # identity verdict code
    cache_mode: str = ""  # how the read-back reached the medium (drives.base.CacheMode)
    at: float = field(default_factory=time.monotonic)

    @property
    def eta_text(self) -> str:
        """ "42 s", "3:07", or "—" when unknown: the same in the terminal and the window."""
        if self.eta_seconds is None:
            return "—"
        seconds = max(0, round(self.eta_seconds))
        return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"

    @property
    def fraction(self) -> float:
        return self.bytes_done / self.bytes_total if self.bytes_total else 0.0

    @property
    def finished(self) -> bool:
        return self.state in (DiskState.PASS, DiskState.FAIL, DiskState.CANCELLED)


class RunState(StrEnum):
    RUNNING = "running"
    STOPPING = "stopping"  # cancel requested or target reached; waiting for workers
    FINISHED = "finished"
    CANCELLED = "cancelled"
    EXHAUSTED = "exhausted"  # the grant ran out


@dataclass(frozen=True)
class RunProgress:
    run_id: str
    state: RunState
    target: int
    passed: int
    failed: int
    in_flight: int
    message: str = ""
    # what the run does before its first disk starts ("Preparing marked tracks 2 of 5");
    # empty once disks may start
    step: str = ""
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class LogLine:
    """A line for a disk's Details log (GUI) or the run log."""

    drive_id: str | None
    text: str
    at: float = field(default_factory=time.time)


Event = DiskProgress | RunProgress | LogLine
Listener = Callable[[Event], None]


class Throttle:
    """Pass at most ``rate`` progress events per second per disk; never drop a stage change."""

    def __init__(self, rate: float = 10.0):
        self.interval = 1.0 / rate
        self._last: dict[str, tuple[float, Stage, DiskState]] = {}
        self._lock = threading.Lock()

    def allow(self, ev: DiskProgress) -> bool:
        with self._lock:
            last = self._last.get(ev.drive_id)
            if (
                last is None
                or last[1] != ev.stage
                or last[2] != ev.state
                or ev.finished
                or ev.at - last[0] >= self.interval
            ):
                self._last[ev.drive_id] = (ev.at, ev.stage, ev.state)
                return True
            return False
