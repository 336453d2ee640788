"""Where each port of a tower sits, and what its cell says: the one rule for the port map.

A duplication tower's ports hang off hub boards (``2-1.3.4`` sits on hub ``2-1.3``). The
window's tower view paints this layout and the run's PDF report prints it, so an operator
finds the failed stick on paper as on screen: one column per hub, its ports top to bottom
in port order, a long hub continuing in further columns. Qt-free: the window only turns
the columns into pixels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pressroom.engine.run import port_key
from pressroom.ledger import reports

MAX_ROWS = 7  # ports per hub column: a 7-port hub board stands as one column


def hub_of(port: str) -> str:
    """The hub a port hangs off: the port path without its last hop."""
    head, _, _ = port.rpartition(".")
    return head or port.split("-", 1)[0]


@dataclass(frozen=True)
class HubColumn:
    """One column of the map: the hub's name (empty where a long hub continues) and the
    ids of its ports, top to bottom."""

    hub: str
    ids: tuple[str, ...]


def hub_columns(ports: Iterable[tuple[str, str]], rows: int | None = None) -> list[HubColumn]:
    """Columns of ``(id, port path)`` pairs grouped by hub, hubs and ports in port order.

    ``rows`` is the height of a column; by default the tallest hub's, at most MAX_ROWS.
    """
    by_hub: dict[str, list[str]] = {}
    for drive_id, port in sorted(ports, key=lambda p: (port_key(p[1]), p[0])):
        by_hub.setdefault(hub_of(port), []).append(drive_id)
    if rows is None:
        rows = min(max((len(v) for v in by_hub.values()), default=1), MAX_ROWS)
    rows = max(1, rows)
    columns: list[HubColumn] = []
    for hub, ids in by_hub.items():
        for start in range(0, len(ids), rows):
            columns.append(HubColumn(hub if start == 0 else "", tuple(ids[start : start + rows])))
    return columns


@dataclass(frozen=True)
class PrintedPort:
    """A port as the report prints it: where, what happened, which copy."""

    port: str
    state: str  # "PASS" or "FAIL"
    copy: int | None
    reason: str = ""

    @property
    def failed(self) -> bool:
        return self.state == "FAIL"

    @property
    def text(self) -> str:
        copy = f" #{self.copy}" if self.copy else ""
        return f"{self.port} {self.state}{copy}"


@dataclass(frozen=True)
class PrintedHub:
    hub: str
    ports: tuple[PrintedPort, ...]


def printed_map(disks: Iterable[tuple[str, str, int | None, str]]) -> list[PrintedHub]:
    """The port map of a run for the report, from its recorded disks ``(port, result,
    copy index, reason)``; a port used twice (a retry) shows its last disk."""
    last: dict[str, PrintedPort] = {}
    for port, result, copy, reason in disks:
        state = "PASS" if result == "pass" else "FAIL"
        last[port or "?"] = PrintedPort(port or "?", state, copy, reason)
    columns = hub_columns((p, p) for p in last)
    return [PrintedHub(c.hub, tuple(last[p] for p in c.ids)) for c in columns]


def report_maps(data: reports.ReportData) -> dict[str, reports.PortColumns]:
    """Each run's port map for the printed report (runs whose disks name no port have
    none), as plain text cells the PDF draws column by column."""
    out: dict[str, reports.PortColumns] = {}
    for run in data.runs:
        disks = sorted(data.disks_of(run.run_id), key=lambda d: d.finished_at)
        if not any(d.slot for d in disks):
            continue
        hubs = printed_map((d.slot, d.result, d.copy_index, d.reason) for d in disks)
        out[run.run_id] = tuple((h.hub, tuple((p.text, p.failed) for p in h.ports)) for h in hubs)
    return out
