"""Shared source reads: every disk gets the exact plaintext, each chunk is read from the
file once while the disks keep together, memory stays within the budget, and a disk too
far behind reads for itself."""

from __future__ import annotations

import os
import threading

import pytest

from pressroom.engine.sources import SharedSources

CHUNK = 4096


def _read_all(reader, size: int, step: int = CHUNK) -> bytes:
    out = bytearray()
    buf = bytearray(step)
    while len(out) < size:
        n = reader.readinto(memoryview(buf)[: min(step, size - len(out))])
        if not n:
            break
        out += buf[:n]
    return bytes(out)


@pytest.fixture
def track(tmp_path):
    path = tmp_path / "track.bin"
    data = os.urandom(CHUNK * 40 + 123)  # a short last chunk
    path.write_bytes(data)
    return path, data


def test_disks_in_step_read_each_chunk_once(track):
    path, data = track
    sources = SharedSources(CHUNK, budget=1 << 20)
    readers = [sources.open(path) for _ in range(8)]
    got = [bytearray() for _ in readers]
    buf = bytearray(CHUNK)
    while len(got[0]) < len(data):  # chunk by chunk, all together
        for reader, out in zip(readers, got, strict=True):
            n = reader.readinto(memoryview(buf)[: min(CHUNK, len(data) - len(out))])
            out += buf[:n]
    assert all(bytes(g) == data for g in got)
    assert sources.bytes_read == len(data)  # once, not 8 times
    assert sources.bytes_served == 8 * len(data)
    for reader in readers:
        reader.close()
    assert sources.open_tracks == 0
    assert sources.held == len(data)  # kept while the budget allows: a later disk takes it
    sources.clear()  # the run ended
    assert sources.held == 0


def test_disks_far_apart_fall_back_to_their_own_reads_within_the_budget(track):
    path, data = track
    sources = SharedSources(CHUNK, budget=4 * CHUNK)
    fast, slow = sources.open(path), sources.open(path)
    assert _read_all(fast, len(data)) == data  # runs ahead: 4 chunks kept for the slow one
    assert sources.held == 4 * CHUNK and sources.peak_held <= sources.budget
    assert _read_all(slow, len(data), step=1000) == data  # odd reads sizes work too
    assert sources.bytes_read == 2 * len(data) - 4 * CHUNK
    assert sources.peak_held <= sources.budget
    fast.close()
    slow.close()
    sources.clear()
    assert sources.held == 0


def test_a_later_disk_takes_what_is_kept_and_room_goes_to_what_is_needed(track):
    path, data = track
    sources = SharedSources(CHUNK, budget=1 << 20)
    first = sources.open(path)
    assert _read_all(first, len(data)) == data
    first.close()
    assert sources.open_tracks == 0  # the file is closed between disks
    late = sources.open(path)  # a disk inserted later: every chunk comes from memory
    assert _read_all(late, len(data)) == data
    late.close()
    assert sources.bytes_read == len(data)
    # a small budget: chunks no reader needs give way to the ones a reader needs
    small = SharedSources(CHUNK, budget=2 * CHUNK)
    a, b = small.open(path), small.open(path)
    _read_all(a, len(data))
    stuck = small.held
    b.close()  # a failed disk: what was kept for it may go
    c, d = small.open(path), small.open(path)
    assert _read_all(c, len(data)) == data and _read_all(d, len(data)) == data
    assert small.peak_held <= small.budget and stuck == 2 * CHUNK
    for r in (a, c, d):
        r.close()
    small.clear()
    assert small.held == 0


def test_many_threads_get_the_exact_bytes(track):
    path, data = track
    sources = SharedSources(CHUNK, budget=8 * CHUNK)
    results: list[bytes] = []

    def disk() -> None:
        with sources.open(path) as reader:
            results.append(_read_all(reader, len(data)))

    threads = [threading.Thread(target=disk) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [data] * 16
    assert sources.peak_held <= sources.budget
    sources.clear()
    assert sources.held == 0
    assert len(data) <= sources.bytes_read <= 16 * len(data)


def test_a_source_that_changed_size_is_read_afresh(track):
    path, data = track
    sources = SharedSources(CHUNK, budget=1 << 20)
    with sources.open(path) as reader:
        _read_all(reader, len(data))
    path.write_bytes(data[: 3 * CHUNK])
    with sources.open(path) as reader:
        assert reader.size == 3 * CHUNK
        assert _read_all(reader, 3 * CHUNK) == data[: 3 * CHUNK]


def test_a_missing_source_raises_like_open(tmp_path):
    with pytest.raises(FileNotFoundError):
        SharedSources(CHUNK).open(tmp_path / "gone.bin")
