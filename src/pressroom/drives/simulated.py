"""Simulated disks: folders with a USB identity, a speed limit and injectable faults.

Split by job: :mod:`~pressroom.drives.simspec` (descriptors and the sim directory),
:mod:`~pressroom.drives.simvolume` (the paced, fault-injecting volume) and
:mod:`~pressroom.drives.simprovider` (discovery and serials). This module keeps the
public names importable from one place.
"""

from __future__ import annotations

from pressroom.drives.simprovider import SimulatedProvider
from pressroom.drives.simspec import (
    BUSES,
    DEMO_DISKS,
    DESCRIPTOR,
    DESCRIPTOR_JSON,
    IMAGE,
    MAX_ADDRESS,
    MB,
    MEDIA,
    SLOW_READ_MBPS,
    SLOW_WRITE_MBPS,
    UNPLUGGED,
    SimBacking,
    SimDiskSpec,
    SimFaults,
    _read_spec,
    _write_spec,
    add_sim_disk,
    backing_paths,
    ensure_demo_disks,
    hub_of,
    is_plugged,
    list_sim_disks,
    parse_fault,
    parse_port_path,
    read_buses,
    remove_sim_disk,
    set_backing,
    set_bus,
    set_plugged,
)
from pressroom.drives.simvolume import SimDiskState, SimReader, SimVolume, SimWriter

__all__ = [
    "BUSES",
    "DEMO_DISKS",
    "DESCRIPTOR",
    "DESCRIPTOR_JSON",
    "IMAGE",
    "MAX_ADDRESS",
    "MB",
    "MEDIA",
    "SLOW_READ_MBPS",
    "SLOW_WRITE_MBPS",
    "UNPLUGGED",
    "SimBacking",
    "SimDiskSpec",
    "SimDiskState",
    "SimFaults",
    "SimReader",
    "SimVolume",
    "SimWriter",
    "SimulatedProvider",
    "_read_spec",
    "_write_spec",
    "add_sim_disk",
    "backing_paths",
    "ensure_demo_disks",
    "hub_of",
    "is_plugged",
    "list_sim_disks",
    "parse_fault",
    "parse_port_path",
    "read_buses",
    "remove_sim_disk",
    "set_backing",
    "set_bus",
    "set_plugged",
]
