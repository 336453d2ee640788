"""Demo kiosk: simulated disks stand in for the customers' own.

At start every simulated disk is pulled out, so the Insert screen really waits; its
"Insert a demo disk" button plugs one back in, emptied first, as a customer would bring
an empty stick. Only the sim directory is touched, never a real disk.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pressroom.drives.simulated import MEDIA, is_plugged, list_sim_disks, set_plugged


def unplug_all(sim_dir: str | Path) -> None:
    for spec in list_sim_disks(sim_dir):
        set_plugged(sim_dir, spec.name, False, "kiosk demo: waiting for a customer")


def plug_demo_disk(sim_dir: str | Path) -> str | None:
    """Plug in a healthy unplugged sim disk with its media emptied; its name, or None."""
    healthy = [s for s in list_sim_disks(sim_dir) if not s.faults.describe()]
    spec = next((s for s in healthy if not is_plugged(Path(sim_dir), s.name)), None)
    if spec is None:
        return None
    media = Path(sim_dir) / spec.name / MEDIA
    shutil.rmtree(media, ignore_errors=True)
    media.mkdir(parents=True, exist_ok=True)
    set_plugged(sim_dir, spec.name, True)
    return spec.name
