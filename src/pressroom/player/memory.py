"""What a player remembers between disks, in its own data directory.

A disk's play state is authenticated, but an older *genuine* copy of it authenticates
too: someone can save state.prs before playing and put it back afterwards. Only the
player can notice, by remembering the highest state sequence, play counts and clock it
has seen per licence, and the newest revocation list. A player whose memory is deleted
(or a fresh player) cannot detect such a rollback: software alone cannot.

The memory is MACed under a key derived from the player private key, so it cannot be
edited to forget. An older genuine copy of the memory file (restored from a backup,
together with an older state.prs) would make it forget, so every save also raises an
anchor kept elsewhere (:mod:`.anchor`: the OS keyring, and a file in the state
directory); a memory file older than its anchor is a rollback (``memory-rollback``).
Such a memory is still believed for what it knows (all of it was true once) but it is
never written again, and tracks whose rights it protects (a play count or an expiry)
do not play until the newest memory is put back.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pressroom.player.anchor import Anchor, AnchorMark, default_anchors, highest
from pressroom.player.state import PlayState, atomic_write
from pressroom.secure.binding import hkdf
from pressroom.secure.cert import RevocationList
from pressroom.secure.errors import IntegrityError
from pressroom.secure.keys import key_id, raw_public

MEMORY_FILE = "memory.json"
LOCK_FILE = "memory.lock"
MEMORY_MAX = 64 << 20  # far above any real memory; refuses a planted multi-GB file
ROLLBACK = "memory-rollback"
INFO_MEMORY = b"pressroom/v1/player-memory"


@dataclass
class Seen:
    """The newest play state of one licence this player has seen or written."""

    seq: int = 0
    plays: dict[str, int] = field(default_factory=dict)


@dataclass
class PlayerMemory:
    path: Path | None  # None: memory only for this process (tests, a read-only player)
    key: bytes
    clock: int = 0
    revocations: bytes | None = None
    revocation_number: int = 0
    licences: dict[str, Seen] = field(default_factory=dict)
    seq: int = 0  # bumped on every save; the anchors hold the highest
    rollback: str | None = None  # why this memory is older than its anchor, or None
    anchors: list[Anchor] = field(default_factory=list, repr=False)
    _mac_seen: bytes = field(default=b"", repr=False)  # MAC of the body as loaded

    @classmethod
    def load(
        cls,
        folder: Path | None,
        player_key: X25519PrivateKey,
        *,
        anchors: list[Anchor] | None = None,
    ) -> PlayerMemory:
        """Read ``folder/memory.json`` and check it against its anchors.

        A file whose MAC does not verify raises ``memory-altered``. A file older than its
        anchor (or missing while an anchor exists) loads with :attr:`rollback` set.
        ``anchors`` defaults to :func:`~.anchor.default_anchors` for this file.
        """
        raw = player_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        key = hkdf(raw, salt=None, info=INFO_MEMORY)
        path = None if folder is None else Path(folder) / MEMORY_FILE
        if anchors is None:
            kid = key_id(raw_public(player_key.public_key()))
            anchors = [] if path is None else default_anchors(path, kid)
        mem = cls(path, key, anchors=anchors)
        if path is None:
            return mem
        with _locked(path.parent / LOCK_FILE):  # not between another save's file and anchor
            data = mem._read_file()
            if data is not None:
                mem._read(data)
            mem.rollback = mem._check_anchors(found=data is not None)
        return mem

    @property
    def rolled_back(self) -> bool:
        return self.rollback is not None

    def _read_file(self) -> bytes | None:
        if self.path is None:
            return None
        try:
            with open(self.path, "rb") as fh:
                if os.fstat(fh.fileno()).st_size > MEMORY_MAX:
                    raise self._altered()
                return fh.read(MEMORY_MAX + 1)
        except FileNotFoundError:
            return None

    def _check_anchors(self, *, found: bool) -> str | None:
        """One sentence if the memory file is older than the newest anchor."""
        best = highest(self.anchors)
        if best is None:
            return None
        mark, where = best
        if not found and mark.seq > 0:
            return (
                f"the player's memory file is missing, but {where} says it was written "
                f"{mark.seq} times: it was deleted or replaced"
            )
        if self.seq < mark.seq or (self.seq == mark.seq and self._mac_seen != mark.mac):
            return (
                f"the player's memory (write {self.seq}) is older than {where} says it is "
                f"(write {mark.seq}): it was restored from an older copy"
            )
        return None

    def seen(self, licence_id: bytes) -> Seen:
        return self.licences.get(licence_id.hex(), Seen())

    def rollback_reason(self, state: PlayState) -> str | None:
        """Why ``state`` is older than one this player already saw, or None."""
        seen = self.seen(state.licence_id)
        if state.seq < seen.seq:
            return (
                f"the disk's play state (write {state.seq}) is older than one this player "
                f"has already seen (write {seen.seq}): it was rolled back to an earlier copy"
            )
        for file, count in seen.plays.items():
            if state.played(file) < count:
                return (
                    f"the disk says {file} was played {state.played(file)} times, but this "
                    f"player has seen {count}: the play state was rolled back"
                )
        return None

    def note_state(self, state: PlayState) -> None:
        seen = self.licences.setdefault(state.licence_id.hex(), Seen())
        seen.seq = max(seen.seq, state.seq)
        for file, count in state.plays.items():
            seen.plays[file] = max(seen.plays.get(file, 0), count)
        self.note_clock(state.clock)

    def note_clock(self, now: int) -> None:
        self.clock = max(self.clock, int(now))

    def note_revocations(self, rl: RevocationList) -> None:
        """Keep the newest list: a disk carrying an older one cannot un-revoke anything."""
        if rl.raw and rl.number > self.revocation_number:
            self.revocations, self.revocation_number = rl.raw, rl.number

    def save(self) -> None:
        """Write the memory, merged with what another process saved meanwhile, then anchor it.

        A rolled-back memory is never written: bumping its write number past the anchor
        would turn the restored copy into an accepted one. Anchors only ever rise.
        """
        if self.path is None or self.rollback is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(self.path.parent / LOCK_FILE):
            current = self._current()
            best = highest(self.anchors)
            if best is not None and not self._holds(best[0], current):
                # Another process wrote after us and its file has been replaced since.
                self.rollback = self._check_anchors(found=current is not None) or (
                    f"the player's memory was replaced while in use: {best[1]} says it was "
                    f"written {best[0].seq} times"
                )
                return
            if current is not None:
                self._merge(current)
            self.seq = max(self.seq, best[0].seq if best else 0) + 1
            body = json.dumps(self._to_json(), sort_keys=True, separators=(",", ":")).encode()
            mac = self._mac(body)
            data = json.dumps({"body": body.decode(), "mac": mac.hex()}).encode()
            atomic_write(self.path, data)  # the file first: a crash leaves it ahead, never behind
            self._mac_seen = mac
            for anchor in self.anchors:
                anchor.write(AnchorMark(self.seq, mac))

    def _holds(self, mark: AnchorMark, current: PlayerMemory | None) -> bool:
        """Whether this memory or the file as it is now is at least the anchored write."""
        for m in (self, current):
            if m is not None and (m.seq > mark.seq or (m.seq, m._mac_seen) == (mark.seq, mark.mac)):
                return True
        return False

    def _current(self) -> PlayerMemory | None:
        """The file as it is now (another window or command may have saved), if readable."""
        try:
            data = self._read_file()
            if data is None:
                return None
            other = PlayerMemory(self.path, self.key)
            other._read(data)
        except (OSError, IntegrityError):
            return None  # unreadable now: ours replaces it, knowing at least what it knew
        return other

    def _merge(self, other: PlayerMemory) -> None:
        """Keep the maximum of everything: every field only ever grows."""
        self.seq = max(self.seq, other.seq)
        self.note_clock(other.clock)
        if other.revocations and other.revocation_number > self.revocation_number:
            self.revocations, self.revocation_number = other.revocations, other.revocation_number
        for lid, seen in other.licences.items():
            mine = self.licences.setdefault(lid, Seen())
            mine.seq = max(mine.seq, seen.seq)
            for f, n in seen.plays.items():
                mine.plays[f] = max(mine.plays.get(f, 0), n)

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self.key, body, hashlib.sha256).digest()

    def _to_json(self) -> dict[str, Any]:
        return {
            "v": 1,
            "seq": self.seq,
            "clock": self.clock,
            "revocations": self.revocations.hex() if self.revocations else None,
            "revocation_number": self.revocation_number,
            "licences": {
                lid: {"seq": s.seq, "plays": s.plays} for lid, s in sorted(self.licences.items())
            },
        }

    def _read(self, data: bytes) -> None:
        try:
            outer = json.loads(data)
            body = outer["body"].encode()
            mac = bytes.fromhex(outer["mac"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise self._altered() from None
        if not hmac.compare_digest(mac, self._mac(body)):
            raise self._altered()
        m = json.loads(body)
        self._mac_seen = mac
        self.seq = int(m.get("seq", 0))  # memories written before anchoring have none
        self.clock = int(m["clock"])
        self.revocations = bytes.fromhex(m["revocations"]) if m["revocations"] else None
        self.revocation_number = int(m["revocation_number"])
        self.licences = {
            lid: Seen(int(s["seq"]), {f: int(n) for f, n in s["plays"].items()})
            for lid, s in m["licences"].items()
        }

    def _altered(self) -> IntegrityError:
        return IntegrityError(
            f"The player's own memory ({self.path}) was altered or belongs to another "
            "player key; put back its newest copy (deleting it leaves limited tracks "
            "refused, see the security notes).",
            code="memory-altered",
            file=str(self.path),
        )


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock between processes sharing one memory (POSIX; elsewhere none)."""
    try:
        import fcntl
    except ImportError:  # Windows: msvcrt.locking would do; the player runs one window there
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError:  # a read-only player: nobody can save, so there is nothing to race
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
