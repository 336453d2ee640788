"""The run journal: what each disk's pipeline had done when the station last stopped.

One JSON line per step, appended and fsync'd *before* the step's effect can matter, so
after a crash the next start knows, for every reservation the ledger still holds open,
whether a licence could have reached the disk. ``reconcile`` (engine.recovery) reads it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pressroom.datadir import make_private_dir

JournalData = dict[str, str | None]  # what a step records: hex ids, an outcome


@dataclass(frozen=True)
class JournalEntry:
    run_id: str
    event: str  # reserved | licence-writing | licence-written | settled
    reservation_id: int | None
    drive_id: str
    data: JournalData
    at: float


class Journal:
    def __init__(self, directory: Path, run_id: str):
        self.path = Path(directory) / f"{run_id}.jsonl"
        self.run_id = run_id
        self._lock = threading.Lock()
        make_private_dir(self.path.parent)  # 0700: journals name drives and reservations

    def record(
        self, event: str, *, drive_id: str, reservation_id: int | None = None, **data: str | None
    ) -> None:
        line = json.dumps(
            {
                "run": self.run_id,
                "event": event,
                "reservation": reservation_id,
                "drive": drive_id,
                "data": data,
                "at": time.time(),
            },
            sort_keys=True,
        )
        with self._lock:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(self.path, flags, 0o600)
            try:
                os.write(fd, line.encode() + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)

    def close(self, *, keep: bool = False) -> None:
        """A run that ended with every reservation settled needs no journal."""
        if not keep:
            self.path.unlink(missing_ok=True)


def read_journals(directory: Path) -> Iterator[JournalEntry]:
    """Every readable entry of every journal; a torn last line (crash mid-write) is skipped,
    and so is a line that parses but does not have the shape ``Journal.record`` writes."""
    if not Path(directory).is_dir():
        return
    for path in sorted(Path(directory).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                raw = json.loads(line)
            except ValueError:
                continue
            entry = _entry(raw)
            if entry is not None:
                yield entry


def _entry(raw: object) -> JournalEntry | None:
    if not isinstance(raw, dict):
        return None
    run, event, drive, at = raw.get("run"), raw.get("event"), raw.get("drive"), raw.get("at")
    reservation = raw.get("reservation")
    data = raw.get("data") or {}
    if not (isinstance(run, str) and isinstance(event, str) and isinstance(drive, str)):
        return None
    if isinstance(at, bool) or not isinstance(at, int | float):
        return None
    if isinstance(reservation, bool) or not (reservation is None or isinstance(reservation, int)):
        return None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in data.items()
    ):
        return None
    return JournalEntry(run, event, reservation, drive, dict(data), at)
