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

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> App:
        return cls(load_config(getattr(args, "data_dir", None), getattr(args, "ledger_url", None)))

    @cached_property
    def keystore(self):  # -> pressroom.secure.keys.KeyStore
        from pressroom.secure.keys import KeyStore

        return KeyStore(self.config.keys_dir)
