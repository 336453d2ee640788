"""Everything a fresh station needs to show what it does, created only when missing.

Demo keys (publisher, certified station, player), the demo catalog from resources/, a
grant covering it, and simulated disks. Used by `pressroom demo`, `make run` on a
machine without a display, and the GUI's first-start wizard.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pressroom.errors import SetupError
from pressroom.secure.grant import create_grant
from pressroom.secure.rights import RightsLimits

DEMO_GRANT_TITLE = "Pressroom demo grant"
DEMO_COPIES = 1000
DEMO_DISK_COUNT = 8


@dataclass
class DemoSetup:
    steps: list[str]
    track_hashes: list[str]
    grant_id: str
    disks: int


def prepare_demo(app, *, disks: int = DEMO_DISK_COUNT) -> DemoSetup:
    from pressroom.catalog import import_paths
    from pressroom.catalog.demo import demo_dir
    from pressroom.cli.keys_cmd import ensure_keys
    from pressroom.drives.simulated import add_sim_disk, ensure_demo_disks, list_sim_disks

    steps = [s for s in ensure_keys(app, demo=True) if "left unchanged" not in s]
    report = import_paths([demo_dir()], app.catalog)
    if report.imported:
        steps.append(f"imported {len(report.imported)} demo tracks into the catalog")
    demo_tracks = {t.content_hash for t in report.imported} | {t.content_hash for t in report.known}
    hashes = sorted(demo_tracks)
    grant_id = _ensure_grant(app, hashes, steps)
    sim_dir = app.config.sim_dir
    before = len(list_sim_disks(sim_dir))
    ensure_demo_disks(sim_dir)
    n = len(list_sim_disks(sim_dir))
    while n < disks:
        n += 1
        add_sim_disk(
            sim_dir,
            serial=f"PRDEMO{n:04d}{time.time_ns() % 10**8:08d}",
            vendor="Pressroom",
            product="Demo Stick",
            size="4G",
            write_mbps=20,
            read_mbps=60,
        )
    if n > before:
        steps.append(f"created {n - before} simulated demo disks in {sim_dir}")
    return DemoSetup(steps, hashes, grant_id, n)


def _ensure_grant(app, hashes: list[str], steps: list[str]) -> str:
    now = int(time.time())
    wanted = {bytes.fromhex(h) for h in hashes}
    if not wanted:
        raise SetupError("The demo tracks are missing from this installation (resources/demo).")
    for status in app.ledger.grants():
        g = status.grant
        if (
            wanted <= set(g.tracks)
            and g.not_before <= now <= g.not_after
            and (status.copies_remaining > 0)
        ):
            return status.grant_id
    grant_id = create_demo_grant(app, hashes, copies=DEMO_COPIES, replacements=50)
    steps.append(f"created a demo grant for {DEMO_COPIES} copies ({grant_id[:12]})")
    return grant_id


def create_demo_grant(
    app,
    track_hashes: list[str],
    *,
    copies: int,
    replacements: int = 0,
    title: str = DEMO_GRANT_TITLE,
    valid_days: int = 365,
) -> str:
    """Sign a grant with this station's demo publisher key and record it; returns its id."""
    from pressroom.errors import SetupError

    ks = app.keystore
    if not ks.has_publisher():
        raise SetupError(
            "This station has no publisher key; grants come from the rights holder, "
            "or run 'pressroom keys init --demo'."
        )
    now = int(time.time())
    grant = create_grant(
        ks.publisher_key(),
        title=title,
        tracks=sorted(bytes.fromhex(h) for h in track_hashes),
        copies=copies,
        replacements=replacements,
        limits=RightsLimits(export=True),
        station=ks.station_id(),
        not_before=now - 300,
        not_after=now + valid_days * 86_400,
        issued_at=now,
    )
    app.ledger.import_grant(grant.raw, ks.trusted_publishers(), now)
    return grant.id_hex
