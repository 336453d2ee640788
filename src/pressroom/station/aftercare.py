"""After the sale: replacing a lost disk through the one run path, and revoking.

A reissue used to start its run from History without asking whether one was going;
:meth:`AftercareService.start` goes through :meth:`RunService.start`, the one guard, for
``pressroom reissue`` and History alike.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from pressroom import aftercare
from pressroom.aftercare import ReissueOutcome, ReissuePlan, RevocationOutcome
from pressroom.aftercare.revoke import Target, describe
from pressroom.engine.events import Listener
from pressroom.engine.run import Run, RunSummary
from pressroom.secure.cert import RevocationList
from pressroom.station.parts import Parts
from pressroom.station.runs import RunService
from pressroom.station.shift import current_operator


def _ignore(_event: object) -> None:
    """A listener for a run nobody watches."""


class AftercareService:
    def __init__(self, parts: Parts, runs: RunService) -> None:
        self._parts = parts
        self._runs = runs

    def plan_reissue(
        self,
        licence: str,
        *,
        drives: tuple[str, ...] | None = None,
        insert_and_go: bool = True,
        operator: str = "",
    ) -> ReissuePlan:
        """Everything a replacement needs, checked before any disk is touched; recorded
        with ``operator``, or the operator on shift (station.shift)."""
        who = operator or current_operator(self._parts.config.settings, time.time())
        return aftercare.plan_reissue(
            self._parts, licence, drives=drives, insert_and_go=insert_and_go, operator=who
        )

    def start(self, plan: ReissuePlan, listener: Listener = _ignore) -> Run:
        """Start the replacement's one-copy run (refused while another run is going)."""
        return self._runs.start(plan.job, listener)

    def complete(
        self, plan: ReissuePlan, summary: RunSummary, *, reason: str = ""
    ) -> ReissueOutcome:
        """After the run: link old -> new, then revoke (or request revoking) the old one."""
        return aftercare.complete_reissue(self._parts, plan, summary, reason=reason)

    def reissue(
        self, licence: str, *, reason: str = "", listener: Listener = _ignore
    ) -> ReissueOutcome:
        """Plan, run and complete a replacement on a disk attached now (blocking: call it
        on a worker thread). Refused by the run guard while a run is going."""
        plan = self.plan_reissue(licence, insert_and_go=False)
        run = self.start(plan, listener)
        return self.complete(plan, run.wait(), reason=reason)

    def revoke(
        self, kind: Target, refs: Sequence[str], *, reason: str = "", operator: str = ""
    ) -> RevocationOutcome:
        return aftercare.revoke(self._parts, kind, list(refs), reason=reason, operator=operator)

    def import_list(self, data: bytes, *, operator: str = "") -> RevocationList:
        return aftercare.import_list(self._parts, data, operator=operator)

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = describe(self._parts)
        return info
