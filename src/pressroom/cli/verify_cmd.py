"""`pressroom verify MOUNT [--serial S] [--json]`: authenticate a whole disk offline.

Exit 0 only when every check passed: licence signature, certificate chain, revocations,
grant, identity binding, and every chunk of every track.

``--serial`` is the support desk's check of a disk (or a copy of its files) against a
serial someone typed. It is a report only: nothing that plays ever takes a serial from
the user (``pressroom play`` reads it from the device), and the output says so.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pressroom.app import App
from pressroom.cli.progress import byte_progress
from pressroom.drives.base import FROM_MEDIA, weakest_cache_mode
from pressroom.drives.volume import FileReader, LocalVolume
from pressroom.errors import EXIT_FAILED, UsageError
from pressroom.secure.errors import FormatError, SecureError
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.licence import LICENCE_FILE, Licence, parse_licence
from pressroom.secure.verifier import (
    DirectoryMedium,
    DiskReport,
    Medium,
    identity_for_serial,
    read_licence,
    verify_disk,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="authenticate a disk completely, offline")
    p.add_argument("mount", help="mount point (or simulated disk folder) of the disk")
    p.add_argument(
        "--serial",
        help=(
            "check against this typed USB serial instead of the device's (support desk); "
            "a report only, it never makes a disk playable"
        ),
    )
    p.add_argument("--json", action="store_true", help="print a per-track result table as JSON")
    p.set_defaults(func=cmd_verify)


TYPED_SERIAL = (
    "checked against the serial you typed, not read from a device: "
    "this does not make the disk playable"
)


def resolve_identity(
    app: App, mount: Path, serial: str | None, lic: Licence | SecureError | None = None
) -> tuple[DiskIdentity, str]:
    """The identity to verify against, and a sentence saying where it came from.

    ``lic``: the licence already read and parsed from the disk (or why it could not be);
    ``--serial`` needs it, and it is read only once per command.
    """
    if serial is not None:
        if lic is None:
            lic = _parsed(DirectoryMedium(mount), None)[1]
        if isinstance(lic, SecureError):
            if lic.code == "no-licence":
                raise UsageError(f"{mount} holds no Pressroom licence ({LICENCE_FILE}).")
            raise UsageError(f"The licence on {mount} cannot be read: {lic}")
        ident = identity_for_serial(lic, serial, app.trust())
        return ident, TYPED_SERIAL
    drive = app.drive_provider.drive_for_path(mount)
    if drive is None:
        raise UsageError(
            f"{mount} is not on a removable USB disk or simulated disk Pressroom can identify; "
            "'--serial S' checks its files against a serial you type (a report only: "
            "it never makes them playable)."
        )
    if drive.serial_error:
        raise UsageError(f"Cannot read the serial of the disk at {mount}: {drive.serial_error}")
    if drive.vendor_id is None or drive.product_id is None:
        raise UsageError(f"The disk at {mount} has no USB identity.")
    ident = DiskIdentity.of(drive.vendor_id, drive.product_id, drive.serial, drive.capacity)
    return ident, f"serial read over USB from {drive.label}"


def cmd_verify(args: argparse.Namespace) -> int:
    with App.from_args(args) as app:
        return _verify(app, args)


def _verify(app: App, args: argparse.Namespace) -> int:
    mount = Path(args.mount)
    if not mount.is_dir():
        raise UsageError(f"{mount} is not a folder or mount point.")
    medium = ReadBackMedium(LocalVolume(mount))
    data, lic = _parsed(medium, None)  # the licence is read once, here
    identity, source = resolve_identity(app, mount, args.serial, lic)
    trust = app.trust()
    total = sum(t.plain_len for t in lic.tracks) if isinstance(lic, Licence) else 0
    if data is None:  # unreadable: report why, without a second attempt at reading it
        assert isinstance(lic, SecureError)
        report = DiskReport.refused(lic, LICENCE_FILE)
    else:
        with byte_progress("verifying", total, enabled=not args.json) as advance:
            report = verify_disk(medium, identity, trust, progress=advance, licence=data)
    if args.json:
        out = report.as_json()
        out["identity"] = {
            "source": source,
            "serial_tail": identity.serial[-4:],
            "typed": args.serial is not None,  # a typed serial never grants a play
        }
        out["read_back"] = medium.summary()
        print(json.dumps(out, indent=2))
    else:
        print_report(report, source)
        print(f"  read back: {medium.sentence()}")
        if args.serial is not None:
            print(f"Note: {TYPED_SERIAL}.")
    return 0 if report.ok else EXIT_FAILED


class ReadBackMedium:
    """The disk's files read around every cache, remembering how each read was proven."""

    def __init__(self, volume: LocalVolume):
        self.volume = volume
        self.modes: list[str] = []
        self.note = ""

    def open(self, relpath: str) -> FileReader:
        reader = self.volume.open_read(relpath, uncached=True)
        self.modes.append(reader.cache_mode)
        if reader.cache_mode not in FROM_MEDIA and not self.note:
            self.note = reader.why_cache_only
        return reader

    def exists(self, relpath: str) -> bool:
        """Any entry, even a link or a FIFO: opening it then refuses it with its own code."""
        with self.volume.disk() as d:
            return d.exists(relpath)

    def read(self, relpath: str, limit: int) -> bytes:
        """A whole small file, refused by its size before a byte of it is read."""
        if self.volume.size(relpath) > limit:
            raise FormatError(
                f"{relpath} is larger than {limit} bytes; it was not read further.",
                code="too-large",
                file=relpath,
            )
        with self.open(relpath) as fh:
            return fh.read(limit + 1)

    def summary(self) -> dict[str, object]:
        mode = weakest_cache_mode(self.modes)
        return {
            "cache_mode": mode or None,
            "from_media": bool(mode) and mode in FROM_MEDIA,
            "note": self.note,
        }

    def sentence(self) -> str:
        mode = weakest_cache_mode(self.modes)
        if not mode:
            return "nothing was read"
        if mode in FROM_MEDIA:
            return f"from the media ({mode})"
        return f"verified from cache only ({self.note})"


def _parsed(medium: Medium, data: bytes | None) -> tuple[bytes | None, Licence | SecureError]:
    """The licence bytes (None when unreadable) and the parsed licence, or why not."""
    try:
        data = read_licence(medium) if data is None else data
        return data, parse_licence(data)[1]
    except SecureError as exc:
        return data, exc


def print_report(report: DiskReport, source: str) -> None:
    for t in report.tracks:
        mark = "ok  " if t.ok else "FAIL"
        detail = f"{t.bytes / 1e6:7.2f} MB" if t.ok else t.reason.removeprefix(f"{t.file}: ")
        print(f"  {mark} {t.file:<26} {t.title[:32]:<32} {detail}")
    if report.ok:
        lic, grant = report.licence, report.grant
        assert lic is not None and grant is not None and report.station is not None
        size = sum(t.bytes for t in report.tracks) / 1e6
        print(
            f"PASS: the disk authenticates completely ({len(report.tracks)} tracks, "
            f"{size:.1f} MB; {source}; {lic.kind} copy {lic.copy_index} of grant "
            f"{grant.title!r}; made by {report.station.name!r})."
        )
    else:
        where = (
            f"{report.file}: " if report.file and not report.reason.startswith(report.file) else ""
        )
        print(f"FAIL: {where}{report.reason}")
