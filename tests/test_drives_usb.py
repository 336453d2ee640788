"""Serials read by the real pyusb code path, served by the simulated backend."""

from __future__ import annotations

import threading

import usb.core
import usb.util

from pressroom.drives.simbackend import SimUsbBackend, SimUsbDevice
from pressroom.drives.usb import UDEV_RULE, UsbSerialReader

GOOD = SimUsbDevice(0x0781, 0x5581, 1, 2, "SanDisk", "Ultra", "4C530001231107115344", (1, 2))
NO_SERIAL = SimUsbDevice(0x1234, 0x5678, 1, 3, "Cheap", "Stick", "")
LOCKED = SimUsbDevice(0x1234, 0x5679, 1, 4, "Locked", "Stick", "LOCKED01", fault="permission")
STUCK = SimUsbDevice(0x1234, 0x5670, 2, 5, "Slow", "Stick", "STUCK001", fault="timeout")


def test_pyusb_reads_strings_from_the_sim_backend_unmodified():
    backend = SimUsbBackend(lambda: [GOOD])
    (dev,) = list(usb.core.find(find_all=True, backend=backend))
    assert (dev.idVendor, dev.idProduct, dev.bus, dev.address) == (0x0781, 0x5581, 1, 2)
    assert dev.langids == (0x0409,)
    assert usb.util.get_string(dev, dev.iSerialNumber) == "4C530001231107115344"
    assert dev.manufacturer == "SanDisk" and dev.product == "Ultra"
    assert dev.port_numbers == (1, 2)


def test_reader_reports_serials_missing_serial_and_reasons():
    devices = [GOOD, NO_SERIAL, LOCKED, STUCK]
    with UsbSerialReader(SimUsbBackend(lambda: devices), timeout_ms=20) as reader:
        infos, error = reader.read_all()
    assert error is None
    good, none, locked, stuck = (infos[(d.bus, d.address)] for d in devices)
    assert (good.serial, good.serial_error, good.port_path) == (
        "4C530001231107115344",
        None,
        "1-1.2",
    )
    assert good.manufacturer == "SanDisk"
    assert none.serial is None and none.serial_error is None  # iSerialNumber = 0
    assert locked.serial is None and "Permission denied" in locked.serial_error
    assert UDEV_RULE in locked.serial_error and "pressroom" in locked.serial_error
    assert stuck.serial is None and "timeout" in stuck.serial_error


def test_all_usb_io_runs_on_one_dedicated_thread():
    threads: set[str] = set()

    def devices():
        threads.add(threading.current_thread().name)
        return [GOOD]

    reader = UsbSerialReader(SimUsbBackend(devices))
    try:
        assert reader.read(1, 2).serial == GOOD.serial
        assert reader.read(9, 9) == "No USB device at bus 9 address 9."
    finally:
        reader.close()
    assert len(threads) == 1 and next(iter(threads)).startswith("pressroom-usb")
    assert threading.current_thread().name not in threads


def test_missing_backend_becomes_a_reason_not_a_crash():
    def no_backend():
        raise usb.core.NoBackendError("No backend available")

    with UsbSerialReader(no_backend) as reader:
        infos, error = reader.read_all()
    assert infos == {} and "libusb" in error


def test_default_backend_is_libusb_from_libusb_package():
    with UsbSerialReader() as reader:  # no bus here: lists nothing, but must not fail
        _infos, error = reader.read_all()
    assert error is None or "libusb" in error
