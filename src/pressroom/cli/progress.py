"""Terminal progress for long CLI work (rich), silent when output is JSON or not a TTY."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


def stderr_console() -> Console:
    return Console(stderr=True)


@contextmanager
def byte_progress(
    label: str, total: int, *, enabled: bool = True
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(nbytes)``; draws a bar on stderr when it is a terminal."""
    if not enabled or not sys.stderr.isatty() or total <= 0:
        yield lambda n: None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=stderr_console(),
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)
