"""A station killed mid-run: the next start settles every reservation from the journal.

The crash is real: a child process runs the engine and dies with os._exit at a chosen
stage, leaving the ledger, the journal and the disk exactly as a power cut would.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine_support import Env
from pressroom.drives.simulated import set_plugged
from pressroom.secure.licence import LICENCE_FILE

CHILD = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {tests!r})
    from pressroom.app import App
    from pressroom.config import load_config
    from pressroom.engine import pipeline

    stage = {stage!r}
    original = getattr(pipeline.DiskPipeline, stage)

    def die(self, *a, **kw):
        if stage == "commit":
            os._exit(9)  # the licence is on the disk; the ledger never hears of it
        if stage == "write_licence":
            self.ctx.journal.record("licence-writing", drive_id=self.drive.id,
                                    reservation_id=self.reservation.id)
            os._exit(9)
        return original(self, *a, **kw)

    def die_reading(self, *a, **kw):
        os._exit(9)  # tracks written, nothing verified yet

    setattr(pipeline.DiskPipeline, stage, die_reading if stage == "read_back" else die)
    app = App(load_config({data!r}))
    st = app.station.runs
    job = st.plan({tracks!r}, copies=1, grant_id={grant!r}, insert_and_go=False)
    run = st.start(job, lambda e: None)
    run.wait(60)
    os._exit(0)
    """
)


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    yield e
    e.close()


def crash_at(env: Env, stage: str) -> None:
    code = CHILD.format(
        tests=str(Path(__file__).parent),
        stage=stage,
        data=str(env.app.config.data_dir),
        tracks=env.tracks,
        grant=env.grant_id,
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 9, proc.stderr[-2000:]


def test_crash_before_the_licence_releases_the_copy(env):
    name = env.disk("CRASHWRITE01")
    crash_at(env, "read_back")  # tracks written, never verified
    assert len(env.app.ledger.dangling_reservations()) == 1
    lines = env.app.station.runs.reconcile()
    assert lines and "released" in lines[0]
    assert not env.app.ledger.dangling_reservations()
    status = env.app.ledger.get_grant(env.grant_id)
    assert (status.copies_used, status.copies_committed) == (0, 0)
    assert not (env.sim_dir / name / "media" / LICENCE_FILE).exists()
    assert env.app.ledger.verify_chain().ok
    assert not list(env.app.config.journal_dir.glob("*.jsonl"))


def test_crash_after_the_licence_commits_a_disk_that_verifies(env):
    name = env.disk("CRASHCOMMIT1")
    crash_at(env, "commit")
    assert (env.sim_dir / name / "media" / LICENCE_FILE).exists()
    lines = env.app.station.runs.reconcile()
    assert lines and "committed" in lines[0]
    status = env.app.ledger.get_grant(env.grant_id)
    assert (status.copies_used, status.copies_committed) == (1, 1)
    (disk,) = [d for d in env.app.ledger.disks() if d.result == "pass"]
    assert disk.licence_id and "recovery" in disk.reason
    events = [e.kind for e in env.app.ledger.events()]
    assert "reconciled-commit" in events
    assert env.app.ledger.verify_chain().ok


def test_crash_while_writing_the_licence_with_the_disk_gone_keeps_it_counted(env):
    name = env.disk("CRASHLIC0001")
    crash_at(env, "write_licence")
    set_plugged(env.sim_dir, name, False)  # the customer walked off with the disk
    lines = env.app.station.runs.reconcile()
    assert lines and "kept counted" in lines[0]
    status = env.app.ledger.get_grant(env.grant_id)
    assert (status.copies_used, status.copies_committed) == (1, 0)
    assert "reconciled-burn" in [e.kind for e in env.app.ledger.events()]
    # its index is never handed out again
    env.disk("NEXTDISK0001")
    summary = env.run(1)
    assert sorted(d.copy_index for d in summary.disks.values() if d.copy_index) == [2]


def test_crash_while_writing_the_licence_with_the_disk_present_but_no_licence(env):
    env.disk("CRASHLIC0002")
    crash_at(env, "write_licence")  # died before the licence file appeared
    lines = env.app.station.runs.reconcile()
    assert lines and "released" in lines[0]
    assert env.app.ledger.get_grant(env.grant_id).copies_used == 0


def test_crash_after_the_licence_checks_the_disk_against_the_journalled_identity(env):
    """A format-2 licence names its disk only under the media key, so recovery asks the
    station's own journal which disk the copy was for: another one there, nothing commits."""
    import hashlib
    import json

    env.disk("CRASHIDENT01")
    crash_at(env, "commit")
    for path in env.app.config.journal_dir.glob("*.jsonl"):
        lines = []
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if entry["event"] == "reserved":
                assert len(entry["data"]["identity"]) == 64
                entry["data"]["identity"] = hashlib.sha256(b"another disk").hexdigest()
            lines.append(json.dumps(entry, sort_keys=True))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = env.app.station.runs.reconcile()
    assert lines and "released" in lines[0]
    status = env.app.ledger.get_grant(env.grant_id)
    assert status.copies_committed == 0


def test_a_journal_line_of_another_shape_does_not_stop_recovery(env):
    """A "reserved" line whose data is not a map (a damaged journal) is skipped when read:
    recovery still settles the reservation instead of failing with an AttributeError."""
    import json

    env.disk("CRASHSHAPE01")
    crash_at(env, "commit")
    for path in env.app.config.journal_dir.glob("*.jsonl"):
        lines = []
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if entry["event"] == "reserved":
                entry["data"] = "damaged"
            lines.append(json.dumps(entry, sort_keys=True))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = env.app.station.runs.reconcile()
    assert len(lines) == 1, lines
    assert not env.app.ledger.dangling_reservations()
