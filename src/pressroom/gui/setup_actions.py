"""What the setup wizard does, without Qt: keys, demo catalog, a grant, demo disks.

Kept Qt-free so the wizard's work runs in a pool thread and tests can call it directly.
If the lead's headless ``prepare_demo(app)`` exists (``pressroom demo``), the wizard uses
it, so the demo is set up the same way from the command line and from the window.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

from pressroom.errors import SetupError, UsageError

DEMO_GRANT_COPIES = 200
# Eight slow disks so an operator can watch them fill; disk 6 fails part-way through.
DEMO_DISK_COUNT = 8
DEMO_FAULTY_DISK = 6
DEMO_FAULT = "fail-after=120K"


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
    """Verify and record a grant file; returns its id. One-sentence errors."""
    from pressroom.secure.errors import FormatError

    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read {path}: {exc.strerror}.") from None
    try:
        grant = app.ledger.import_grant(raw, app.keystore.trusted_publishers(), time.time())
    except FormatError as exc:
        raise UsageError(f"{path.name} is not a Pressroom grant file ({exc}).") from None
    return grant.id_hex


def create_demo_grant(app, copies: int = DEMO_GRANT_COPIES) -> str:
    """A grant over the whole catalog, signed by this station's demo publisher key."""
    from pressroom.cli.grant_cmd import CLOCK_SKEW, DEFAULT_VALID_DAYS, NO_PUBLISHER
    from pressroom.secure.grant import create_grant
    from pressroom.secure.rights import RightsLimits

    ks = app.keystore
    if not ks.has_publisher():
        raise SetupError(NO_PUBLISHER)
    tracks = [bytes.fromhex(t.content_hash) for t in app.catalog.all()]
    if not tracks:
        raise SetupError("The catalog is empty; import tracks before creating a grant.")
    now = int(time.time())
    grant = create_grant(
        ks.publisher_key(),
        title="Demo catalog",
        tracks=tracks,
        copies=copies,
        replacements=0,
        limits=RightsLimits(export=True),
        station=ks.station_id(),
        not_before=now - CLOCK_SKEW,
        not_after=now + DEFAULT_VALID_DAYS * 86_400,
        issued_at=now,
    )
    app.ledger.import_grant(grant.raw, ks.trusted_publishers(), now)
    return grant.id_hex


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


def _lead_prepare_demo():
    for module in ("pressroom.demo", "pressroom.engine.demo"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        fn = getattr(mod, "prepare_demo", None)
        if callable(fn):
            return fn
    return None


def prepare_demo(app, *, disks: int = DEMO_DISK_COUNT) -> list[str]:
    """Everything the demo needs, created only where missing; returns what was done.

    The watchable disks come first: with the sim directory already holding eight slow
    disks (one faulty), the shared ``prepare_demo`` adds none of its fast ones.
    """
    from pressroom.drives.simulated import list_sim_disks

    done: list[str] = []
    if not list_sim_disks(app.config.sim_dir):
        done.append(f"{ensure_demo_disks(app)} simulated demo disks (disk{DEMO_FAULTY_DISK} fails)")
    lead = _lead_prepare_demo()
    if lead is not None:
        result = lead(app, disks=disks)
        return done + [str(s) for s in getattr(result, "steps", [])]
    from pressroom.catalog import demo_dir, import_paths

    done += create_keys(app, demo=True)
    if not app.catalog.all():
        report = import_paths([demo_dir()], app.catalog)
        done.append(f"demo catalog: {report.summary()}")
    if not has_usable_grant(app):
        done.append(f"created demo grant {create_demo_grant(app)[:12]}")
    return done
