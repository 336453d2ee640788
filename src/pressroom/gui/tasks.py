"""Long work off the GUI thread: QThreadPool runnables reporting back with signals.

Catalog imports, report exports, ledger verification and starting a run touch files
and the database; each goes through :func:`submit` so the event loop never waits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)  # the exception


class Task(QRunnable):
    def __init__(self, fn: Callable[[], Any]):
        super().__init__()
        self.fn = fn
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # delivered to the GUI, which words it
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


_live: set[Task] = set()  # keep the signal objects alive until delivered


def pool() -> QThreadPool:
    return QThreadPool.globalInstance()


def submit(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    context: QObject | None = None,
) -> Task:
    """Run ``fn`` in the pool; ``on_done(result)`` / ``on_error(exc)`` run on the GUI thread.

    The signals object is created here, on the GUI thread, so queued delivery lands there.
    ``context`` (a widget) bounds the callbacks' lifetime: once it is destroyed they are
    skipped, so a dialog closed mid-export does not receive the result.
    """
    task = Task(fn)
    task.setAutoDelete(False)
    _live.add(task)

    def finish(cb: Callable[[Any], None] | None, value: Any) -> None:
        _live.discard(task)
        if cb is not None and (context is None or shiboken6.isValid(context)):
            cb(value)

    queued = Qt.ConnectionType.QueuedConnection
    task.signals.done.connect(lambda r: finish(on_done, r), queued)
    task.signals.failed.connect(lambda e: finish(on_error, e), queued)
    pool().start(task)
    return task


def wait_all(timeout_ms: int = 10_000) -> bool:
    """Wait for running tasks (window closing, tests, the benchmark)."""
    return pool().waitForDone(timeout_ms)
