"""Composition root: one place that turns a Config into the station's parts.

The CLI and the GUI both build an :class:`App` and ask it for what they need; nothing
else constructs ledgers, key stores or drive providers. Parts are created lazily so that
`pressroom verify` does not open the ledger and `pressroom keys init` does not scan USB.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import cached_property

from pressroom.config import Config, load_config


@dataclass
class App:
    config: Config
    demo: bool = False  # drives: simulated demo disks only (set before first use)

    def __post_init__(self) -> None:
        # Every front end (CLI, station window, kiosk, benchmarks) starts here: tighten the
        # data folder before anything reads or writes in it.
        self.config.prepare_data_dir()

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> App:
        return cls(load_config(getattr(args, "data_dir", None), getattr(args, "ledger_url", None)))

    @cached_property
    def keystore(self):  # -> pressroom.secure.keys.KeyStore
        from pressroom.secure.keys import KeyStore

        return KeyStore(self.config.keys_dir)

    @cached_property
    def ledger(self):  # -> pressroom.ledger.Ledger
        from pressroom.ledger import Ledger

        return Ledger.open(self.config.ledger_url)

    @cached_property
    def pin_gate(self):  # -> pressroom.pin.PinGate
        """The kiosk operator PIN's checks and lockout (its state file is in the data dir)."""
        from pressroom.pin import Lockout, PinGate

        return PinGate(Lockout.for_data_dir(self.config.data_dir))

    @cached_property
    def catalog(self):  # -> pressroom.catalog.CatalogStore
        from pressroom.catalog.store import SqlCatalogStore

        return SqlCatalogStore(self.ledger.engine)  # the ledger's migrations own the table

    def trust(self):  # -> pressroom.secure.verifier.Trust
        """What this station's built-in player trusts: its publishers, key and revocations."""
        from pressroom.secure.verifier import Trust

        ks = self.keystore
        return Trust(ks.trusted_publishers(), ks.player_key(), (ks.revocations_bytes(),))

    @cached_property
    def drive_provider(self):  # -> pressroom.drives.DriveProvider
        from pressroom.drives import default_provider

        return default_provider(self.config, demo=self.demo)

    def import_grant_file(self, path):  # -> pressroom.secure.grant.Grant
        """Verify a grant file against the trusted publishers and record it in the ledger."""
        import time
        from pathlib import Path

        from pressroom.errors import UsageError
        from pressroom.secure.errors import FormatError

        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"Cannot read {path}: {exc.strerror}.") from None
        try:
            return self.ledger.import_grant(raw, self.keystore.trusted_publishers(), time.time())
        except FormatError as exc:
            raise UsageError(f"{path.name} is not a Pressroom grant file ({exc}).") from None

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
