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
from typing import Any

from pressroom.datadir import make_private_dir


@dataclass(frozen=True)
class JournalEntry:
    run_id: str
    event: str  # reserved | licence-writing | licence-written | settled
    reservation_id: int | None
    drive_id: str
    data: dict[str, Any]
    at: float


class Journal:
    def __init__(self, directory: Path, run_id: str):
        self.path = Path(directory) / f"{run_id}.jsonl"
        self.run_id = run_id
        self._lock = threading.Lock()
        make_private_dir(self.path.parent)  # 0700: journals name drives and reservations

    def record(
        self, event: str, *, drive_id: str, reservation_id: int | None = None, **data: Any
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
    """Every readable entry of every journal; a torn last line (crash mid-write) is skipped."""
    if not Path(directory).is_dir():
        return
    for path in sorted(Path(directory).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                raw = json.loads(line)
                yield JournalEntry(
                    run_id=raw["run"],
                    event=raw["event"],
                    reservation_id=raw.get("reservation"),
                    drive_id=raw["drive"],
                    data=raw.get("data") or {},
                    at=raw["at"],
                )
            except (ValueError, KeyError, TypeError):
                continue
