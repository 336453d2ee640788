"""How long `ledger verify` takes on a long chain, and how much memory it needs.

Not a test (no timing belongs in a unit test): run it by hand, from the repository root,

    PYTHONPATH=src python tests/ledger_bench.py 1000000 [--keep FILE]

It builds a SQLite ledger of N events: 100 grants, then sales, each a ``reserved`` and a
``committed`` event with their reservation and disk rows, payloads as the ledger writes
them, written in bulk (the ledger's own path takes a write transaction per event). Then
it times, each in a fresh process so the peak memory is verification's own: the chain
alone, and the chain with every table replayed (what `pressroom ledger verify` does).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

GRANTS = 100
BATCH = 20_000


def build(url: str, n_events: int) -> int:
    from ledger_support import Publisher, passed_disk
    from pressroom.ledger import Ledger, chain, disks, grants
    from pressroom.ledger.schema import GENESIS_HASH, chain_head, events, reservations
    from pressroom.ledger.schema import disks as disk_rows
    from pressroom.ledger.schema import grants as grant_rows

    pub = Publisher()
    per_grant = n_events // 2 // GRANTS + 1
    issued = [pub.grant(copies=per_grant) for _ in range(GRANTS)]
    now = time.time()
    state = {"seq": 0, "prev": GENESIS_HASH}
    pending: dict[str, list[dict[str, Any]]] = {"events": [], "res": [], "disks": []}

    def add(kind: str, payload: dict[str, Any]) -> None:
        state["seq"] += 1
        at = time.time_ns() // 1000
        text = chain.canonical_json(payload)
        digest = chain.row_hash(state["prev"], state["seq"], at, kind, text)
        pending["events"].append(
            dict(seq=state["seq"], at=at, kind=kind, payload=text, prev_hash=state["prev"])
            | {"hash": digest}
        )
        state["prev"] = digest

    with Ledger.open(url) as led, led.engine.begin() as conn:

        def flush() -> None:
            for table, key in ((reservations, "res"), (disk_rows, "disks"), (events, "events")):
                if pending[key]:
                    conn.execute(table.insert(), pending[key])
                    pending[key].clear()

        for g in issued:
            conn.execute(
                grant_rows.insert().values(
                    grant_id=g.id_hex,
                    raw=g.raw,
                    title=g.title,
                    publisher=g.publisher.hex(),
                    tracks=json.dumps([t.hex() for t in g.tracks]),
                    copies=g.copies,
                    replacements=g.replacements,
                    not_before=g.not_before,
                    not_after=g.not_after,
                    imported_at=now,
                )
            )
            add(grants.GRANT_IMPORTED, grants.imported_payload(g, g.raw, now))
        used = dict.fromkeys((g.id_hex for g in issued), 0)
        rid = 0
        while state["seq"] + 2 <= n_events:
            rid += 1
            gid = issued[rid % GRANTS].id_hex
            used[gid] += 1
            index = used[gid]
            pending["res"].append(
                dict(id=rid, grant_id=gid, run_id=None, station_id="ab" * 16, drive_id="d")
                | dict(kind="sale", copy_index=index, state="committed", reason=None)
                | dict(created_at=now, updated_at=now)
            )
            add(
                "reserved",
                {"reservation": rid, "grant": gid, "kind": "sale", "copy_index": index}
                | {"run": None, "drive": "d", "station": "ab" * 16, "at": now},
            )
            disk = dataclasses.replace(
                passed_disk(rid), id=rid, reservation_id=rid, grant_id=gid, copy_index=index
            )
            pending["disks"].append(disk.to_json() | {"tracks": json.dumps(list(disk.tracks))})
            add(
                "committed",
                {"reservation": rid, **disks.event_fields(disk), "state": "committed", "at": now},
            )
            if len(pending["res"]) >= BATCH:
                flush()
        flush()
        for gid, count in used.items():
            conn.execute(
                grant_rows.update()
                .where(grant_rows.c.grant_id == gid)
                .values(copies_used=count, copies_issued=count)
            )
        conn.execute(chain_head.update().values(seq=state["seq"], hash=state["prev"]))
    return rid


def measure(url: str, mode: str) -> dict[str, Any]:
    """Run in a child process: (mode, ok, rows, seconds, peak RSS in MB)."""
    code = f"""
import json, resource, time
from pressroom.ledger import Ledger, chain
led = Ledger.open({url!r}, migrate=False)
t0 = time.perf_counter()
if {mode!r} == "chain":
    with led.engine.connect() as conn:
        r = chain.verify(conn)
else:
    r = led.verify_chain()
dt = time.perf_counter() - t0
try:  # this process's own peak (ru_maxrss would carry the parent's across exec)
    with open("/proc/self/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
except OSError:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"mode": {mode!r}, "ok": r.ok, "rows": r.rows, "seconds": round(dt, 1),
                   "peak_rss_mb": round(rss)}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("events", type=int)
    parser.add_argument("--keep", type=Path, help="build the ledger here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "ledger.sqlite3"
        url = f"sqlite:///{path}"
        if not path.exists():
            t0 = time.perf_counter()
            made = build(url, args.events)
            print(f"built {args.events} events ({made} disks) in {time.perf_counter() - t0:.0f} s")
        for mode in ("chain", "full"):
            print(json.dumps(measure(url, mode)))


if __name__ == "__main__":
    main()
