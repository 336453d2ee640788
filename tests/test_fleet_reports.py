"""Issue 20, story 6: a disk that failed after reserving gave its index back; the report
shows it as released, so the disk that reused the index is the only one showing it."""

from __future__ import annotations

import csv
import io

from engine_support import Env


def test_a_released_index_is_shown_once(tmp_path):
    env = Env(tmp_path)
    try:
        env.disk("AAFAILDISK01", fail_after=50_000)  # first by port: fails after reserving
        env.disk("BBGOODDISK01")
        summary = env.run(1)
        assert summary.passed == 1 and summary.failed == 1
        out = io.StringIO()
        env.app.station.reports.write("csv", out, run_id=summary.run_id)
        lines = [ln for ln in out.getvalue().splitlines() if not ln.startswith("#")]
        rows = list(csv.DictReader(lines))  # without the signed checkpoint's comment lines
        assert len(rows) == 2
        shown = [r["copy_index"] for r in rows if r["copy_index"]]
        assert shown == ["1"], rows  # only the disk that holds copy 1
        failed = next(r for r in rows if r["result"] == "fail")
        assert "copy 1 released" in failed["reason"]
        assert not any(
            d.copy_index for d in env.app.station.reports.gather().disks if d.result == "fail"
        )
    finally:
        env.close()
