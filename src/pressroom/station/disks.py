"""Disks: what is attached and whether a run may use it, opening one for play, verifying.

``pressroom drives`` used to judge identities without the ledger's memory of serials, so
it said "ok" for a disk that a run then refused. Both now ask :meth:`DiskService.judge`,
which consults the ledger, and show serials through the one mask
(:func:`pressroom.secure.identity.mask_serial`, the same one events and the ledger use).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from pressroom.drives.base import Drive, DriveCallback, Watcher
from pressroom.drives.identity import Verdict, judge
from pressroom.drives.volume import LocalVolume
from pressroom.engine.recovery import VolumeMedium
from pressroom.errors import PressroomError, UsageError
from pressroom.player.disk import Clock, PlayerDisk, Refusal, open_disk
from pressroom.player.memory import PlayerMemory
from pressroom.secure.errors import IdentityRefused, SecureError
from pressroom.secure.identity import DiskIdentity, mask_serial, serial_hash
from pressroom.secure.licence import LICENCE_FILE, Licence
from pressroom.secure.verifier import DirectoryMedium, DiskReport, identity_for_serial, verify_disk
from pressroom.station.device import OpenedDisk, device_identity
from pressroom.station.parts import Parts, trust_of
from pressroom.station.readback import ReadBackMedium, parsed_licence

PLAYER_MEMORY_DIR = "player"  # under the data dir; `pressroom play` and reissue share it
TYPED_SERIAL = (
    "checked against the serial you typed, not read from a device: "
    "this does not make the disk playable"
)
Progress = Callable[[int], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True)
class DiskView:
    """An attached disk as every front end shows it: the drive, its verdict, its mask."""

    drive: Drive
    verdict: Verdict
    serial_masked: str


@dataclass(frozen=True)
class VerifyOutcome:
    report: DiskReport
    identity: DiskIdentity
    source: str  # where the identity came from, in words
    typed: bool  # checked against a typed serial: a report only, never a play
    read_back: dict[str, object]
    read_back_sentence: str


class DiskService:
    def __init__(self, parts: Parts) -> None:
        self._parts = parts

    # --- identity ------------------------------------------------------------------------

    def judge(self, drives: list[Drive]) -> dict[str, Verdict]:
        """Verdicts with the ledger's memory of serials seen on other hardware."""
        ledger = self._parts.ledger

        def known(d: Drive) -> tuple[int | None, int | None, int] | None:
            if d.vendor_id is None or d.product_id is None or d.serial is None:
                return None
            try:
                mine = DiskIdentity.of(d.vendor_id, d.product_id, d.serial, d.capacity)
            except IdentityRefused:
                return None
            seen = ledger.known_identity(
                identity_hash=mine.hash().hex(), serial_hash=serial_hash(d.serial)
            )
            if seen.serial_clash:
                return (None, None, 0)  # made for another vendor, product or size
            return None

        policy = self._parts.config.settings.identity_policy
        return judge(drives, policy=policy, known_identity=known)  # type: ignore[arg-type]

    def rescan(self) -> list[Drive]:
        """Choose the drive provider again and list its disks (after the first-start
        wizard made demo disks on a station that had none). Never during a run: the run
        holds the provider it started with; the caller checks."""
        self._parts.reload_drives()
        return self.attached()

    def attached(self) -> list[Drive]:
        """The disks attached now, as the drive provider lists them (not judged)."""
        return self._parts.drive_provider.list_drives()

    def blank_ids(self) -> list[str]:
        """The attached disks that hold no Pressroom copy (the kiosk takes a waiting one)."""
        provider = self._parts.drive_provider
        blank = []
        for d in provider.list_drives():
            try:
                if not provider.open_volume(d).exists(LICENCE_FILE):
                    blank.append(d.id)
            except (OSError, PressroomError):
                continue
        return blank

    def watch(self, callback: DriveCallback) -> Watcher:
        """Hotplug: ``callback`` gets every disk added, changed or removed (stop the watcher)."""
        watcher: Watcher = self._parts.drive_provider.watch(callback)
        return watcher

    def survey(self) -> list[DiskView]:
        """The attached disks, each judged as a run would judge it."""
        drives = self._parts.drive_provider.list_drives()
        verdicts = self.judge(drives)
        return [DiskView(d, verdicts[d.id], mask_serial(d.serial)) for d in drives]

    def eject(self, drive_id: str) -> bool:
        """Eject an attached disk; False when it is no longer attached."""
        provider = self._parts.drive_provider
        drive = next((d for d in provider.list_drives() if d.id == drive_id), None)
        if drive is None:
            return False
        provider.eject(drive)
        return True

    # --- play ----------------------------------------------------------------------------

    def memory_dir(self) -> Path:
        """Where the station's built-in player keeps its memory."""
        return self._parts.config.data_dir / PLAYER_MEMORY_DIR

    def open_for_play(self, mount: str | os.PathLike[str], clock: Clock = time.time) -> OpenedDisk:
        """Identify the disk at ``mount`` by its hardware and open it with this station's
        player. A disk that does not authenticate comes back with ``disk.refusal`` set; a
        folder that is not an identifiable disk raises ``DeviceRefused``."""
        path = Path(mount)
        if not path.is_dir():
            raise UsageError(f"{path} is not a folder or mount point.")
        found = device_identity(self._parts.drive_provider, path)
        trust = trust_of(self._parts.keystore)
        memory = PlayerMemory.load(self.memory_dir(), trust.player_key)
        root = Path(found.drive.mount_point or path)  # the mount the provider saw
        disk = open_disk(DirectoryMedium(root), found.identity, trust, clock=clock, memory=memory)
        if found.drive.kind == "sim" and disk.refusal is None:
            disk.refusal = self._simulated_refusal(disk)
        return OpenedDisk(disk, found.drive, found.source)

    def _simulated_refusal(self, disk: PlayerDisk) -> Refusal | None:
        """A simulated disk's serial proves nothing: only this station's own disks play."""
        ks = self._parts.keystore
        own = ks.station_id() if ks.has_station() else None
        if disk.station is not None and own is not None and disk.station.station == own:
            return None
        return Refusal(
            "simulated-disk",
            "This is a simulated disk, whose serial anyone can choose, and its licence was "
            "made by another station: only disks this station made play from simulated disks.",
        )

    def authenticate(self, drive: Drive) -> DiskReport:
        """Authenticate an attached disk completely, as a customer's player would (through
        the drive provider's volume, around the page cache)."""
        provider = self._parts.drive_provider
        if drive.vendor_id is None or drive.product_id is None:
            raise UsageError(f"The disk {drive.label} has no USB serial number.")
        ident = DiskIdentity.of(drive.vendor_id, drive.product_id, drive.serial, drive.capacity)
        medium = VolumeMedium(provider.open_volume(drive))
        return verify_disk(medium, ident, trust_of(self._parts.keystore))

    # --- verify --------------------------------------------------------------------------

    def verify(
        self,
        mount: str | os.PathLike[str],
        *,
        serial: str | None = None,
        progress: Progress | None = None,
    ) -> VerifyOutcome:
        """Authenticate a whole disk offline, reading around the cache; the licence is
        read once. ``serial``: a typed serial (support desk), a report only.
        ``progress(total)`` gives a context whose value is called with bytes checked."""
        path = Path(mount)
        if not path.is_dir():
            raise UsageError(f"{path} is not a folder or mount point.")
        medium = ReadBackMedium(LocalVolume(path))
        data, lic = parsed_licence(medium)
        identity, source = self.resolve_identity(path, serial, lic)
        trust = trust_of(self._parts.keystore)
        if data is None:  # unreadable: report why, without a second attempt at reading it
            assert isinstance(lic, SecureError)
            report = DiskReport.refused(lic, LICENCE_FILE)
        else:
            total = sum(t.plain_len for t in lic.tracks) if isinstance(lic, Licence) else 0
            if progress is None:
                report = verify_disk(medium, identity, trust, licence=data)
            else:
                with progress(total) as advance:
                    report = verify_disk(medium, identity, trust, progress=advance, licence=data)
        return VerifyOutcome(
            report, identity, source, serial is not None, medium.summary(), medium.sentence()
        )

    def resolve_identity(
        self, mount: Path, serial: str | None, lic: Licence | SecureError | None = None
    ) -> tuple[DiskIdentity, str]:
        """The identity to verify against, and a sentence saying where it came from."""
        if serial is not None:
            if lic is None:
                lic = parsed_licence(DirectoryMedium(mount))[1]
            if isinstance(lic, SecureError):
                if lic.code == "no-licence":
                    raise UsageError(f"{mount} holds no Pressroom licence ({LICENCE_FILE}).")
                raise UsageError(f"The licence on {mount} cannot be read: {lic}")
            ident = identity_for_serial(lic, serial, trust_of(self._parts.keystore))
            return ident, TYPED_SERIAL
        drive = self._parts.drive_provider.drive_for_path(mount)
        if drive is None:
            raise UsageError(
                f"{mount} is not on a removable USB disk or simulated disk Pressroom can "
                "identify; '--serial S' checks its files against a serial you type (a report "
                "only: it never makes them playable)."
            )
        if drive.serial_error:
            raise UsageError(f"Cannot read the serial of the disk at {mount}: {drive.serial_error}")
        if drive.vendor_id is None or drive.product_id is None:
            raise UsageError(f"The disk at {mount} has no USB serial number.")
        ident = DiskIdentity.of(drive.vendor_id, drive.product_id, drive.serial, drive.capacity)
        return ident, f"serial read over USB from {drive.label}"
