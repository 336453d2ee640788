"""`pressroom sim add --backing FS`: a simulated USB identity over the real Linux I/O path.

The end-to-end tests need root, loop devices and the mkfs/FUSE tools; the refusals
(not root, a tool missing, folder-only faults) run anywhere because they happen before
anything is created.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pressroom.cli import main
from pressroom.drives import loopback
from pressroom.drives.simulated import SimDiskSpec, list_sim_disks
from pressroom.secure.licence import LICENCE_FILE

pytest.importorskip("pyudev")

TOOLS = {
    "ext4": ("mkfs.ext4", "e2fsprogs"),
    "exfat": ("mkfs.exfat", "exfatprogs"),
    "fat32": ("mkfs.vfat", "dosfstools"),
    "fat16": ("mkfs.vfat", "dosfstools"),
}
ROOT_AND_LOOP = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("losetup") or not Path("/dev/loop-control").exists(),
    reason="needs root, losetup (Debian package mount) and /dev/loop-control for loop devices",
)


def _need_tools(fs: str) -> None:
    mkfs, package = TOOLS[fs]
    if not shutil.which(mkfs):
        pytest.skip(f"{mkfs} missing (Debian package {package})")
    if fs != "ext4":
        try:
            loopback.mount_plan(fs)
        except Exception as exc:  # names the package to install
            pytest.skip(str(exc))


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def station(tmp_path, _isolated_data_dir):
    """Keys, two small catalog tracks and a grant in the test's data directory."""
    from pressroom.bench.station import ThrowawayStation

    st = ThrowawayStation(tmp_path, track_sizes=(700_000, 300_001))
    yield st
    st.close()


@pytest.fixture
def sim_cleanup(station):
    """Whatever a test attached, nothing stays mounted or attached afterwards."""
    yield station.sim_dir
    for spec in list_sim_disks(station.sim_dir):
        if spec.backing is not None:
            loopback.unmount(Path(spec.backing.mount_point))
            if dev := loopback.loop_of(Path(spec.backing.image)):
                loopback.detach(dev)


def _our_loops(root: Path) -> list[str]:
    found = []
    for backing in Path("/sys/block").glob("loop*/loop/backing_file"):
        text = backing.read_text(encoding="utf-8", errors="replace")
        if text.startswith(str(root)):
            found.append(backing.parent.parent.name)
    return found


def _our_mounts(root: Path) -> list[str]:
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        return [ln for ln in fh if f" {root}" in ln]


@ROOT_AND_LOOP
@pytest.mark.root
@pytest.mark.parametrize("fs", ["ext4", "exfat", "fat32", "fat16"])
def test_backed_disk_runs_and_verifies_from_the_command_line(fs, capsys, station, sim_cleanup):
    _need_tools(fs)
    data = str(station.app.config.data_dir)
    serial = f"LOOP{fs.upper()}0001"
    code, out, err = cli(
        capsys, "--data-dir", data, "sim", "add", "--serial", serial, "--backing", fs,
        "--size", "64M", "--name", f"d{fs}", "--json",
    )  # fmt: skip
    assert code == 0, err
    spec = SimDiskSpec.from_dict(json.loads(out))
    assert spec.backing is not None and spec.backing.fs == fs
    assert spec.backing.loop_device.startswith("/dev/loop")
    assert os.path.ismount(spec.backing.mount_point)
    assert os.stat(spec.backing.image).st_blocks * 512 < 64 << 20  # sparse

    code, out, _ = cli(capsys, "--data-dir", data, "drives", "--json")
    drive = next(d for d in json.loads(out) if d["id"] == f"sim:d{fs}")
    assert drive["verdict"]["ok"] and drive["kind"] == "loop" and drive["serial"] == serial
    assert drive["filesystem"] == ("vfat" if fs.startswith("fat") else fs)
    assert drive["capacity"] == 64 << 20 and drive["free"] > 40 << 20  # FAT32 too

    code, out, err = cli(
        capsys, "--data-dir", data, "run", "--tracks", *station.tracks, "--copies", "1",
        "--drives", f"sim:d{fs}", "--no-wait", "--json",
    )  # fmt: skip
    result = json.loads(out.splitlines()[-1])
    assert code == 0 and result["result"] == "pass", (result, err)

    code, out, _ = cli(capsys, "--data-dir", data, "verify", spec.backing.mount_point)
    assert code == 0 and "PASS" in out and "serial read over USB" in out

    # the bytes are on the medium: unmount, detach, and find the licence inside the image
    licence = (Path(spec.backing.mount_point) / LICENCE_FILE).read_bytes()
    loopback.unmount(Path(spec.backing.mount_point))
    loopback.detach(spec.backing.loop_device)
    assert licence in Path(spec.backing.image).read_bytes()

    # a restart (loop devices gone): the station says so, `sim attach` brings it back
    code, out, _ = cli(capsys, "--data-dir", data, "drives", "--json")
    drive = next(d for d in json.loads(out) if d["id"] == f"sim:d{fs}")
    assert not drive["verdict"]["ok"] and drive["mount_point"] is None
    assert f"run `pressroom sim attach d{fs}` as root" in drive["verdict"]["reason"]
    code, out, _ = cli(capsys, "--data-dir", data, "sim", "list", "--json")
    assert next(r for r in json.loads(out) if r["name"] == f"d{fs}")["state"] == "detached"
    assert cli(capsys, "--data-dir", data, "sim", "attach", f"d{fs}")[0] == 0
    code, out, _ = cli(capsys, "--data-dir", data, "verify", spec.backing.mount_point)
    assert code == 0 and "PASS" in out


@ROOT_AND_LOOP
@pytest.mark.root
def test_sim_remove_leaves_no_loop_device_or_mount(capsys, station, sim_cleanup):
    _need_tools("exfat")
    data = str(station.app.config.data_dir)
    for i, fs in enumerate(("ext4", "exfat")):
        code, _, err = cli(
            capsys, "--data-dir", data, "sim", "add", "--serial", f"REMOVEME000{i}",
            "--backing", fs, "--size", "32M",
        )  # fmt: skip
        assert code == 0, err
    root = Path(os.path.realpath(station.sim_dir))
    assert len(_our_loops(root)) == 2 and len(_our_mounts(root)) == 2
    assert cli(capsys, "--data-dir", data, "sim", "remove", "--all")[0] == 0
    assert _our_loops(root) == [] and _our_mounts(root) == []
    assert list_sim_disks(station.sim_dir) == [] and not any(root.iterdir())


@ROOT_AND_LOOP
@pytest.mark.root
def test_a_failed_mount_leaves_nothing_behind(capsys, station, monkeypatch):
    data = str(station.app.config.data_dir)

    def broken(device, mount_point, fs):
        raise loopback.PressroomError(f"Could not mount {device} ({fs}) at {mount_point}: no.")

    monkeypatch.setattr(loopback, "mount_device", broken)
    code, _, err = cli(
        capsys, "--data-dir", data, "sim", "add", "--serial", "BROKENMNT01", "--backing", "ext4",
        "--size", "32M",
    )  # fmt: skip
    assert code == 2 and err.count("\n") == 1 and "Could not mount" in err
    root = Path(os.path.realpath(station.sim_dir))
    assert _our_loops(root) == [] and list_sim_disks(station.sim_dir) == []


def test_not_root_is_refused_in_one_sentence(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    code, out, err = cli(capsys, "sim", "add", "--serial", "NOTROOT0001", "--backing", "ext4")
    assert code == 3 and out == ""
    assert err.startswith("pressroom: Loop-backed disks need root") and err.count("\n") == 1
    assert list_sim_disks(tmp_path / "data" / "sim") == []


@pytest.mark.skipif(not shutil.which("setpriv"), reason="setpriv missing (Debian util-linux)")
def test_not_root_is_refused_by_the_real_command():
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to another user with setpriv")
    data = Path(tempfile.mkdtemp(prefix="pressroom-nobody-"))  # pytest's tmp is root-only
    try:
        os.chmod(data, 0o700)  # private, as the station wants its data folder
        shutil.chown(data, user=65534, group=65534)
        env = {**os.environ, "PRESSROOM_DATA_DIR": str(data), "HOME": str(data)}
        proc = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
             "-m", "pressroom", "sim", "add", "--serial", "NOBODY0001", "--backing", "fat32"],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
        unreadable = "Permission denied" in proc.stderr and "pressroom" not in proc.stderr
        if unreadable or "No module named pressroom" in proc.stderr:  # a 0700 checkout
            pytest.skip("the interpreter or source tree is not readable by nobody")
        assert proc.returncode == 3, proc.stderr
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith("pressroom: Loop-backed disks need root")
        assert "Traceback" not in proc.stderr and not (data / "sim" / "disk1").exists()
    finally:
        shutil.rmtree(data)


@pytest.mark.parametrize(
    ("fs", "tool", "package"),
    [
        ("ext4", "mkfs.ext4", "e2fsprogs"),
        ("exfat", "mkfs.exfat", "exfatprogs"),
        ("fat32", "mkfs.vfat", "dosfstools"),
        ("fat16", "fusefat", "fusefat"),
        ("exfat", "mount.exfat-fuse", "exfat-fuse"),
    ],
)
def test_a_missing_tool_names_its_debian_package(fs, tool, package, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(loopback, "_kernel_has", lambda name: name == "ext4")
    # Every other tool is "installed" (nothing runs before the check), so the one hidden is
    # the one named, whatever this machine has (a user's PATH often lacks /usr/sbin).
    monkeypatch.setattr(shutil, "which", lambda c: None if c == tool else f"/usr/sbin/{c}")
    code, _, err = cli(capsys, "sim", "add", "--serial", "NOTOOL00001", "--backing", fs)
    assert code == 3 and f"{tool} is not installed" in err and f"package {package}" in err
    assert list_sim_disks(tmp_path / "data" / "sim") == []


def test_folder_faults_are_refused_on_a_backed_disk(capsys):
    code, _, err = cli(
        capsys, "sim", "add", "--serial", "FAULTY00001", "--backing", "ext4",
        "--fault", "fail-after=1M",
    )  # fmt: skip
    assert code == 2 and "only the usb-permission and usb-timeout faults" in err


@pytest.mark.parametrize(
    ("fs", "size", "why"),
    [("fat16", "5G", "FAT16 cannot hold more than 4 GiB"), ("fat32", "20M", "FAT32 needs")],
)
def test_sizes_a_file_system_cannot_have_are_refused(fs, size, why, capsys, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    code, _, err = cli(
        capsys, "sim", "add", "--serial", "SIZE0000001", "--backing", fs, "--size", size
    )
    assert code == 2 and why in err


def test_descriptor_keeps_the_backing_and_folder_disks_have_none(tmp_path):
    import tomllib

    from pressroom.drives.simulated import SimulatedProvider, add_sim_disk

    add_sim_disk(tmp_path, "folder", serial="FOLDER00001")
    spec = add_sim_disk(tmp_path, "backed", serial="BACKED00001", size="64M", backing_fs="exfat")
    raw = tomllib.loads((tmp_path / "backed" / "disk.toml").read_text())
    assert raw["backing"]["fs"] == "exfat"
    assert raw["backing"]["image"] == str(Path(os.path.abspath(tmp_path)) / "backed" / "disk.img")
    assert "backing" not in tomllib.loads((tmp_path / "folder" / "disk.toml").read_text())
    assert [s.backing for s in list_sim_disks(tmp_path) if s.name == "backed"] == [spec.backing]
    with SimulatedProvider(tmp_path) as sim:  # the folder provider leaves backed disks alone
        assert [d.id for d in sim.list_drives()] == ["sim:folder"]


def test_real_path_bench_is_skipped_not_failed_without_root(monkeypatch, tmp_path):
    from pressroom.bench import realpath

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    result = realpath.run(base=str(tmp_path))
    assert result["pass"] is None and "need root" in result["skipped"]


@ROOT_AND_LOOP
@pytest.mark.root
def test_real_path_baseline_reads_back_from_the_loop_disk(station, sim_cleanup):
    """The harness's baseline: durable copy, caches dropped, O_DIRECT read, hashes checked."""
    from pressroom.bench import realpath
    from pressroom.drives.loopsim import add_loop_disk

    spec = add_loop_disk(station.sim_dir, "base", fs="ext4", size="32M", serial="BASELINE0001")
    assert spec.backing is not None
    sources = [Path(station.app.catalog.get(h).path) for h in station.tracks]
    mount = Path(spec.backing.mount_point)
    out = realpath.baseline([(mount, spec.backing.loop_device)], sources)
    assert out["read_modes"] == ["direct"] and out["wall_s"] >= out["write_sync_s"] > 0
    assert [p.read_bytes() for p in sorted(mount.glob("plain*.bin"))] == [
        p.read_bytes() for p in sources
    ]


def test_bench_backing_option_is_checked(capsys):
    code, _, err = cli(capsys, "bench", "realpath", "--backing", "ntfs")
    assert code == 2 and "--backing takes file systems among ext4" in err


def test_a_descriptor_pointing_elsewhere_is_not_unmounted_or_mounted(tmp_path, capsys):
    """A hand-edited descriptor must not make `sim remove` unmount / or attach mount there."""
    import tomli_w

    from pressroom.drives.simulated import add_sim_disk

    sim = tmp_path / "data" / "sim"
    add_sim_disk(sim, "evil", serial="EVILDISK0001", size="64M", backing_fs="ext4")
    desc = sim / "evil" / "disk.toml"
    import tomllib

    raw = tomllib.loads(desc.read_text())
    raw["backing"]["mount_point"] = "/"
    desc.write_text(tomli_w.dumps(raw))
    for argv in (["sim", "remove", "evil"], ["sim", "attach", "evil"]):
        code, _, err = cli(capsys, *argv)
        assert code == 2 and "outside its own folder" in err
    assert (sim / "evil").is_dir()


@ROOT_AND_LOOP
@pytest.mark.root
def test_eject_detaches_and_plug_attaches_again(capsys, station, sim_cleanup):
    from pressroom.drives.loopsim import LoopSimProvider, add_loop_disk

    spec = add_loop_disk(station.sim_dir, "ej", fs="ext4", size="32M", serial="EJECTME00001")
    assert spec.backing is not None
    with LoopSimProvider(station.sim_dir) as provider:
        drive = next(d for d in provider.list_drives() if d.id == "sim:ej")
        assert drive.serial == "EJECTME00001" and drive.mount_point is not None
        provider.eject(drive)
        assert not os.path.ismount(spec.backing.mount_point)
        assert loopback.loop_of(Path(spec.backing.image)) is None
        gone = next(d for d in provider.list_drives() if d.id == "sim:ej")
        assert gone.serial is None and "sim attach ej" in (gone.serial_error or "")
    data = str(station.app.config.data_dir)
    code, out, _ = cli(capsys, "--data-dir", data, "sim", "plug", "ej")
    assert code == 0 and "Attached ej" in out and os.path.ismount(spec.backing.mount_point)
