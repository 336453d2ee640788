"""Open the disk in front of the player: the one "open a disk for play" use case.

The identity a disk is checked against comes only from the drive providers: the Linux
provider reads the USB serial of the block device the mount point sits on; the simulated
provider serves its serial through the simulated pyusb backend, read by the same code.
Nothing the user types can name a serial here, so a folder of copied files never plays:
it is not a removable disk with a readable hardware serial.

A simulated disk is a folder whose serial is whatever its descriptor says: anyone can
describe one with a real disk's serial and copy that disk's files into it. So a simulated
disk plays only what *this* station made (its demos and tests); a licence made by any
other station, or a player with no station key, never plays from one.

Qt-free; ``pressroom play`` and the player window both call :func:`open_for_play`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pressroom.errors import UsageError, VerificationFailed
from pressroom.player.disk import Clock, PlayerDisk, Refusal, open_disk
from pressroom.player.memory import PlayerMemory
from pressroom.secure.errors import IdentityRefused
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.verifier import DirectoryMedium

if TYPE_CHECKING:
    from pressroom.app import App
    from pressroom.drives.base import Drive, DriveProvider

PLAYER_MEMORY_DIR = "player"  # under the data dir

DEVICE_HEADLINES = {
    "no-device": "Not a disk",
    "not-disk-root": "Not the disk itself",
    "no-serial": "The disk's serial cannot be read",
    "serial-refused": "The disk's serial cannot identify it",
}


class DeviceRefused(VerificationFailed):
    """The folder is not a disk the player can identify by its hardware; nothing plays."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code

    @property
    def headline(self) -> str:
        return DEVICE_HEADLINES.get(self.code, "This disk cannot be played")


@dataclass(frozen=True)
class DeviceIdentity:
    """The identity read from the device, and one sentence saying how."""

    identity: DiskIdentity
    drive: Drive
    source: str


@dataclass(frozen=True)
class OpenedDisk:
    disk: PlayerDisk
    drive: Drive
    source: str  # "serial read over USB from SanDisk Ultra"


def memory_dir(app: App) -> Path:
    """Where the station's built-in player keeps its memory."""
    return app.config.data_dir / PLAYER_MEMORY_DIR


def device_identity(provider: DriveProvider, mount: Path) -> DeviceIdentity:
    """The identity of the removable disk mounted exactly at ``mount``, read from it.

    Raises :class:`DeviceRefused` (with a code) for a folder that is not such a disk.
    """
    drive = provider.drive_for_path(mount)
    if drive is None or not drive.removable:
        raise DeviceRefused(
            f"{mount} is not on a removable disk Pressroom can identify (a USB stick or card, "
            "or a simulated disk): a folder of copied files never plays.",
            "no-device",
        )
    assert drive.mount_point is not None  # drive_for_path matched it
    if os.path.realpath(mount) != os.path.realpath(drive.mount_point):
        raise DeviceRefused(
            f"{mount} is a folder inside the disk mounted at {drive.mount_point}; "
            "open the disk itself, not a folder on it.",
            "not-disk-root",
        )
    if drive.serial_error or not drive.serial:
        why = drive.serial_error or "it reported none"
        raise DeviceRefused(
            f"The hardware serial of the disk at {mount} cannot be read ({why.rstrip('.')}), "
            "so it cannot be played.",
            "no-serial",
        )
    if drive.vendor_id is None or drive.product_id is None:
        raise DeviceRefused(
            f"The disk at {mount} has no USB identity, so it cannot be played.", "no-serial"
        )
    try:
        ident = DiskIdentity.of(drive.vendor_id, drive.product_id, drive.serial, drive.capacity)
    except IdentityRefused as exc:
        raise DeviceRefused(
            f"The disk at {mount} cannot be told apart from others: {exc}", "serial-refused"
        ) from None
    bus = "the simulated USB bus" if drive.kind == "sim" else "USB"
    return DeviceIdentity(ident, drive, f"serial read over {bus} from {drive.label}")


def open_for_play(app: App, mount: str | os.PathLike[str], clock: Clock = time.time) -> OpenedDisk:
    """Identify the disk at ``mount`` by its hardware and open it with this station's player.

    A disk that does not authenticate comes back with ``disk.refusal`` set; a folder
    that is not an identifiable disk raises :class:`DeviceRefused`.
    """
    path = Path(mount)
    if not path.is_dir():
        raise UsageError(f"{path} is not a folder or mount point.")
    found = device_identity(app.drive_provider, path)
    trust = app.trust()
    memory = PlayerMemory.load(memory_dir(app), trust.player_key)
    root = Path(found.drive.mount_point or path)  # the mount the provider saw, not a link to it
    disk = open_disk(DirectoryMedium(root), found.identity, trust, clock=clock, memory=memory)
    if found.drive.kind == "sim" and disk.refusal is None:
        disk.refusal = _simulated_refusal(app, disk)
    return OpenedDisk(disk, found.drive, found.source)


def _simulated_refusal(app: App, disk: PlayerDisk) -> Refusal | None:
    """A simulated disk's serial proves nothing: play only this station's own disks on one."""
    ks = app.keystore
    own = ks.station_id() if ks.has_station() else None
    if disk.station is not None and own is not None and disk.station.station == own:
        return None
    return Refusal(
        "simulated-disk",
        "This is a simulated disk, whose serial anyone can choose, and its licence was made "
        "by another station: only disks this station made play from simulated disks.",
    )
