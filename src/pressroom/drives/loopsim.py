"""Loop-backed simulated disks: a simulated USB identity over the real Linux I/O path.

`pressroom sim add --backing ext4|exfat|fat32|fat16` makes a disk whose *identity*
(vendor, product, serial) is served by the simulated pyusb backend and read by the same
code as a hardware serial, and whose *files* live on a real file system in an image
file, attached to a loop device and mounted by the kernel or a FUSE daemon. The
:class:`LoopSimProvider` is the :class:`~pressroom.drives.linux.LinuxProvider` itself,
limited to these loop devices: discovery from sysfs and mountinfo, the system-disk
guard, :class:`~pressroom.drives.volume.LocalVolume` and eject are the hardware path's.

Loop devices do not survive a reboot. A disk whose image is no longer attached is
still listed, refused with a sentence saying to run ``pressroom sim attach NAME``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from pressroom.drives import loopback
from pressroom.drives.base import Drive, parse_size
from pressroom.drives.linux import LinuxProvider
from pressroom.drives.simbackend import SimUsbBackend, SimUsbDevice
from pressroom.drives.simulated import (
    SimBacking,
    SimDiskSpec,
    add_sim_disk,
    backing_paths,
    list_sim_disks,
    remove_sim_disk,
    set_backing,
)
from pressroom.drives.usb import UsbInfo, UsbSerialReader
from pressroom.errors import PressroomError, UsageError

# -- making, attaching and describing loop-backed disks ---------------------------------


def add_loop_disk(
    sim_dir: str | os.PathLike[str], name: str | None, *, fs: str, size: int | str, **identity
) -> SimDiskSpec:
    """Descriptor + sparse image + mkfs + loop device + mount; undone on any failure."""
    loopback.require_root()
    nbytes = parse_size(size)
    loopback.check_fs(fs, nbytes)
    loopback.check_tools(fs)
    spec = add_sim_disk(sim_dir, name, size=nbytes, backing_fs=fs, **identity)
    try:
        assert spec.backing is not None
        loopback.make_image(Path(spec.backing.image), nbytes, fs, label=spec.name)
        return attach_loop_disk(sim_dir, spec.name)
    except BaseException:
        with contextlib.suppress(PressroomError, OSError):
            remove_sim_disk(sim_dir, spec.name)
        raise


def _backed_spec(sim_dir: str | os.PathLike[str], name: str) -> SimDiskSpec:
    spec = next((s for s in list_sim_disks(sim_dir) if s.name == name), None)
    if spec is None:
        raise UsageError(f"There is no simulated disk named {name!r}.")
    if spec.backing is None:
        raise UsageError(f"{name} is a folder disk; only loop-backed disks are attached.")
    return spec


def attach_loop_disk(sim_dir: str | os.PathLike[str], name: str) -> SimDiskSpec:
    """Attach the image to a loop device and mount it (after a reboot, or after an eject)."""
    spec = _backed_spec(sim_dir, name)
    assert spec.backing is not None
    image, media = backing_paths(Path(sim_dir) / name, spec.backing)
    loopback.require_root()
    if image.is_symlink() or not image.is_file():
        raise PressroomError(f"The image of {name} ({image}) is missing or not a regular file.")
    device = loopback.loop_of(image)
    attached_here = device is None
    device = device or loopback.attach(image)
    if os.path.ismount(media):
        driver = spec.backing.driver
    else:
        try:
            driver = loopback.mount_device(device, media, spec.backing.fs).driver
        except BaseException:
            if attached_here:
                with contextlib.suppress(PressroomError):
                    loopback.detach(device)
            raise
    backing = SimBacking(
        fs=spec.backing.fs,
        image=str(image),
        mount_point=str(media),
        loop_device=device,
        driver=driver,
    )
    return set_backing(sim_dir, name, backing)


def loop_state(spec: SimDiskSpec) -> str:
    """ "attached", "not mounted" or "detached" (what `sim list` shows)."""
    assert spec.backing is not None
    if loopback.loop_of(Path(spec.backing.image)) is None:
        return "detached"
    return "attached" if os.path.ismount(spec.backing.mount_point) else "not mounted"


def detached_reason(spec: SimDiskSpec) -> str:
    return (
        f"The loop-backed disk {spec.name} is not attached (loop devices do not survive a "
        f"restart); run `pressroom sim attach {spec.name}` as root."
    )


# -- the provider ---------------------------------------------------------------------------


class LoopSimProvider(LinuxProvider):
    """The Linux provider over loop-backed simulated disks only, each with its USB identity."""

    loops_only = True

    def __init__(
        self,
        sim_dir: str | os.PathLike[str],
        usb_reader: UsbSerialReader | None = None,
        *,
        protect: list[Path] | None = None,
        poll_interval: float = 1.0,
    ):
        self.sim_dir = Path(sim_dir)
        reader = usb_reader or UsbSerialReader(SimUsbBackend(self._usb_devices))
        super().__init__(reader, protect=protect, allow_loop=True, poll_interval=poll_interval)
        self._own_reader = usb_reader is None

    def _backed(self) -> dict[str, SimDiskSpec]:
        """Loop-backed specs keyed by the real path of their image."""
        return {
            os.path.realpath(s.backing.image): s
            for s in list_sim_disks(self.sim_dir)
            if s.backing is not None
        }

    def _usb_devices(self) -> list[SimUsbDevice]:
        """Only attached disks are "plugged in" on the simulated bus."""
        return [
            s.usb_device()
            for s in self._backed().values()
            if s.backing is not None and loopback.loop_of(Path(s.backing.image))
        ]

    def _loop_drive(self, name: str, backing: str, common: dict[str, object]) -> Drive | None:
        spec = self._backed().get(os.path.realpath(backing.removesuffix(" (deleted)")))
        if spec is None or backing.endswith(" (deleted)"):
            return None  # not ours: another loop device is no simulated disk
        assert spec.backing is not None
        got = self._usb_info(spec.bus, spec.address, spec.vendor_id, spec.product_id)
        info = got if isinstance(got, UsbInfo) else None
        serial_error = info.serial_error if info else str(got)
        if common["mount_point"] is None and not serial_error:
            serial_error = detached_reason(spec)
        return Drive(
            id=f"sim:{spec.name}",
            label=spec.name,
            kind="loop",
            vendor_id=spec.vendor_id,
            product_id=spec.product_id,
            vendor=(info.manufacturer if info else "") or spec.vendor,
            product=(info.product if info else "") or spec.product,
            serial=info.serial if info else None,
            serial_error=serial_error,
            bus=spec.bus,
            address=spec.address,
            port_path=info.port_path if info else spec.port_path,
            **common,  # type: ignore[arg-type]
        )

    def list_drives(self) -> list[Drive]:
        drives = super().list_drives()
        listed = {d.id for d in drives}
        for spec in self._backed().values():
            if f"sim:{spec.name}" not in listed:
                drives.append(self._detached_drive(spec))
        return drives

    def _detached_drive(self, spec: SimDiskSpec) -> Drive:
        assert spec.backing is not None
        return Drive(
            id=f"sim:{spec.name}",
            label=spec.name,
            kind="loop",
            vendor_id=spec.vendor_id,
            product_id=spec.product_id,
            vendor=spec.vendor,
            product=spec.product,
            serial=None,
            serial_error=detached_reason(spec),
            bus=spec.bus,
            address=spec.address,
            port_path=spec.port_path,
            capacity=spec.size,
            free=0,
            filesystem=spec.backing.fs,
            mount_point=None,
            removable=True,
            read_only=False,
        )
