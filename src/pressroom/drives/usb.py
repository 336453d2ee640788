"""Hardware serials over USB with pyusb; every USB call runs on one dedicated thread.

libusb handles are not something to share casually between threads, and a stuck
device must not stall the GUI or a worker: so, like Electrum's hardware-wallet
plugins, a :class:`UsbSerialReader` owns a single-thread executor and every pyusb call
is submitted to it. Failures (no permission, timeout, no libusb) become a readable
``serial_error`` on that device, never an exception for the caller.
"""

from __future__ import annotations

import concurrent.futures
import errno
import logging
from collections.abc import Callable
from dataclasses import dataclass

import usb.backend
import usb.core
import usb.util

from pressroom.secure.identity import normalise_serial

log = logging.getLogger(__name__)

UDEV_RULE = "packaging/udev/70-pressroom.rules"

# libusb error codes (libusb.h), for backends that give no errno.
_LIBUSB_ACCESS, _LIBUSB_NO_DEVICE, _LIBUSB_TIMEOUT = -3, -4, -7


@dataclass(frozen=True)
class UsbInfo:
    """What the device itself says: descriptor ids and its three strings."""

    bus: int | None
    address: int | None
    vendor_id: int
    product_id: int
    manufacturer: str
    product: str
    serial: str | None  # normalised (pressroom.secure.identity.normalise_serial)
    serial_error: str | None
    port_path: str


def default_backend() -> usb.backend.IBackend:
    """libusb-1.0 as shipped by the ``libusb-package`` wheel (falls back to the system's)."""
    import libusb_package
    import usb.backend.libusb1

    backend = usb.backend.libusb1.get_backend(find_library=libusb_package.find_library)
    if backend is None:
        raise usb.core.NoBackendError("No backend available")
    return backend


def explain_usb_error(exc: BaseException, where: str) -> str:
    """One sentence an operator can act on."""
    if isinstance(exc, usb.core.NoBackendError):
        return "No USB library (libusb-1.0) was found, so hardware serials cannot be read."
    if isinstance(exc, usb.core.USBError):
        code = exc.errno, exc.backend_error_code
        if errno.EACCES in code or _LIBUSB_ACCESS in code or errno.EPERM in code:
            return (
                f"Permission denied reading the USB serial of {where}; install {UDEV_RULE} "
                "(group 'pressroom'), add the operator to that group and re-plug the disk."
            )
        if errno.ETIMEDOUT in code or _LIBUSB_TIMEOUT in code:
            return f"{where} did not answer the serial-number request in time (USB timeout)."
        if errno.ENODEV in code or _LIBUSB_NO_DEVICE in code:
            return f"{where} was unplugged while its serial was being read."
        return f"USB error reading the serial of {where}: {exc.strerror or exc}."
    return f"Could not read the serial of {where}: {exc}."


class UsbSerialReader:
    """Reads vendor/product/serial strings of USB devices, on its own thread."""

    def __init__(
        self,
        backend: usb.backend.IBackend | Callable[[], usb.backend.IBackend] | None = None,
        *,
        timeout_ms: int = 1000,
        call_timeout_s: float = 10.0,
    ):
        self._backend_spec = backend if backend is not None else default_backend
        self._backend: usb.backend.IBackend | None = None
        self._timeout_ms = timeout_ms
        self._call_timeout = call_timeout_s
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="pressroom-usb")
        self._closed = False

    def read_all(self) -> tuple[dict[tuple[int | None, int | None], UsbInfo], str | None]:
        """All devices keyed by (bus, address), or an empty map and why enumeration failed."""
        if self._closed:
            return {}, "The USB reader was closed."
        future = self._pool.submit(self._read_all_on_usb_thread)
        try:
            return future.result(timeout=self._call_timeout)
        except concurrent.futures.TimeoutError:
            return {}, "The USB bus did not answer in time; serials could not be read."

    def read(self, bus: int | None, address: int | None) -> UsbInfo | str:
        """The device at ``bus``/``address``, or a sentence saying why it could not be read."""
        devices, error = self.read_all()
        info = devices.get((bus, address))
        if info is not None:
            return info
        return error or f"No USB device at bus {bus} address {address}."

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> UsbSerialReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- on the USB thread only -------------------------------------------------
    def _get_backend(self) -> usb.backend.IBackend:
        if self._backend is None:
            spec = self._backend_spec
            self._backend = spec if isinstance(spec, usb.backend.IBackend) else spec()
        return self._backend

    def _read_all_on_usb_thread(
        self,
    ) -> tuple[dict[tuple[int | None, int | None], UsbInfo], str | None]:
        try:
            backend = self._get_backend()
            devices = list(usb.core.find(find_all=True, backend=backend))
        except (usb.core.USBError, usb.core.NoBackendError) as exc:
            return {}, explain_usb_error(exc, "the USB bus")
        out: dict[tuple[int | None, int | None], UsbInfo] = {}
        for dev in devices:
            try:
                out[(dev.bus, dev.address)] = self._describe(dev)
            finally:
                usb.util.dispose_resources(dev)
        return out, None

    def _describe(self, dev: usb.core.Device) -> UsbInfo:
        ids = f"{dev.idVendor:04x}:{dev.idProduct:04x}"
        where = f"USB device {ids} (bus {dev.bus} address {dev.address})"
        dev.default_timeout = self._timeout_ms
        strings: dict[str, str | None] = {}
        error: str | None = None
        try:
            # get_langids directly: the Device.langids property swallows the USBError
            # that says *why* (e.g. permission denied).
            langids = usb.util.get_langids(dev)
            if not langids:
                raise usb.core.USBError("the device offers no string descriptors")
            for name in ("iManufacturer", "iProduct", "iSerialNumber"):
                strings[name] = usb.util.get_string(dev, getattr(dev, name), langids[0])
        except (usb.core.USBError, ValueError) as exc:
            error = explain_usb_error(exc, where)
        raw = strings.get("iSerialNumber")
        # The binding's normalisation, applied where the serial enters the station, so
        # every comparison (duplicates, the ledger, the player) sees one spelling of it.
        serial = normalise_serial(raw) if raw is not None else None
        # iSerialNumber == 0: the device has no serial at all, which is not an error.
        serial_error = error if serial is None and dev.iSerialNumber else None
        ports = getattr(dev, "port_numbers", None)
        port_path = f"{dev.bus}-{'.'.join(map(str, ports))}" if ports else f"{dev.bus}-?"
        return UsbInfo(
            bus=dev.bus,
            address=dev.address,
            vendor_id=dev.idVendor,
            product_id=dev.idProduct,
            manufacturer=(strings.get("iManufacturer") or "").strip(),
            product=(strings.get("iProduct") or "").strip(),
            serial=serial,
            serial_error=serial_error,
            port_path=port_path,
        )
