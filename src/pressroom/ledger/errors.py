"""Ledger failures that reach a person."""

from __future__ import annotations

from pressroom.errors import EXIT_FAILED, EXIT_LEDGER, PressroomError


class LedgerError(PressroomError):
    exit_code = EXIT_FAILED


class StaleReservation(LedgerError):
    """A reservation was committed or released twice (for example by two reconcilers)."""


class LedgerUnreachable(LedgerError):
    """The ledger database cannot be reached now (server down, network, file unreadable).

    Distinct from every other ledger error: nothing is wrong with the request, so a run
    waits at a safe point and tries again, and a command exits with its own code."""

    exit_code = EXIT_LEDGER
