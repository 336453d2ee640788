"""Which disk is at this mount point: the device half of "open a disk for play".

The identity a disk is checked against comes only from the drive providers: the Linux
provider reads the USB serial of the block device the mount point sits on; the simulated
provider serves its serial through the simulated pyusb backend, read by the same code.
Nothing the user types can name a serial here, so a folder of copied files never plays:
it is not a removable disk with a readable hardware serial.

A simulated disk is a folder whose serial is whatever its descriptor says: anyone can
describe one with a real disk's serial and copy that disk's files into it. So a simulated
disk plays only what *this* station made (its demos and tests); a licence made by any
other station, or a player with no station key, never plays from one.

It maps a mount point to a drive of a drive provider, so it lives in the application
layer (the player package keeps the disk logic and knows no drives);
``DiskService.open_for_play`` in :mod:`pressroom.station.disks` calls it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pressroom.drives.base import Drive, DriveProvider
from pressroom.errors import VerificationFailed
from pressroom.player.disk import PlayerDisk
from pressroom.secure.errors import IdentityRefused
from pressroom.secure.identity import DiskIdentity

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
            f"The disk at {mount} has no USB serial number, so it cannot be played.", "no-serial"
        )
    try:
        ident = DiskIdentity.of(drive.vendor_id, drive.product_id, drive.serial, drive.capacity)
    except IdentityRefused as exc:
        raise DeviceRefused(
            f"The disk at {mount} cannot be told apart from others: {exc}", "serial-refused"
        ) from None
    bus = "the simulated USB bus" if drive.kind == "sim" else "USB"
    return DeviceIdentity(ident, drive, f"serial read over {bus} from {drive.label}")
