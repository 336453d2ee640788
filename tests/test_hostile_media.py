"""Hostile media: a disk whose files are links, FIFOs, devices, directories, huge or
pathological, attacking `pressroom verify`, `pressroom play`, `pressroom reissue`, the
player core and the engine's clean step. Every file outside the disk must stay
byte-identical, every command must answer (the pytest-timeout marks only guard against a
hang; the assertions are on the reason codes), and memory stays bounded.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from engine_support import Env
from player_support import Station
from pressroom.aftercare import complete_reissue, plan_reissue
from pressroom.cli import main
from pressroom.drives.simulated import MEDIA
from pressroom.drives.volume import LocalVolume
from pressroom.engine.events import DiskState
from pressroom.player import STATE_FILE, PlayerMemory, open_disk
from pressroom.secure import canonical
from pressroom.secure.diskfs import DiskRoot, MediaError
from pressroom.secure.errors import FormatError
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.licence import DISK_DIR, LICENCE_FILE, track_file
from pressroom.secure.rights import Rights
from pressroom.secure.verifier import DirectoryMedium

ROOT = Path(__file__).resolve().parents[1]
SERIAL = "HOSTILE0001XY"
MIB = 1 << 20
TRACK = track_file(0)


# -- helpers --------------------------------------------------------------------------------


def digest_tree(path: Path) -> dict[str, str]:
    """Every file under ``path`` (or ``path`` itself) and its SHA-256: "byte-identical"."""
    if path.is_file():
        return {".": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def replace_with_link(where: Path, target: Path) -> None:
    if where.is_dir() and not where.is_symlink():
        import shutil

        shutil.rmtree(where)
    elif where.exists() or where.is_symlink():
        where.unlink()
    where.symlink_to(target)


def make_special(where: Path, kind: str, monkeypatch) -> None:
    """Put a FIFO, socket, device node or directory at ``where`` (replacing what was there)."""
    if where.exists() or where.is_symlink():
        where.unlink()
    if kind == "fifo":
        os.mkfifo(where)
    elif kind == "directory":
        where.mkdir()
    elif kind == "socket":
        monkeypatch.chdir(where.parent)  # AF_UNIX paths are short: bind relative to the folder
        s = socket.socket(socket.AF_UNIX)
        s.bind(where.name)
        s.close()
    elif kind == "device":
        try:
            os.mknod(where, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # like /dev/zero
        except PermissionError:
            pytest.skip("mknod needs root (CAP_MKNOD)")


def verify_json(capsys, mount: Path) -> tuple[int, dict]:
    code = main(["verify", str(mount), "--json"])
    out = capsys.readouterr()
    assert "internal error" not in out.out + out.err
    return code, json.loads(out.out)


def play_json(capsys, mount: Path, *track: str) -> tuple[int, dict]:
    code = main(["play", str(mount), *track, "--json"])
    out = capsys.readouterr()
    assert "internal error" not in out.out + out.err
    return code, json.loads(out.out)


@pytest.fixture
def station(_isolated_data_dir) -> Station:
    return Station(_isolated_data_dir)


@pytest.fixture
def outside(tmp_path) -> Path:
    """A file of the user's, outside every disk: an attack must leave it byte-identical."""
    f = tmp_path / "precious.sqlite3"
    f.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    return f


# -- the reader/writer itself --------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["fifo", "socket", "device", "directory"])
def test_the_disk_reader_refuses_special_files_each_with_its_own_code(tmp_path, kind, monkeypatch):
    (tmp_path / "f").write_bytes(b"x")
    make_special(tmp_path / "f", kind, monkeypatch)
    with DiskRoot(tmp_path) as disk, pytest.raises(MediaError) as err:
        disk.read_bytes("f", 1000)
    assert err.value.code == kind
    assert str(err.value).startswith("f on the disk is ") and "refused" in str(err.value)


def test_the_disk_reader_never_follows_a_link_at_any_component(tmp_path, outside):
    (tmp_path / "dir").symlink_to(outside.parent)
    (tmp_path / "file").symlink_to(outside)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with DiskRoot(tmp_path) as disk:
        for rel in ("file", f"dir/{outside.name}", "dangling"):
            with pytest.raises(MediaError) as err:
                disk.read_bytes(rel, 1 << 20)
            assert err.value.code == "symlink" and err.value.errno == errno.ELOOP
        for rel in ("../x", "/etc/passwd", "a//b", "./a", ""):
            with pytest.raises(MediaError) as err:
                disk.read_bytes(rel, 10)
            assert err.value.code == "bad-path"


def test_size_is_checked_before_reading_and_growth_while_reading_is_refused(tmp_path):
    big = tmp_path / "big"
    with open(big, "wb") as fh:
        fh.truncate(2 << 30)  # 2 GiB, sparse: reading it would cost 2 GiB of memory
    import tracemalloc

    tracemalloc.start()
    with DiskRoot(tmp_path) as disk, pytest.raises(MediaError) as err:
        disk.read_bytes("big", 16 * MIB)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert err.value.code == "too-large" and peak < MIB
    (tmp_path / "grows").write_bytes(b"a" * 100)
    with DiskRoot(tmp_path) as disk:
        fh = disk.open_read("grows", 1000)
        with open(tmp_path / "grows", "ab") as more:
            more.write(b"b" * 100)  # grows after fstat, before the read
        with fh, pytest.raises(MediaError) as err:
            fh.read_all()
    assert err.value.code == "changed"


def test_the_writer_replaces_links_and_never_writes_through_them(tmp_path, outside):
    before = digest_tree(outside)
    (tmp_path / "state.tmp").symlink_to(outside)
    (tmp_path / "state").symlink_to(outside)
    with DiskRoot(tmp_path) as disk:
        disk.write_atomic("state", b"new state")
    assert digest_tree(outside) == before
    assert (tmp_path / "state").read_bytes() == b"new state"
    assert not (tmp_path / "state").is_symlink() and not (tmp_path / "state.tmp").exists()


def test_rmtree_unlinks_links_inside_the_tree_and_never_follows_them(tmp_path, outside):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    before = digest_tree(victim)
    disk = tmp_path / "disk"
    (disk / "PRESSROOM" / "tracks").mkdir(parents=True)
    (disk / "PRESSROOM" / "tracks" / "out").symlink_to(victim)
    (disk / "PRESSROOM" / "f").symlink_to(outside)
    os.mkfifo(disk / "PRESSROOM" / "pipe")
    with DiskRoot(disk) as d:
        d.rmtree("PRESSROOM")
    assert not (disk / "PRESSROOM").exists() and digest_tree(victim) == before
    assert outside.is_file()


def test_a_local_volume_creates_without_following_and_reads_regular_files_only(tmp_path, outside):
    before = digest_tree(outside)
    (tmp_path / "PRESSROOM").mkdir()
    (tmp_path / "PRESSROOM" / "licence.prl.part").symlink_to(outside)
    vol = LocalVolume(tmp_path)
    with vol.open_write("PRESSROOM/licence.prl.part") as w:
        w.write(b"licence")
    assert digest_tree(outside) == before
    (tmp_path / "PRESSROOM" / "link").symlink_to(outside)
    with pytest.raises(OSError) as err:
        vol.open_read("PRESSROOM/link", uncached=True)
    assert err.value.errno == errno.ELOOP
    vol.remove("PRESSROOM/link")
    assert outside.is_file() and not (tmp_path / "PRESSROOM" / "link").is_symlink()


# -- bounded CBOR ---------------------------------------------------------------------------


def test_cbor_work_is_bounded_by_items_and_depth_before_cbor2_sees_a_byte():
    arrays = b"\x9a" + (16 * MIB).to_bytes(4, "big") + b"\x80" * (16 * MIB)
    with pytest.raises(FormatError) as err:
        canonical.decode(arrays, "licence")
    assert err.value.code == "too-complex" and "more than 131072 data items" in str(err.value)
    nested = b"\x81" * (16 * MIB) + b"\x80"
    with pytest.raises(FormatError) as err:
        canonical.decode(nested, "licence")
    assert err.value.code == "too-complex" and "nested deeper than 16" in str(err.value)
    for bad, words in [
        (b"\xc1\x00", "tag"),
        (b"\xfb" + bytes(8), "float"),
        (b"\xa1\x01\x01", "map key"),
        (b"\x9f\xff", "indefinite"),
        (b"\x5a\xff\xff\xff\xff", "runs past the end"),
        (b"\x80\x80", "extra bytes"),
    ]:
        with pytest.raises(FormatError, match=words):
            canonical.decode(bad, "x")
    value = {"a": [1, -2, b"x", "y", None, True, {"b": []}]}
    assert canonical.decode(canonical.encode(value), "x") == value


# -- `pressroom verify` ---------------------------------------------------------------------


@pytest.mark.parametrize("name", [LICENCE_FILE, TRACK, DISK_DIR])
def test_verify_refuses_a_link_at_every_name_it_reads(station, capsys, tmp_path, name):
    mount = station.disk(SERIAL)
    copy = tmp_path / "outside" / Path(name).name
    copy.parent.mkdir()
    os.rename(mount / name, copy)  # the genuine file, moved out: a link to it must not pass
    before = digest_tree(copy)
    (mount / name).symlink_to(copy)
    code, doc = verify_json(capsys, mount)
    assert code == 1 and not doc["ok"]
    bad = doc if name != TRACK else doc["tracks"][0]
    assert bad["code"] == "symlink", bad
    assert digest_tree(copy) == before


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["fifo", "socket", "device", "directory", "dangling"])
def test_verify_answers_special_files_at_the_licence_with_their_code(
    station, capsys, tmp_path, kind, monkeypatch
):
    mount = station.disk(SERIAL)
    if kind == "dangling":
        (mount / LICENCE_FILE).unlink()
        (mount / LICENCE_FILE).symlink_to(tmp_path / "gone")
    else:
        make_special(mount / LICENCE_FILE, kind, monkeypatch)
    code, doc = verify_json(capsys, mount)
    assert code == 1
    assert doc["code"] == ("symlink" if kind == "dangling" else kind)
    assert doc["file"] == LICENCE_FILE


@pytest.mark.timeout(60)
def test_verify_answers_a_fifo_track_and_a_directory_where_tracks_are(station, capsys):
    mount = station.disk(SERIAL)
    (mount / TRACK).unlink()
    os.mkfifo(mount / TRACK)
    code, doc = verify_json(capsys, mount)
    assert code == 1 and doc["code"] == "fifo" and doc["file"] == TRACK
    tracks = mount / DISK_DIR / "tracks"
    import shutil

    shutil.rmtree(tracks)
    tracks.write_bytes(b"not a directory")
    code, doc = verify_json(capsys, mount)
    assert code == 1 and doc["code"] == "not-directory"


def test_verify_reads_the_licence_once(station, capsys, monkeypatch):
    mount = station.disk(SERIAL)
    reads: list[str] = []
    real_read, real_open = DiskRoot.read_bytes, LocalVolume.open_read

    def counted(self, rel, max_size):
        reads.append(rel)
        return real_read(self, rel, max_size)

    def opened(self, rel, **kw):  # verify reads from the media: through the disk's volume
        reads.append(rel)
        return real_open(self, rel, **kw)

    monkeypatch.setattr(DiskRoot, "read_bytes", counted)
    monkeypatch.setattr(LocalVolume, "open_read", opened)
    code, doc = verify_json(capsys, mount)
    assert code == 0 and doc["ok"]
    assert reads.count(LICENCE_FILE) == 1, reads


# Memory is measured in a fresh interpreter: its peak RSS against the same command on a disk
# that holds no licence at all (the smallest possible answer). No wall-clock assertion.
_MEASURE = """
import json, resource, sys
from pressroom.cli import main
code = main(sys.argv[1:])
print(json.dumps({"exit": code, "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}),
      file=sys.stderr)
"""


def measured(data_dir: Path, *argv: str) -> tuple[int, dict, int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PRESSROOM_DATA_DIR": str(data_dir)}
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,  # a guard against a hang, not the assertion
    )
    tail = json.loads(proc.stderr.strip().splitlines()[-1])
    assert "internal error" not in proc.stdout + proc.stderr
    return tail["exit"], json.loads(proc.stdout), tail["maxrss_kib"] * 1024


def sparse(path: Path, size: int) -> None:
    with open(path, "wb") as fh:
        fh.truncate(size)


def empty_arrays(path: Path) -> None:
    n = 16 * MIB - 5
    path.write_bytes(b"\x9a" + n.to_bytes(4, "big") + b"\x80" * n)


def nested_arrays(path: Path) -> None:
    path.write_bytes(b"\x81" * (16 * MIB - 1) + b"\x80")


def arrays_in_the_body(path: Path) -> None:
    """A well-formed envelope whose body is 16 MiB of empty arrays (decoded second)."""
    n = 16 * MIB - 200
    body = b"\x9a" + n.to_bytes(4, "big") + b"\x80" * n
    path.write_bytes(
        canonical.encode({"kid": bytes(16), "sig": bytes(64), "body": body, "type": "licence"})
    )


@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda p: sparse(p, 2 << 30), "too-large"),
        (empty_arrays, "too-complex"),
        (nested_arrays, "too-complex"),
        (arrays_in_the_body, "too-complex"),
    ],
    ids=["2GiB-sparse", "16MiB-empty-arrays", "16MiB-nesting", "body-of-empty-arrays"],
)
def test_pathological_licences_are_refused_in_bounded_memory(
    station, _isolated_data_dir, make, code
):
    empty = station.disk("HOSTILE0002XY")
    import shutil

    shutil.rmtree(empty / DISK_DIR)
    _, doc, baseline = measured(_isolated_data_dir, "verify", str(empty), "--json")
    assert doc["code"] == "no-licence"
    mount = station.disk(SERIAL)
    make(mount / LICENCE_FILE)
    for argv in (["verify", str(mount), "--json"], ["play", str(mount), "--json"]):
        exit_code, doc, peak = measured(_isolated_data_dir, *argv)
        got = doc if argv[0] == "verify" else doc["disk"]
        assert exit_code == 1 and got["code"] == code
        assert peak - baseline < 64 * MIB, (argv[0], (peak - baseline) / MIB)


# -- `pressroom play` and the player core ---------------------------------------------------


def test_a_link_at_the_state_temporary_name_leaves_its_target_untouched(station, capsys, outside):
    """The attack of issue 13: `state.prs.tmp` -> the station's ledger."""
    mount = station.disk(SERIAL, [Rights(plays=3), Rights(), Rights()])
    before = digest_tree(outside)
    (mount / (STATE_FILE + ".tmp")).symlink_to(outside)
    code, doc = play_json(capsys, mount, "1")
    assert code == 0 and doc["play"]["plays_left"] == 2
    assert digest_tree(outside) == before
    state = mount / STATE_FILE
    assert state.is_file() and not state.is_symlink()
    assert not (mount / (STATE_FILE + ".tmp")).is_symlink()


def test_a_link_at_the_state_file_is_refused_and_its_target_untouched(station, capsys, outside):
    mount = station.disk(SERIAL, [Rights(plays=3), Rights(), Rights()])
    before = digest_tree(outside)
    (mount / STATE_FILE).symlink_to(outside)
    code, doc = play_json(capsys, mount, "1")
    assert code == 1 and doc["disk"]["code"] == "symlink"
    assert STATE_FILE in doc["disk"]["reason"]
    assert digest_tree(outside) == before and (mount / STATE_FILE).is_symlink()


@pytest.mark.parametrize("name", [LICENCE_FILE, TRACK, DISK_DIR])
def test_play_refuses_a_link_at_every_name_it_reads(station, capsys, tmp_path, name):
    mount = station.disk(SERIAL)
    copy = tmp_path / "outside" / Path(name).name
    copy.parent.mkdir()
    os.rename(mount / name, copy)
    before = digest_tree(copy)
    (mount / name).symlink_to(copy)
    code, doc = play_json(capsys, mount, "1")
    assert code == 1 and doc["disk"]["code"] == "symlink"
    assert digest_tree(copy) == before


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_a_special_file_at_the_state_file_does_not_hang_play(station, capsys, kind, monkeypatch):
    mount = station.disk(SERIAL, [Rights(plays=3), Rights(), Rights()])
    make_special(mount / STATE_FILE, kind, monkeypatch)
    code, doc = play_json(capsys, mount, "1")
    assert code == 1 and doc["disk"]["code"] == kind
    assert doc["disk"]["reason"].startswith(f"{STATE_FILE} on the disk is ")


@pytest.mark.timeout(60)
def test_the_player_core_never_writes_through_links_while_counting_plays(
    station, tmp_path, outside
):
    """The player window uses this core: opening (clock mark) and record_play both write."""
    now = station.now
    mount = station.disk(SERIAL, [Rights(plays=2, expires=now + 86400), Rights(), Rights()])
    before = digest_tree(outside)
    (mount / (STATE_FILE + ".tmp")).symlink_to(outside)
    trust = station.app.trust()
    memory = PlayerMemory.load(tmp_path / "memory", trust.player_key)
    ident = DiskIdentity.of(0x1209, 0x5052, SERIAL, 1 << 30)
    disk = open_disk(DirectoryMedium(mount), ident, trust, memory=memory)
    assert disk.ok, disk.refusal
    (mount / (STATE_FILE + ".tmp")).symlink_to(outside)  # planted again while open
    assert disk.record_play(0).played(TRACK) == 1
    assert digest_tree(outside) == before
    os.replace(mount / STATE_FILE, tmp_path / "state-copy")
    os.mkfifo(mount / STATE_FILE)  # swapped for a FIFO while the disk is open
    with pytest.raises(MediaError) as err:
        disk.record_play(0)
    assert err.value.code == "fifo"


# -- `pressroom reissue` --------------------------------------------------------------------


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path, track_sizes=(40_000, 25_000))
    yield e
    e.close()


def _old_disk(env: Env, serial: str):
    name = env.disk(serial)
    summary = env.run(1, drives=(env.drive_id(name),), rights="plays=3")
    (disk,) = [d for d in summary.disks.values() if d.state == DiskState.PASS]
    return disk.licence_id, env.sim_dir / name / MEDIA


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["fifo", "link"])
def test_reissue_with_a_hostile_old_disk_attached_answers_and_touches_nothing(
    env, capsys, outside, kind, monkeypatch
):
    licence, old = _old_disk(env, "HOSTILEOLD01")
    before = digest_tree(outside)
    if kind == "fifo":
        os.mkfifo(old / STATE_FILE)
    else:
        (old / STATE_FILE).symlink_to(outside)
    new = env.disk("HOSTILENEW01")
    data = str(env.app.config.data_dir)
    argv = ["--data-dir", data, "reissue", "--licence", licence, "--no-wait", "--json"]
    code = main([*argv, "--drives", env.drive_id(new)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"] and not out["carried"]
    assert "play state cannot be read" in out["note"]
    assert ("named pipe" if kind == "fifo" else "symbolic link") in out["note"]
    assert digest_tree(outside) == before


@pytest.mark.timeout(120)
def test_reissue_refuses_to_read_a_licence_link_on_the_old_disk(env, outside):
    licence, old = _old_disk(env, "HOSTILEOLD02")
    os.replace(old / LICENCE_FILE, outside)  # the real licence, moved off the disk
    before = digest_tree(outside)
    (old / LICENCE_FILE).symlink_to(outside)
    # the old disk is no longer recognised as holding its licence: original rights
    new = env.disk("HOSTILENEW02")
    plan = plan_reissue(env.app, licence, drives=(env.drive_id(new),), insert_and_go=False)
    assert not plan.carried and "symbolic link" in plan.note
    summary = env.station.start(plan.job, env.events.append).wait(60)
    assert complete_reissue(env.app, plan, summary).ok
    assert digest_tree(outside) == before


# -- the engine's clean step and temporary names --------------------------------------------


@pytest.mark.timeout(120)
def test_the_engine_writes_a_disk_seeded_with_links_at_its_names_without_following(
    env, tmp_path, outside
):
    victim = tmp_path / "victim"
    (victim / "tracks").mkdir(parents=True)
    (victim / "licence.prl").write_bytes(b"do not touch")
    (victim / "tracks" / "01.prt.part").write_bytes(b"nor this")
    victims = digest_tree(victim)
    before = digest_tree(outside)

    linked_dir = env.disk("HOSTILEENG01")  # PRESSROOM itself is a link to a folder of the user
    media = env.sim_dir / linked_dir / MEDIA
    (media / DISK_DIR).symlink_to(victim)

    linked_files = env.disk("HOSTILEENG02")  # links at each name the engine writes or reads
    media2 = env.sim_dir / linked_files / MEDIA
    (media2 / DISK_DIR / "tracks").mkdir(parents=True)
    for rel in (LICENCE_FILE + ".part", TRACK, TRACK + ".part"):
        (media2 / rel).symlink_to(outside)
    os.mkfifo(media2 / STATE_FILE)

    linked_licence = env.disk("HOSTILEENG03")  # any entry at licence.prl: "has a copy"
    media3 = env.sim_dir / linked_licence / MEDIA
    (media3 / DISK_DIR).mkdir()
    (media3 / LICENCE_FILE).symlink_to(outside)

    drives = (env.drive_id(linked_dir), env.drive_id(linked_files), env.drive_id(linked_licence))
    summary = env.run(3, drives=drives)
    assert summary.passed == 2, env.results(summary)
    assert env.results(summary)[linked_licence] == ("fail", "has-licence")
    assert digest_tree(victim) == victims and digest_tree(outside) == before
    for m in (media, media2):
        assert not (m / DISK_DIR).is_symlink() and (m / LICENCE_FILE).is_file()
        assert not any(p.is_symlink() for p in (m / DISK_DIR).rglob("*"))
