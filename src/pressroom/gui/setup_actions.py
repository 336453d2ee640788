"""What the setup wizard does, without Qt: keys, demo catalog, a grant, demo disks.

Kept Qt-free so the wizard's work runs in a pool thread and tests can call it directly.
The wizard uses :func:`pressroom.demo.prepare_demo` (as ``pressroom demo`` does), so the
demo is set up the same way from the command line and from the window.
"""

from __future__ import annotations

import time
from pathlib import Path

from pressroom.errors import SetupError

DEMO_GRANT_COPIES = 200
# Eight slow disks so an operator can watch them fill; disk 6 fails part-way through (a
# loose connection: it fails once, its reason is shown, and Retry then makes it).
DEMO_DISK_COUNT = 8
DEMO_FAULTY_DISK = 6
DEMO_FAULT = "flaky-after=120K"


def has_keys(app) -> bool:
    return app.keystore.has_station()


def has_usable_grant(app) -> bool:
    now = time.time()
    return any(
        s.copies_remaining > 0 and s.grant.not_before <= now <= s.grant.not_after
        for s in app.ledger.grants()
    )


def needs_setup(app) -> bool:
    """First start: no station key, or nothing to press (no grant or empty catalog)."""
    return not has_keys(app) or not app.ledger.grants() or not app.catalog.all()


def create_keys(app, *, demo: bool) -> list[str]:
    from pressroom.cli.keys_cmd import ensure_keys

    return ensure_keys(app, demo=demo)


def import_grant_file(app, path: str | Path) -> str:
    """Verify and record a grant file; returns its id (see :meth:`App.import_grant_file`)."""
    return app.import_grant_file(path).id_hex


def create_demo_grant(app, copies: int = DEMO_GRANT_COPIES) -> str:
    """A grant over the whole catalog, signed by this station's demo publisher key."""
    from pressroom.demo import create_demo_grant as create

    tracks = [t.content_hash for t in app.catalog.all()]
    if not tracks:
        raise SetupError("The catalog is empty; import tracks before creating a grant.")
    return create(app, tracks, copies=copies, title="Demo catalog")


def ensure_demo_disks(app) -> int:
    """Eight slow simulated disks, one with an injected write failure; returns how many."""
    from pressroom.drives.simulated import add_sim_disk, list_sim_disks, parse_fault

    sim_dir = app.config.sim_dir
    have = len(list_sim_disks(sim_dir))
    for i in range(have + 1, DEMO_DISK_COUNT + 1):
        faults = parse_fault(DEMO_FAULT) if i == DEMO_FAULTY_DISK else None
        add_sim_disk(
            sim_dir,
            serial=f"PR{20240000 + i * 7919:010d}",
            vendor="Pressroom",
            product="Demo Stick",
            size="4G",
            write_mbps=0.08 + 0.01 * (i % 4),
            read_mbps=0.6,
            faults=faults,
        )
    return len(list_sim_disks(sim_dir))


def prepare_demo(app, *, disks: int = DEMO_DISK_COUNT) -> list[str]:
    """Everything the demo needs, created only where missing; returns what was done.

    The watchable disks come first: with the sim directory already holding eight slow
    disks (one faulty), the shared ``prepare_demo`` adds none of its fast ones.
    """
    from pressroom.drives.simulated import list_sim_disks

    done: list[str] = []
    if not list_sim_disks(app.config.sim_dir):
        done.append(f"{ensure_demo_disks(app)} simulated demo disks (disk{DEMO_FAULTY_DISK} fails)")
    from pressroom.demo import prepare_demo as prepare

    return done + prepare(app, disks=disks).steps
