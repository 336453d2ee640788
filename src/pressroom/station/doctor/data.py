"""Is the data folder usable: there (or creatable), a folder, writable, with free space."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from pressroom.station.doctor.check import Check, size
from pressroom.station.doctor.context import Examination

MIN_FREE_FAIL = 200 * 1024**2  # below this a run's journal and ledger writes may fail
MIN_FREE_WARN = 2 * 1024**3


def check_data_dir(d: Examination) -> Check:
    root = d.parts.config.data_dir
    existing = root if root.exists() else _nearest_existing(root)
    if existing != root:
        if not _writable(existing):
            return Check(
                "data",
                "fail",
                f"The data folder {root} does not exist and cannot be created "
                f"({existing} is not writable).",
                "Choose another with --data-dir or PRESSROOM_DATA_DIR, or fix its permissions.",
            )
        prefix = f"The data folder {root} will be created at first use"
    elif not root.is_dir():
        return Check(
            "data",
            "fail",
            f"The data folder {root} is a file, not a folder.",
            "Move that file away, or choose another folder with --data-dir.",
        )
    elif not _writable(root):
        return Check(
            "data",
            "fail",
            f"The data folder {root} is not writable by user {d.host.user}.",
            f"sudo chown -R {d.host.user} {root}, or choose another folder with --data-dir.",
        )
    else:
        prefix = f"The data folder {root} is writable"
    free = shutil.disk_usage(existing).free
    if free < MIN_FREE_FAIL:
        return Check(
            "data",
            "fail",
            f"{prefix}, but only {size(free)} is free on its disk.",
            "Free some space on that disk (the ledger and run journals need it).",
        )
    if free < MIN_FREE_WARN:
        return Check(
            "data", "warn", f"{prefix}; only {size(free)} is free.", "Free some space soon."
        )
    return Check("data", "ok", f"{prefix}; {size(free)} free.")


def _writable(folder: Path) -> bool:
    """Really create a file: os.access is wrong for root and for read-only mounts."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _nearest_existing(path: Path) -> Path:
    for parent in path.parents:
        if parent.exists():
            return parent
    return Path(path.anchor or "/")
