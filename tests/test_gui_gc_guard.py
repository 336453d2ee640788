"""Garbage collection happens on the GUI thread only while the station runs."""

from __future__ import annotations

import gc
import threading

from pressroom.gui.gc_guard import collect_on_gui_thread


def test_collections_run_only_on_the_gui_thread(qtbot):
    seen: list[str] = []

    def note(phase: str, info: dict) -> None:
        if phase == "start":
            seen.append(threading.current_thread().name)

    gc.enable()  # the test fixture disables it; the guard must own the switch
    gc.callbacks.append(note)
    try:
        with collect_on_gui_thread() as collector:
            assert not gc.isenabled()

            def churn() -> None:  # a worker allocating cycles past every threshold
                for _ in range(50_000):
                    a: list = []
                    a.append(a)

            worker = threading.Thread(target=churn, name="worker")
            worker.start()
            worker.join()
            assert "worker" not in seen
            qtbot.waitUntil(lambda: gc.get_count()[0] < collector.threshold[0], timeout=3000)
        assert gc.isenabled()
        assert set(seen) <= {threading.main_thread().name}
        assert seen, "the timer collected on the GUI thread"
    finally:
        gc.callbacks.remove(note)
        gc.disable()
