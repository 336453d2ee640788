"""A pyusb backend that serves simulated devices, so ``drives/usb.py`` runs unmodified.

The machines here have no USB bus, yet the serial-reading code is the part most worth
testing. This backend implements the ``usb.backend.IBackend`` calls pyusb makes to
enumerate devices and fetch string descriptors; strings are answered through
``ctrl_transfer`` exactly as a device answers GET_DESCRIPTOR(STRING): index 0 is the
language table, other indexes are UTF-16LE strings.
"""

from __future__ import annotations

import array
import errno
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Literal

import usb.backend
import usb.core

GET_DESCRIPTOR = 0x06
GET_CONFIGURATION = 0x08
DESC_DEVICE, DESC_CONFIG, DESC_STRING = 1, 2, 3
LANGID_EN_US = 0x0409
I_MANUFACTURER, I_PRODUCT, I_SERIAL = 1, 2, 3

UsbFault = Literal["permission", "timeout"] | None


@dataclass(frozen=True)
class SimUsbDevice:
    """What a simulated disk's USB controller reports. ``serial=""`` means no serial
    descriptor at all (iSerialNumber = 0), as on cheap sticks."""

    vendor_id: int
    product_id: int
    bus: int
    address: int
    manufacturer: str
    product: str
    serial: str
    port_numbers: tuple[int, ...] = (1,)
    fault: UsbFault = None


def _usb_error(message: str, code: int, err: int) -> usb.core.USBError:
    return usb.core.USBError(message, error_code=code, errno=err)


class SimUsbBackend(usb.backend.IBackend):
    """Serves the devices returned by ``devices()`` (called at every enumeration, so
    devices can come and go like hotplug)."""

    def __init__(self, devices: Callable[[], Iterable[SimUsbDevice]]):
        self._devices = devices

    # -- enumeration and descriptors ----------------------------------------------
    def enumerate_devices(self) -> Iterable[SimUsbDevice]:
        return list(self._devices())

    def get_parent(self, dev: SimUsbDevice) -> None:
        return None

    def get_device_descriptor(self, dev: SimUsbDevice) -> SimpleNamespace:
        return SimpleNamespace(
            bLength=18,
            bDescriptorType=DESC_DEVICE,
            bcdUSB=0x0200,
            bDeviceClass=0,
            bDeviceSubClass=0,
            bDeviceProtocol=0,
            bMaxPacketSize0=64,
            idVendor=dev.vendor_id,
            idProduct=dev.product_id,
            bcdDevice=0x0100,
            iManufacturer=I_MANUFACTURER if dev.manufacturer else 0,
            iProduct=I_PRODUCT if dev.product else 0,
            iSerialNumber=I_SERIAL if dev.serial else 0,
            bNumConfigurations=1,
            address=dev.address,
            bus=dev.bus,
            port_number=dev.port_numbers[-1],
            port_numbers=dev.port_numbers,
            speed=3,  # high speed
        )

    def get_configuration_descriptor(self, dev: SimUsbDevice, config: int) -> SimpleNamespace:
        if config != 0:
            raise IndexError("configuration index out of range")
        return SimpleNamespace(
            bLength=9,
            bDescriptorType=DESC_CONFIG,
            wTotalLength=32,
            bNumInterfaces=1,
            bConfigurationValue=1,
            iConfiguration=0,
            bmAttributes=0x80,
            bMaxPower=100,
            extra_descriptors=[],
        )

    def get_interface_descriptor(
        self, dev: SimUsbDevice, intf: int, alt: int, config: int
    ) -> SimpleNamespace:
        if (intf, alt, config) != (0, 0, 0):
            raise IndexError("interface index out of range")
        return SimpleNamespace(
            bLength=9,
            bDescriptorType=4,
            bInterfaceNumber=0,
            bAlternateSetting=0,
            bNumEndpoints=2,
            bInterfaceClass=0x08,  # mass storage
            bInterfaceSubClass=0x06,  # SCSI transparent
            bInterfaceProtocol=0x50,  # bulk-only
            iInterface=0,
            extra_descriptors=[],
        )

    def get_endpoint_descriptor(
        self, dev: SimUsbDevice, ep: int, intf: int, alt: int, config: int
    ) -> SimpleNamespace:
        if ep not in (0, 1):
            raise IndexError("endpoint index out of range")
        return SimpleNamespace(
            bLength=7,
            bDescriptorType=5,
            bEndpointAddress=(0x81, 0x02)[ep],
            bmAttributes=0x02,  # bulk
            wMaxPacketSize=512,
            bInterval=0,
            bRefresh=0,
            bSynchAddress=0,
            extra_descriptors=[],
        )

    # -- handles ------------------------------------------------------------------
    def open_device(self, dev: SimUsbDevice) -> SimUsbDevice:
        if dev.fault == "permission":
            raise _usb_error("Access denied (insufficient permissions)", -3, errno.EACCES)
        return dev

    def close_device(self, dev_handle: SimUsbDevice) -> None:
        return None

    def get_configuration(self, dev_handle: SimUsbDevice) -> int:
        return 1

    def set_configuration(self, dev_handle: SimUsbDevice, config_value: int) -> None:
        return None

    def claim_interface(self, dev_handle: SimUsbDevice, intf: int) -> None:
        return None

    def release_interface(self, dev_handle: SimUsbDevice, intf: int) -> None:
        return None

    # -- endpoint 0 -----------------------------------------------------------------
    def ctrl_transfer(
        self,
        dev_handle: SimUsbDevice,
        bmRequestType: int,
        bRequest: int,
        wValue: int,
        wIndex: int,
        data: object,
        timeout: int,
    ) -> int:
        dev = dev_handle
        if dev.fault == "timeout":
            time.sleep(min(timeout, 50) / 1000)
            raise _usb_error("Operation timed out", -7, errno.ETIMEDOUT)
        if bmRequestType & 0x80 == 0 or bRequest != GET_DESCRIPTOR:
            raise _usb_error("Pipe error", -9, errno.EPIPE)  # a real device STALLs
        desc_type, index = wValue >> 8, wValue & 0xFF
        if desc_type != DESC_STRING:
            raise _usb_error("Pipe error", -9, errno.EPIPE)
        payload = self._string_descriptor(dev, index, wIndex)
        buf = data  # an array('B') of wLength bytes, filled in place like libusb does
        n = min(len(buf), len(payload))  # type: ignore[arg-type]
        buf[:n] = array.array("B", payload[:n])  # type: ignore[index]
        return n

    @staticmethod
    def _string_descriptor(dev: SimUsbDevice, index: int, langid: int) -> bytes:
        if index == 0:
            return bytes([4, DESC_STRING]) + LANGID_EN_US.to_bytes(2, "little")
        text = {I_MANUFACTURER: dev.manufacturer, I_PRODUCT: dev.product, I_SERIAL: dev.serial}
        value = text.get(index)
        if not value or langid != LANGID_EN_US:
            raise _usb_error("Pipe error", -9, errno.EPIPE)
        body = value.encode("utf-16-le")[:252]
        return bytes([2 + len(body), DESC_STRING]) + body
