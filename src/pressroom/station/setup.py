"""First start: what the setup wizard does, without Qt (it runs in a pool thread).

Moved out of ``gui/setup_actions`` so the wizard, ``pressroom gui`` and the tests share
one Qt-free implementation; the demo path is the one recipe of
:class:`~pressroom.station.demo.DemoService`.
"""

from __future__ import annotations

import time
from pathlib import Path

from pressroom.errors import SetupError
from pressroom.secure.rights import RightsLimits
from pressroom.station.demo import DemoService
from pressroom.station.grants import GrantService
from pressroom.station.keys import KeyService
from pressroom.station.parts import Parts

DEMO_GRANT_COPIES = 200


class SetupService:
    def __init__(
        self, parts: Parts, keys: KeyService, grants: GrantService, demo: DemoService
    ) -> None:
        self._parts = parts
        self._keys = keys
        self._grants = grants
        self._demo = demo

    def needs_setup(self) -> bool:
        """First start: no station key, or nothing to press (no grant or empty catalog)."""
        return (
            not self._keys.has_keys()
            or not self._grants.statuses()
            or not self._parts.catalog.all()
        )

    def has_usable_grant(self) -> bool:
        return bool(self._grants.usable(time.time()))

    def create_keys(self, *, demo: bool) -> list[str]:
        return self._keys.ensure(demo=demo)

    def import_grant(self, path: str | Path) -> str:
        """Verify and record a grant file; returns its id."""
        return self._grants.import_file(path).id_hex

    def create_demo_grant(self, copies: int = DEMO_GRANT_COPIES) -> str:
        """A grant over the whole catalog for this station, signed by its demo publisher."""
        tracks = [bytes.fromhex(t.content_hash) for t in self._parts.catalog.all()]
        if not tracks:
            raise SetupError("The catalog is empty; import tracks before creating a grant.")
        grant = self._grants.create(
            sorted(tracks),
            copies=copies,
            title="Demo catalog",
            limits=RightsLimits(export=True),
            station=self._grants.station_id(),
        )
        self._grants.record(grant.raw)
        return grant.id_hex

    def prepare_demo(self) -> list[str]:
        """Everything the window's demo needs (watchable disks); returns what was done."""
        return self._demo.prepare(watchable=True).steps
