"""`pressroom verify MOUNT [--serial S] [--json]`: authenticate a whole disk offline.

Exit 0 only when every check passed: licence signature, certificate chain, revocations,
grant, identity binding, and every chunk of every track.
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
from pressroom.secure.errors import SecureError
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.licence import LICENCE_FILE, parse_licence
from pressroom.secure.verifier import DiskReport, verify_disk


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="authenticate a disk completely, offline")
    p.add_argument("mount", help="mount point (or simulated disk folder) of the disk")
    p.add_argument(
        "--serial",
        help="check as if the disk had this USB serial (forensics, support desk)",
    )
    p.add_argument("--json", action="store_true", help="print a per-track result table as JSON")
    p.set_defaults(func=cmd_verify)


def resolve_identity(app: App, mount: Path, serial: str | None) -> tuple[DiskIdentity, str]:
    """The identity to verify against, and a sentence saying where it came from."""
    if serial is not None:
        try:
            data = (mount / LICENCE_FILE).read_bytes()
            _, lic = parse_licence(data)
        except FileNotFoundError:
            raise UsageError(f"{mount} holds no Pressroom licence ({LICENCE_FILE}).") from None
        except SecureError as exc:
            raise UsageError(f"The licence on {mount} cannot be read: {exc}") from None
        ident = lic.made_for.identity_with_serial(serial)
        return ident, f"as if its serial were {serial!r}"
    drive = app.drive_provider.drive_for_path(mount)
    if drive is None:
        raise UsageError(
            f"{mount} is not on a removable USB disk or simulated disk Pressroom can identify; "
            "give --serial to check it as the disk with that serial."
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
    identity, source = resolve_identity(app, mount, args.serial)
    trust = app.trust()
    medium = ReadBackMedium(LocalVolume(mount))
    total = _announced_size(mount)
    with byte_progress("verifying", total, enabled=not args.json) as advance:
        report = verify_disk(medium, identity, trust, progress=advance)
    if args.json:
        out = report.as_json()
        out["identity"] = {"source": source, "serial_tail": identity.serial[-4:]}
        out["read_back"] = medium.summary()
        print(json.dumps(out, indent=2))
    else:
        print_report(report, source)
        print(f"  read back: {medium.sentence()}")
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
        return self.volume.exists(relpath)

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


def _announced_size(mount: Path) -> int:
    try:
        _, lic = parse_licence((mount / LICENCE_FILE).read_bytes())
    except (OSError, SecureError):
        return 0
    return sum(t.plain_len for t in lic.tracks)


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
