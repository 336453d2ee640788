"""Where the player memory's latest state is anchored, outside the memory file itself.

A genuine but older copy of the memory file (restored from a backup together with an
older ``state.prs``) authenticates: its MAC is valid. Only something kept elsewhere can
tell it is old. After every save the memory's write number and a MAC of its content are
stored in the anchors; on load a memory file older than any anchor is a rollback.

Two anchors, always both written:

- the OS keyring through ``keyring`` (Secret Service, KWallet, macOS Keychain, Windows
  Credential Locker), when the active backend is one of those secure stores;
- a small anchor file in the user's *state* directory (not the data directory that holds
  the memory), which is all there is when the keyring has no secure backend.

Reading takes the highest anchor, so a keyring that stops answering (no D-Bus session,
a locked wallet) falls back to the file, never to "no anchor". What each case protects
against is written down in docs/SECURITY.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pressroom.anchors import STATE_DIR_ENV, KeyringText, TextFile, secure_backend, state_dir

log = logging.getLogger(__name__)
__all__ = ["STATE_DIR_ENV", "secure_backend", "state_dir"]  # re-exported: moved to anchors

SERVICE_PREFIX = "pressroom/player-memory"
ANCHOR_MAX = 4096  # an anchor is a few dozen bytes; anything larger is not ours


@dataclass(frozen=True)
class AnchorMark:
    """The memory's write number and a MAC (under the memory key) of that write's body."""

    seq: int
    mac: bytes

    def to_text(self) -> str:
        return json.dumps({"seq": self.seq, "mac": self.mac.hex()}, sort_keys=True)

    @classmethod
    def from_text(cls, text: str) -> AnchorMark | None:
        """None for anything that is not a mark (a hand-edited entry counts as none)."""
        if len(text) > ANCHOR_MAX:
            return None
        try:
            data = json.loads(text)
            seq, mac = int(data["seq"]), bytes.fromhex(data["mac"])
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return cls(seq, mac) if seq >= 0 and len(mac) == 32 else None


class Anchor(Protocol):
    where: str  # for sentences: "the OS keyring (SecretService Keyring)", "the file ..."

    def read(self) -> AnchorMark | None: ...
    def write(self, mark: AnchorMark) -> None: ...


def anchor_name(memory_path: Path, key_id: bytes) -> tuple[str, str]:
    """(service, user) of one memory: per player key, and per memory file.

    The memory file's place is part of the name so that two data directories holding the
    same player key (two stations on one account) keep separate memories.
    """
    where = hashlib.sha256(os.fsencode(os.path.realpath(memory_path))).hexdigest()[:32]
    return f"{SERVICE_PREFIX}/{key_id.hex()[:32]}", where


class FileAnchor:
    """The fallback anchor: one small file per memory in the state directory."""

    def __init__(self, path: Path):
        self.path = path
        self._file = TextFile(path, ANCHOR_MAX)
        self.where = f"the anchor file {path}"

    def read(self) -> AnchorMark | None:
        text = self._file.read()
        return None if text is None else AnchorMark.from_text(text)

    def write(self, mark: AnchorMark) -> None:
        self._file.write(mark.to_text())


class KeyringAnchor:
    """The anchor in the OS keyring; errors are logged and read as "no answer"."""

    def __init__(self, backend, service: str, user: str):  # backend: keyring.backend.KeyringBackend
        self.backend = backend
        self.service, self.user = service, user
        self._entry = KeyringText(backend, service, user, ANCHOR_MAX)
        self.where = self._entry.where

    def read(self) -> AnchorMark | None:
        text = self._entry.read()
        return None if text is None else AnchorMark.from_text(text)

    def write(self, mark: AnchorMark) -> None:
        self._entry.write(mark.to_text())


def default_anchors(memory_path: Path, key_id: bytes) -> list[Anchor]:
    """The file anchor, plus the keyring anchor where a secure backend exists."""
    service, user = anchor_name(memory_path, key_id)
    anchors: list[Anchor] = [FileAnchor(state_dir() / "player-anchors" / f"{user}.json")]
    backend = None
    with contextlib.suppress(Exception):  # a broken keyring setup must not stop playing
        backend = secure_backend()
    if backend is not None:
        anchors.append(KeyringAnchor(backend, service, user))
    return anchors


def highest(anchors: list[Anchor]) -> tuple[AnchorMark, str] | None:
    """The newest mark any anchor holds, and where it was found."""
    best: tuple[AnchorMark, str] | None = None
    for anchor in anchors:
        mark = anchor.read()
        if mark is not None and (best is None or mark.seq > best[0].seq):
            best = (mark, anchor.where)
    return best
