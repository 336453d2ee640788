"""The engine on the real Linux I/O path (loop-backed disks) against a like-for-like baseline.

Both sides run on fresh loop-backed simulated disks (`sim add --backing FS`), one thread
per disk, on the same tracks:

- baseline: plain copy of the track bytes, durable sync (fsync of each file, fsync of the
  directory and ``syncfs``), then an uncached read (page cache of the file and of the loop
  block device dropped with ``posix_fadvise(DONTNEED)``, then ``O_DIRECT`` where the file
  system takes it) and SHA-256 of what was read;
- engine: the station's own run (encrypt, write, fsync, uncached read-back authenticating
  every chunk, licence, ledger), timed from each disk's first write to the start of its
  licence, so both sides cover the same write + sync + read-back of the same bytes.

``ratio`` is the baseline's wall time over the engine's (1.0: as fast as a plain copy).
The harness is checked first: a dd-like sequential write + fsync on the file system
holding the images (the host's limit) and on one loop disk.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import mmap
import os
import tempfile
import threading
import time
from pathlib import Path

from pressroom.bench.station import ThrowawayStation
from pressroom.drives import loopback
from pressroom.errors import PressroomError

MB = 1_000_000
MiB = 1 << 20
_libc = ctypes.CDLL(None, use_errno=True)


def syncfs(fd: int) -> None:
    """syncfs(2): flush the whole file system holding ``fd`` (a FUSE daemon's too)."""
    if _libc.syncfs(fd) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def dd_write_mbps(directory: Path, size: int, block: int = 4 * MiB) -> float:
    """Sequential write of ``size`` bytes + fsync, as `dd conv=fsync` would."""
    path = directory / "dd-probe.bin"
    buf = os.urandom(block)
    t0 = time.perf_counter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        left = size
        while left > 0:
            left -= os.write(fd, buf[: min(block, left)])
        os.fsync(fd)
    finally:
        os.close(fd)
    elapsed = time.perf_counter() - t0
    path.unlink()
    return size / elapsed / MB


def drop_cache(path: str | Path) -> None:
    """Drop clean cached pages of a file or block device (after its data was synced)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def uncached_sha256(path: Path, device: str) -> tuple[bytes, str]:
    """SHA-256 of a file read from the media: caches dropped, then O_DIRECT if possible."""
    drop_cache(path)
    drop_cache(device)
    digest = hashlib.sha256()
    buf = mmap.mmap(-1, MiB)  # page-aligned, as O_DIRECT needs
    view = memoryview(buf)
    mode = "direct"
    try:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            fd, mode = os.open(path, os.O_RDONLY), "fadvise"
        try:
            while n := os.readv(fd, [view]):
                digest.update(view[:n])
        finally:
            os.close(fd)
    finally:
        view.release()
        buf.close()
    return digest.digest(), mode


def _baseline_disk(mount: Path, device: str, sources: list[Path], out: dict) -> None:
    buf = bytearray(256 << 10)
    view = memoryview(buf)
    written = []
    for i, src in enumerate(sources):
        dst = mount / f"plain{i}.bin"
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            with open(src, "rb", buffering=0) as fin:
                while n := fin.readinto(buf):
                    done = 0
                    while done < n:
                        done += os.write(fd, view[done:n])
            os.fsync(fd)
        finally:
            os.close(fd)
        written.append(dst)
    dfd = os.open(mount, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.suppress(OSError):  # fusefat cannot fsync a directory
            os.fsync(dfd)
        syncfs(dfd)
    finally:
        os.close(dfd)
    out["synced_at"] = time.monotonic()
    out["digests"] = [uncached_sha256(p, device) for p in written]


def baseline(disks: list[tuple[Path, str]], sources: list[Path]) -> dict:
    """Plain copy + durable sync + uncached read + SHA-256 on every disk at once."""
    outs: list[dict] = [{} for _ in disks]
    threads = [
        threading.Thread(target=_baseline_disk, args=(mount, dev, sources, out))
        for (mount, dev), out in zip(disks, outs, strict=True)
    ]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    expected = [hashlib.sha256(p.read_bytes()).digest() for p in sources]
    if any([d for d, _ in o.get("digests", [])] != expected for o in outs):
        raise PressroomError("The baseline read back other bytes than it wrote.")
    write_s = max(o["synced_at"] for o in outs) - t0
    return {
        "wall_s": wall,
        "write_sync_s": write_s,
        "read_modes": sorted({m for o in outs for _, m in o["digests"]}),
    }


def _round(st: ThrowawayStation, fs: str, disks: int, disk_bytes: int, tag: str) -> dict:
    """Fresh disks, the baseline on half of them, the engine on the other half."""
    from pressroom.bench.engine_run import engine_run
    from pressroom.drives.loopsim import add_loop_disk
    from pressroom.drives.simulated import remove_sim_disk

    made = []
    try:
        for role in ("P", "E"):
            for i in range(disks):
                serial = f"REALPATH{tag}{role}{fs.upper()}{i:04d}"
                name = f"real{tag}{role}{i}"
                made.append(add_loop_disk(st.sim_dir, name, fs=fs, size=disk_bytes, serial=serial))
        sources = [Path(st.app.catalog.get(h).path) for h in st.tracks]
        plain_disks = [
            (Path(s.backing.mount_point), s.backing.loop_device)  # type: ignore[union-attr]
            for s in made[:disks]
        ]
        cpu0 = time.process_time()
        plain = baseline(plain_disks, sources)
        plain["cpu_s"] = time.process_time() - cpu0
        engine = engine_run(st, [s.name for s in made[disks:]])
    finally:
        for spec in made:
            with contextlib.suppress(PressroomError, OSError):
                remove_sim_disk(st.sim_dir, spec.name)
    return {"plain": plain, "engine": engine, "driver": made[0].backing.driver}  # type: ignore[union-attr]


def scenario(
    base: Path, *, fs: str = "ext4", disks: int = 4, track_mb: float = 60.0, rounds: int = 3
) -> dict:
    """``rounds`` x (baseline, engine) on fresh loop disks; the median ratio counts."""
    try:
        loopback.require_root("The real-path benchmark's loop disks need")
        loopback.check_tools(fs)
    except PressroomError as exc:
        return {"fs": fs, "disks": disks, "skipped": str(exc)}
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        sizes = (int(track_mb * MB * 0.6), int(track_mb * MB * 0.4))
        st = ThrowawayStation(Path(tmp), track_sizes=sizes)
        disk_bytes = max(64 * MiB, int(sum(sizes) * 1.25) + 16 * MiB)
        disk_bytes += -disk_bytes % MiB
        try:
            host = dd_write_mbps(Path(tmp), 256 * MiB)
            probe = _probe_loop_dd(st, fs, disk_bytes)
            results = [_round(st, fs, disks, disk_bytes, f"r{i}") for i in range(rounds)]
        finally:
            st.close()
    payload = sum(sizes) * disks
    gb = 2 * payload / 1e9  # written and read back
    ratios = [
        r["plain"]["wall_s"] / r["engine"]["cycle_s"] if r["engine"].get("cycle_s") else 0.0
        for r in results
    ]
    best = sorted(range(len(results)), key=lambda i: ratios[i])[len(results) // 2]
    med = results[best]
    return {
        "fs": fs,
        "disks": disks,
        "driver": med["driver"],
        "payload_mb": round(payload / MB, 1),
        "host_dd_fsync_mbps": round(host, 1),
        "loop_dd_fsync_mbps": round(probe, 1),
        "baseline_mbps": round(payload / med["plain"]["wall_s"] / MB, 1),
        "baseline_write_sync_mbps": round(payload / med["plain"]["write_sync_s"] / MB, 1),
        "baseline_read_modes": med["plain"]["read_modes"],
        "baseline_cpu_s_per_gb": round(med["plain"]["cpu_s"] / gb, 2),
        "engine_mbps": round(payload / med["engine"]["cycle_s"] / MB, 1),
        "engine_cpu_s_per_gb": med["engine"]["cpu_s_per_gb"],
        "engine_disks_passed": min(r["engine"]["disks_passed"] for r in results),
        "engine_failures": [f for r in results for f in r["engine"]["failures"]],
        "ratios": [round(x, 3) for x in ratios],
        "ratio": round(ratios[best], 3),
    }


def _probe_loop_dd(st: ThrowawayStation, fs: str, disk_bytes: int) -> float:
    """dd-like write + fsync on one fresh loop disk of this kind (the file system's limit)."""
    from pressroom.drives.loopsim import add_loop_disk
    from pressroom.drives.simulated import remove_sim_disk

    spec = add_loop_disk(st.sim_dir, "probe", fs=fs, size=disk_bytes, serial="REALPATHPROBE01")
    try:
        mount = Path(spec.backing.mount_point)  # type: ignore[union-attr]
        return dd_write_mbps(mount, min(disk_bytes // 2, 64 * MiB))
    finally:
        remove_sim_disk(st.sim_dir, spec.name)


def run(
    *,
    filesystems: tuple[str, ...] = ("ext4", "exfat", "fat32"),
    disks: int = 4,
    track_mb: float = 60.0,
    rounds: int = 5,
    base: str | None = None,
) -> dict:
    root = Path(base or tempfile.gettempdir())
    try:
        loopback.require_root("The real-path benchmark's loop disks need")
    except PressroomError as exc:  # not a failure of the station: just not measured here
        return {"suite": "engine-realpath", "skipped": str(exc), "pass": None}
    scenarios = [
        scenario(root, fs=fs, disks=disks, track_mb=track_mb, rounds=rounds) for fs in filesystems
    ]
    measured = [s for s in scenarios if "skipped" not in s]
    return {
        "suite": "engine-realpath",
        "scenarios": scenarios,
        "target_ratio": 0.9,
        "min_ratio": min((s["ratio"] for s in measured), default=None),
        "pass": bool(measured)
        and all(s["ratio"] >= 0.9 and s["engine_disks_passed"] == disks for s in measured),
    }


QUICK = {"filesystems": ("ext4",), "disks": 2, "track_mb": 8.0, "rounds": 1}
