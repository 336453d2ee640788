"""History as a shop reads it: what each run copied, who ran it, how long it took, and
each disk's capacity and time from start to verified.

The window's History tab only renders these rows; every value it sorts on comes with its
text (a number sorts as a number, a time as a time, never as the text it shows).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pressroom.ledger import DiskRecord, RunRecord
from pressroom.ledger.models import TrackTitle
from pressroom.station import words
from pressroom.station.parts import Parts
from pressroom.station.runs import clock

NONE = "—"


@dataclass(frozen=True)
class RunRow:
    """One run: the sort keys, and the words shown."""

    run_id: str
    short_id: str
    started_at: float
    finished_at: float | None
    duration: float | None  # seconds from start to end; None while it runs
    operator: str
    what: str  # "Demo Album (3 tracks)"
    tracks: tuple[str, ...]  # one line per track: "1. Title — Artist (Album)"
    copies_wanted: int
    made: int
    failed: int
    status: str  # the shop's words for its status and counts

    @property
    def duration_text(self) -> str:
        return NONE if self.duration is None else clock(self.duration)


@dataclass(frozen=True)
class DiskRow:
    """One disk of a run, made or failed."""

    licence_id: str | None
    passed: bool
    copy_index: int | None  # None: a failed disk's copy went back to the grant
    slot: str
    serial: str
    disk: str  # vendor and product
    capacity: int | None  # bytes
    started_at: float
    seconds: float  # from the disk's start to verified (or to its failure)
    mb_per_s: float | None
    reason: str  # in the shop's words where the disk's record has a reason code
    detail: str = ""  # the sentence the engine recorded (behind Details)

    @property
    def capacity_text(self) -> str:
        return NONE if not self.capacity else size_text(self.capacity)

    @property
    def time_text(self) -> str:
        return clock(self.seconds)


@dataclass(frozen=True)
class History:
    runs: tuple[RunRow, ...]  # newest first
    disks: Mapping[str | None, tuple[DiskRow, ...]]  # by run id; None: disks outside a run


def size_text(n: int) -> str:
    """A disk's capacity as printed on it: decimal units ("16 GB", "1.1 GB", "512 MB")."""
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if n >= scale:
            value = n / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{n / 10**3:.0f} kB"


def what_was_copied(titles: Sequence[TrackTitle]) -> str:
    """The run's content in a few words: an album and its track count, or the titles."""
    n = len(titles)
    if n == 0:
        return NONE
    if n == 1:
        t = titles[0]
        return f"{t.title} ({t.album})" if t.album else t.title
    albums = {t.album for t in titles}
    if len(albums) == 1 and "" not in albums:
        return f"{titles[0].album} ({n} tracks)"
    named = [a for a in albums if a]
    if len(named) > 1:
        return f"{n} tracks from {len(named)} albums"
    shown = ", ".join(t.title for t in titles[:3])
    return shown if n <= 3 else f"{shown} and {n - 3} more"


def track_line(i: int, t: TrackTitle) -> str:
    line = f"{i}. {t.title}"
    if t.artist:
        line += f" — {t.artist}"
    if t.album:
        line += f" ({t.album})"
    return line


def titles_of(run: RunRecord, catalog: Mapping[str, TrackTitle]) -> tuple[TrackTitle, ...]:
    """The titles recorded with the run; for a run from before they were kept, the
    catalog's names where it still knows the track, else the track's short id."""
    if run.titles:
        return run.titles
    return tuple(catalog.get(h) or TrackTitle(f"track {h[:8]}") for h in run.tracks)


def run_row(run: RunRecord, disks: Iterable[DiskRecord], titles: Sequence[TrackTitle]) -> RunRow:
    ds = list(disks)
    made = sum(d.result == "pass" for d in ds)
    end = run.finished_at
    return RunRow(
        run_id=run.run_id,
        short_id=words.short_run_id(run.run_id),
        started_at=run.started_at,
        finished_at=end,
        duration=None if end is None else max(0.0, end - run.started_at),
        operator=run.operator,
        what=what_was_copied(titles),
        tracks=tuple(track_line(i, t) for i, t in enumerate(titles, 1)),
        copies_wanted=run.copies_wanted,
        made=made,
        failed=len(ds) - made,
        status=words.run_status(run.status, wanted=run.copies_wanted, made=made),
    )


def disk_row(d: DiskRecord) -> DiskRow:
    passed = d.result == "pass"
    return DiskRow(
        licence_id=d.licence_id,
        passed=passed,
        copy_index=d.copy_index if passed else None,
        slot=d.slot or d.drive_id,
        serial=d.serial_masked or NONE,
        disk=" ".join(x for x in (d.vendor, d.product) if x) or NONE,
        capacity=d.capacity,
        started_at=d.started_at,
        seconds=d.seconds,
        mb_per_s=d.mb_per_s or None,
        reason=words.shown_reason(d.reason_code, d.reason),
        detail=d.reason if d.reason_code else "",
    )


class HistoryService:
    """Every run and its disks, as History shows them (read in the window's pool)."""

    def __init__(self, parts: Parts) -> None:
        self._parts = parts

    def load(self) -> History:
        ledger = self._parts.ledger
        by_run: dict[str | None, list[DiskRecord]] = {}
        for d in ledger.disks():
            by_run.setdefault(d.run_id, []).append(d)
        runs = sorted(ledger.runs(), key=lambda r: r.started_at, reverse=True)
        known: dict[str, TrackTitle] = {}
        if any(not r.titles for r in runs):  # older runs: name them from the catalog
            known = {
                t.content_hash: TrackTitle(t.title or t.path.stem, t.album or "", t.artist or "")
                for t in self._parts.catalog.all()
            }
        rows = tuple(run_row(r, by_run.get(r.run_id, ()), titles_of(r, known)) for r in runs)
        disks = {
            run_id: tuple(
                disk_row(d)
                for d in sorted(
                    ds, key=lambda d: (d.copy_index is None, d.copy_index or 0, d.started_at)
                )
            )
            for run_id, ds in by_run.items()
        }
        return History(rows, disks)
