"""`pressroom run`: make N verified copies of some tracks on the attached disks."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from rich.console import Console

from pressroom.app import App
from pressroom.cli.run_view import RunBoard, disk_json, follow, summary_table
from pressroom.engine import DiskState, Run, RunState, RunSummary
from pressroom.engine.events import Listener
from pressroom.engine.job import Job
from pressroom.engine.run import port_key
from pressroom.errors import EXIT_FAILED, PressroomError, UsageError
from pressroom.secure.rights import PRESETS
from pressroom.station.shift import NotSaved


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="write, verify and license N copies on the attached disks")
    p.add_argument("--tracks", nargs="+", required=True, metavar="ID|PATH", help="catalog tracks")
    p.add_argument("--copies", type=int, required=True, help="how many verified disks to make")
    p.add_argument(
        "--rights",
        default="standard",
        help=f"rights for every track: {', '.join(PRESETS)} "
        "or plays=N,days=N,preview=S,export=yes|no",
    )
    p.add_argument("--grant", help="grant id or prefix (default: the best one covering the tracks)")
    p.add_argument(
        "--drives", nargs="+", metavar="ID", help="only these disks (see pressroom drives)"
    )
    p.add_argument(
        "--no-wait", action="store_true", help="use the disks attached now; do not wait for more"
    )
    p.add_argument("--eject", action="store_true", help="eject each disk once it verified")
    p.add_argument(
        "--operator",
        metavar="NAME",
        help="who runs the station; remembered for the shift (12 hours), as the window does",
    )
    p.add_argument("--demo", action="store_true", help="simulated demo disks only")
    p.add_argument("--json", action="store_true", help="one JSON result object per disk")
    p.set_defaults(func=cmd_run)


def execute(app: App, job: Job, *, json_out: bool, console: Console) -> RunSummary:
    """Run a job with live progress (or silently for JSON); Ctrl-C cancels cleanly."""
    return follow_run(
        app, lambda board: app.station.runs.start(job, board), json_out=json_out, console=console
    )


def follow_run(
    app: App, start: Callable[[Listener], Run], *, json_out: bool, console: Console
) -> RunSummary:
    """Settle a crashed run, start one through ``start`` (the station's run path) and
    follow it with live progress (or silently for JSON); Ctrl-C cancels cleanly."""
    for line in app.station.runs.reconcile():
        console.print(f"recovered: {line}")
    board = RunBoard()
    run: Run = start(board)
    try:
        if json_out or not console.is_terminal:
            run.wait()
        else:
            follow(board, lambda: run.done, console)
    except KeyboardInterrupt:
        console.print("stopping: removing partial files and releasing reservations...")
        run.cancel()
    summary = run.wait()
    failure = run.failure
    if failure is not None:  # the step before the disks failed: its one sentence
        raise failure if isinstance(failure, PressroomError) else PressroomError(str(failure))
    return summary


def cmd_run(args: argparse.Namespace) -> int:
    with App.from_args(args) as app:
        console = Console(stderr=True)
        # settle what a crashed run left reserved before the grant is checked: its copies
        # may be the ones this job needs
        for line in app.station.runs.reconcile():
            console.print(f"recovered: {line}")
        who_is_working(app, args.operator, console)
        job = app.station.runs.plan(
            args.tracks,
            copies=args.copies,
            rights=args.rights,
            grant_id=args.grant,
            drives=args.drives,
            insert_and_go=not args.no_wait,
            eject_when_done=args.eject,
        )
        if not job.operator:
            console.print(
                "note: no operator is on shift; this run is recorded without a name "
                "(add --operator NAME).",
                soft_wrap=True,
            )
        summary = execute(app, job, json_out=args.json, console=console)
        code = report(summary, json_out=args.json)
        save_report(app, summary.run_id, console)
        return code


def who_is_working(app: App, name: str | None, console: Console) -> None:
    """The shift's rule (station.shift): a name given starts or keeps its shift."""
    if name is None:
        return
    try:
        app.station.shift.remember(name)
    except NotSaved as exc:  # the name is still recorded on this run
        console.print(f"note: {exc}", soft_wrap=True, highlight=False)


def save_report(app: App, run_id: str, console: Console) -> None:
    """The run's report in the reports folder when the setting is on; a folder that cannot
    be written is one sentence, and the run's result (and exit code) stands."""
    try:
        saved = app.station.reports.after_run(run_id)
    except UsageError as exc:
        console.print(f"[yellow]{exc}[/yellow]", highlight=False, soft_wrap=True)
        return
    if saved is not None:
        console.print(f"Report saved: {saved.pdf}", highlight=False, soft_wrap=True)


def report(summary: RunSummary, *, json_out: bool) -> int:
    disks = sorted(
        (d for d in summary.disks.values() if d.state != DiskState.IDLE),
        key=lambda d: (port_key(d.port), d.label),
    )
    if json_out:
        for d in disks:
            print(json.dumps(disk_json(d)))
    else:
        out = Console(file=sys.stdout)
        out.print(summary_table(disks))
        out.print(
            f"{summary.passed} of {summary.target} copies verified and recorded; "
            f"{summary.failed} disk(s) failed; run {summary.run_id[:12]} {_outcome(summary)}."
        )
    return 0 if summary.passed >= summary.target else EXIT_FAILED


def _outcome(summary: RunSummary) -> str:
    if summary.state == RunState.FINISHED and summary.passed < summary.target:
        return "ended with fewer copies than asked (no more disks to try)"
    return summary.state.value
