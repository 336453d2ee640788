"""One disk, start to finish: the design's per-disk pipeline as small stages.

identify -> judge -> check space -> reserve -> clean -> write (temporary names, fsync
file and directory, flush the volume) -> drop every cached copy and read back from the
medium, authenticating every chunk -> licence last (durable the same way) -> read the
licence back and check it as a player would -> commit -> (eject).

Each disk's result says how its read-back reached the medium (``cache_mode``); where
nothing could prove it, the disk says "verified from cache only", and with
``verify_mode = "strict"`` it fails instead.

Any failure removes what this pipeline wrote, releases the reservation, and ends the
disk as FAIL with one sentence. Nothing counts until the licence on the media verifies.

When the ledger cannot be reached, the disk waits where that is safe (before reserving,
before committing or settling) and tries again (``engine.outage``). A disk whose licence
verified is never wiped because its commit failed: the commit is journalled
("licence-verified", with the disk's record) and completed at the next start.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import io
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from pressroom.drives.base import (
    FROM_MEDIA,
    Drive,
    DriveProvider,
    Volume,
    max_file_size,
    weakest_cache_mode,
)
from pressroom.engine.events import DiskProgress, DiskState, Stage
from pressroom.engine.job import Job, JobTrack
from pressroom.engine.journal import Journal
from pressroom.engine.outage import DEFAULT_BACKOFF, Backoff, StillUnreachable, until_reachable
from pressroom.engine.sources import SharedSources, SourceReader
from pressroom.ledger.copies import DEFAULT_LEASE_SECONDS
from pressroom.ledger.errors import LedgerUnreachable, StaleReservation
from pressroom.ledger.models import DiskRecord, Reservation
from pressroom.secure.container import (
    HEADER_LEN,
    TAG_LEN,
    SealedTrack,
    encrypt_track,
    iter_plaintext,
    read_header,
)
from pressroom.secure.errors import IdentityRefused, SecureError
from pressroom.secure.identity import DiskIdentity, serial_hash
from pressroom.secure.licence import (
    DISK_DIR,
    LICENCE_FILE,
    TRACKS_DIR,
    DiskBinder,
    TrackEntry,
    parse_licence,
    track_file,
    track_metadata,
)
from pressroom.secure.verifier import check_licence
from pressroom.watermark.code import Payload, grant_tag
from pressroom.watermark.flac import FlacError
from pressroom.watermark.variants import MarkedCopy

if TYPE_CHECKING:
    from pathlib import Path

    from pressroom.drives.identity import Verdict
    from pressroom.ledger.store import Ledger
    from pressroom.secure.cert import StationCert

# Outcomes that are not a failed disk: nothing was tried on it, so the ledger records nothing.
NOT_ATTEMPTED = frozenset({"cancelled", "has-licence"})
LICENCE_ALLOWANCE = 1 << 20  # bytes kept free for the licence and directory entries
PART = ".part"
COMMIT_PENDING = "commit-pending"  # made and verified; the journal records its copy later


class DiskFailed(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Cancelled(Exception):
    pass


# Called once a disk's tracks are durable (fsync, directory fsync, volume flush) and before
# they are read back: the seam the media tests use to corrupt a disk behind the engine's back.
DurableHook = Callable[[Drive, Volume, list[str]], None]


@dataclass
class StationMaterial:
    """Keys and signed objects the pipeline needs; loaded once per run."""

    station_id: str
    station_key: Ed25519PrivateKey
    station_cert: bytes
    grant_raw: bytes
    player: X25519PublicKey
    publishers: dict[bytes, Ed25519PublicKey]
    revocations: bytes | None


@dataclass
class PipelineContext:
    job: Job
    run_id: str
    ledger: Ledger
    journal: Journal
    provider: DriveProvider
    material: StationMaterial
    cancel: threading.Event
    emit: Callable[[DiskProgress], None]
    bus_slot: AbstractContextManager[object]  # the bus's admission (engine/busgate.py)
    verify_mode: str = "media"  # media | strict (pressroom.drives.base.VERIFY_MODES)
    chunk_size: int = 256 << 10
    after_durable_write: DurableHook | None = None
    backoff: Backoff = DEFAULT_BACKOFF
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    sources: SharedSources | None = None  # the run's shared source reads (engine/sources.py)
    # admits a few of the run's disks at once to the bookkeeping stages (identify, space,
    # reservation; sealing and checking the licence; commit): Python, not disk I/O, and a
    # tower's disks start and finish together, so more threads there only queue for the
    # GIL, ahead of the window's thread (engine/run.py: BOOKKEEPING)
    stage_gate: AbstractContextManager[object] | None = None


def track_file_size(size: int, chunk: int) -> int:
    return HEADER_LEN + size + max(1, -(-size // chunk)) * TAG_LEN


class _Meter:
    """Bytes and rate for the current stage, as progress events.

    Called once per chunk (thousands of times a second on a fast disk) with the GIL held;
    building and emitting an event each time cost more GIL time than encrypting the chunk,
    so an event is built at most every ``INTERVAL`` (the run passes ~10 a second anyway).
    """

    INTERVAL = 0.05

    def __init__(self, pipeline: DiskPipeline, stage: Stage, base: int, total: int):
        self.p, self.stage, self.base, self.total = pipeline, stage, base, total
        self.done = 0
        self.t0 = self.last = time.monotonic()

    def __call__(self, n: int) -> None:
        if self.p.ctx.cancel.is_set():
            raise Cancelled()
        self.done += n
        now = time.monotonic()
        if now - self.last < self.INTERVAL:
            return
        self.last = now
        elapsed = max(1e-6, now - self.t0)
        rate = self.done / elapsed
        left = (self.p.bytes_total - self.base - self.done) / rate if rate else None
        self.p.update(
            stage=self.stage, bytes_done=self.base + self.done, mbps=rate / 1e6, eta_seconds=left
        )


class DiskPipeline:
    def __init__(
        self, ctx: PipelineContext, drive: Drive, *, verdict: Verdict | None, overwrite: bool
    ):
        self.ctx = ctx
        self.drive = drive
        self.verdict = verdict
        self.overwrite = overwrite  # the operator chose this disk again: old files may go
        self.reservation: Reservation | None = None
        self.licence_id: bytes | None = None
        self.identity: DiskIdentity | None = None
        self.volume: Volume | None = None
        self.wrote_anything = False
        self.licence_started = False
        self.started = time.time()
        self.write_seconds = 0.0
        self.verify_seconds = 0.0
        self.cache_modes: list[str] = []  # one per file read back
        self.cache_note = ""  # why a read-back could only come from the cache
        self.made: DiskRecord | None = None  # the licence verified: this record is to commit
        self.unsettled = False  # a reservation is left open for the journal to settle
        chunk = ctx.chunk_size
        self.payload = sum(track_file_size(t.delivered_size, chunk) for t in ctx.job.tracks)
        self.bytes_total = 2 * sum(t.delivered_size for t in ctx.job.tracks)
        self.progress = DiskProgress(
            drive_id=drive.id,
            label=drive.label,
            port=drive.port_path,
            state=DiskState.RUNNING,
            stage=Stage.IDENTIFY,
            bytes_total=self.bytes_total,
            verdict=getattr(verdict, "code", ""),
        )

    # --- events ---------------------------------------------------------------------------

    def update(self, **changes: Any) -> None:
        self.progress = replace(self.progress, at=time.monotonic(), **changes)
        self.ctx.emit(self.progress)

    # --- the run --------------------------------------------------------------------------

    def run(self) -> DiskProgress:
        gate = self.ctx.stage_gate or contextlib.nullcontext()
        try:
            self.update(stage=Stage.QUEUED)  # started: until two disks' bookkeeping allow it
            with gate:
                self.identify()
                self.check_space()
                self.reserve()
            self.update(stage=Stage.QUEUED)  # until its hub takes one more disk
            with self.ctx.bus_slot:
                self.clean()
                entries, binder = self.write_and_verify_tracks()
                self.write_licence(binder, entries)  # its Python parts are gated inside
        except Cancelled:
            self.fail("cancelled", "Stopped by the operator; nothing was counted.", cancelled=True)
        except DiskFailed as exc:
            self.fail(exc.code, exc.reason)
        except SecureError as exc:
            self.fail(exc.code, str(exc))
        except OSError as exc:
            self.fail(*describe_os_error(exc, self.drive))
        except LedgerUnreachable as exc:  # a ledger call outside the waiting points
            self.fail("ledger-unreachable", str(exc))
        except Exception as exc:  # a bug must fail this disk, not the whole run
            self.fail("internal", f"Internal error ({type(exc).__name__}: {exc}).")
        else:
            with gate:
                self.finish_made()
        return self.progress

    def finish_made(self) -> None:
        """Commit a disk whose licence verified; whatever happens, the disk is not wiped."""
        try:
            record = self.commit()
        except StillUnreachable as exc:
            self.leave_for_journal(
                "Made and verified, but the run was stopped while the ledger could not be "
                f"reached; the copy is recorded from the journal at the next start ({exc}).",
                DiskState.CANCELLED,
            )
            return
        except Exception as exc:
            self.leave_for_journal(
                f"Made and verified, but recording it failed ({type(exc).__name__}: {exc}); "
                "the copy is recorded from the journal at the next start.",
                DiskState.FAIL,
            )
            return
        self.update(
            state=DiskState.PASS,
            stage=Stage.DONE,
            bytes_done=self.bytes_total,
            eta_seconds=0.0,
            licence_id=record.licence_id,
            copy_index=record.copy_index,
            reason=self.cache_only_warning(),
            reason_code="" if self.from_media else "cache-only",
        )
        if self.ctx.job.eject_when_done:
            self.try_eject()

    def leave_for_journal(self, reason: str, state: DiskState) -> None:
        self.unsettled = True
        self.update(state=state, reason=reason, reason_code=COMMIT_PENDING, eta_seconds=None)

    def waiting(self, sentence: str) -> None:
        """Shown on the disk's card while a ledger call waits for the database."""
        self.update(reason=sentence, mbps=0.0, eta_seconds=None)

    def with_ledger(self, call: Callable[[], Any]) -> Any:
        result = until_reachable(
            call, cancel=self.ctx.cancel, backoff=self.ctx.backoff, waiting=self.waiting
        )
        if self.progress.reason:
            self.update(reason="")
        return result

    # --- stages ---------------------------------------------------------------------------

    def identify(self) -> None:
        self.update(stage=Stage.IDENTIFY)
        d = self.drive
        if self.verdict is not None and not self.verdict.ok:
            raise DiskFailed(f"identity-{self.verdict.code}", self.verdict.reason)
        if d.vendor_id is None or d.product_id is None:
            raise DiskFailed("identity-missing", "The disk has no USB identity to bind to.")
        try:
            self.identity = DiskIdentity.of(d.vendor_id, d.product_id, d.serial, d.capacity)
        except IdentityRefused as exc:
            raise DiskFailed("identity-refused", str(exc)) from None
        self.update(serial_masked=self.identity.masked_serial())
        if d.read_only:
            raise DiskFailed("read-only", "The disk is write-protected (read-only).")

    def check_space(self) -> None:
        self.update(stage=Stage.CHECK_SPACE)
        self.volume = self.ctx.provider.open_volume(self.drive)
        if self.volume.exists(LICENCE_FILE) and not self.overwrite:
            raise DiskFailed(
                "has-licence",
                "The disk already holds a finished Pressroom copy; choose Retry to overwrite it.",
            )
        self.check_file_limit()
        existing = self._existing_bytes()
        need = self.payload + LICENCE_ALLOWANCE
        free = self.volume.free_space() + existing
        if free < need:
            raise DiskFailed(
                "too-small",
                f"The disk has {free / 1e6:.1f} MB free but the tracks need {need / 1e6:.1f} MB.",
            )

    def check_file_limit(self) -> None:
        """FAT holds files below 4 GiB: refuse a larger track before anything is written."""
        limit = max_file_size(self.drive.filesystem)
        if limit is None:
            return
        chunk = self.ctx.chunk_size
        for track in self.ctx.job.tracks:
            size = track_file_size(track.size, chunk)
            if size > limit:
                raise DiskFailed(
                    "file-too-large",
                    f"Track {track.title!r} needs {size / 2**30:.2f} GiB as one file, but the "
                    f"disk's {self.drive.filesystem.upper()} file system holds at most "
                    "4 GiB - 1 byte per file; use an exFAT or NTFS disk.",
                )

    def _existing_bytes(self) -> int:
        assert self.volume is not None
        total = 0
        for rel in (LICENCE_FILE,):
            if self.volume.exists(rel):
                total += self.volume.size(rel)
        if self.volume.exists(TRACKS_DIR):
            for name in self.volume.listdir(TRACKS_DIR):
                total += self.volume.size(f"{TRACKS_DIR}/{name}")
        return total

    def reserve(self) -> None:
        self.update(stage=Stage.RESERVE)
        job = self.ctx.job
        try:
            res = self.with_ledger(
                lambda: self.ctx.ledger.reserve(
                    job.grant_id,
                    run_id=self.ctx.run_id,
                    drive_id=self.drive.id,
                    kind=job.kind,
                    station_id=self.ctx.material.station_id,
                    lease_seconds=self.ctx.lease_seconds,
                )
            )
        except StillUnreachable:
            raise Cancelled() from None
        if res is None:
            raise DiskFailed(
                "grant-exhausted", "The grant has no copies left; nothing was written."
            )
        self.reservation = res
        self.licence_id = uuid.uuid4().bytes
        self.ctx.journal.record(
            "reserved",
            drive_id=self.drive.id,
            reservation_id=res.id,
            licence=self.licence_id.hex(),
            identity=self.identity.hash().hex() if self.identity else None,
        )
        self.update(copy_index=res.copy_index)

    def clean(self) -> None:
        self.update(stage=Stage.CLEAN)
        assert self.volume is not None and self.reservation is not None
        if self.volume.exists(DISK_DIR):
            try:
                self.volume.remove(LICENCE_FILE)  # first, so no half-state ever verifies
                self.volume.sync_dir(DISK_DIR)
            except OSError as exc:
                # PRESSROOM is a link, a file or a special file: it holds no licence of
                # this disk, and is removed (never followed) just below.
                if exc.errno not in (errno.ELOOP, errno.ENOTDIR, errno.EINVAL):
                    raise
            self.volume.remove_tree(DISK_DIR)
        self.volume.makedirs(TRACKS_DIR)

    def write_and_verify_tracks(self) -> tuple[list[TrackEntry], DiskBinder]:
        assert self.volume and self.identity and self.licence_id
        binder = DiskBinder(
            self.identity,
            self.ctx.material.player,
            licence_id=self.licence_id,
            chunk_size=self.ctx.chunk_size,
        )
        sealed: list[tuple[JobTrack, str, bytes, SealedTrack, bytes | None]] = []
        total_plain = self.bytes_total // 2
        meter = _Meter(self, Stage.WRITE, 0, total_plain)
        self.update(stage=Stage.WRITE, bytes_done=0)
        t0 = time.monotonic()
        for index, track in enumerate(self.ctx.job.tracks):
            rel = track_file(index)
            if track.rights.marked:  # never written unmarked, even without its variants
                copy = self.marked_copy(track)
                key, header = binder.new_track(track.track_id, copy.size)
                self.wrote_anything = True
                with copy, self.volume.open_write(rel + PART) as out:
                    try:
                        result = encrypt_track(copy, out, key, header, progress=meter)
                    except FlacError:
                        raise DiskFailed(
                            "source-changed",
                            f"The prepared watermark variants of {track.title} changed "
                            "during the run.",
                        ) from None
                    out.sync()
                sealed.append((track, rel, key, result, copy.sha256()))
                continue
            key, header = binder.new_track(track.track_id, track.size)
            self.wrote_anything = True
            try:
                src = self.open_source(track.path)
            except OSError as exc:
                raise DiskFailed(
                    "source-missing",
                    f"The source track {track.path} cannot be read ({exc.strerror}).",
                ) from None
            with src, self.volume.open_write(rel + PART) as out:
                if _source_size(src) != track.size:
                    raise DiskFailed(
                        "source-changed",
                        f"The source track {track.path.name} changed since it was imported.",
                    )
                result = encrypt_track(src, out, key, header, progress=meter)
                out.sync()
            sealed.append((track, rel, key, result, None))
        self.volume.sync_dir(TRACKS_DIR)
        self.volume.flush()
        self.write_seconds = time.monotonic() - t0
        if self.ctx.after_durable_write is not None:
            written = [rel + PART for _track, rel, _key, _result, _h in sealed]
            self.ctx.after_durable_write(self.drive, self.volume, written)

        self.update(stage=Stage.VERIFY, bytes_done=total_plain, mbps=0.0)
        meter = _Meter(self, Stage.VERIFY, total_plain, total_plain)
        t0 = time.monotonic()
        entries: list[TrackEntry] = []
        for track, rel, key, result, marked_hash in sealed:
            entry = binder.entry(
                file=rel,
                track_key=key,
                sealed=result,
                rights=track.rights,
                plain_sha256=marked_hash,
                **track_metadata(replace(track, format="flac") if marked_hash else track),
            )
            # decrypt with the key a player will unwrap, not the one kept in memory
            self.read_back(rel + PART, entry, binder.unwrap(entry), meter)
            entries.append(entry)
        self.require_media_proof()
        for _track, rel, _key, _result, _h in sealed:
            self.volume.rename(rel + PART, rel)
        self.volume.sync_dir(TRACKS_DIR)
        self.verify_seconds = time.monotonic() - t0
        return entries, binder

    def open_source(self, path: Path) -> io.FileIO | SourceReader:
        """The plaintext of a source track: shared with the run's other disks where the
        run offers it (read once), else this disk's own file."""
        if self.ctx.sources is not None:
            return self.ctx.sources.open(path)
        return io.FileIO(path, "rb")

    def marked_copy(self, track: JobTrack) -> MarkedCopy:
        """This disk's watermarked copy of ``track``: its payload names the grant and the
        copy index just reserved; reading it is a byte copy of the prepared variants."""
        assert self.reservation is not None
        key = self.ctx.job.mark_key
        if track.mark is None:
            raise DiskFailed("mark-key", f"The watermark variants of {track.title} are missing.")
        if key is None:
            raise DiskFailed("mark-key", "The watermark key of this station is missing.")
        payload = Payload.for_copy(
            grant_tag(self.ctx.job.grant_id),
            self.reservation.copy_index,
            replacement=self.reservation.kind == "replacement",
        )
        try:
            return MarkedCopy(key, track.mark, payload)
        except OSError as exc:
            raise DiskFailed(
                "source-missing",
                f"The prepared watermark variants of {track.title} cannot be read "
                f"({exc.strerror}).",
            ) from None

    def read_back(self, rel: str, entry: TrackEntry, key: bytes, meter: _Meter) -> None:
        """Authenticate every chunk from the media, as a player would."""
        assert self.volume is not None
        name = entry.file.rsplit("/", 1)[-1]
        digest = hashlib.sha256()
        chunks = 0
        try:
            with self.volume.open_read(rel, uncached=True) as fh:
                self.note_cache_mode(fh)
                header, hbytes = read_header(fh, rel)
                if hashlib.sha256(hbytes).digest() != entry.header_sha256:
                    raise DiskFailed(
                        "verify-header",
                        f"Read-back check failed: the header of track {name} came back "
                        "different from what was written; the disk may be faulty or counterfeit.",
                    )
                for plain in iter_plaintext(fh, key, header, hbytes, rel):
                    digest.update(plain)
                    chunks += 1
                    meter(len(plain))
        except SecureError as exc:
            chunk = re.search(r"chunk \d+ of \d+", str(exc))
            where = f"{name}, {chunk.group(0)}" if chunk else name
            raise DiskFailed(
                exc.code,
                f"Read-back check failed ({where}): the disk returned other data than was "
                "written; it may be faulty or counterfeit.",
            ) from None
        if digest.digest() != entry.plain_sha256 or chunks != entry.chunks:
            raise DiskFailed(
                "verify-hash",
                f"Track {name} read back does not match its catalog source "
                "(was the source file changed since it was imported?).",
            )

    def note_cache_mode(self, reader: Any) -> None:
        """Remember how this read-back reached the medium, and show it on the disk."""
        mode = getattr(reader, "cache_mode", "cache-only")
        self.cache_modes.append(mode)
        if mode not in FROM_MEDIA and not self.cache_note:
            self.cache_note = getattr(reader, "why_cache_only", "") or "no way to reach the medium"
        self.update(cache_mode=weakest_cache_mode(self.cache_modes))

    @property
    def from_media(self) -> bool:
        return bool(self.cache_modes) and all(m in FROM_MEDIA for m in self.cache_modes)

    def require_media_proof(self) -> None:
        """Under ``verify_mode = "strict"`` a read-back that only reached the cache fails."""
        if self.ctx.verify_mode == "strict" and not self.from_media:
            raise DiskFailed(
                "verify-cache-only",
                "The read-back could only come from the page cache "
                f"({self.cache_note}), and this station requires verification from the media.",
            )

    def cache_only_warning(self) -> str:
        if self.from_media:
            return ""
        return f"Verified from cache only: {self.cache_note}."

    def write_licence(self, binder: DiskBinder, entries: list[TrackEntry]) -> None:
        assert self.volume and self.reservation
        self.update(stage=Stage.LICENCE)
        m = self.ctx.material
        gate = self.ctx.stage_gate or contextlib.nullcontext()  # the Python parts, not the I/O
        with gate:
            data = binder.seal_licence(
                m.station_key,
                station_cert=m.station_cert,
                grant=m.grant_raw,
                copy_index=self.reservation.copy_index,
                issued_at=int(time.time()),
                tracks=entries,
                kind=self.ctx.job.kind,
                replaces=self.ctx.job.replaces,
                revocations=m.revocations,
            )
            self.claim_licence_stage()
            self.ctx.journal.record(
                "licence-writing", drive_id=self.drive.id, reservation_id=self.reservation.id
            )
        self.licence_started = True
        with self.volume.open_write(LICENCE_FILE + PART) as out:
            out.write(data)
            out.sync()
        self.volume.rename(LICENCE_FILE + PART, LICENCE_FILE)
        self.volume.sync_dir(DISK_DIR)
        self.volume.flush()
        self.ctx.journal.record(
            "licence-written", drive_id=self.drive.id, reservation_id=self.reservation.id
        )
        with self.volume.open_read(LICENCE_FILE, uncached=True) as fh:
            self.note_cache_mode(fh)
            back = fh.read(len(data) + 1)  # a disk that returns more is refused, not buffered
        self.require_media_proof()
        if back != data:
            raise DiskFailed("verify-licence", "The licence read back from the disk differs.")
        with gate:
            env, lic = parse_licence(back)

            def signer_ok(cert: StationCert) -> None:
                env.verify(cert.station_key, "licence")

            check_licence(lic, signer_ok, m.publishers, (m.revocations,))
            self.made = self.record("pass", "")
            self.ctx.journal.record(
                "licence-verified",
                drive_id=self.drive.id,
                reservation_id=self.reservation.id,
                record=record_json(self.made),
            )

    def claim_licence_stage(self) -> None:
        """Tell the ledger a licence may exist from now on (a lease settled by another
        station then burns the copy instead of releasing it); refused if the copy was
        settled meanwhile, and then no licence is written."""
        res = self.reservation
        assert res is not None
        try:
            self.with_ledger(
                lambda: self.ctx.ledger.licence_stage(res, lease_seconds=self.ctx.lease_seconds)
            )
        except StillUnreachable:
            raise Cancelled() from None
        except StaleReservation:
            self.reservation = None  # settled by another station: nothing left to settle
            raise DiskFailed(
                "lease-lost",
                "Another station settled this disk's copy after its lease expired "
                "(the ledger was out of reach too long); nothing was counted.",
            ) from None

    def commit(self) -> DiskRecord:
        assert self.reservation and self.made
        self.update(stage=Stage.COMMIT)
        reservation, record = self.reservation, self.made
        stored: DiskRecord = self.with_ledger(lambda: self.ctx.ledger.commit(reservation, record))
        self.ctx.journal.record(
            "settled", drive_id=self.drive.id, reservation_id=self.reservation.id, outcome="commit"
        )
        self.reservation = None
        return stored

    # --- failure --------------------------------------------------------------------------

    def fail(self, code: str, reason: str, *, cancelled: bool = False) -> None:
        cleanup_note = self.cleanup()
        if cleanup_note:
            reason = f"{reason} ({cleanup_note})"
        record = self.record("fail", reason, code)
        try:
            if self.reservation is not None:
                # A licence that may still be on the disk keeps its copy counted (burned);
                # otherwise the copy and its index go back to the grant.
                licence_may_remain = self.licence_started and bool(cleanup_note)
                settle = self.ctx.ledger.burn if licence_may_remain else self.ctx.ledger.release
                res, why = self.reservation, reason
                self.with_ledger(lambda: settle(res, why, disk=record))
                self.ctx.journal.record(
                    "settled",
                    drive_id=self.drive.id,
                    reservation_id=self.reservation.id,
                    outcome="burn" if licence_may_remain else "release",
                )
                self.reservation = None
            elif code not in NOT_ATTEMPTED:
                self.ctx.ledger.record_failure(record)
        except StillUnreachable as exc:  # stopped while waiting: the journal settles it later
            self.unsettled = True
            reason = f"{reason} (not recorded yet, the next start settles it: {exc})"
        except Exception as exc:  # the journal lets the next start settle it
            self.unsettled = self.reservation is not None
            reason = f"{reason} (not recorded: {exc})"
        self.update(
            state=DiskState.CANCELLED if cancelled else DiskState.FAIL,
            reason=reason,
            reason_code=code,
            eta_seconds=None,
            mbps=0.0,
        )

    def cleanup(self) -> str:
        """Remove what this pipeline wrote; a licence goes first so nothing half-made verifies."""
        if self.volume is None or not self.wrote_anything:
            return ""
        try:
            self.volume.remove(LICENCE_FILE + PART)
            self.volume.remove(LICENCE_FILE)
            self.volume.remove_tree(DISK_DIR)
        except OSError as exc:
            if exc.errno in (errno.ENODEV, errno.ENOENT, errno.EIO):
                return "partial files stay on the removed disk and do not verify"
            return f"partial files could not be removed: {exc.strerror or exc}"
        if self.reservation is not None:  # no licence can remain: the journal may say so
            self.ctx.journal.record(
                "wiped", drive_id=self.drive.id, reservation_id=self.reservation.id
            )
        return ""

    def record(self, result: str, reason: str, code: str = "") -> DiskRecord:
        d = self.drive
        payload = self.bytes_total // 2
        return DiskRecord(
            result=result,  # type: ignore[arg-type]
            started_at=self.started,
            finished_at=time.time(),
            licence_id=self.licence_id.hex() if self.licence_id and result == "pass" else None,
            run_id=self.ctx.run_id,
            slot=d.port_path,
            drive_id=d.id,
            identity_hash=self.identity.hash().hex() if self.identity else None,
            serial_hash=serial_hash(d.serial) if d.serial else None,
            serial_masked=self.identity.masked_serial() if self.identity else "",
            vendor=d.vendor,
            product=d.product,
            capacity=d.capacity,
            tracks=tuple(t.content_hash for t in self.ctx.job.tracks),
            bytes=payload if result == "pass" else 0,
            reason=reason,
            reason_code=code,
            write_seconds=self.write_seconds or None,
            verify_seconds=self.verify_seconds or None,
            mb_per_s=round(payload / self.write_seconds / 1e6, 2) if self.write_seconds else None,
            operator=self.ctx.job.operator,
            station_id=self.ctx.material.station_id,
        )

    def try_eject(self) -> None:
        try:
            self.ctx.provider.eject(self.drive)
        except Exception as exc:
            self.update(
                reason=f"Made and verified, but could not eject: {exc}", reason_code="eject-failed"
            )


def _file_size(fh: BinaryIO) -> int:
    return os.fstat(fh.fileno()).st_size


def _source_size(src: io.FileIO | SourceReader) -> int:
    return src.size if isinstance(src, SourceReader) else os.fstat(src.fileno()).st_size


def describe_os_error(exc: OSError, drive: Drive) -> tuple[str, str]:
    """One sentence an operator understands for the errno of a failed write or read."""
    e = exc.errno
    if e == errno.ENOSPC:
        return "disk-full", "The disk ran out of space while writing."
    if e == errno.EROFS:
        return "read-only", "The disk is write-protected (read-only)."
    if e == errno.ENODEV or (e in (errno.ENXIO, errno.ENOENT) and not drive_present(drive)):
        return "removed", "The disk was removed before it was finished; nothing was counted."
    if e == errno.EIO:
        return (
            "io-error",
            f"The disk reported a write or read error: {exc.strerror or 'I/O error'}.",
        )
    if e == errno.EACCES or e == errno.EPERM:
        return "permission", f"The station may not write to this disk ({exc.strerror})."
    return "io-error", f"The disk failed: {exc.strerror or exc}."


def drive_present(drive: Drive) -> bool:
    return drive.mount_point is not None and drive.mount_point.exists()


def record_json(record: DiskRecord) -> str:
    """A disk record as one JSON string for the journal (read by :func:`record_from_json`)."""
    return json.dumps(dataclasses.asdict(record), sort_keys=True)


def record_from_json(text: str | None) -> DiskRecord | None:
    """The record a "licence-verified" journal line carries, or None when unreadable."""
    if not text:
        return None
    try:
        raw = json.loads(text)
        raw["tracks"] = tuple(raw.get("tracks") or ())
        record = DiskRecord(**raw)
    except (ValueError, TypeError, AttributeError):
        return None
    return record if record.result == "pass" and record.licence_id else None
