"""Small text kept outside a database or data file, so that an old copy of it shows.

A file restored from a backup, or a ledger database replaced wholesale, authenticates
perfectly: only something kept elsewhere can tell it is old. Two places, always both
written, and reading takes the newest of what they hold:

- the OS keyring through ``keyring`` (Secret Service, KWallet, macOS Keychain, Windows
  Credential Locker), when the active backend is one of those secure stores;
- a small file somewhere else than the thing it anchors (the user's state directory for
  the player memory; the keys directory for the ledger's checkpoint).

Used by the player memory (:mod:`pressroom.player.anchor`) and the station's ledger
checkpoint (:mod:`pressroom.station.checkpoints`). What each case protects against is
written down in docs/SECURITY.md.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

import platformdirs

log = logging.getLogger(__name__)

STATE_DIR_ENV = "PRESSROOM_STATE_DIR"

# keyring backends that keep secrets no better than a file next to the memory.
_INSECURE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


def state_dir() -> Path:
    """The user's state directory (``PRESSROOM_STATE_DIR`` overrides it for tests)."""
    env = os.environ.get(STATE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_state_dir("pressroom", appauthor=False))


def secure_backend() -> Any:  # keyring.backend.KeyringBackend | None
    """The active keyring backend if it is a real secret store, else None.

    The fail and null backends store nothing; keyrings.alt's file backends keep the
    secret in a file of the same user, no better than the anchor file.
    """
    try:
        import keyring
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    backend: Any = keyring.get_keyring()
    chain = getattr(backend, "backends", None)
    if chain is not None:  # the chainer writes to its highest-priority backend
        backend = chain[0] if chain else None
    if backend is None or type(backend).__module__.startswith(_INSECURE_MODULES):
        return None
    return backend


def keyring_or_none() -> Any:
    """:func:`secure_backend`, or None when the keyring setup itself is broken."""
    with contextlib.suppress(Exception):
        return secure_backend()
    return None


class TextFile:
    """One small text file, written atomically (a temporary, fsync, rename), never
    through a link; a file larger than ``limit`` reads as nothing."""

    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit
        self.where = f"the file {path}"

    def read(self) -> str | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except (FileNotFoundError, OSError):
            return None
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(self.limit + 1)
        return None if len(data) > self.limit else data.decode("utf-8", "replace")

    def write(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(tmp, flags, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


class KeyringText:
    """One entry in the OS keyring; its errors are logged and read as "no answer"."""

    def __init__(self, backend: Any, service: str, user: str, limit: int) -> None:
        self.backend = backend
        self.service, self.user = service, user
        self.limit = limit
        self.where = f"the OS keyring ({backend.name})"

    def read(self) -> str | None:
        from keyring.errors import KeyringError

        try:
            text: str | None = self.backend.get_password(self.service, self.user)
        except KeyringError as exc:
            log.warning("the keyring did not answer (%s); using the anchor file", exc)
            return None
        return None if text is None or len(text) > self.limit else text

    def write(self, text: str) -> bool:
        from keyring.errors import KeyringError

        try:
            self.backend.set_password(self.service, self.user, text)
        except KeyringError as exc:
            log.warning("could not write the anchor in the keyring: %s", exc)
            return False
        return True
