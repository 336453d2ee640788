"""Guard against a Qt binding that leaks or over-releases Python's singletons.

PySide6 6.12.0 releases a reference to True/False/None it does not own on every
``Signal.emit`` (and other calls) under Python 3.11, where those objects are not
immortal: a long run ends in "Fatal Python error: deallocating None". The station emits a
signal per engine batch for hours, so pyproject.toml excludes such versions; this test
fails if a broken binding comes back.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QElapsedTimer, QObject, Signal


class _Emitter(QObject):
    fired = Signal(object)


def test_signal_emit_keeps_singleton_refcounts(qtbot):
    emitter = _Emitter()
    emitter.fired.connect(lambda value: None)
    before = [sys.getrefcount(x) for x in (True, False, None)]
    for i in range(2000):
        emitter.fired.emit(None if i % 2 else [i])
    after = [sys.getrefcount(x) for x in (True, False, None)]
    assert [a - b for a, b in zip(after, before, strict=True)] == [0, 0, 0]


def test_plain_calls_keep_singleton_refcounts():
    timer = QElapsedTimer()
    timer.start()
    before = [sys.getrefcount(x) for x in (True, False, None)]
    for _ in range(2000):
        timer.restart()
    after = [sys.getrefcount(x) for x in (True, False, None)]
    assert [a - b for a, b in zip(after, before, strict=True)] == [0, 0, 0]
