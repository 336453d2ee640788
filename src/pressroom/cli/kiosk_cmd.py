"""`pressroom kiosk status|unlock`: the operator PIN's lockout, for the station's administrator.

Whoever can run commands as the station's account (and so read and write its data
folder) may already delete the lockout file; this command does it in the open and says
what it cleared. It changes no PIN: a forgotten PIN is replaced in Settings.
"""

from __future__ import annotations

import argparse

from pressroom.app import App
from pressroom.errors import SetupError
from pressroom.pin import wait_words


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kiosk", help="the kiosk operator PIN's lockout (status, unlock)")
    verbs = p.add_subparsers(dest="kiosk_command", metavar="status|unlock", required=True)
    verbs.add_parser("status", help="wrong PIN tries and any wait").set_defaults(func=cmd_status)
    verbs.add_parser("unlock", help="end a lockout now (counts start again)").set_defaults(
        func=cmd_unlock
    )


def cmd_status(args: argparse.Namespace) -> int:
    lockout = App.from_args(args).pin_gate.lockout
    failures, left = lockout.failures(), lockout.remaining()
    wait = f"locked for {wait_words(left)} more" if left > 0 else "not locked"
    print(f"Kiosk PIN: {failures} wrong tries since the last right one; {wait}.")
    return 0


def cmd_unlock(args: argparse.Namespace) -> int:
    lockout = App.from_args(args).pin_gate.lockout
    try:
        left = lockout.remaining()
        cleared = lockout.clear()
    except OSError as exc:
        raise SetupError(
            f"Cannot clear {lockout.path}: {exc.strerror or exc}; run this as the station's "
            "account."
        ) from None
    if cleared is None or cleared.failures == 0:
        print("The kiosk PIN was not locked; nothing to clear.")
    else:
        was = f", {wait_words(left)} of waiting left" if left > 0 else ""
        print(f"Cleared the kiosk PIN lockout ({cleared.failures} wrong tries{was}).")
    return 0
