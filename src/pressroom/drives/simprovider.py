"""Simulated disks, the provider: lists plugged disks, serials read through pyusb.

Serials are *not* taken from the descriptor directly: they are served by
:class:`~pressroom.drives.simbackend.SimUsbBackend` and read back through
:mod:`pressroom.drives.usb`, so demos and tests run the hardware code path. Disks with a
``[backing]`` table are the loop-backed ones (:mod:`pressroom.drives.loopsim`); this
provider leaves them alone. One :class:`~pressroom.drives.pacing.BusClock` per root bus
paces every disk on it, at the bandwidth ``buses.toml`` gives that bus.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from pressroom.drives.base import Drive, DriveCallback, DriveRefused, Watcher, drive_holding
from pressroom.drives.pacing import BusClock
from pressroom.drives.simbackend import SimUsbBackend, SimUsbDevice
from pressroom.drives.simspec import (
    _NAME_RE,
    MB,
    SimDiskSpec,
    _read_spec,
    is_plugged,
    list_sim_disks,
    read_buses,
)
from pressroom.drives.simvolume import SimDiskState, SimVolume
from pressroom.drives.usb import UsbSerialReader
from pressroom.drives.watch import PollingWatcher


class SimulatedProvider:
    """DriveProvider over a sim directory; serials read through pyusb + the sim backend."""

    def __init__(
        self,
        sim_dir: str | os.PathLike[str],
        usb_reader: UsbSerialReader | None = None,
        *,
        poll_interval: float = 0.3,
    ):
        self.sim_dir = Path(sim_dir)
        self._own_reader = usb_reader is None
        self._usb = usb_reader or UsbSerialReader(SimUsbBackend(self._usb_devices))
        self._poll = poll_interval
        self._states: dict[str, SimDiskState] = {}
        self._buses: dict[int, BusClock] = {}
        self._lock = threading.Lock()
        self._usb_cache: tuple[list[SimDiskSpec], dict] | None = None

    def bus_clock(self, bus: int) -> BusClock:
        """The shared clock of one root bus, at the bandwidth ``buses.toml`` gives it now."""
        limits = read_buses(self.sim_dir)
        rate = limits[bus] * MB if bus in limits else None
        with self._lock:
            clock = self._buses.get(bus)
            if clock is None:
                clock = self._buses[bus] = BusClock(rate)
        if clock.rate != rate:
            clock.set_rate(rate)
        return clock

    def _usb_devices(self) -> list[SimUsbDevice]:
        return [s.usb_device() for s in self._plugged_specs()]

    def _plugged_specs(self) -> list[SimDiskSpec]:
        return [
            s
            for s in list_sim_disks(self.sim_dir)
            if s.backing is None and is_plugged(self.sim_dir, s.name)
        ]

    def _state(self, spec: SimDiskSpec) -> SimDiskState:
        """The runtime state of a disk; renewed when the descriptor changes or it is re-plugged."""
        with self._lock:
            st = self._states.get(spec.name)
        if st is None or st.spec != spec or st.unplugged:
            fresh = SimDiskState(self.sim_dir / spec.name, spec, self.bus_clock(spec.bus))
            with self._lock:
                st = self._states.get(spec.name)
                if st is None or st.spec != spec or st.unplugged:
                    st = self._states[spec.name] = fresh
        return st

    def _read_usb(self, specs: list[SimDiskSpec]) -> tuple[dict, str | None]:
        """The simulated bus's devices, read through pyusb again only when a plugged disk
        or its descriptor changed: what a device answers is fixed by its descriptor, and
        a 128-disk tower's watchers re-read 384 string descriptors every 0.3 s otherwise
        (a quarter of a run's GIL time, which the window's thread waited for)."""
        with self._lock:
            cached = self._usb_cache
        if cached is not None and cached[0] == specs:
            return cached[1], None
        infos, error = self._usb.read_all()
        if error is None:
            with self._lock:
                self._usb_cache = (list(specs), infos)
        return infos, error

    def list_drives(self) -> list[Drive]:
        specs = self._plugged_specs()
        usb_infos, bus_error = self._read_usb(specs) if specs else ({}, None)
        for bus in {s.bus for s in specs}:
            self.bus_clock(bus)  # picks up a bandwidth changed in buses.toml
        drives = []
        for spec in specs:
            st = self._state(spec)
            st.resync_used()
            info = usb_infos.get((spec.bus, spec.address))
            drives.append(
                Drive(
                    id=f"sim:{spec.name}",
                    label=spec.name,
                    kind="sim",
                    vendor_id=spec.vendor_id,
                    product_id=spec.product_id,
                    vendor=(info.manufacturer if info else "") or spec.vendor,
                    product=(info.product if info else "") or spec.product,
                    serial=info.serial if info else None,
                    serial_error=(
                        info.serial_error
                        if info
                        else bus_error or "The disk's USB device was not found on the bus."
                    ),
                    bus=spec.bus,
                    address=spec.address,
                    port_path=info.port_path if info else spec.port_path,
                    capacity=spec.size,
                    free=max(0, spec.size - st.used),
                    filesystem="simfs",
                    mount_point=st.media,
                    removable=True,
                    read_only=spec.faults.read_only,
                )
            )
        return drives

    def _spec_for(self, drive: Drive) -> SimDiskSpec:
        name = drive.id.removeprefix("sim:")
        # this disk's own descriptor only: a tower's other disks need not be read again
        spec = _read_spec(self.sim_dir / name) if _NAME_RE.match(name) else None
        if spec is not None and (spec.backing is not None or not is_plugged(self.sim_dir, name)):
            spec = None
        if drive.kind != "sim" or spec is None:
            raise DriveRefused(f"The simulated disk {drive.label!r} is no longer attached.")
        return spec

    def open_volume(self, drive: Drive) -> SimVolume:
        return SimVolume(self._state(self._spec_for(drive)))

    def eject(self, drive: Drive) -> None:
        spec = self._spec_for(drive)
        self._state(spec).unplug("ejected")

    def drive_for_path(self, path: str | os.PathLike[str]) -> Drive | None:
        return drive_holding(self.list_drives(), path)

    def watch(self, callback: DriveCallback) -> Watcher:
        return PollingWatcher(self.list_drives, callback, interval=self._poll)

    def close(self) -> None:
        if self._own_reader:
            self._usb.close()

    def __enter__(self) -> SimulatedProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
