"""Who is working: the operator's name, asked once per shift and recorded on each run.

The rule, in one place for the window, the command line and the kiosk:

- A name given (the window's prompt, Settings, or ``pressroom run --operator NAME``) is
  remembered in the settings with the time it was given.
- It stands for one shift: :data:`SHIFT_HOURS` hours from when it was given. Twelve hours
  covers the longest shop shift, including one that crosses midnight (a "next day" rule
  would ask a night shift twice); giving another name starts a new shift at once.
- When no name stands, the window asks before the run starts (prefilled with the last
  name, so the same person confirms with one click); the command line records the run
  without a name and says how to give one. The kiosk never asks: its runs are recorded as
  :data:`KIOSK_OPERATOR`, the customer serving themselves.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import replace
from typing import Final

from pressroom.config import Settings
from pressroom.errors import UsageError
from pressroom.station.parts import Parts

SHIFT_HOURS: Final = 12.0
SHIFT_SECONDS: Final = SHIFT_HOURS * 3600
CLOCK_SLACK: Final = 300.0  # a name "given" up to five minutes ahead still counts (clock skew)
KIOSK_OPERATOR: Final = "kiosk"
MAX_NAME = 60


def current_operator(settings: Settings, now: float) -> str:
    """The operator of the shift going on at ``now``, or "" when nobody's name stands."""
    name = settings.operator.strip()
    since = float(settings.operator_since or 0.0)
    if not name or since <= 0:  # a name written into the settings by hand has no shift
        return ""
    if not -CLOCK_SLACK <= now - since < SHIFT_SECONDS:
        return ""
    return name


def check_name(name: str) -> str:
    """The name as it is recorded, or one sentence saying why it cannot be."""
    clean = " ".join(name.split())
    if not clean:
        raise UsageError("Type the operator's name (it is recorded with each run).")
    if any(unicodedata.category(ch).startswith("C") for ch in clean):
        raise UsageError("The operator's name may not contain control characters.")
    if len(clean) > MAX_NAME:
        raise UsageError(f"The operator's name is too long (at most {MAX_NAME} characters).")
    return clean


def with_operator(settings: Settings, name: str, now: float) -> Settings:
    """The settings with ``name`` as the operator of a shift starting at ``now``; the same
    name again keeps its shift (Settings saved with an unchanged name does not extend it)."""
    clean = check_name(name)
    if clean == settings.operator.strip() and current_operator(settings, now):
        return settings
    return replace(settings, operator=clean, operator_since=now)


class NotSaved(UsageError):
    """The name stands for this process but the settings file could not be written."""


class ShiftService:
    """The operator's name across the faces of one station (see the module's rule)."""

    def __init__(self, parts: Parts) -> None:
        self._parts = parts

    def current(self, now: float | None = None) -> str:
        """The name on shift now, or ""."""
        return current_operator(self._parts.config.settings, time.time() if now is None else now)

    def needs_name(self, now: float | None = None) -> bool:
        """Whether the window should ask for a name before the next run."""
        return not self.current(now)

    @property
    def last_name(self) -> str:
        """The last name given, shift over or not (the prompt's suggestion)."""
        return self._parts.config.settings.operator.strip()

    def remember(self, name: str, now: float | None = None) -> str:
        """Start (or keep) the shift of ``name`` and save it in the settings; the recorded
        name. A settings file that cannot be written is one sentence (:class:`NotSaved`);
        the name still stands for this process, so the run is recorded with it."""
        config = self._parts.config
        old = config.settings
        config.settings = with_operator(old, name, time.time() if now is None else now)
        if config.settings is old:
            return old.operator.strip()
        try:
            config.save_settings()
        except OSError as exc:
            raise NotSaved(
                f"The operator's name is used for now but cannot be saved in "
                f"{config.data_dir}: {exc.strerror}."
            ) from None
        return config.settings.operator
