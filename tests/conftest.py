"""Shared fixtures. Every test gets its own data directory; nothing touches ~/."""

from __future__ import annotations

import gc
import os
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# No test reads or writes the user's OS keyring: the player-memory anchor tests register
# their own in-memory backend (keyring.set_keyring) and put this one back afterwards.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("PRESSROOM_DATA_DIR", str(data))
    monkeypatch.setenv("PRESSROOM_STATE_DIR", str(tmp_path / "state"))  # memory anchors
    monkeypatch.delenv("PRESSROOM_LEDGER_URL", raising=False)
    monkeypatch.delenv("PRESSROOM_SIM_DIR", raising=False)
    yield data


@pytest.fixture(autouse=True)
def _no_leaked_threads():
    """Fail a test that leaves a non-daemon thread of its own running (napari-style)."""
    before = set(threading.enumerate())
    yield
    leaked = [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and not t.daemon and t is not threading.main_thread()
    ]
    for t in leaked:
        t.join(timeout=5)
    still = [t.name for t in leaked if t.is_alive()]
    assert not still, f"test leaked running threads: {still}"


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread():
    """As the GUI does (pressroom.gui.gc_guard): no automatic collection during a test, so a
    worker thread never runs a collection that destroys Qt objects; collect at teardown,
    here on the main thread."""
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.enable()
