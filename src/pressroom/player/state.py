"""The play state kept on the disk itself: PRESSROOM/state.prs (docs/SECURITY.md, "The player").

Per-track play counts, a write sequence number and a clock high-water mark, MACed with
HMAC-SHA256 under a key derived from the disk-bound binding key (:mod:`.keys`). Editing
the file, forging one, or copying one from another disk all fail the MAC. Rolling the
file back to an older genuine copy does *not* fail the MAC: only a player's own memory
(:mod:`.memory`) can notice that.

File: canonical CBOR ``{"body": bytes, "mac": bytes}``, body = canonical CBOR
``{"v": 1, "licence_id", "seq", "clock", "plays": {track file: count}}``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from pressroom.secure import canonical
from pressroom.secure.diskfs import DiskRoot, MediaError, MediaMissing
from pressroom.secure.errors import FormatError, IntegrityError
from pressroom.secure.licence import DISK_DIR

STATE_FILE = f"{DISK_DIR}/state.prs"
MAX_STATE_BYTES = 1 << 20


class StateStore(Protocol):
    """Where the state bytes live: a file on the disk, or memory in tests."""

    def read(self) -> bytes | None: ...

    def write(self, data: bytes) -> None: ...


@dataclass(frozen=True)
class DiskStateFile:
    """``PRESSROOM/state.prs`` under a disk's mount point, replaced atomically.

    Read and written only through :class:`DiskRoot` (secure/diskfs.py): a link at
    ``state.prs`` or ``state.prs.tmp`` (or at ``PRESSROOM``) is never followed, a FIFO
    or device there is refused without blocking, and a file over ``MAX_STATE_BYTES`` is
    refused before it is read.
    """

    root: Path

    @property
    def path(self) -> Path:
        return self.root / STATE_FILE

    def read(self) -> bytes | None:
        """The state bytes, None when there is no state yet.

        Anything but a regular file is refused with the disk reader's own code
        (``symlink``, ``fifo``, ``device``, ``directory``...); an oversized one is altered.
        """
        try:
            with DiskRoot(self.root) as disk:
                return disk.read_bytes(STATE_FILE, MAX_STATE_BYTES)
        except MediaMissing:
            return None
        except MediaError as exc:
            if exc.code == "too-large":
                raise _altered("the file is implausibly large") from None
            raise

    def write(self, data: bytes) -> None:
        """tmp + fsync + rename + fsync(dir): a crash leaves the old file or the new one."""
        with DiskRoot(self.root) as disk:
            disk.write_atomic(STATE_FILE, data)


def atomic_write(path: Path, data: bytes) -> None:
    """tmp + fsync + rename + fsync(dir) for the player's *own* files (its memory), which
    are not attacker input; files on a disk go through :class:`DiskStateFile`."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    try:
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems (FAT over FUSE) refuse fsync on a directory
        pass
    finally:
        os.close(fd)


@dataclass(frozen=True)
class PlayState:
    licence_id: bytes
    seq: int = 0  # bumped on every write; the player memory remembers the highest
    clock: int = 0  # highest trusted time seen while playing this disk (Unix seconds)
    plays: dict[str, int] = field(default_factory=dict)

    def played(self, file: str) -> int:
        return self.plays.get(file, 0)

    def after_play(self, file: str, now: int) -> PlayState:
        plays = dict(self.plays)
        plays[file] = plays.get(file, 0) + 1
        return replace(self, seq=self.seq + 1, clock=max(self.clock, now), plays=plays)

    def with_clock(self, now: int) -> PlayState:
        """The same counts with the clock mark raised to ``now`` (a new write)."""
        return replace(self, seq=self.seq + 1, clock=max(self.clock, now))

    def body(self) -> bytes:
        return canonical.encode(
            {
                "v": 1,
                "licence_id": self.licence_id,
                "seq": self.seq,
                "clock": self.clock,
                "plays": dict(self.plays),
            }
        )


def seal_state(state: PlayState, key: bytes) -> bytes:
    body = state.body()
    return canonical.encode({"body": body, "mac": _mac(key, body)})


def open_state(data: bytes | None, key: bytes, licence_id: bytes) -> PlayState:
    """Authenticate the state bytes; ``None`` (no file yet) is a disk never played."""
    if data is None:
        return PlayState(licence_id)
    if len(data) > MAX_STATE_BYTES:
        raise _altered("the file is implausibly large")
    try:
        outer = canonical.expect_map(
            canonical.decode(data, "play state"), "play state", ("body", "mac")
        )
        body = canonical.expect(outer["body"], bytes, "play state body")
        mac = canonical.expect(outer["mac"], bytes, "play state MAC")
    except FormatError:
        raise _altered("it is not a play state file") from None
    if not hmac.compare_digest(mac, _mac(key, body)):
        foreign = _claimed_licence(body)
        if foreign is not None and foreign != licence_id:
            raise IntegrityError(
                f"The play state file ({STATE_FILE}) was copied from another disk "
                f"(licence {foreign.hex()[:8]}); it does not belong to this one.",
                code="state-foreign",
                file=STATE_FILE,
            )
        raise _altered("its MAC does not verify under this disk's key")
    state = _parse_body(body)
    if state.licence_id != licence_id:  # authentic yet foreign: impossible without the key
        raise _altered("it names another licence")
    return state


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()


def _altered(why: str) -> IntegrityError:
    return IntegrityError(
        f"The play state was altered ({STATE_FILE}: {why}); this disk cannot be played.",
        code="state-altered",
        file=STATE_FILE,
    )


def _claimed_licence(body: bytes) -> bytes | None:
    """The licence id an unauthenticated body claims, only to word the refusal."""
    try:
        return _parse_body(body).licence_id
    except FormatError:
        return None


def _parse_body(body: bytes) -> PlayState:
    m: dict[str, Any] = canonical.expect_map(
        canonical.decode(body, "play state body"),
        "play state body",
        ("v", "licence_id", "seq", "clock", "plays"),
    )
    if m["v"] != 1:
        raise FormatError(f"play state version {m['v']!r} is not supported.")
    plays = canonical.expect(m["plays"], dict, "play counts")
    for file, count in plays.items():
        canonical.expect(file, str, "play count track")
        if canonical.expect(count, int, "play count") < 0:
            raise FormatError("a play count is negative.")
    return PlayState(
        licence_id=canonical.expect(m["licence_id"], bytes, "play state licence"),
        seq=canonical.expect(m["seq"], int, "play state sequence"),
        clock=canonical.expect(m["clock"], int, "play state clock"),
        plays=dict(plays),
    )
