"""Errors that reach a person: one clear sentence and an exit code.

Anything raised as a :class:`PressroomError` is printed by the CLI as its message alone
(no traceback) and turned into the exit code of the design's contract.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1  # some disk failed or did not verify
EXIT_USAGE = 2  # bad arguments or bad input
EXIT_SETUP = 3  # setup missing: no keys, no grant
EXIT_LEDGER = 4  # the ledger database cannot be reached (try again when it is back)


class PressroomError(Exception):
    """An expected failure with a message meant for the operator."""

    exit_code = EXIT_USAGE


class UsageError(PressroomError):
    exit_code = EXIT_USAGE


class SetupError(PressroomError):
    """Something the station needs (keys, grant, ledger) is missing."""

    exit_code = EXIT_SETUP


class VerificationFailed(PressroomError):
    exit_code = EXIT_FAILED
