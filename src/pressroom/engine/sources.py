"""The run's source tracks, read once and shared by every disk, within a memory budget.

Each disk encrypts the same plaintext with its own key, so 128 disks reading a track on
their own read it 128 times (from the page cache at best, from a slow library disk at
worst). Here a run keeps the plaintext chunks within a memory budget: the first disk to
need a chunk reads it from the file and every other disk takes it from memory. A chunk
that every disk now reading its track has passed stays as long as the budget has room (a
disk that starts later takes it too) and is the first to go when room is needed. Disks at
mixed speeds drift apart; when the chunks between the fastest and the slowest would exceed
the budget, a disk that finds its chunk missing reads it itself into its own buffer,
without caching it (the fallback to per-disk reads). ``bytes_read`` counts what came from
the files.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BUDGET = 64 << 20  # plaintext kept for all tracks of a run together
SPARE_BUFFERS = 16  # dropped chunk buffers kept for reuse


@dataclass
class _Track:
    path: Path
    size: int
    fd: int  # -1 while no disk reads the track
    chunks: dict[int, memoryview] = field(default_factory=dict)  # views of recycled buffers
    refs: dict[int, int] = field(default_factory=dict)  # chunk -> readers yet to take it
    readers: dict[int, int] = field(default_factory=dict)  # reader id -> next chunk


class SharedSources:
    """Per run: source readers for its disks, sharing one read of each chunk."""

    def __init__(self, chunk_size: int, budget: int = DEFAULT_BUDGET) -> None:
        self.chunk_size = chunk_size
        self.budget = budget
        self.bytes_read = 0  # from source files, for every disk together
        self.bytes_served = 0  # handed to disks (what per-disk reads would have read)
        self.held = 0  # plaintext in memory now
        self.peak_held = 0
        self._tracks: dict[Path, _Track] = {}
        self._idle: OrderedDict[tuple[Path, int], None] = OrderedDict()  # no reader needs
        self._spare: list[bytearray] = []  # chunk buffers to reuse
        self._lock = threading.Lock()
        self._ids = itertools.count()

    def open(self, path: Path) -> SourceReader:
        """A sequential reader of ``path`` for one disk. Raises OSError like open()."""
        with self._lock:
            track = self._tracks.get(path)
            if track is None or track.fd < 0:
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
                size = os.fstat(fd).st_size
                if track is not None and track.size != size:  # changed: its chunks are stale
                    for index in list(track.chunks):
                        self._drop(track, index)
                    track = None
                if track is None:
                    track = self._tracks[path] = _Track(path, size, fd)
                track.fd = fd
            rid = next(self._ids)
            track.readers[rid] = 0
            for index in track.chunks:  # a later disk takes every cached chunk too
                track.refs[index] += 1
                self._idle.pop((path, index), None)
        return SourceReader(self, track, rid)

    def clear(self) -> None:
        """Drop the chunks no disk needs now (the run has ended)."""
        with self._lock:
            for path, index in list(self._idle):
                self._drop(self._tracks[path], index)
            for path in [p for p, t in self._tracks.items() if t.fd < 0 and not t.chunks]:
                del self._tracks[path]

    @property
    def open_tracks(self) -> int:
        """Tracks some disk is reading now (a file is open for each)."""
        return sum(1 for t in self._tracks.values() if t.fd >= 0)

    def _room(self, want: int) -> bool:
        """Make room for ``want`` bytes by dropping idle chunks, oldest first (lock held)."""
        while self.held + want > self.budget and self._idle:
            path, index = next(iter(self._idle))
            self._drop(self._tracks[path], index)
        return self.held + want <= self.budget

    # --- called by readers -------------------------------------------------------------

    def _take(self, track: _Track, rid: int, index: int, view: memoryview) -> int:
        """Copy chunk ``index`` into ``view``: from memory, or read (and maybe keep) it."""
        offset = index * self.chunk_size
        want = max(0, min(self.chunk_size, track.size - offset))
        with self._lock:
            chunk = track.chunks.get(index)
            if chunk is not None:
                view[: len(chunk)] = chunk
                self._passed(track, rid, index)
                self.bytes_served += len(chunk)
                return len(chunk)
            keep = self._room(want)
        # read into the disk's own (reused) buffer; a chunk to keep is copied into a
        # recycled one: a fresh 256 KiB object per chunk costs the allocator an mmap, page
        # faults and a munmap each time, more than the copy
        got = os.preadv(track.fd, [view[:want]], offset) if want else 0
        with self._lock:
            self.bytes_read += got
            self.bytes_served += got
            if keep and index not in track.chunks and self._room(got):
                buf = self._spare.pop() if self._spare else bytearray(self.chunk_size)
                buf[:got] = view[:got]
                track.chunks[index] = memoryview(buf)[:got]
                track.refs[index] = sum(1 for pos in track.readers.values() if pos <= index)
                self.held += got
                self.peak_held = max(self.peak_held, self.held)
            self._passed(track, rid, index)
        return got

    def _passed(self, track: _Track, rid: int, index: int) -> None:
        """Reader ``rid`` is done with chunk ``index`` (lock held)."""
        track.readers[rid] = index + 1
        self._unref(track, index)

    def _unref(self, track: _Track, index: int) -> None:
        left = track.refs.get(index)
        if left is None:
            return
        track.refs[index] = max(0, left - 1)
        if track.refs[index] == 0:  # no disk reading now needs it: first to go
            self._idle[(track.path, index)] = None

    def _drop(self, track: _Track, index: int) -> None:
        chunk = track.chunks.pop(index)
        del track.refs[index]
        self._idle.pop((track.path, index), None)
        self.held -= len(chunk)
        buf = chunk.obj
        chunk.release()
        if len(self._spare) < SPARE_BUFFERS and isinstance(buf, bytearray):
            self._spare.append(buf)

    def _release(self, track: _Track, rid: int) -> None:
        """A reader closed (done, failed or cancelled): it takes no more chunks."""
        with self._lock:
            pos = track.readers.pop(rid, None)
            if pos is None:
                return
            for index in [i for i in track.chunks if i >= pos]:
                self._unref(track, index)
            if not track.readers and track.fd >= 0:  # nobody reads it now: close the file
                os.close(track.fd)
                track.fd = -1


class SourceReader:
    """One disk's sequential view of a shared source track (``readinto`` and ``size``)."""

    def __init__(self, sources: SharedSources, track: _Track, rid: int) -> None:
        self._sources = sources
        self._track = track
        self._rid = rid
        self._pos = 0
        self._pending = memoryview(b"")  # the rest of a chunk a short read left over
        self._buf: bytearray | None = None

    @property
    def size(self) -> int:
        return self._track.size

    def readinto(self, view: memoryview | bytearray) -> int:
        out = memoryview(view)
        chunk = self._sources.chunk_size
        if not self._pending:
            index, skip = divmod(self._pos, chunk)
            if skip == 0 and len(out) >= chunk:  # the container reads whole chunks: no copy
                got = self._sources._take(self._track, self._rid, index, out)
                self._pos += got
                return got
            if self._buf is None:
                self._buf = bytearray(chunk)
            got = self._sources._take(self._track, self._rid, index, memoryview(self._buf))
            self._pending = memoryview(self._buf)[skip:got]
        n = min(len(out), len(self._pending))
        out[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self._pos += n
        return n

    def close(self) -> None:
        self._sources._release(self._track, self._rid)

    def __enter__(self) -> SourceReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
