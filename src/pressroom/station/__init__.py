"""The application layer: every use case the command line, the window and the kiosk offer.

Qt-free and typed. Front ends parse, call ``app.station.<service>`` and render; they do
not build runs, read the ledger or sign grants themselves, so each rule exists once
(docs/ARCHITECTURE.md). :class:`Station` is built only by the composition root,
``pressroom.app.App.station``; the services reach the parts lazily through
:class:`~pressroom.station.parts.Parts`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pressroom.station.aftercare import AftercareService
from pressroom.station.catalog import CatalogService
from pressroom.station.checkpoints import CheckpointService
from pressroom.station.demo import DemoService
from pressroom.station.disks import DiskService
from pressroom.station.doctor import DoctorService
from pressroom.station.grants import GrantService, Usability
from pressroom.station.history import HistoryService
from pressroom.station.keys import KeyService
from pressroom.station.marking import MarkingService, Trace
from pressroom.station.parts import Parts
from pressroom.station.reports import ReportService
from pressroom.station.runs import Readiness, RunBusy, RunService
from pressroom.station.setup import SetupService
from pressroom.station.shift import ShiftService


@dataclass(frozen=True)
class Station:
    """The services of one station, sharing one set of parts (and one run guard)."""

    grants: GrantService
    keys: KeyService
    disks: DiskService
    runs: RunService
    catalog: CatalogService
    reports: ReportService
    aftercare: AftercareService
    demo: DemoService
    setup: SetupService
    doctor: DoctorService
    marking: MarkingService
    checkpoints: CheckpointService
    shift: ShiftService
    history: HistoryService

    @classmethod
    def build(cls, parts: Parts) -> Station:
        """Wire the services over ``parts`` (called by the composition root only)."""
        grants = GrantService(parts)
        keys = KeyService(parts)
        disks = DiskService(parts)
        checkpoints = CheckpointService(parts)
        runs = RunService(parts, grants, disks, checkpoints)
        demo = DemoService(parts, keys, grants)
        return cls(
            grants=grants,
            keys=keys,
            disks=disks,
            runs=runs,
            catalog=CatalogService(parts, grants),
            reports=ReportService(parts, checkpoints),
            aftercare=AftercareService(parts, runs),
            demo=demo,
            setup=SetupService(parts, keys, grants, demo),
            doctor=DoctorService(parts, keys, grants),
            marking=MarkingService(parts),
            checkpoints=checkpoints,
            shift=ShiftService(parts),
            history=HistoryService(parts),
        )


__all__ = ["Readiness", "RunBusy", "Station", "Trace", "Usability"]
