"""Exponential lockout of the operator PIN that survives a restart of the kiosk.

After ``free_tries`` wrong PINs in a row every further wrong PIN starts a wait: 30 s
after the third, doubling with each one after that, at most an hour. A correct PIN ends
it. The count and the end of the wait live in ``kiosk-lockout.json`` in the data folder
(0600, replaced atomically), so killing and restarting the kiosk changes nothing.

**A try is counted before it is checked**: the count is written first, then the PIN is
hashed and compared, then a correct PIN clears the count. Killing the kiosk while a guess
is being checked therefore costs the guesser that try instead of hiding it.

**Clocks.** A wait is stored twice: as a wall-clock end time, and as an end on the
kernel's boot-time clock (``CLOCK_BOOTTIME``, which nobody can set and which counts time
asleep) together with the boot's id. Within one boot the boot-time end decides, so
setting the wall clock forward (or back) neither ends nor lengthens a wait, across kiosk
restarts too. After a reboot only the wall clock is left: the remaining time is then
``until - now``, but never more than the wait's own length (a clock set back, or a file
written under a wrong clock, cannot lock the operator out for longer than the wait that
was earned), and the wait is re-anchored to the new boot at once. What remains open: a
person who can both set the system clock forward and reboot the machine ends a wait
early; that person administers the machine anyway (and could delete the file).

A damaged lockout file counts as ``free_tries`` failures with a fresh first wait (never
as no failures); the file is rewritten so that the wait runs down.
"""

from __future__ import annotations

import json
import logging
import math
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from pressroom.datadir import O_CLOEXEC, O_NOFOLLOW, O_NONBLOCK, write_private

log = logging.getLogger(__name__)

LOCKOUT_FILE = "kiosk-lockout.json"
BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")
_MAX_FILE = 4096

BootClock = Callable[[], "tuple[str, float] | None"]


@dataclass(frozen=True)
class LockoutPolicy:
    free_tries: int = 3  # wrong PINs in a row before the first wait
    first_wait: float = 30.0  # seconds, after the ``free_tries``-th wrong PIN
    max_wait: float = 3600.0  # the doubling stops here

    def wait_after(self, failures: int) -> float:
        """Seconds to wait after ``failures`` wrong PINs in a row."""
        if failures < self.free_tries:
            return 0.0
        return min(self.max_wait, self.first_wait * 2.0 ** min(failures - self.free_tries, 60))


@dataclass(frozen=True)
class LockState:
    failures: int = 0  # wrong (or unfinished) tries since the last correct PIN
    until: float = 0.0  # wall-clock end of the current wait
    span: float = 0.0  # the current wait's length when it began
    boot_id: str = ""  # the boot in which ``boot_until`` holds ("" where unknown)
    boot_until: float = 0.0  # CLOCK_BOOTTIME end of the current wait in that boot


class Locked(Exception):
    """A try while a wait runs: not counted, not checked."""

    def __init__(self, remaining: float):
        super().__init__(f"Locked: try again in {wait_words(remaining)}.")
        self.remaining = remaining


def system_boot_clock() -> tuple[str, float] | None:
    """This boot's id and the seconds since it began, where the OS tells (Linux)."""
    try:
        boot_id = BOOT_ID_PATH.read_text(encoding="ascii").strip()
        return (boot_id, time.clock_gettime(time.CLOCK_BOOTTIME)) if boot_id else None
    except (OSError, AttributeError, ValueError):
        return None


def wait_words(seconds: float) -> str:
    """``150`` -> ``"2 min 30 s"``; rounded up, so a wait never reads shorter than it is."""
    s = max(0, math.ceil(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    parts = [f"{h} h"] * bool(h) + [f"{m} min"] * bool(m) + [f"{s} s"] * bool(s)
    return " ".join(parts) or "0 s"


class Lockout:
    """The persisted failure count and wait of one data folder's operator PIN."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        policy: LockoutPolicy | None = None,
        wall: Callable[[], float] = time.time,
        boot: BootClock | None = system_boot_clock,
    ):
        self.path = Path(path)
        self.policy = policy or LockoutPolicy()
        self.wall = wall
        self.boot = boot or (lambda: None)
        self._lock = threading.Lock()

    @classmethod
    def for_data_dir(cls, data_dir: str | os.PathLike[str], **kw) -> Lockout:
        return cls(Path(data_dir) / LOCKOUT_FILE, **kw)

    # --- what the kiosk asks -----------------------------------------------------------

    def remaining(self) -> float:
        """Seconds until a PIN may be tried again (0.0 when it may now)."""
        with self._lock:
            return self._remaining(self._load())

    def failures(self) -> int:
        with self._lock:
            return self._load().failures

    def record_attempt(self) -> LockState:
        """Count one try before it is checked; raises :class:`Locked` during a wait."""
        with self._lock:
            st = self._load()
            left = self._remaining(st)
            if left > 0:
                raise Locked(left)
            failures = st.failures + 1
            new = self._anchored(failures, self.policy.wait_after(failures))
            self._save(new)
            return new

    def succeeded(self) -> None:
        """A correct PIN: the count starts again from zero."""
        with self._lock:
            self._clear()

    def clear(self) -> LockState | None:
        """The administrator's reset (``pressroom kiosk unlock``); returns what was cleared."""
        with self._lock:
            st = self._load() if self.path.exists() or self.path.is_symlink() else None
            self._clear()
            return st

    # --- inside ------------------------------------------------------------------------

    def _anchored(self, failures: int, wait: float) -> LockState:
        """A state whose wait of ``wait`` seconds starts now, on both clocks."""
        b = self.boot()
        return LockState(
            failures=failures,
            until=self.wall() + wait,
            span=wait,
            boot_id=b[0] if b else "",
            boot_until=b[1] + wait if b else 0.0,
        )

    def _remaining(self, st: LockState) -> float:
        span = min(st.span, self.policy.max_wait)
        if span <= 0:
            return 0.0
        b = self.boot()
        if b is not None and st.boot_id and st.boot_id == b[0]:
            return max(0.0, min(span, st.boot_until - b[1]))  # the clock nobody can set
        now = self.wall()
        left = min(span, st.until - now)  # another boot (or none known): the wall clock, capped
        if left <= 0:
            return 0.0
        if b is not None or left < st.until - now:
            # re-anchor: on this boot's clock, and so that a capped wait runs down
            boot_id, boot_until = (b[0], b[1] + left) if b else ("", 0.0)
            self._save(LockState(st.failures, now + left, span, boot_id, boot_until))
        return left

    def _load(self) -> LockState:
        try:
            fd = os.open(self.path, os.O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        except FileNotFoundError:
            return LockState()
        except OSError as exc:
            return self._damaged(f"it cannot be opened ({exc.strerror})")
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_FILE:
                return self._damaged("it is not a small regular file")
            raw = os.read(fd, _MAX_FILE + 1)
        finally:
            os.close(fd)
        try:
            return _parse(raw)
        except (ValueError, TypeError, KeyError):
            return self._damaged("it is not a lockout record")

    def _damaged(self, why: str) -> LockState:
        """Fail safe: as many failures as the free tries, and a first wait from now."""
        log.warning("The kiosk lockout file %s is damaged (%s); the PIN waits.", self.path, why)
        st = self._anchored(self.policy.free_tries, self.policy.first_wait)
        self._replace_damaged()
        self._save(st)
        return st

    def _replace_damaged(self) -> None:
        try:
            if self.path.is_dir() and not self.path.is_symlink():
                self.path.rmdir()
        except OSError:
            pass  # the save below then fails and says so

    def _save(self, st: LockState) -> None:
        write_private(self.path, json.dumps({"v": 1, **asdict(st)}, sort_keys=True).encode())

    def _clear(self) -> None:
        self.path.unlink(missing_ok=True)


def _parse(raw: bytes) -> LockState:
    d = json.loads(raw.decode("utf-8"))
    if not isinstance(d, dict) or d.get("v") != 1:
        raise ValueError("unknown version")
    failures = d["failures"]
    if type(failures) is not int or failures < 0:
        raise ValueError("failures")
    nums = [float(d[k]) for k in ("until", "span", "boot_until")]
    if not all(math.isfinite(x) for x in nums) or nums[1] < 0:
        raise ValueError("times")
    if not isinstance(d["boot_id"], str):
        raise TypeError("boot_id")
    return LockState(failures, nums[0], nums[1], d["boot_id"], nums[2])
