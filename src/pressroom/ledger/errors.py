"""Ledger failures that reach a person."""

from __future__ import annotations

from pressroom.errors import EXIT_FAILED, PressroomError


class LedgerError(PressroomError):
    exit_code = EXIT_FAILED


class StaleReservation(LedgerError):
    """A reservation was committed or released twice (for example by two reconcilers)."""
