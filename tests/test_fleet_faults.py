"""Issue 20, item 8: the fleet fault test.

Four station processes share one PostgreSQL ledger and one grant smaller than their
demand (12 copies, 4 x 8 simulated disks). Two stations start and take copies; one is
killed (SIGKILL), one is stopped (SIGSTOP) and never continued. Once their leases have
expired the two others start, settle those copies before planning, and make disks while
PostgreSQL is restarted under them. Then: no copy is in progress, every copy index is
held once, the counters add up, the chain verifies from every station, and every disk
holding a licence verifies and is counted.

Everything is real but the disks (simulated, see docs) and the lease length (a few
seconds here, through PRESSROOM_LEASE_SECONDS). Every wait has a deadline: the test
fails, never hangs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from pg import LocalCluster, _why_no_local_server
from pressroom.drives.simulated import add_sim_disk

LEASE = 4
GRANT = 12
DISKS = 8
DEADLINE = 420  # seconds for the whole test: past it, everything is killed and it fails


@pytest.fixture
def cluster():
    reason = _why_no_local_server()
    if reason:
        pytest.skip(f"the fleet fault test needs a PostgreSQL it can restart: {reason}")
    c = LocalCluster()
    try:
        url = c.start()
    except subprocess.CalledProcessError as exc:
        c.stop()
        pytest.skip(f"could not start a throwaway PostgreSQL: {exc.stderr.decode()[-300:]}")
    yield c, url
    c.stop()


class Fleet:
    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url
        self.env = {
            **os.environ,
            "PRESSROOM_LEDGER_URL": url,
            "PRESSROOM_LEASE_SECONDS": str(LEASE),
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHONUNBUFFERED": "1",  # a station killed by the deadline still shows its lines
        }
        self.env.pop("PRESSROOM_DATA_DIR", None)
        self.env.pop("PRESSROOM_SIM_DIR", None)
        self.t0 = time.monotonic()

    def left(self) -> float:
        return max(1.0, DEADLINE - (time.monotonic() - self.t0))

    def cli(self, folder: Path, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pressroom", "--data-dir", str(folder), *argv],
            env=self.env, capture_output=True, text=True, timeout=min(120, self.left()),
        )  # fmt: skip

    def ok(self, folder: Path, *argv: str) -> str:
        proc = self.cli(folder, *argv)
        assert proc.returncode == 0, f"{argv}: {proc.stderr[-1500:]}"
        return proc.stdout

    def start_run(self, folder: Path, tracks: list[str]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "pressroom", "--data-dir", str(folder), "run",
             "--tracks", *tracks, "--copies", str(DISKS), "--no-wait", "--json"],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip


def test_fleet_survives_a_kill_a_vanished_station_and_a_database_restart(tmp_path, cluster):
    pg, url = cluster
    fleet = Fleet(tmp_path, url)
    music = tmp_path / "music"
    music.mkdir()
    for i in range(2):
        (music / f"track{i}.bin").write_bytes(os.urandom(120_000 + 10_000 * i))

    publisher = tmp_path / "publisher"
    fleet.ok(publisher, "keys", "init", "--demo")
    stations = [tmp_path / f"station{i}" for i in range(4)]
    ids: list[str] = []
    for n, folder in enumerate(stations):
        fleet.ok(folder, "keys", "init")
        cert = tmp_path / f"station{n}.cert"
        out = fleet.ok(
            publisher, "keys", "certify", str(folder / "keys" / "station.pub"),
            "--out", str(cert), "--days", "30",
        )  # fmt: skip
        for line in out.splitlines():  # the commands it says to run on the station
            if line.startswith("  pressroom keys "):
                *_, verb, arg = line.split()
                fleet.ok(folder, "keys", verb, arg if verb != "import-cert" else str(cert))
        ids.append(json.loads(fleet.ok(folder, "keys", "show", "--json"))["station"])
        own = tmp_path / f"music{n}"  # each station keeps its own copy of the music
        own.mkdir()
        for f in music.iterdir():
            (own / f.name).write_bytes(f.read_bytes())
        fleet.ok(folder, "catalog", "import", "--other", *map(str, sorted(own.iterdir())))
        for d in range(DISKS):  # in-process: 32 CLI calls would only cost time
            add_sim_disk(folder / "sim", serial=f"FLEET{n}DISK{d:03d}", size="64M",
                         write_mbps=0.02, read_mbps=2)  # fmt: skip
    tracks = [
        t["content_hash"] for t in json.loads(fleet.ok(publisher, "catalog", "list", "--json"))
    ]
    assert len(tracks) == 2
    fleet.ok(publisher, "grant", "create", "--tracks", *tracks, "--copies", str(GRANT),
             "--station", "any", "--export")  # fmt: skip

    engine = sa.create_engine(url)

    def held(station: str) -> int:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(
                "SELECT count(*) FROM reservations WHERE station_id = :s AND state = 'reserved'"
            ), {"s": station}).scalar_one())  # fmt: skip

    def wait_for_copies(procs: list[subprocess.Popen[str]], who: list[str]) -> None:
        until = time.monotonic() + min(180, fleet.left())  # a loaded machine starts slowly
        while not all(held(s) for s in who) and time.monotonic() < until:
            time.sleep(0.2)
        if not all(held(s) for s in who):
            alive = [proc.poll() is None for proc in procs]
            for proc in procs:  # every thread's stack to its stderr (the station goes on)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGUSR1)
            time.sleep(1)
            with engine.connect() as conn:  # who holds and who waits, seen from the server
                activity = conn.execute(sa.text(
                    "SELECT a.pid, a.client_port, a.state, a.wait_event_type, a.wait_event,"
                    " left(a.query, 80), (SELECT string_agg(l.mode || ':' || l.granted::text"
                    " || ':' || coalesce(l.relation::regclass::text, l.locktype), ' ')"
                    " FROM pg_locks l WHERE l.pid = a.pid) FROM pg_stat_activity a"
                    " WHERE a.datname IS NOT NULL AND a.pid <> pg_backend_pid()"
                )).all()  # fmt: skip
            outs = []
            for proc in procs:
                proc.send_signal(signal.SIGINT)  # a station asked to stop says where it was
                try:
                    outs.append(proc.communicate(timeout=20))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    outs.append(proc.communicate(timeout=30))
            server = "\n".join(map(str, activity))
            pytest.fail(
                f"the stations never reserved a copy ({time.monotonic() - fleet.t0:.0f} s into "
                f"the test, still running: {alive}).\nServer sessions:\n{server}\n"
                + "\n".join(f"--- station {n}:\n{err[-6000:]}" for n, (_o, err) in enumerate(outs))
            )

    runs: list[subprocess.Popen[str]] = []
    outputs = []
    try:
        # stations 0 and 1 take copies; then 0 is killed and 1 stopped for good
        runs += [fleet.start_run(folder, tracks) for folder in stations[:2]]
        wait_for_copies(runs, ids[:2])
        runs[0].send_signal(signal.SIGKILL)
        runs[1].send_signal(signal.SIGSTOP)
        # once their leases expired, stations 2 and 3 start: they settle those copies
        # before planning (so the grant has copies again) and make disks
        time.sleep(LEASE + 1)
        survivors = [fleet.start_run(folder, tracks) for folder in stations[2:]]
        runs += survivors
        wait_for_copies(survivors, ids[2:])
        engine.dispose()
        pg.pause()  # the database goes away while their disks are being written
        time.sleep(3)
        pg.resume()
        for proc in survivors:
            try:
                out, err = proc.communicate(timeout=fleet.left())
            except subprocess.TimeoutExpired:
                pytest.fail("a surviving station's run hung")
            outputs.append((proc.returncode, out, err))
    finally:
        for proc in runs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
    for code, out, err in outputs:
        assert code in (0, 1), err[-2000:]  # 1: fewer copies than asked (the grant ran out)
        assert "Traceback" not in err and "Internal error" not in out + err, err[-2000:]

    # the killed and the vanished station never come back: once their leases expired,
    # a surviving station settles what they left open
    time.sleep(LEASE + 1)
    settled = fleet.ok(stations[2], "ledger", "settle")
    assert "open:" not in settled, settled

    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT state, copy_index FROM reservations WHERE kind = 'sale'")
        ).all()
        grant = conn.execute(sa.text("SELECT copies, copies_used FROM grants")).one()
    assert not [r for r in rows if r.state == "reserved"], "a copy is still in progress"
    held_idx = [r.copy_index for r in rows if r.state in ("committed", "burned")]
    assert len(held_idx) == len(set(held_idx)), f"an index is held twice: {sorted(held_idx)}"
    assert set(held_idx) <= set(range(1, GRANT + 1))
    assert grant.copies == GRANT and grant.copies_used == len(held_idx)
    committed = {r.copy_index for r in rows if r.state == "committed"}
    assert committed, "no copy was made at all"
    burned = [r for r in rows if r.state == "burned"]
    available = GRANT - grant.copies_used
    assert len(committed) + len(burned) + available == GRANT  # made (or kept), or free again
    with engine.connect() as conn:
        settles = [
            json.loads(p)
            for (p,) in conn.execute(
                sa.text("SELECT payload FROM events WHERE kind LIKE 'reconciled-%'")
            )
        ]
    by_lease = [e for e in settles if e.get("lease_expired")]
    assert by_lease, "the killed and stopped stations' copies were not settled by lease"
    assert {e["settled_by"] for e in by_lease} <= set(ids[2:])
    print(
        f"fleet: {len(committed)} committed, {len(burned)} burned, {available} free again; "
        f"{len(by_lease)} copies settled by lease"
    )

    for folder in stations:
        assert "intact" in fleet.ok(folder, "ledger", "verify"), folder

    # every disk holding a licence verifies (with the player's key) and is counted
    from pressroom.app import App
    from pressroom.config import load_config
    from pressroom.engine.recovery import VolumeMedium
    from pressroom.secure.identity import DiskIdentity
    from pressroom.secure.licence import LICENCE_FILE, parse_licence
    from pressroom.secure.verifier import verify_disk
    from pressroom.station.parts import trust_of

    engine.dispose()
    pub_app = App(load_config(publisher, ledger_url=url))
    trust = trust_of(pub_app.keystore)
    made: list[int] = []
    for folder in stations:
        app = App(load_config(folder, ledger_url=url))
        try:
            provider = app.drive_provider
            for d in provider.list_drives():
                volume = provider.open_volume(d)
                if not volume.exists(LICENCE_FILE):
                    continue
                ident = DiskIdentity.of(d.vendor_id, d.product_id, d.serial, d.capacity)
                report = verify_disk(VolumeMedium(volume), ident, trust)
                with volume.open_read(LICENCE_FILE, uncached=True) as fh:
                    _env, lic = parse_licence(fh.read(1 << 20))
                made.append(lic.copy_index)
                # a disk of the killed station may hold a half-written licence (counted)
                assert report.ok or folder in stations[:2], report.reason
        finally:
            app.close()
    pub_app.close()
    assert committed <= set(made) | set(held_idx)
    assert set(made) <= set(held_idx), f"a licence exists for an uncounted copy: {made}"
    verified_twice = [i for i in set(made) if made.count(i) > 1]
    assert not verified_twice, f"copy index made twice: {verified_twice}"
