"""The parts the application layer works with, as a Protocol instead of the App class.

The services are built once by the composition root, but the parts behind them must stay
lazy: ``pressroom verify`` must not open the ledger and ``pressroom keys init`` must not
scan USB. So a service holds this view of the composition root and reaches a part only
when a use case needs it. A Protocol (not ``pressroom.app.App``) keeps the import arrow
pointing down: the application layer never imports the composition root.
"""

from __future__ import annotations

from typing import Protocol

from pressroom.aftercare.parts import AftercareParts
from pressroom.secure.keys import KeyStore
from pressroom.secure.verifier import Trust


class Parts(AftercareParts, Protocol):
    """What ``pressroom.app.App`` provides, each part built on first use: the parts
    aftercare takes (config, keys, ledger, catalog, drives) and whether disks are demo."""

    @property
    def demo(self) -> bool: ...

    def reload_drives(self) -> None: ...


def trust_of(keystore: KeyStore) -> Trust:
    """What this station's built-in player trusts: its publishers, key and revocations."""
    return Trust(
        keystore.trusted_publishers(), keystore.player_key(), (keystore.revocations_bytes(),)
    )
