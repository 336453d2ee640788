"""The parts aftercare needs, as a Protocol: it must not import the composition root.

Aftercare sits below the application layer; ``pressroom.app.App`` (and the application
layer's own view of it) provides these attributes, each built on first use, so revoking
a licence never opens the drive provider.
"""

from __future__ import annotations

from typing import Protocol

from pressroom.catalog.store import CatalogStore
from pressroom.config import Config
from pressroom.drives.base import DriveProvider
from pressroom.ledger import Ledger
from pressroom.secure.keys import KeyStore


class AftercareParts(Protocol):
    @property
    def config(self) -> Config: ...

    @property
    def keystore(self) -> KeyStore: ...

    @property
    def ledger(self) -> Ledger: ...

    @property
    def catalog(self) -> CatalogStore: ...

    @property
    def drive_provider(self) -> DriveProvider: ...
