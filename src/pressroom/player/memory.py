"""What a player remembers between disks, in its own data directory.

A disk's play state is authenticated, but an older *genuine* copy of it authenticates
too: someone can save state.prs before playing and put it back afterwards. Only the
player can notice, by remembering the highest state sequence, play counts and clock it
has seen per licence, and the newest revocation list. A player whose memory is deleted
(or a fresh player) cannot detect such a rollback: software alone cannot.

The memory is MACed under a key derived from the player private key, so it cannot be
edited to forget; deleting it is the only way to make it forget, and that is documented.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pressroom.player.state import PlayState, atomic_write
from pressroom.secure.binding import hkdf
from pressroom.secure.cert import RevocationList
from pressroom.secure.errors import IntegrityError

MEMORY_FILE = "memory.json"
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

    @classmethod
    def load(cls, folder: Path | None, player_key: X25519PrivateKey) -> PlayerMemory:
        """Read ``folder/memory.json``; refuse one whose MAC does not verify."""
        raw = player_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        key = hkdf(raw, salt=None, info=INFO_MEMORY)
        path = None if folder is None else Path(folder) / MEMORY_FILE
        mem = cls(path, key)
        if path is not None and path.exists():
            mem._read(path.read_bytes())
        return mem

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
        if self.path is None:
            return
        body = json.dumps(self._to_json(), sort_keys=True, separators=(",", ":")).encode()
        data = json.dumps({"body": body.decode(), "mac": self._mac(body).hex()}).encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, data)

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self.key, body, hashlib.sha256).digest()

    def _to_json(self) -> dict[str, Any]:
        return {
            "v": 1,
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
            "player key; delete it to reset (rollback protection is lost until it refills).",
            code="memory-altered",
            file=str(self.path),
        )
