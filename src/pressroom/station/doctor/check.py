"""One line of the doctor's report, and the small formatting it shares between checks."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["ok", "warn", "fail"]

EXPIRY_WARN_SECONDS = 14 * 86400  # keys and grants: warn this long before they end


@dataclass(frozen=True)
class Check:
    """A status, one plain sentence of what was found and, when needed, what to do.

    FAIL: the station cannot make disks until it is fixed. WARN: something works in a
    reduced way (no USB bus: demo disks only; no display: CLI only) or needs attention.
    """

    name: str
    status: Status
    message: str
    action: str = ""

    def line(self) -> str:
        message = " ".join(self.message.split())  # a driver's multi-line error on one line
        text = f"{self.status.upper():<4}  {self.name:<11} {message}"
        return f"{text} Fix: {self.action}" if self.action else text

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def exit_code(checks: Iterable[Check]) -> int:
    return 1 if any(c.status == "fail" for c in checks) else 0


def day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def size(n_bytes: int) -> str:
    n = float(n_bytes)
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"
