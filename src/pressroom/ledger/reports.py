"""Reports from the ledger for the shop and the rights holder: CSV, JSON and PDF.

:func:`gather` reads one run, or everything since a date, into a :class:`ReportData`; the
writers only format it. The PDF is the paper a shop hands to the rights holder: who made
what from which grant, every disk with its result, totals, and the ledger's chain head so
the report can later be checked against the ledger it came from.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import IO, Any

from pressroom.ledger.chain import ChainReport
from pressroom.ledger.models import DiskRecord, GrantStatus, RunRecord
from pressroom.ledger.store import Ledger

MB = 1_000_000
CSV_COLUMNS = (
    "run_id",
    "grant_id",
    "kind",
    "copy_index",
    "licence_id",
    "slot",
    "serial_masked",
    "vendor",
    "product",
    "result",
    "reason",
    "tracks",
    "bytes",
    "mb_per_s",
    "seconds",
    "started_at",
    "finished_at",
    "operator",
    "station_id",
)


@dataclass(frozen=True)
class Totals:
    disks: int
    passed: int
    failed: int
    bytes: int
    seconds: float  # summed per-disk time
    mean_mb_per_s: float | None

    @classmethod
    def of(cls, disks: Iterable[DiskRecord]) -> Totals:
        disks = list(disks)
        speeds = [d.mb_per_s for d in disks if d.mb_per_s]
        passed = sum(d.result == "pass" for d in disks)
        return cls(
            disks=len(disks),
            passed=passed,
            failed=len(disks) - passed,
            bytes=sum(d.bytes for d in disks if d.result == "pass"),
            seconds=sum(d.seconds for d in disks),
            mean_mb_per_s=sum(speeds) / len(speeds) if speeds else None,
        )


PortColumns = tuple[tuple[str, tuple[tuple[str, bool], ...]], ...]


@dataclass(frozen=True)
class ReportData:
    station_label: str
    station_id: str
    generated_at: float
    scope: str  # what the report covers, in words
    runs: tuple[RunRecord, ...]
    grants: tuple[GrantStatus, ...]
    disks: tuple[DiskRecord, ...]
    chain: ChainReport
    # The station's signed checkpoint made with this report (base64), and the signature
    # over the report (base64 ``report`` envelope); both set by the station's report service.
    checkpoint: str = ""
    signature: str = ""
    kinds: Mapping[int, str] = field(default_factory=dict)  # reservation id -> sale|replacement
    # run id -> its port map as printed: columns of (hub, ((cell text, failed), ...)),
    # laid out by the station's one port-map rule (station.portmap), drawn by the PDF
    port_maps: Mapping[str, PortColumns] = field(default_factory=dict)

    def kind_of(self, disk: DiskRecord) -> str | None:
        """Whether a disk's copy was a sale or a replacement (its copy index counts per kind)."""
        return None if disk.reservation_id is None else self.kinds.get(disk.reservation_id)

    @property
    def totals(self) -> Totals:
        return Totals.of(self.disks)

    def disks_of(self, run_id: str | None) -> list[DiskRecord]:
        return [d for d in self.disks if d.run_id == run_id]

    def to_json(self) -> dict[str, Any]:
        t = self.totals
        return {
            "station": {"label": self.station_label, "id": self.station_id},
            "generated_at": _iso(self.generated_at),
            "scope": self.scope,
            "grants": [g.to_json() for g in self.grants],
            "runs": [r.to_json() for r in self.runs],
            "disks": [{**d.to_json(), "kind": self.kind_of(d)} for d in self.disks],
            "totals": {
                "disks": t.disks,
                "passed": t.passed,
                "failed": t.failed,
                "bytes": t.bytes,
                "seconds": round(t.seconds, 3),
                "mean_mb_per_s": None if t.mean_mb_per_s is None else round(t.mean_mb_per_s, 2),
            },
            "ledger": self.chain.to_json(),
            "checkpoint": self.checkpoint or None,
        }


def gather(
    ledger: Ledger,
    *,
    run_id: str | None = None,
    since: float | None = None,
    station_label: str = "",
    station_id: str = "",
    now: float,
) -> ReportData:
    """One run (``run_id``, a prefix is fine), or every disk finished since ``since``."""
    if run_id is not None:
        run = ledger.get_run(run_id)
        runs = [run]
        disks = ledger.disks(run_id=run.run_id)
        scope = f"Run {run.run_id}"
    else:
        runs = ledger.runs(since=since)
        disks = ledger.disks(since=since)
        scope = "All disks" if since is None else f"Disks made since {_day(since)}"
        known = {r.run_id for r in runs}
        extra = {d.run_id for d in disks if d.run_id and d.run_id not in known}
        runs = sorted([*runs, *(ledger.get_run(r) for r in extra)], key=lambda r: r.started_at)
    disks = without_released_indices(ledger, disks)
    grant_ids = dict.fromkeys([*(r.grant_id for r in runs), *(d.grant_id for d in disks)])
    grants = tuple(ledger.get_grant(g) for g in grant_ids if g)
    return ReportData(
        station_label=station_label,
        station_id=station_id,
        generated_at=now,
        scope=scope,
        runs=tuple(runs),
        grants=grants,
        disks=tuple(disks),
        chain=ledger.verify_chain(),
        kinds=ledger.reservation_kinds(d.reservation_id for d in disks if d.reservation_id),
    )


def without_released_indices(ledger: Ledger, disks: list[DiskRecord]) -> list[DiskRecord]:
    """A disk whose reservation was released gave its copy index back (a later disk may
    hold it): it is shown without an index, as released, so no index appears twice."""
    released = ledger.released_reservations(
        d.reservation_id for d in disks if d.reservation_id is not None
    )
    return [
        replace(d, copy_index=None, reason=f"{d.reason} (copy {d.copy_index} released)".strip())
        if d.reservation_id in released
        else d
        for d in disks
    ]


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def _when(ts: float | None) -> str:
    return "—" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- CSV and JSON ------------------------------------------------------------------------


CSV_CHECKPOINT = "# pressroom-checkpoint "
CSV_SIGNATURE = "# pressroom-signature "


def csv_rows(data: ReportData) -> str:
    """The CSV rows alone (what a CSV report's signature covers, with its checkpoint)."""
    buf = io.StringIO()
    write_csv_rows(data, buf)
    return buf.getvalue()


def write_csv(data: ReportData, out: IO[str]) -> None:
    """The rows, then the signed checkpoint and the signature as two comment lines."""
    write_csv_rows(data, out)
    if data.checkpoint:
        out.write(f"{CSV_CHECKPOINT}{data.checkpoint}\n")
    if data.signature:
        out.write(f"{CSV_SIGNATURE}{data.signature}\n")


def write_csv_rows(data: ReportData, out: IO[str]) -> None:
    """One row per disk; spreadsheet-friendly (ISO times, tracks separated by spaces)."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for d in data.disks:
        row = {name: getattr(d, name, None) for name in CSV_COLUMNS}
        row.update(
            kind=data.kind_of(d),
            tracks=" ".join(d.tracks),
            seconds=round(d.seconds, 3),
            started_at=_iso(d.started_at),
            finished_at=_iso(d.finished_at),
            mb_per_s=None if d.mb_per_s is None else round(d.mb_per_s, 2),
        )
        writer.writerow(row)


def write_json(data: ReportData, out: IO[str]) -> None:
    doc = data.to_json()
    if data.signature:
        doc["signature"] = data.signature  # over every other field (docs/FORMAT.md 12)
    json.dump(doc, out, indent=2, ensure_ascii=False)
    out.write("\n")
