"""Forensic marking: prepare a job's A/B variants, and trace a leaked file to its copy.

Preparation runs once per track and station key (the variants are cached in the data
dir's ``watermark`` folder); each disk's copy is then a byte copy assembled in the
engine. Tracing decodes any file ffmpeg reads, finds the mark blind, and names the copy
through the ledger: grant, copy index, licence, disk (masked serial), run, station, date.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pressroom.datadir import write_private
from pressroom.engine.job import Job
from pressroom.errors import SetupError, UsageError
from pressroom.ledger.models import DiskRecord
from pressroom.station.parts import Parts
from pressroom.watermark.code import REPLACEMENT_BIT, Payload, grant_tag
from pressroom.watermark.layout import BLOCK_SLOTS, RATE, SLOT

MIN_SECONDS = BLOCK_SLOTS * SLOT / RATE + 1.0  # one whole mark, and a little slack
MAX_MARKED_COPIES = REPLACEMENT_BIT - 1  # the copy index has 15 bits in the payload
MAX_TRACE_SECONDS = 300.0  # a leak longer than this is read from its first five minutes


@dataclass(frozen=True)
class TracedCopy:
    """The ledger's record of the disk a mark names."""

    grant_id: str
    copy_index: int
    replacement: bool
    licence_id: str
    serial_masked: str
    run_id: str
    station_id: str
    made_at: float


@dataclass(frozen=True)
class Trace:
    found: bool
    payload: Payload | None
    confidence: float  # the sync correlation, in noise standard deviations
    seconds: float  # how much audio was read
    copies: tuple[TracedCopy, ...]  # the ledger's disks for the payload (one, normally)
    grant_id: str | None  # the ledger's grant whose tag the payload carries


class MarkingService:
    def __init__(self, parts: Parts) -> None:
        self._parts = parts

    @property
    def cache_dir(self) -> Path:
        return self._parts.config.data_dir / "watermark"

    def key(self) -> bytes:
        ks = self._parts.keystore
        if not ks.has_station():
            raise SetupError("This station has no keys; run 'pressroom keys init --demo' first.")
        return ks.watermark_key()

    def check(self, job: Job) -> Job:
        """Refuse at once what cannot be marked (no decoding: cheap enough for any thread);
        ``job`` with the watermark key attached when any track is marked."""
        # Loaded on use: the signal work (numpy, scipy) is for marked runs only.
        from pressroom.watermark import audio

        if not job.marked:
            return job
        grant = self._parts.ledger.get_grant(job.grant_id).grant
        most = max(grant.copies, grant.replacements)
        if most > MAX_MARKED_COPIES:
            raise UsageError(
                f"A watermark names at most {MAX_MARKED_COPIES} copies of a grant; "
                f"this grant allows {most}."
            )
        for t in job.tracks:
            if t.rights.marked and t.duration is not None and t.duration < MIN_SECONDS:
                raise UsageError(
                    f"{t.title} is {t.duration:.0f} s long; a watermark needs at least "
                    f"{MIN_SECONDS:.0f} s of audio to be read back."
                )
        try:
            audio.ffmpeg()
        except audio.AudioError as exc:
            raise SetupError(f"Copies cannot be watermarked here: {exc}") from None
        return replace(job, mark_key=self.key())

    def prepare_variants(self, job: Job, report: Callable[[str], None] | None = None) -> Job:
        """``job`` (checked) with the A/B variants of every marked track attached, made where
        the cache in the data dir lacks them: decoding and marking, seconds per track. A
        run calls this as its step before the disks, in its own thread, reporting
        "Preparing marked tracks 2 of 5" before each track."""
        from pressroom.watermark import audio, flac
        from pressroom.watermark.variants import prepare

        key = job.mark_key
        if not job.marked:
            return job
        if key is None:
            raise SetupError("The watermark key was not attached to this job.")
        total = sum(t.rights.marked for t in job.tracks)
        tracks = []
        for t in job.tracks:
            if not t.rights.marked:
                tracks.append(t)
                continue
            if report is not None:
                done = sum(u.mark is not None for u in tracks)
                report(f"Preparing marked tracks {done + 1} of {total}")
            try:
                variants = prepare(key, t.path, t.content_hash, self.cache_dir)
            except (audio.AudioError, flac.FlacError) as exc:
                raise UsageError(f"{t.title} cannot be watermarked: {exc}") from None
            except OSError as exc:
                raise SetupError(
                    f"The watermarked variants of {t.title} cannot be written in "
                    f"{self.cache_dir} ({exc.strerror or exc})."
                ) from None
            tracks.append(replace(t, mark=variants))
        return replace(job, tracks=tuple(tracks))

    def prepare(self, job: Job) -> Job:
        """:meth:`check` and :meth:`prepare_variants` on the caller's thread (benchmarks
        prepare before they time a run)."""
        return self.prepare_variants(self.check(job))

    def export_key(self, out: Path) -> None:
        """Write the tracing key (hex, mode 0600) for a rights holder's ``trace --key-file``.

        It lets its holder read and also forge this station's marks; it does not reveal
        the station's signing key (it is a one-way hash of it)."""
        write_private(out, self.key().hex().encode() + b"\n")

    def trace(
        self, path: Path, *, key_file: Path | None = None, reports: Sequence[Path] = ()
    ) -> Trace:
        """Read the mark of a leaked file or excerpt and name its copy through the ledger,
        or through station reports (JSON) when given: a rights holder's way, with a
        tracing key exported by the station and no ledger of their own."""
        from pressroom.watermark import audio, detect

        if not path.is_file():
            raise UsageError(f"{path} is not a file.")
        key = read_key_file(key_file) if key_file is not None else self.key()
        report_disks = [d for r in reports for d in read_report_disks(r)]
        try:
            mono = audio.decode(path, channels=1, seconds=MAX_TRACE_SECONDS)[:, 0]
        except audio.AudioError as exc:
            raise UsageError(str(exc)) from None
        found = detect.detect(key, mono)
        if found.payload is None:
            return Trace(False, None, found.sync_z, found.seconds, (), None)
        payload = found.payload
        if reports:
            disks = report_disks
            grant_ids = sorted({d.grant_id for d in disks if d.grant_id})
        else:
            ledger = self._parts.ledger
            disks = ledger.disks()
            grant_ids = [g.grant_id for g in ledger.grants()]
        grant_ids = [g for g in grant_ids if grant_tag(g) == payload.grant_tag]
        copies = tuple(
            _traced(d, payload.replacement)
            for d in disks
            if d.result == "pass" and d.grant_id in grant_ids and d.copy_index == payload.index
        )
        grant = grant_ids[0] if len(grant_ids) == 1 else None
        return Trace(True, payload, found.sync_z, found.seconds, copies, grant)


MAX_REPORT_BYTES = 256 << 20
MAX_KEY_FILE_BYTES = 1024


def read_key_file(path: Path) -> bytes:
    """A tracing key written by ``export_key``: 64 hex digits."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"The tracing key {path} cannot be read ({exc.strerror}).") from None
    text = raw.decode("ascii", errors="replace").strip()
    if len(raw) > MAX_KEY_FILE_BYTES or not re.fullmatch(r"[0-9a-f]{64}", text):
        raise UsageError(f"{path} is not a tracing key (64 hex digits).")
    return bytes.fromhex(text)


def read_report_disks(path: Path) -> list[DiskRecord]:
    """The disks of a station report (``pressroom report --format json``), checked field by
    field: a report is input from elsewhere. Its signature is not checked here."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"The report {path} cannot be read ({exc.strerror}).") from None
    if len(raw) > MAX_REPORT_BYTES:
        raise UsageError(f"The report {path} is larger than {MAX_REPORT_BYTES >> 20} MB.")
    try:
        data = json.loads(raw)
        rows = data["disks"]
        if not isinstance(rows, list):
            raise TypeError
        return [_report_disk(row) for row in rows]
    except (ValueError, KeyError, TypeError):
        raise UsageError(f"{path} is not a Pressroom report in JSON.") from None


def _report_disk(row: object) -> DiskRecord:
    if not isinstance(row, dict):
        raise TypeError

    def text(name: str) -> str:
        value = row.get(name) or ""
        if not isinstance(value, str):
            raise TypeError
        return value

    index = row.get("copy_index")
    when = row.get("finished_at", 0.0)
    if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
        raise TypeError
    if isinstance(when, bool) or not isinstance(when, int | float):
        raise TypeError
    return DiskRecord(
        result="pass" if text("result") == "pass" else "fail",
        started_at=float(when),
        finished_at=float(when),
        licence_id=text("licence_id"),
        run_id=text("run_id"),
        serial_masked=text("serial_masked"),
        station_id=text("station_id"),
        grant_id=text("grant_id"),
        copy_index=index,
    )


def _traced(d: DiskRecord, replacement: bool) -> TracedCopy:
    return TracedCopy(
        grant_id=d.grant_id or "",
        copy_index=d.copy_index or 0,
        replacement=replacement,
        licence_id=d.licence_id or "",
        serial_masked=d.serial_masked,
        run_id=d.run_id or "",
        station_id=d.station_id,
        made_at=d.finished_at,
    )
