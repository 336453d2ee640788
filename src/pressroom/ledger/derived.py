"""Derived state checked against the chain: the tables must hold what the events say.

The hash chain proves which events happened, but the station acts on tables: above all
the quota counters in ``grants``. :class:`Replay` is given the chain's events in order
(by :func:`chain.verify`, in the same pass) and rebuilds what every table must hold:
grants (every column, the used and issued counters recomputed from the reservations),
runs, reservations, disks, revocations and replacements. The first row that disagrees is
named: table, key, column, what the events say and what the table has.

Memory is bounded by what is open, not by the chain's length. Reservations, disks and
revocations are inserted in the transaction that appends their event, under the write
lock, so their ids grow with the chain: their rows are read in id order beside the
events, one at a time, and only reservations not yet settled are held. Grants are held
whole (a station has a few hundred at most). Runs and replacements are looked up by key,
one per event, and counted (a run is held from its start to its finish); only when a
table has more rows than events is a second pass made, to name the row no event made.

Events written before a field was added to their payload are checked on the fields they
carry; nothing is assumed for the rest.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from pressroom.ledger import copies, disks, grants, replacements, revocations, runs, schema
from pressroom.ledger.chain import ROW, TableMismatch

_BATCH: Final = 1000

# The state a reservation is left in by each settling event.
_SETTLED: Final[Mapping[str, str]] = {
    copies.COMMITTED: "committed",
    copies.RECONCILED_COMMIT: "committed",
    copies.RELEASED: "released",
    copies.RECONCILED_RELEASE: "released",
    copies.BURNED: "burned",
    copies.RECONCILED_BURN: "burned",
}

# Event key -> column, for the tables whose events name columns differently.
_GRANT_KEYS: Final[Mapping[str, str]] = {
    "grant": "grant_id",
    "title": "title",
    "publisher": "publisher",
    "station": "station",
    "tracks": "tracks",
    "copies": "copies",
    "replacements": "replacements",
    "not_before": "not_before",
    "not_after": "not_after",
    "imported_at": "imported_at",
    "raw": "raw",
}
_RESERVATION_KEYS: Final[Mapping[str, str]] = {
    "reservation": "id",
    "grant": "grant_id",
    "kind": "kind",
    "copy_index": "copy_index",
    "run": "run_id",
    "drive": "drive_id",
    "station": "station_id",
}
_DISK_KEYS: Final[Mapping[str, str]] = {
    disks.EVENT_KEYS.get(c.name, c.name): c.name
    for c in schema.disks.columns
    if c.name != "reservation_id"  # set by the event kind, see Replay._disk
}
_RUN_KEYS: Final[Mapping[str, str]] = {
    "run": "run_id",
    "grant": "grant_id",
    "station": "station_id",
    "operator": "operator",
    "tracks": "tracks",
    "copies": "copies_wanted",
    "rights": "rights",
    "at": "started_at",
    "titles": "titles",
}
_JSON_COLUMNS: Final = frozenset({"tracks", "rights", "titles"})
_REVOCATION_COLUMNS: Final = tuple(c.name for c in schema.revocations.columns)
_REPLACEMENT_COLUMNS: Final = tuple(c.name for c in schema.replacements.columns)
_COUNTERS: Final[Mapping[str, tuple[str, str]]] = {
    "sale": ("copies_used", "copies_issued"),
    "replacement": ("replacements_used", "replacements_issued"),
}


def _absent(seq: int | None, table: str, key: str) -> TableMismatch:
    return TableMismatch(table, key, ROW, "a row", "no such row", seq)


def _extra(table: str, key: str) -> TableMismatch:
    return TableMismatch(table, key, ROW, "no such row (no event made it)", "a row", None)


def _compare(
    table: str, key: str, expected: Mapping[str, Any], row: Row[Any], seq: int | None
) -> TableMismatch | None:
    columns = row._asdict()  # one dict per row: far cheaper than RowMapping lookups
    for name, want in expected.items():
        found = columns[name]
        if name in _JSON_COLUMNS:
            # not JSON: compared as it is, so it disagrees and is named
            with contextlib.suppress(TypeError, ValueError):
                found = json.loads(found)
        elif name == "raw" and isinstance(found, bytes | bytearray | memoryview):
            found = base64.b64encode(found).decode("ascii")
        if found != want:
            return TableMismatch(table, key, name, want, found, seq)
    return None


def _pick(payload: Mapping[str, Any], keys: Mapping[str, str]) -> dict[str, Any]:
    """The columns an event states, under their column names."""
    return {column: payload[k] for k, column in keys.items() if k in payload}


class _Rows:
    """A table's rows in id order, taken one at a time as the events name them."""

    def __init__(self, conn: Connection, table: sa.Table) -> None:
        self.name = table.name
        query = sa.select(table).order_by(table.c.id).execution_options(yield_per=_BATCH)
        self._rows: Iterator[Row[Any]] = iter(conn.execute(query))
        self._next: Row[Any] | None = next(self._rows, None)

    def take(self, key: int | None, seq: int) -> Row[Any] | TableMismatch:
        """The row with id ``key`` (None: the next row), which must come next."""
        row = self._next
        if row is not None and key is not None and row.id < key:
            return _extra(self.name, f"id {row.id}")
        if row is None or (key is not None and row.id > key):
            return _absent(seq, self.name, f"id {key}" if key is not None else "(next)")
        self._next = next(self._rows, None)
        return row

    def leftover(self) -> TableMismatch | None:
        """A row after the last one an event made."""
        return None if self._next is None else _extra(self.name, f"id {self._next.id}")


@dataclass
class _Grant:
    columns: dict[str, Any]  # as the grant-imported event states them
    seq: int | None
    counters: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("copies_used", "copies_issued", "replacements_used", "replacements_issued"), 0
        )
    )


@dataclass
class _Open:
    """A reservation not yet settled, or a run not yet finished: what its row must hold
    so far, the row as read, and the event that opened it."""

    expected: dict[str, Any]
    row: Row[Any]
    seq: int


class Replay:
    """Feed it the chain's events in order (:meth:`event`), then :meth:`finish`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.mismatch: TableMismatch | None = None
        self._grants: dict[str, _Grant] = {}
        self._open: dict[int, _Open] = {}
        self._reservations = _Rows(conn, schema.reservations)
        self._disks = _Rows(conn, schema.disks)
        self._revocations = _Rows(conn, schema.revocations)
        self._replacements = 0
        self._runs: dict[str, _Open] = {}  # started, not finished
        self._runs_started = 0

    # --- the events ----------------------------------------------------------------------

    def event(self, seq: int, kind: str, payload: dict[str, Any]) -> None:
        """One verified event; after the first disagreement the rest are skipped."""
        if self.mismatch is not None:
            return
        try:
            self.mismatch = self._apply(seq, kind, payload)
        except (KeyError, TypeError, ValueError) as exc:
            # A verified event whose payload lacks what its kind always carried.
            self.mismatch = TableMismatch(
                "events", f"seq {seq}", "payload", f"a complete {kind} event", repr(exc), seq
            )

    def _apply(self, seq: int, kind: str, p: dict[str, Any]) -> TableMismatch | None:
        if kind == grants.GRANT_IMPORTED:
            grant = self._grant(p["grant"])
            grant.columns, grant.seq = _pick(p, _GRANT_KEYS), seq
            return None
        if kind == copies.RESERVED:
            return self._reserved(seq, p)
        if kind in _SETTLED:
            return self._settled(seq, _SETTLED[kind], p)
        if kind == copies.DISK_FAILED:
            return self._disk(seq, p, None)
        if kind == revocations.REVOKED:
            return self._revoked(seq, p)
        if kind == replacements.REISSUED:
            return self._reissued(seq, p)
        if kind == runs.RUN_STARTED:
            return self._run_started(seq, p)
        if kind == runs.RUN_FINISHED:
            return self._run_finished(seq, p)
        return None  # notes and other kinds change no table

    def _grant(self, grant_id: str) -> _Grant:
        return self._grants.setdefault(grant_id, _Grant({}, None))

    def _reserved(self, seq: int, p: dict[str, Any]) -> TableMismatch | None:
        counters = self._grant(p["grant"]).counters
        used, issued = _COUNTERS[p["kind"]]
        counters[used] += 1
        counters[issued] += 1
        rid = int(p["reservation"])
        row = self._reservations.take(rid, seq)
        if isinstance(row, TableMismatch):
            return row
        expected = _pick(p, _RESERVATION_KEYS)
        expected.update(state="reserved", reason=None)
        if "at" in p:
            expected.update(created_at=p["at"], updated_at=p["at"])
        self._open[rid] = _Open(expected, row, seq)
        return None

    def _settled(self, seq: int, state: str, p: dict[str, Any]) -> TableMismatch | None:
        rid = int(p["reservation"])
        held = self._open.pop(rid, None)
        if held is None:
            return TableMismatch(
                "reservations", f"id {rid}", "state", "reserved", "settled twice", seq
            )
        expected = held.expected
        expected["state"] = state
        if state == "released":
            _used, _ = _COUNTERS[expected["kind"]]
            self._grant(expected["grant_id"]).counters[_used] -= 1
        if state == "committed":
            expected["reason"] = None
        elif "disk" not in p:
            expected["reason"] = p["reason"]
        elif "reservation_reason" in p:
            expected["reason"] = p["reservation_reason"]
        else:
            del expected["reason"]  # older events: the disk's reason took its key
        if "at" in p:
            expected["updated_at"] = p["at"]
        else:
            expected.pop("updated_at", None)
        found = _compare("reservations", f"id {rid}", expected, held.row, seq)
        if found is not None:
            return found
        return self._disk(seq, p, rid) if "disk" in p else None

    def _disk(self, seq: int, p: dict[str, Any], reservation: int | None) -> TableMismatch | None:
        did = int(p["disk"])
        row = self._disks.take(did, seq)
        if isinstance(row, TableMismatch):
            return row
        expected = _pick(p, _DISK_KEYS)
        expected["reservation_id"] = reservation
        return _compare("disks", f"id {did}", expected, row, seq)

    def _revoked(self, seq: int, p: dict[str, Any]) -> TableMismatch | None:
        rid = p.get("id")
        row = self._revocations.take(None if rid is None else int(rid), seq)
        if isinstance(row, TableMismatch):
            return row
        expected = {c: p[c] for c in _REVOCATION_COLUMNS if c in p}
        return _compare("revocations", f"id {row.id}", expected, row, seq)

    def _reissued(self, seq: int, p: dict[str, Any]) -> TableMismatch | None:
        self._replacements += 1
        key = f"old_licence {p['old_licence']}"
        row = self.conn.execute(
            sa.select(schema.replacements).where(
                schema.replacements.c.old_licence == p["old_licence"]
            )
        ).one_or_none()
        if row is None:
            return _absent(seq, "replacements", key)
        expected = {c: p[c] for c in _REPLACEMENT_COLUMNS if c in p}
        return _compare("replacements", key, expected, row, seq)

    def _run_started(self, seq: int, p: dict[str, Any]) -> TableMismatch | None:
        self._runs_started += 1
        run_id = p["run"]
        row = self.conn.execute(
            sa.select(schema.runs).where(schema.runs.c.run_id == run_id)
        ).one_or_none()
        if row is None:
            return _absent(seq, "runs", f"run_id {run_id}")
        expected = _pick(p, _RUN_KEYS)
        expected.update(status="running", finished_at=None)
        self._runs[run_id] = _Open(expected, row, seq)
        return None

    def _run_finished(self, seq: int, p: dict[str, Any]) -> TableMismatch | None:
        run_id = p["run"]
        held = self._runs.pop(run_id, None)
        if held is None:
            return TableMismatch(
                "runs", f"run_id {run_id}", "status", "running", "finished twice", seq
            )
        held.expected["status"] = p["status"]
        if "at" in p:
            held.expected["finished_at"] = p["at"]
        else:
            del held.expected["finished_at"]
        return _compare("runs", f"run_id {run_id}", held.expected, held.row, seq)

    # --- the end of the chain ------------------------------------------------------------

    def finish(self) -> TableMismatch | None:
        """After the last event: what is still open, the grants, and rows no event made."""
        if self.mismatch is not None:
            return self.mismatch
        for run_id, held in self._runs.items():  # never finished: still "running"
            found = _compare("runs", f"run_id {run_id}", held.expected, held.row, held.seq)
            if found is not None:
                return found
        for rid, held in sorted(self._open.items()):
            found = _compare("reservations", f"id {rid}", held.expected, held.row, held.seq)
            if found is not None:
                return found
        return (
            self._finish_grants()
            or self._unexplained(schema.runs.c.run_id, runs.RUN_STARTED, "run", self._runs_started)
            or self._reservations.leftover()
            or self._disks.leftover()
            or self._revocations.leftover()
            or self._unexplained(
                schema.replacements.c.old_licence,
                replacements.REISSUED,
                "old_licence",
                self._replacements,
            )
        )

    def _finish_grants(self) -> TableMismatch | None:
        rows = {r.grant_id: r for r in self.conn.execute(sa.select(schema.grants))}
        for grant_id, g in self._grants.items():
            key = f"grant_id {grant_id}"
            row = rows.pop(grant_id, None)
            if row is None:
                return _absent(g.seq, "grants", key)
            found = _compare("grants", key, {**g.columns, **g.counters}, row, g.seq)
            if found is not None:
                return found
        unexplained = sorted(rows)
        return _extra("grants", f"grant_id {unexplained[0]}") if unexplained else None

    def _unexplained(
        self, key: sa.Column[str], kind: str, payload_key: str, made: int
    ) -> TableMismatch | None:
        """A row of ``key``'s table that no ``kind`` event made, when there are more rows
        than events. Only then are the events' keys held in memory, to name the row."""
        table = key.table
        if self.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == made:
            return None
        events = schema.events
        keys = {
            json.loads(payload)[payload_key]
            for payload in self.conn.execute(
                sa.select(events.c.payload).where(events.c.kind == kind)
            ).scalars()
        }
        for value in self.conn.execute(sa.select(key).order_by(key)).scalars():
            if value not in keys:
                return _extra(table.name, f"{key.name} {value}")
        return None
