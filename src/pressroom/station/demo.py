"""The demo: ONE recipe for keys, the demo catalog, a grant covering it and simulated disks.

There were three (``pressroom demo``, the window's first-start wizard, the kiosk's demo
disks); now each face asks :meth:`DemoService.prepare` and differs only in how the disks
should behave: the headless demo wants them fast, the window and the kiosk want them slow
enough to watch, one of them failing once part-way through (a loose connection: its
reason shows, and Retry then makes it). Only the sim directory is ever touched.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from pressroom.catalog import demo_dir
from pressroom.drives.base import Drive
from pressroom.drives.simulated import (
    MEDIA,
    SimDiskSpec,
    add_sim_disk,
    ensure_demo_disks,
    is_plugged,
    list_sim_disks,
    parse_fault,
    set_plugged,
)
from pressroom.errors import SetupError
from pressroom.secure.licence import DISK_DIR
from pressroom.secure.rights import RightsLimits, parse_rights
from pressroom.station import demo_tracks
from pressroom.station.grants import GrantService
from pressroom.station.keys import KeyService
from pressroom.station.parts import Parts

DEMO_GRANT_TITLE = "Pressroom demo grant"
DEMO_COPIES = 1000
DEMO_REPLACEMENTS = 50
DEMO_DISK_COUNT = 8
# Watchable disks: slow enough to see them fill; disk 6 fails once part-way through.
DEMO_FAULTY_DISK = 6
DEMO_FAULT = "flaky-after=120K"


@dataclass(frozen=True)
class DemoSetup:
    steps: list[str]
    track_hashes: list[str]  # the shipped demo tracks (8 s each, seven formats)
    grant_id: str
    disks: int
    # the generated 40-second tracks, long enough to carry a watermark
    long_hashes: list[str] = field(default_factory=list)

    def tracks_for(self, rights: str, count: int) -> list[str]:
        """The demo's tracks for a job with these rights: the long ones when the copies
        are watermarked (the shipped ones are shorter than one mark)."""
        marked = parse_rights(rights, int(time.time())).marked
        return (self.long_hashes if marked else self.track_hashes)[:count]


class DemoService:
    def __init__(self, parts: Parts, keys: KeyService, grants: GrantService) -> None:
        self._parts = parts
        self._keys = keys
        self._grants = grants

    @property
    def sim_dir(self) -> Path:
        return Path(self._parts.config.sim_dir)

    def prepare(self, disks: int = DEMO_DISK_COUNT, *, watchable: bool = False) -> DemoSetup:
        """Everything the demo needs, created only where missing; says what was done."""
        steps = [s for s in self._keys.ensure(demo=True) if "left unchanged" not in s]
        report = self._parts_import_demo()
        if report[0]:
            steps.append(f"imported {report[0]} demo tracks into the catalog")
        hashes = report[1]
        long_hashes = self._import_long(steps)
        grant_id = self._ensure_grant(sorted(hashes + long_hashes), steps)
        before = len(list_sim_disks(self.sim_dir))
        n = self._ensure_disks(disks, watchable=watchable)
        if n > before:
            how = f" (disk{DEMO_FAULTY_DISK} fails once)" if watchable and before == 0 else ""
            steps.append(f"created {n - before} simulated demo disks in {self.sim_dir}{how}")
        return DemoSetup(steps, hashes, grant_id, n, long_hashes)

    def _parts_import_demo(self) -> tuple[int, list[str]]:
        from pressroom.catalog import import_paths

        report = import_paths([demo_dir()], self._parts.catalog)
        found = {t.content_hash for t in report.imported} | {t.content_hash for t in report.known}
        return len(report.imported), sorted(found)

    def _import_long(self, steps: list[str]) -> list[str]:
        """The long demo tracks, written into the data dir at first use and imported."""
        from pressroom.catalog import import_paths

        where = demo_tracks.folder(Path(self._parts.config.data_dir))
        report = import_paths(demo_tracks.ensure(where), self._parts.catalog)
        if report.imported:
            steps.append(
                f"made {len(report.imported)} long demo tracks for watermarked copies in {where}"
            )
        tracks = report.imported + report.known
        return [t.content_hash for t in sorted(tracks, key=lambda t: t.track_number or 0)]

    def _ensure_grant(self, hashes: list[str], steps: list[str]) -> str:
        if not hashes:
            raise SetupError("The demo tracks are missing from this installation (resources/demo).")
        wanted = [bytes.fromhex(h) for h in hashes]
        usable = self._grants.usable(time.time(), tracks=wanted)
        if usable:
            return usable[0].grant_id
        grant = self._grants.create(
            wanted,
            copies=DEMO_COPIES,
            replacements=DEMO_REPLACEMENTS,
            title=DEMO_GRANT_TITLE,
            limits=RightsLimits(export=True),
            station=self._grants.station_id(),
        )
        self._grants.record(grant.raw)
        steps.append(f"created a demo grant for {DEMO_COPIES} copies ({grant.id_hex[:12]})")
        return grant.id_hex

    def _ensure_disks(self, count: int, *, watchable: bool) -> int:
        """The demo's disks: on an empty sim directory, eight slow ones (one faulty) to
        watch, or a few realistic fast ones; then topped up to ``count`` fast ones."""
        sim_dir = self.sim_dir
        if not list_sim_disks(sim_dir):
            if watchable:
                for i in range(1, DEMO_DISK_COUNT + 1):
                    self._add(
                        f"PR{20240000 + i * 7919:010d}",
                        write_mbps=0.08 + 0.01 * (i % 4),
                        read_mbps=0.6,
                        fault=DEMO_FAULT if i == DEMO_FAULTY_DISK else None,
                    )
            else:
                ensure_demo_disks(sim_dir)
        n = len(list_sim_disks(sim_dir))
        while n < count:
            n += 1
            self._add(f"PRDEMO{n:04d}{time.time_ns() % 10**8:08d}", write_mbps=20, read_mbps=60)
        return n

    def _add(
        self, serial: str, *, write_mbps: float, read_mbps: float, fault: str | None = None
    ) -> SimDiskSpec:
        spec: SimDiskSpec = add_sim_disk(
            self.sim_dir,
            serial=serial,
            vendor="Pressroom",
            product="Demo Stick",
            size="4G",
            write_mbps=write_mbps,
            read_mbps=read_mbps,
            faults=parse_fault(fault) if fault else None,
        )
        return spec

    def blank_disks(self, count: int) -> list[Drive]:
        """Up to ``count`` attached demo disks, each emptied of any earlier copy: the demo
        owns its simulated disks, so each demo run starts them blank."""
        provider = self._parts.drive_provider
        drives = provider.list_drives()[:count]
        for d in drives:
            vol = provider.open_volume(d)
            if vol.exists(DISK_DIR):
                vol.remove_tree(DISK_DIR)
        return drives

    # --- plugging disks in and out (the window's Demo menu, the kiosk's slots) -----------

    def plug_new(self, *, failing: bool = False) -> SimDiskSpec:
        """A new slow simulated disk, plugged in now (optionally one that fails)."""
        return self._add(
            f"PRHOT{time.time_ns() % 10**10:010d}",
            write_mbps=0.1,
            read_mbps=0.6,
            fault="fail-after=100K" if failing else None,
        )

    def unplug_all(self) -> None:
        """Every simulated disk pulled out: the kiosk's slots wait for a customer."""
        for spec in list_sim_disks(self.sim_dir):
            set_plugged(self.sim_dir, spec.name, False, "kiosk demo: waiting for a customer")

    def plug_blank(self) -> str | None:
        """Plug in a healthy unplugged sim disk with its media emptied, as a customer
        would bring an empty stick; its name, or None when none is left."""
        sim_dir = self.sim_dir
        healthy = [s for s in list_sim_disks(sim_dir) if not s.faults.describe()]
        spec = next((s for s in healthy if not is_plugged(sim_dir, s.name)), None)
        if spec is None:
            return None
        media = sim_dir / spec.name / MEDIA
        shutil.rmtree(media, ignore_errors=True)
        media.mkdir(parents=True, exist_ok=True)
        set_plugged(sim_dir, spec.name, True)
        return spec.name
