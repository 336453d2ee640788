"""Composition root: one place that turns a Config into the station's parts and services.

The CLI and the GUI both build an :class:`App` and call ``app.station.<service>``;
nothing else constructs ledgers, key stores or drive providers. Parts are created lazily
so that `pressroom verify` does not open the ledger and `pressroom keys init` does not
scan USB. ``demo`` is fixed at construction: it decides which drive provider is built.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import cached_property

from pressroom.catalog.store import CatalogStore
from pressroom.config import Config, load_config
from pressroom.drives.base import DriveProvider
from pressroom.ledger import Ledger
from pressroom.pin import PinGate
from pressroom.secure.keys import KeyStore
from pressroom.secure.verifier import Trust
from pressroom.station import Station
from pressroom.station.parts import trust_of


@dataclass(frozen=True, eq=False)
class App:
    config: Config
    demo: bool = False  # drives: simulated demo disks only

    def __post_init__(self) -> None:
        # Every front end (CLI, station window, kiosk, benchmarks) starts here: tighten the
        # data folder before anything reads or writes in it.
        self.config.prepare_data_dir()

    @classmethod
    def from_args(cls, args: argparse.Namespace, *, demo: bool | None = None) -> App:
        """The App for a parsed command line; ``--demo`` is read where the command has it."""
        config = load_config(getattr(args, "data_dir", None), getattr(args, "ledger_url", None))
        if demo is None:
            demo = bool(getattr(args, "demo", False))
        return cls(config, demo=demo)

    @cached_property
    def station(self) -> Station:
        return Station.build(self)

    @cached_property
    def keystore(self) -> KeyStore:
        return KeyStore(self.config.keys_dir)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger.open(self.config.ledger_url)

    @cached_property
    def pin_gate(self) -> PinGate:
        """The kiosk operator PIN's checks and lockout (its state file is in the data dir)."""
        from pressroom.pin import Lockout

        return PinGate(Lockout.for_data_dir(self.config.data_dir))

    @cached_property
    def catalog(self) -> CatalogStore:
        from pressroom.catalog.store import SqlCatalogStore

        # the ledger's migrations own the tables; paths are recorded per station
        return SqlCatalogStore(self.ledger.engine, station=self._station_hex)

    def _station_hex(self) -> str:
        ks = self.keystore
        return ks.station_id().hex() if ks.has_station() else ""

    def trust(self) -> Trust:
        """What this station's built-in player trusts: its publishers, key and revocations."""
        return trust_of(self.keystore)

    @cached_property
    def drive_provider(self) -> DriveProvider:
        from pressroom.drives import default_provider

        return default_provider(self.config, demo=self.demo)

    def reload_drives(self) -> None:
        """Choose the drive provider again (the first-start wizard just made demo disks:
        a station that had none now has simulated disks to show)."""
        provider = self.__dict__.pop("drive_provider", None)
        if provider is not None:
            provider.close()

    def close(self) -> None:
        """Stop what the parts started (the USB thread, watchers, database pools)."""
        provider = self.__dict__.pop("drive_provider", None)
        if provider is not None:
            provider.close()
        ledger = self.__dict__.pop("ledger", None)
        if ledger is not None:
            ledger.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
