"""The ``runs`` table: one row per run, from start to its final status.

The only writer of ``runs``. Writes take a connection inside
:func:`db.write_transaction` and append their chain event on it (``run-started``,
``run-finished``), so a run's row and its events commit together.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from pressroom.errors import UsageError
from pressroom.ledger import chain
from pressroom.ledger.errors import LedgerError
from pressroom.ledger.models import RUN_STATUSES, RunRecord, TrackTitle
from pressroom.ledger.schema import runs

RUN_STARTED: Final = "run-started"
RUN_FINISHED: Final = "run-finished"


def start(
    conn: Connection,
    *,
    run_id: str,
    grant_id: str,
    station_id: str,
    tracks: Sequence[str],
    copies_wanted: int,
    rights: Any,
    operator: str,
    now: float,
    titles: Sequence[TrackTitle] = (),
) -> None:
    named = [t.to_json() for t in titles]
    conn.execute(
        runs.insert().values(
            run_id=run_id,
            started_at=now,
            operator=operator,
            station_id=station_id,
            grant_id=grant_id,
            tracks=json.dumps(list(tracks)),
            copies_wanted=copies_wanted,
            rights=chain.canonical_json(rights),
            status="running",
            titles=json.dumps(named) if named else None,
        )
    )
    chain.append(
        conn,
        RUN_STARTED,
        {
            "run": run_id,
            "grant": grant_id,
            "station": station_id,
            "operator": operator,
            "tracks": list(tracks),
            "copies": copies_wanted,
            "rights": rights,
            "at": now,
            **({"titles": named} if named else {}),
        },
    )


def check_final_status(status: str) -> None:
    if status not in RUN_STATUSES or status == "running":
        raise ValueError(f"unknown final run status {status!r}")


def finish(conn: Connection, run_id: str, status: str, now: float) -> None:
    check_final_status(status)
    done = conn.execute(
        runs.update().where(runs.c.run_id == run_id).values(status=status, finished_at=now)
    ).rowcount
    if done != 1:
        raise LedgerError(f"No run {run_id} is recorded.")
    chain.append(conn, RUN_FINISHED, {"run": run_id, "status": status, "at": now})


def since(conn: Connection, started: float | None) -> list[RunRecord]:
    """Every run, or those started at or after ``started``, oldest first."""
    query = sa.select(runs).order_by(runs.c.started_at)
    if started is not None:
        query = query.where(runs.c.started_at >= started)
    return [run_record(r) for r in conn.execute(query)]


def find(conn: Connection, id_or_prefix: str) -> RunRecord:
    """The one run whose id starts with ``id_or_prefix``; a person typed it."""
    prefix = id_or_prefix.strip().lower()
    rows = conn.execute(sa.select(runs).where(runs.c.run_id.startswith(prefix)).limit(2)).all()
    if not rows:
        raise UsageError(f"No run {prefix} is recorded in the ledger.")
    if len(rows) > 1:
        raise UsageError(f"Several runs start with {prefix}; give more of the id.")
    return run_record(rows[0])


def run_record(r: Row[Any]) -> RunRecord:
    return RunRecord(
        run_id=r.run_id,
        started_at=r.started_at,
        finished_at=r.finished_at,
        operator=r.operator,
        station_id=r.station_id,
        grant_id=r.grant_id,
        tracks=tuple(json.loads(r.tracks)),
        copies_wanted=r.copies_wanted,
        rights=json.loads(r.rights),
        status=r.status,
        titles=_titles(r.titles),
    )


def _titles(raw: str | None) -> tuple[TrackTitle, ...]:
    """The stored titles; a run from before they were kept (NULL) or an unreadable
    value gives none, and History then names the tracks from the catalog."""
    if not raw:
        return ()
    try:
        entries = json.loads(raw)
    except ValueError:
        return ()
    return tuple(TrackTitle.from_json(e) for e in entries) if isinstance(entries, list) else ()
