"""Where Pressroom keeps its files, and the operator's settings.

Resolution order for the data directory: ``--data-dir``, then ``PRESSROOM_DATA_DIR``,
then the platform's user data directory (platformdirs). Settings live in
``settings.toml`` inside it; environment variables override single settings so that a
kiosk image or CI can pin them without editing files.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs
import tomli_w

from pressroom.datadir import Repair, make_private_dir, repair_data_dir, write_private
from pressroom.errors import UsageError

APP_NAME = "pressroom"
SETTINGS_FILE = "settings.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_data_dir(cli_value: str | os.PathLike[str] | None = None) -> Path:
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    env = os.environ.get("PRESSROOM_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return default_data_dir()


@dataclass
class Settings:
    """Operator-editable settings. Every field has a safe embedded default."""

    ledger_url: str = ""  # empty: SQLite file in the data directory
    identity_policy: str = "refuse"  # refuse | warn
    # the most disks one USB bus writes at once; below it the station adapts to the bus
    concurrency_per_bus: int = 127
    verify_mode: str = "media"  # media | strict: may a disk pass on a cache-only read-back?
    station_label: str = "Pressroom station"
    operator: str = ""
    operator_since: float = 0.0  # when the operator gave their name (station.shift's rule)
    sim_dir: str = ""  # empty: <data dir>/sim
    kiosk_mode: bool = False  # `pressroom` / `pressroom gui` start the kiosk, not the station
    kiosk_pin_hash: str = ""
    kiosk_price_text: str = ""
    kiosk_idle_seconds: int = 90
    # How long another station waits before settling an open copy of a station that
    # stopped renewing it (every station of one ledger should use the same value).
    lease_seconds: float = 120.0
    sound_when_done: bool = True  # a short chime when a run ends (where there is audio)
    appearance: str = "system"  # system | light | dark: the windows' colour scheme
    # Save each run's report (PDF and CSV) in the reports folder when the run ends. On by
    # default: the shop owes the rights holder these papers, and a report written at once
    # cannot be forgotten; writing it costs a second and never touches a run's result.
    save_reports: bool = True
    reports_dir: str = ""  # empty: <data dir>/reports
    extra: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        if self.identity_policy not in ("refuse", "warn"):
            raise UsageError(
                f"identity_policy must be 'refuse' or 'warn', not {self.identity_policy!r}."
            )
        if self.verify_mode in _OLD_VERIFY_MODES:  # settings written before 'media'/'strict'
            self.verify_mode = "media"
        if self.verify_mode not in ("media", "strict"):
            raise UsageError(f"verify_mode must be 'media' or 'strict', not {self.verify_mode!r}.")
        if self.appearance not in ("system", "light", "dark"):
            raise UsageError(
                f"appearance must be 'system', 'light' or 'dark', not {self.appearance!r}."
            )
        if not 1 <= int(self.concurrency_per_bus) <= 127:
            raise UsageError("concurrency_per_bus must be between 1 and 127.")
        try:
            self.lease_seconds = float(self.lease_seconds)
        except (TypeError, ValueError):
            raise UsageError(
                f"lease_seconds must be a number, not {self.lease_seconds!r}."
            ) from None
        if not 1.0 <= self.lease_seconds <= 86400.0:
            raise UsageError("lease_seconds must be between 1 and 86400.")
        try:
            self.operator_since = float(self.operator_since)
        except (TypeError, ValueError):
            self.operator_since = 0.0  # an unreadable time: the station asks for the name again


# Older settings named how to bypass the cache; the station now always does all it can.
_OLD_VERIFY_MODES = ("auto", "direct", "fadvise")

_ENV_OVERRIDES = {
    "ledger_url": "PRESSROOM_LEDGER_URL",
    "identity_policy": "PRESSROOM_IDENTITY_POLICY",
    "verify_mode": "PRESSROOM_VERIFY_MODE",
    "sim_dir": "PRESSROOM_SIM_DIR",
    "lease_seconds": "PRESSROOM_LEASE_SECONDS",
}


@dataclass
class Config:
    """The resolved configuration of one station process."""

    data_dir: Path
    settings: Settings

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def sim_dir(self) -> Path:
        return Path(self.settings.sim_dir) if self.settings.sim_dir else self.data_dir / "sim"

    @property
    def ledger_url(self) -> str:
        if self.settings.ledger_url:
            return self.settings.ledger_url
        return f"sqlite:///{self.data_dir / 'ledger.sqlite3'}"

    @property
    def reports_dir(self) -> Path:
        """Where each run's report is saved (Settings; default: the data folder's reports/)."""
        chosen = self.settings.reports_dir
        return Path(chosen).expanduser() if chosen else self.data_dir / "reports"

    @property
    def journal_dir(self) -> Path:
        return self.data_dir / "journal"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    def save_settings(self) -> Path:
        """Write ``settings.toml`` atomically, 0600 in a 0700 folder: it holds the PIN hash."""
        self.settings.validate()
        make_private_dir(self.data_dir)
        path = self.data_dir / SETTINGS_FILE
        write_private(path, tomli_w.dumps(asdict(self.settings)).encode("utf-8"))
        return path

    def prepare_data_dir(self) -> list[Repair]:
        """At start: tighten the data folder and its private files (see pressroom.datadir)."""
        return repair_data_dir(self.data_dir)


def load_config(
    data_dir: str | os.PathLike[str] | None = None, ledger_url: str | None = None
) -> Config:
    root = resolve_data_dir(data_dir)
    settings = Settings()
    path = root / SETTINGS_FILE
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"The settings file {path} is not valid TOML: {exc}.") from None
        known = {f.name for f in fields(Settings)}
        for key, value in raw.items():
            if key in known:
                setattr(settings, key, value)
    for name, env in _ENV_OVERRIDES.items():
        if os.environ.get(env):
            setattr(settings, name, os.environ[env])
    if ledger_url:
        settings.ledger_url = ledger_url
    settings.validate()
    return Config(data_dir=root, settings=settings)
