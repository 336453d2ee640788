"""The shop's words: one glossary so the station window, the kiosk and the player say the
same thing for the same fact. Developer detail (paths, USB ids, key names) stays in logs
and behind Details; what is here is what an operator reads."""

from __future__ import annotations

RUN_STATUS = {
    "running": "Running",
    "finished": "Finished",
    "incomplete": "Finished",  # older ledgers recorded a short run as "incomplete"
    "cancelled": "Stopped by the operator",
    "exhausted": "Grant used up",
    "aborted": "Stopped by the operator",
    "failed": "Failed",
    "crashed": "Interrupted (the station stopped)",
}


def run_status(status: str, *, wanted: int, made: int) -> str:
    """The History words for a run's recorded status and its counts."""
    words = RUN_STATUS.get(status, status.capitalize())
    short = wanted - made
    if status in ("finished", "incomplete") and short > 0:
        return f"{words}, {short} short"
    return words


def short_run_id(run_id: str) -> str:
    """The run id an operator reads, says and types (the full id is one click away)."""
    return run_id[:8]
