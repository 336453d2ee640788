"""Live per-disk progress in the terminal and the end-of-run summary table (rich)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from pressroom.drives.base import FROM_MEDIA
from pressroom.engine.events import DiskProgress, DiskState, Event, RunProgress
from pressroom.engine.run import port_key
from pressroom.station import words

_STATE_STYLE = {
    DiskState.PASS: ("PASS", "bold green"),
    DiskState.FAIL: ("FAIL", "bold red"),
    DiskState.CANCELLED: ("STOPPED", "yellow"),
    DiskState.REMOVED: ("REMOVED", "dim"),
    DiskState.IDLE: ("idle", "dim"),
    DiskState.RUNNING: ("", ""),
}


def shop_reason(d: DiskProgress) -> str:
    """The glossary's words for a disk's reason: what the window and the kiosk say."""
    return words.shown_reason(d.reason_code, d.reason) if d.reason else ""


def reason_cell(d: DiskProgress) -> Text:
    """The shop's words, then (dim) the engine's own sentence and code: the detail the
    window keeps behind Details, which a terminal can afford to show."""
    shown = shop_reason(d)
    cell = Text(shown)
    if d.reason_code and d.reason != shown:
        cell.append(f"\n{d.reason} [{d.reason_code}]", style="dim")
    return cell


class RunBoard:
    """Collects events from worker threads; the main thread renders snapshots."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.disks: dict[str, DiskProgress] = {}
        self.run: RunProgress | None = None

    def __call__(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, DiskProgress):
                self.disks[event.drive_id] = event
            elif isinstance(event, RunProgress):
                self.run = event

    def snapshot(self) -> tuple[list[DiskProgress], RunProgress | None]:
        with self._lock:
            return sorted(self.disks.values(), key=lambda d: (port_key(d.port), d.label)), self.run


def live_table(board: RunBoard) -> Group:
    disks, run = board.snapshot()
    table = Table(expand=True, show_edge=False, pad_edge=False)
    for col, kw in (
        ("disk", {"ratio": 2, "no_wrap": True}),
        ("port", {"no_wrap": True}),
        ("stage", {"ratio": 1, "no_wrap": True}),
        ("progress", {"ratio": 2}),
        ("MB/s", {"justify": "right"}),
        ("ETA", {"justify": "right"}),
        ("result", {"ratio": 3}),
    ):
        table.add_column(col, **kw)
    for d in disks:
        word, style = _STATE_STYLE[d.state]
        result = Text(word, style=style)
        if d.reason:
            result.append(f" {shop_reason(d)}", style="")
        table.add_row(
            d.label,
            d.port,
            d.stage.label if d.state == DiskState.RUNNING else "",
            ProgressBar(total=d.bytes_total, completed=d.bytes_done, width=None)
            if d.bytes_total and d.state != DiskState.IDLE
            else "",
            f"{d.mbps:5.1f}" if d.state == DiskState.RUNNING else "",
            d.eta_text if d.state == DiskState.RUNNING else "",
            result,
        )
    head = Text("waiting for disks: insert one, Ctrl-C to stop", style="dim")
    if run is not None and run.step:  # before the first disk (marked tracks)
        head = Text(f"{run.step}; disks start when it is done", style="bold")
    elif run is not None:
        head = Text(
            f"{run.passed} of {run.target} copies verified, {run.failed} failed, "
            f"{run.in_flight} in progress",
            style="bold",
        )
    return Group(head, table)


def follow(board: RunBoard, done: Callable[[], bool], console: Console) -> None:
    with Live(live_table(board), console=console, refresh_per_second=8, transient=False) as live:
        while not done():
            live.update(live_table(board))
            time.sleep(0.12)
        live.update(live_table(board))


def summary_table(disks: list[DiskProgress]) -> Table:
    table = Table(title="Run summary", show_lines=False)
    for col in ("disk", "port", "serial", "copy", "result", "read back", "reason"):
        table.add_column(col)
    for d in disks:
        word, style = _STATE_STYLE[d.state]
        table.add_row(
            d.label,
            d.port,
            d.serial_masked,
            str(d.copy_index) if d.copy_index and d.state == DiskState.PASS else "",
            Text(word or d.state.value, style=style),
            d.cache_mode,
            reason_cell(d),
        )
    return table


def disk_json(d: DiskProgress) -> dict:
    return {
        "drive_id": d.drive_id,
        "label": d.label,
        "port": d.port,
        "result": d.state.value,
        "reason": d.reason,
        "reason_code": d.reason_code,
        "words": shop_reason(d),
        "licence_id": d.licence_id,
        "copy_index": d.copy_index,
        "serial": d.serial_masked,
        "cache_mode": d.cache_mode or None,
        "from_media": d.cache_mode in FROM_MEDIA if d.cache_mode else None,
        "bytes": d.bytes_total // 2 if d.state == DiskState.PASS else 0,
    }
