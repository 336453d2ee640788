"""`pressroom doctor`: is this machine ready to make disks, and if not, what to do.

A use case like the others, so it lives in the application layer: :class:`DoctorService`
(``app.station.doctor``) runs one small check per subject (``software``, ``usb``,
``data``, ``keys``, ``ledger``, ``grants``, ``desktop``, ``fstools``), each returning one
:class:`Check`, through one runner that turns a check's exception into one FAIL line.
Qt-free: Qt is loaded only in a child process (:func:`probe_qt`). The machine facts
(sysfs, /dev, udev rules, groups) come from a :class:`Host` so tests can describe any
machine. The grant check asks the same rule a run applies (:mod:`pressroom.station.grants`).
"""

from __future__ import annotations

import time
from typing import Any

from pressroom import __version__
from pressroom.station.doctor.check import Check, Status, exit_code
from pressroom.station.doctor.context import Examination, QtProbe
from pressroom.station.doctor.desktop import probe_qt
from pressroom.station.doctor.host import Host
from pressroom.station.doctor.ledger import ledger_label
from pressroom.station.doctor.runner import run_checks
from pressroom.station.grants import GrantService
from pressroom.station.keys import KeyService
from pressroom.station.parts import Parts


class DoctorService:
    def __init__(self, parts: Parts, keys: KeyService, grants: GrantService) -> None:
        self._parts = parts
        self._keys = keys
        self._grants = grants

    def examine(
        self,
        *,
        host: Host | None = None,
        now: float | None = None,
        qt_probe: QtProbe | None = None,
    ) -> list[Check]:
        """Every check, in report order; creates nothing (not even the ledger file)."""
        d = Examination(
            self._parts,
            self._keys,
            self._grants,
            host if host is not None else Host(),
            time.time() if now is None else now,
            qt_probe,
        )
        return run_checks(d)

    def report_json(self, checks: list[Check]) -> dict[str, Any]:
        """What ``pressroom doctor --json`` prints."""
        config = self._parts.config
        return {
            "version": __version__,
            "data_dir": str(config.data_dir),
            "ledger": ledger_label(config.ledger_url),
            "ok": exit_code(checks) == 0,
            "checks": [c.to_json() for c in checks],
        }


__all__ = ["Check", "DoctorService", "Host", "Status", "exit_code", "probe_qt"]
