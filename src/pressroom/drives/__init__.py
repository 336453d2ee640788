"""What a disk is and where it comes from.

Public surface: :class:`Drive`, :class:`DriveEvent`, :class:`DriveProvider`,
:class:`Volume`, :func:`default_provider`, and :mod:`pressroom.drives.identity`'s
:func:`judge`. Concrete providers: :class:`SimulatedProvider` (the demo default) and
``pressroom.drives.linux.LinuxProvider``.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pressroom.drives.base import (
    Drive,
    DriveCallback,
    DriveEvent,
    DriveProvider,
    DriveRefused,
    Volume,
    Watcher,
    drive_holding,
)
from pressroom.drives.identity import Verdict, judge
from pressroom.drives.simulated import SimulatedProvider, ensure_demo_disks, list_sim_disks
from pressroom.errors import SetupError

if TYPE_CHECKING:
    from pressroom.config import Config

__all__ = [
    "CombinedProvider",
    "Drive",
    "DriveEvent",
    "DriveProvider",
    "DriveRefused",
    "SimulatedProvider",
    "Verdict",
    "Volume",
    "default_provider",
    "judge",
]

log = logging.getLogger(__name__)


class _Watchers:
    def __init__(self, watchers: list[Watcher]):
        self._watchers = watchers

    def stop(self) -> None:
        for w in self._watchers:
            w.stop()


class CombinedProvider:
    """Several providers behind one: each drive goes back to the provider that listed it."""

    def __init__(self, providers: list[DriveProvider]):
        self.providers = providers
        self._owners: dict[str, DriveProvider] = {}  # drive id -> provider, from the last list

    def _owner(self, drive: Drive) -> DriveProvider:
        # Drive ids are provider-specific ("sim:", "usb:", "loop:"), so the provider that
        # last listed an id still owns it; it re-checks the drive itself in open_volume.
        # This spares a full enumeration of every provider (a /proc and sysfs scan on
        # Linux) for each disk the engine opens.
        known = self._owners.get(drive.id)
        if known is not None:
            return known
        for p in self.providers:
            if any(d.id == drive.id for d in p.list_drives()):
                self._owners[drive.id] = p
                return p
        raise DriveRefused(f"{drive.label} is no longer attached.")

    def list_drives(self) -> list[Drive]:
        out = []
        for p in self.providers:
            for d in p.list_drives():
                self._owners[d.id] = p
                out.append(d)
        return out

    def watch(self, callback: DriveCallback) -> Watcher:
        return _Watchers([p.watch(callback) for p in self.providers])

    def open_volume(self, drive: Drive) -> Volume:
        return self._owner(drive).open_volume(drive)

    def eject(self, drive: Drive) -> None:
        self._owner(drive).eject(drive)

    def drive_for_path(self, path: str | os.PathLike[str]) -> Drive | None:
        return drive_holding(self.list_drives(), path)

    def close(self) -> None:
        for p in self.providers:
            p.close()


def default_provider(config: Config, *, demo: bool = False) -> DriveProvider:
    """The drives this station should show.

    Demo mode: simulated disks only (a few healthy ones are created if the sim
    directory is empty). Otherwise: real removable disks on Linux, plus the simulated
    disks whenever the sim directory has some. Loop-backed simulated disks (Linux) go
    through :class:`~pressroom.drives.loopsim.LoopSimProvider`, the real I/O path.
    Other systems are not supported yet outside demo mode.
    """
    sim_dir = Path(config.sim_dir)
    if demo:
        ensure_demo_disks(sim_dir)
    specs = list_sim_disks(sim_dir)
    providers: list[DriveProvider] = []
    if demo or any(s.backing is None for s in specs):
        providers.append(SimulatedProvider(sim_dir))
    if any(s.backing is not None for s in specs) and sys.platform.startswith("linux"):
        try:
            from pressroom.drives.loopsim import LoopSimProvider

            providers.append(LoopSimProvider(sim_dir, protect=[config.data_dir, sim_dir]))
        except (ImportError, OSError) as exc:
            log.info("loop-backed simulated disks unavailable: %s", exc)
    if demo:
        return providers[0] if len(providers) == 1 else CombinedProvider(providers)
    if sys.platform.startswith("linux"):
        try:
            from pressroom.drives.linux import LinuxProvider

            providers.append(LinuxProvider(protect=[config.data_dir, sim_dir]))
        except (ImportError, OSError) as exc:  # no pyudev or no sysfs: just no real disks
            log.info("real removable disks unavailable: %s", exc)
    elif not providers:
        raise SetupError(
            f"Real disks are not supported on {sys.platform} yet; use demo mode (--demo) "
            "or simulated disks (pressroom sim add)."
        )
    if len(providers) == 1:
        return providers[0]
    return CombinedProvider(providers)


def real_disks_attached(config: Config) -> bool:
    """Whether any real removable disk is attached (so bare `pressroom` skips demo disks)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        from pressroom.drives.linux import LinuxProvider

        provider = LinuxProvider(protect=[config.data_dir, Path(config.sim_dir)])
    except (ImportError, OSError):
        return False
    try:
        return bool(provider.list_drives())
    except OSError:
        return False
    finally:
        provider.close()
