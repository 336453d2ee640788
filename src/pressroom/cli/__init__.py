"""The command line: thin. It parses, calls the app layer, and prints.

Each subcommand lives in its own module under ``pressroom.cli`` and exposes
``register(subparsers)``; the module sets ``func(args) -> int`` on its parser.
Errors meant for a person (:class:`~pressroom.errors.PressroomError`) are printed as one
sentence with the contract's exit code; anything unexpected is logged to a crash file and
reported in one sentence too, never as a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import time
import traceback
from collections.abc import Sequence

from pressroom import __version__
from pressroom.errors import EXIT_FAILED, EXIT_USAGE, PressroomError

# Subcommand modules, in the order `pressroom --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "gui",
    "kiosk",
    "demo",
    "run",
    "keys",
    "grant",
    "catalog",
    "sim",
    "drives",
    "verify",
    "play",
    "ledger",
    "report",
    "audit",
    "bench",
    "doctor",
    "reissue",
    "revoke",
    "trace",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one sentence, exit 2, usage on stderr
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pressroom",
        description="Duplication station for secured, disk-bound music copies.",
    )
    parser.add_argument("--version", action="version", version=f"pressroom {__version__}")
    parser.add_argument(
        "--data-dir", help="data directory (default: $PRESSROOM_DATA_DIR or the user data dir)"
    )
    parser.add_argument(
        "--ledger", dest="ledger_url", help="ledger database URL (default: SQLite in data dir)"
    )
    parser.add_argument(
        "--demo",
        dest="demo_mode",
        action="store_true",
        help="with no subcommand: start the station on demo disks",
    )
    parser.add_argument("--kiosk", action="store_true", help="with no subcommand: kiosk mode")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"pressroom.cli.{name}_cmd")
        except ModuleNotFoundError as exc:
            if exc.name == f"pressroom.cli.{name}_cmd":
                continue  # that command is not built yet in this tree
            raise
        module.register(sub)
    return parser


def _stacks_on_sigusr1() -> None:
    """``kill -USR1 <pid>`` prints every thread's stack to stderr and the station goes on:
    how a station that seems stuck says where it waits, with no debugger attached."""
    import faulthandler
    import signal

    if not hasattr(signal, "SIGUSR1"):
        return  # Windows
    # no stderr with a file descriptor (a windowed bundle): nowhere to print, so nothing
    with contextlib.suppress(AttributeError, ValueError, OSError):
        faulthandler.register(signal.SIGUSR1, all_threads=True, chain=False)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # a process of its own (not a test calling main in-process)
        _stacks_on_sigusr1()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args([*(sys.argv[1:] if argv is None else argv), *_default_command()])
    try:
        return int(args.func(args) or 0)
    except PressroomError as exc:
        print(f"pressroom: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("pressroom: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_FAILED
    except Exception as exc:  # last resort: one sentence, details to a crash file
        path = _write_crash_report(args)
        print(
            f"pressroom: internal error ({type(exc).__name__}: {exc}); "
            f"details were written to {path}.",
            file=sys.stderr,
        )
        return EXIT_FAILED


def _default_command() -> list[str]:
    """Bare `pressroom`: the station window, on demo disks when no real disk is attached;
    with no display at all, the headless demo run (the station's main job)."""
    from pressroom.config import load_config
    from pressroom.display import has_display  # Qt-free: answers without importing Qt
    from pressroom.drives import real_disks_attached

    if not has_display():
        print(
            "pressroom: no display to open the station window on; "
            "running the headless demo instead (pressroom demo).",
            file=sys.stderr,
        )
        return ["demo"]
    try:
        real = real_disks_attached(load_config())
    except PressroomError:
        real = False
    return ["gui"] if real else ["gui", "--demo"]


def _write_crash_report(args: argparse.Namespace) -> str:
    import os

    from pressroom.config import resolve_data_dir
    from pressroom.datadir import FILE_MODE, make_private_dir

    try:
        logs = make_private_dir(resolve_data_dir(getattr(args, "data_dir", None)) / "logs")
        path = logs / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        with os.fdopen(os.open(path, flags, FILE_MODE), "w", encoding="utf-8") as fh:
            fh.write(traceback.format_exc())  # a traceback may quote paths and settings
        return str(path)
    except OSError:
        return "(nowhere: the data directory is not writable)"
