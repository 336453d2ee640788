"""Does the ledger open, and does its audit chain (and the tables it explains) verify?

The doctor must not create the default SQLite file: a missing one is reported as "will
be created", and the grant check reads nothing from it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from pressroom.errors import PressroomError
from pressroom.station.doctor.check import Check
from pressroom.station.doctor.context import Examination


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def ledger_missing(d: Examination) -> Path | None:
    """The default SQLite file when it does not exist yet (doctor must not create it)."""
    path = sqlite_path(d.parts.config.ledger_url)
    return path if path is not None and not path.exists() else None


def ledger_label(url: str) -> str:
    """The SQLite file, or the database URL without its password."""
    path = sqlite_path(url)
    return str(path) if path else make_url(url).render_as_string(hide_password=True)


def check_ledger(d: Examination) -> Check:
    url = d.parts.config.ledger_url
    missing = ledger_missing(d)
    if missing is not None:
        return Check(
            "ledger",
            "ok",
            f"No ledger yet; it will be created at {missing} by the first command that needs it.",
        )
    label = ledger_label(url)
    try:
        report = d.parts.ledger.verify_chain()
    except PressroomError as exc:
        return Check(
            "ledger",
            "fail",
            f"The ledger {label} cannot be opened: {exc}",
            "For PostgreSQL check the URL, the password and that the server is reachable; "
            "for the SQLite file restore the last backup (docs/OPERATIONS.md, 'Backups').",
        )
    if not report.ok:
        problem = (
            f"its tables disagree with its audit chain: {report.reason}"
            if report.mismatch is not None
            else f"its audit chain breaks at row {report.first_bad_seq}: {report.reason}"
        )
        return Check(
            "ledger",
            "fail",
            f"The ledger {label} opens but {problem}",
            "Stop the station, keep a copy of the file, restore the last backup and "
            "call support (docs/OPERATIONS.md, 'Ledger').",
        )
    return Check(
        "ledger", "ok", f"The ledger {label} opens; its audit chain of {report.rows} rows verifies."
    )
