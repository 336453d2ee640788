"""`pressroom doctor`: is this machine ready to make disks, and if not, what to do.

Each check returns one :class:`Check`: a status (ok / warn / fail), one plain sentence
saying what was found and, when something is missing, one sentence saying what to do.
FAIL means the station cannot make disks until it is fixed; WARN means something works
in a reduced way (no USB bus: demo disks only; no display: CLI only) or needs attention.

This module stays Qt-free and never lets a broken piece crash the report: Qt is loaded
only in a child process (a broken Qt install aborts its process), and every check turns
its own exceptions into a FAIL line. The machine facts it reads (sysfs, /dev, the udev
rules folder, groups) come from a :class:`Host` so tests can describe any machine.
"""

from __future__ import annotations

import ctypes.util
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pressroom import __version__
from pressroom.app import App
from pressroom.errors import PressroomError

Status = Literal["ok", "warn", "fail"]

UDEV_RULE_NAME = "70-pressroom.rules"
UDEV_RULE_SOURCE = "packaging/udev/70-pressroom.rules"
OPERATOR_GROUP = "pressroom"
MIN_FREE_FAIL = 200 * 1024**2  # below this a run's journal and ledger writes may fail
MIN_FREE_WARN = 2 * 1024**3
EXPIRY_WARN_SECONDS = 14 * 86400
QT_PROBE_TIMEOUT = 60.0
# What the Qt probe imports in its own process: the window and the player's decoder.
QT_MODULES = ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets")
# The player's decoder; it needs libpulse, which the station window itself does not.
QT_MULTIMEDIA = "PySide6.QtMultimedia"
NO_MULTIMEDIA = "no-multimedia"
FS_TOOLS = ("mkfs.ext4", "mkfs.vfat", "mkfs.exfat", "fusefat", "mount.exfat-fuse")
CORE_DISTRIBUTIONS = ("PySide6", "cryptography", "pyusb", "libusb-package", "SQLAlchemy")


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    message: str
    action: str = ""

    def line(self) -> str:
        message = " ".join(self.message.split())  # a driver's multi-line error on one line
        text = f"{self.status.upper():<4}  {self.name:<11} {message}"
        return f"{text} Fix: {self.action}" if self.action else text

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Host:
    """Where the machine facts are read from; tests point these at temporary folders."""

    sys_usb: Path = Path("/sys/bus/usb")
    dev_usb: Path = Path("/dev/bus/usb")
    udev_rule_dirs: tuple[Path, ...] = (Path("/etc/udev/rules.d"), Path("/usr/lib/udev/rules.d"))
    group: str = OPERATOR_GROUP
    linux: bool = field(default_factory=lambda: sys.platform.startswith("linux"))
    euid: int = field(default_factory=lambda: getattr(os, "geteuid", lambda: -1)())
    user: str = field(default_factory=lambda: _user_name())
    groups: tuple[int, ...] = field(default_factory=lambda: tuple(os.getgroups()))


@dataclass
class Doctor:
    app: App
    host: Host = field(default_factory=Host)
    now: float = field(default_factory=time.time)
    qt_probe: Callable[[], subprocess.CompletedProcess[str]] | None = None

    def run(self) -> list[Check]:
        checks: list[Check] = []
        for name, fn in CHECKS:
            try:
                checks.append(fn(self))
            except Exception as exc:  # a check must never hide the others
                checks.append(
                    Check(
                        name,
                        "fail",
                        f"This check itself failed ({type(exc).__name__}: {exc}).",
                        "Report this to support with the output of 'pressroom doctor --json'.",
                    )
                )
        return checks


def exit_code(checks: Iterable[Check]) -> int:
    return 1 if any(c.status == "fail" for c in checks) else 0


# --- software ----------------------------------------------------------------------------


def check_python(d: Doctor) -> Check:
    missing, versions = [], []
    for dist in CORE_DISTRIBUTIONS:
        try:
            versions.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            missing.append(dist)
    frozen = " (bundle)" if getattr(sys, "frozen", False) else ""
    head = f"Pressroom {__version__}{frozen} on Python {platform.python_version()}"
    if missing and not frozen:
        return Check(
            "python",
            "fail",
            f"{head}, but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
            "not installed.",
            "Reinstall Pressroom with its dependencies (pip install pressroom).",
        )
    return Check("python", "ok", f"{head}; {', '.join(versions) or 'dependencies bundled'}.")


def check_libusb(d: Doctor) -> Check:
    import libusb_package

    from pressroom.drives.usb import default_backend, explain_usb_error

    path = libusb_package.find_library("usb-1.0")
    try:
        default_backend()
    except Exception as exc:
        return Check(
            "libusb",
            "fail",
            explain_usb_error(exc, "libusb"),
            "Reinstall Pressroom (the libusb-package wheel ships libusb) "
            "or install the system's: sudo apt install libusb-1.0-0.",
        )
    where = f" from {path}" if path else " from the system"
    return Check("libusb", "ok", f"libusb-1.0 loads{where}, so USB serials can be read.")


# --- USB and permissions -----------------------------------------------------------------


def usb_disks(host: Host) -> list[Path]:
    """Device nodes of attached USB devices that have a mass-storage interface (class 08)."""
    nodes = []
    for dev in sorted(host.sys_usb.glob("devices/*")):
        busnum, devnum = dev / "busnum", dev / "devnum"
        if not (busnum.is_file() and devnum.is_file()):
            continue  # an interface, not a device
        classes = {_read(i / "bInterfaceClass") for i in dev.glob(f"{dev.name}:*")}
        if "08" in classes:
            node = host.dev_usb / f"{int(_read(busnum)):03d}" / f"{int(_read(devnum)):03d}"
            nodes.append(node)
    return nodes


def check_usb(d: Doctor) -> Check:
    host = d.host
    if not host.linux:
        return Check("usb", "warn", "USB access is only checked on Linux.")
    if not host.sys_usb.is_dir():
        return Check(
            "usb",
            "warn",
            f"This machine has no USB bus ({host.sys_usb} is absent), "
            "so only simulated demo disks can be written here.",
            "Use a PC with USB ports for real disks; 'pressroom demo' works meanwhile.",
        )
    if not host.dev_usb.is_dir():
        return Check(
            "usb",
            "fail",
            f"{host.dev_usb} is missing, so no USB device can be opened to read its serial.",
            "Make sure udev runs (systemctl status systemd-udevd).",
        )
    disks = usb_disks(host)
    if not disks:
        return Check("usb", "ok", "USB is present; no USB disk is attached right now.")
    blocked = [n for n in disks if not _can_open(n)]
    if not blocked:
        return Check("usb", "ok", f"All {len(disks)} attached USB disks can be opened.")
    return Check(
        "usb",
        "fail",
        f"{len(blocked)} of {len(disks)} attached USB disks cannot be opened by user "
        f"{host.user} ({', '.join(map(str, blocked))}), so their serials cannot be read "
        "and they will be refused.",
        "Install the udev rule and join the group (see the next two lines), then re-plug.",
    )


def check_udev_rule(d: Doctor) -> Check:
    host = d.host
    if not host.linux:
        return Check("udev", "ok", "No udev rule is needed on this system.")
    for folder in host.udev_rule_dirs:
        if (folder / UDEV_RULE_NAME).is_file():
            return Check("udev", "ok", f"The udev rule is installed: {folder / UDEV_RULE_NAME}.")
    where = host.udev_rule_dirs[0]
    return Check(
        "udev",
        "warn",
        f"The udev rule {UDEV_RULE_NAME} is not installed, so only root can read USB "
        "serials and write removable disks.",
        f"sudo cp {UDEV_RULE_SOURCE} {where}/ && sudo udevadm control --reload "
        "&& sudo udevadm trigger",
    )


def check_group(d: Doctor) -> Check:
    host = d.host
    if not host.linux:
        return Check("group", "ok", "No operator group is needed on this system.")
    import grp  # Unix only, like the udev rule it serves

    try:
        group = grp.getgrnam(host.group)
    except KeyError:
        return Check(
            "group",
            "warn",
            f"There is no '{host.group}' group, which the udev rule gives the disks to.",
            f"sudo groupadd {host.group} && sudo usermod -aG {host.group} {host.user}",
        )
    if host.euid == 0:
        return Check("group", "ok", "Running as root: group membership is not needed.")
    if group.gr_gid in host.groups:
        return Check("group", "ok", f"User {host.user} is in the '{host.group}' group.")
    if host.user in group.gr_mem:
        return Check(
            "group",
            "warn",
            f"User {host.user} was added to '{host.group}' after this session started.",
            "Log out and in again so the membership applies.",
        )
    return Check(
        "group",
        "warn",
        f"User {host.user} is not in the '{host.group}' group, so disks stay root-only.",
        f"sudo usermod -aG {host.group} {host.user}, then log out and in again.",
    )


# --- station data ------------------------------------------------------------------------


def check_data_dir(d: Doctor) -> Check:
    root = d.app.config.data_dir
    existing = root if root.exists() else _nearest_existing(root)
    if existing != root:
        if not _writable(existing):
            return Check(
                "data",
                "fail",
                f"The data folder {root} does not exist and cannot be created "
                f"({existing} is not writable).",
                "Choose another with --data-dir or PRESSROOM_DATA_DIR, or fix its permissions.",
            )
        prefix = f"The data folder {root} will be created at first use"
    elif not root.is_dir():
        return Check(
            "data",
            "fail",
            f"The data folder {root} is a file, not a folder.",
            "Move that file away, or choose another folder with --data-dir.",
        )
    elif not _writable(root):
        return Check(
            "data",
            "fail",
            f"The data folder {root} is not writable by user {d.host.user}.",
            f"sudo chown -R {d.host.user} {root}, or choose another folder with --data-dir.",
        )
    else:
        prefix = f"The data folder {root} is writable"
    free = shutil.disk_usage(existing).free
    if free < MIN_FREE_FAIL:
        return Check(
            "data",
            "fail",
            f"{prefix}, but only {_size(free)} is free on its disk.",
            "Free some space on that disk (the ledger and run journals need it).",
        )
    if free < MIN_FREE_WARN:
        return Check(
            "data", "warn", f"{prefix}; only {_size(free)} is free.", "Free some space soon."
        )
    return Check("data", "ok", f"{prefix}; {_size(free)} free.")


def check_keys(d: Doctor) -> Check:
    ks = d.app.keystore
    try:
        info = d.app.station.keys.summary()
    except PressroomError as exc:  # SecureError included: a damaged key or cert file
        return Check(
            "keys",
            "fail",
            f"The keys in {ks.root} cannot be read: {exc}",
            "Restore the keys folder from your backup (docs/OPERATIONS.md, 'Backups').",
        )
    if not info["station"]:
        return Check(
            "keys",
            "fail",
            f"This station has no keys in {ks.root}.",
            "Run 'pressroom keys init' (or 'pressroom keys init --demo' for a trial station).",
        )
    cert = info["certificate"]
    if not cert:
        return Check(
            "keys",
            "fail",
            "The station key has no certificate from a publisher, so its disks would not verify.",
            f"Send {ks.root / 'station.pub'} to your publisher, then run "
            "'pressroom keys import-cert FILE'.",
        )
    if "error" in cert:
        return Check(
            "keys",
            "fail",
            f"The station certificate is not valid: {cert['error']}",
            "Ask your publisher for a new certificate and install it with "
            "'pressroom keys import-cert FILE'.",
        )
    if not _cert_valid_at(d.app, d.now):
        return Check(
            "keys",
            "fail",
            f"The station certificate is outside its validity period "
            f"(it ends {_day(cert['not_after'])}).",
            "Ask your publisher for a renewed certificate ('pressroom keys import-cert FILE').",
        )
    if not info["player"]:
        return Check(
            "keys",
            "fail",
            "There is no player key to wrap each disk's key to, so no disk can be made.",
            "Install the player's public key with 'pressroom keys install-player FILE' "
            "(or 'pressroom keys init --demo' for a trial).",
        )
    loose = [p.name for p in _private_key_files(ks.root) if p.stat().st_mode & 0o077]
    if loose:
        return Check(
            "keys",
            "warn",
            f"Private key files readable by other users: {', '.join(loose)}.",
            f"chmod 600 {ks.root}/*.key && chmod 700 {ks.root}",
        )
    if cert["not_after"] - d.now < EXPIRY_WARN_SECONDS:
        return Check(
            "keys",
            "warn",
            f"The station certificate ends {_day(cert['not_after'])}.",
            "Ask your publisher for a renewal now.",
        )
    return Check(
        "keys",
        "ok",
        f"Station key {info['station'][:16]} is certified as {cert['name']!r} until "
        f"{_day(cert['not_after'])}; player key {info['player'][:16]}.",
    )


def _sqlite_path(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def _ledger_missing(d: Doctor) -> Path | None:
    """The default SQLite file when it does not exist yet (doctor must not create it)."""
    path = _sqlite_path(d.app.config.ledger_url)
    return path if path is not None and not path.exists() else None


def ledger_label(url: str) -> str:
    from sqlalchemy.engine import make_url

    path = _sqlite_path(url)
    return str(path) if path else make_url(url).render_as_string(hide_password=True)


def check_ledger(d: Doctor) -> Check:
    url = d.app.config.ledger_url
    missing = _ledger_missing(d)
    if missing is not None:
        return Check(
            "ledger",
            "ok",
            f"No ledger yet; it will be created at {missing} by the first command that needs it.",
        )
    label = ledger_label(url)
    try:
        report = d.app.ledger.verify_chain()
    except PressroomError as exc:
        return Check(
            "ledger",
            "fail",
            f"The ledger {label} cannot be opened: {exc}",
            "For PostgreSQL check the URL, the password and that the server is reachable; "
            "for the SQLite file restore the last backup (docs/OPERATIONS.md, 'Backups').",
        )
    if not report.ok:
        problem = (
            f"its tables disagree with its audit chain: {report.reason}"
            if report.mismatch is not None
            else f"its audit chain breaks at row {report.first_bad_seq}: {report.reason}"
        )
        return Check(
            "ledger",
            "fail",
            f"The ledger {label} opens but {problem}",
            "Stop the station, keep a copy of the file, restore the last backup and "
            "call support (docs/OPERATIONS.md, 'Ledger').",
        )
    return Check(
        "ledger", "ok", f"The ledger {label} opens; its audit chain of {report.rows} rows verifies."
    )


def check_grants(d: Doctor) -> Check:
    no_grant_action = (
        "Import the grant file from your publisher: 'pressroom grant import FILE' "
        "('pressroom demo' makes a demo grant on a trial station)."
    )
    if _ledger_missing(d) is not None:
        return Check("grant", "fail", "No rights grant is imported yet.", no_grant_action)
    try:
        statuses = d.app.ledger.grants()
    except Exception:
        return Check("grant", "fail", "Grants cannot be read because the ledger did not open.")
    if not statuses:
        return Check("grant", "fail", "No rights grant is imported yet.", no_grant_action)
    station = _station_id(d.app)
    rule = d.app.station.grants.usability  # the one rule a run applies
    usable, reasons = [], []
    for s in statuses:
        g = s.grant
        u = rule(s, now=d.now, station=station)
        if u.ok:
            usable.append(s)
        elif u.code == "expired":
            reasons.append(f"{g.title!r} expired {_day(g.not_after)}")
        elif u.code == "not-yet-valid":
            reasons.append(f"{g.title!r} starts {_day(g.not_before)}")
        else:
            reasons.append(f"{g.title!r} {u.reason}")
    if not usable:
        return Check(
            "grant",
            "fail",
            f"No grant can be used: {'; '.join(reasons)}.",
            "Ask your publisher for a new or larger grant and import it "
            "('pressroom grant import FILE').",
        )
    left = sum(s.copies_remaining for s in usable)
    soonest = min(usable, key=lambda s: s.grant.not_after)
    text = (
        f"{len(usable)} usable grant{'s' if len(usable) > 1 else ''} with {left} "
        f"cop{'ies' if left != 1 else 'y'} left; the first ends {_day(soonest.grant.not_after)}."
    )
    if soonest.grant.not_after - d.now < EXPIRY_WARN_SECONDS:
        return Check("grant", "warn", text, "Ask your publisher for a renewal before then.")
    return Check("grant", "ok", text)


# --- desktop -----------------------------------------------------------------------------


def check_display(d: Doctor) -> Check:
    from pressroom.display import has_display  # Qt-free

    if has_display():
        where = os.environ.get("WAYLAND_DISPLAY") or os.environ.get("DISPLAY")
        platform_name = os.environ.get("QT_QPA_PLATFORM")
        shown = f" ({where})" if where else f" (QT_QPA_PLATFORM={platform_name})"
        return Check("display", "ok", f"A display is available{shown if d.host.linux else ''}.")
    return Check(
        "display",
        "warn",
        "There is no display, so the station window cannot open; "
        "the command line ('pressroom demo', 'pressroom run') works without one.",
        "Start Pressroom from a desktop session (DISPLAY or WAYLAND_DISPLAY set).",
    )


def qt_probe_command() -> list[str]:
    """This same program, asked to load Qt in a fresh process (a bundle has no `-c`)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "doctor", "--probe-qt"]
    return [sys.executable, "-m", "pressroom", "doctor", "--probe-qt"]


def run_qt_probe() -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        qt_probe_command(),
        capture_output=True,
        text=True,
        timeout=QT_PROBE_TIMEOUT,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def probe_qt() -> int:
    """Child side of the Qt check: import the Qt modules the station uses, print the version.

    Imported by name so that no Qt-free module depends on PySide6; only this child
    process ever loads it.
    """
    import importlib

    for name in QT_MODULES:
        importlib.import_module(name)
    try:
        importlib.import_module(QT_MULTIMEDIA)
    except ImportError as exc:  # a shared library is missing (libpulse.so.0)
        print(f"{NO_MULTIMEDIA}: {exc}")
    print(importlib.import_module("PySide6").__version__)
    return 0


def check_qt(d: Doctor) -> Check:
    probe = d.qt_probe or run_qt_probe
    try:
        result = probe()
    except subprocess.TimeoutExpired:
        return Check(
            "qt",
            "fail",
            f"Loading Qt took longer than {QT_PROBE_TIMEOUT:.0f} s.",
            "Reinstall PySide6.",
        )
    if result.returncode == 0:
        lines = result.stdout.strip().splitlines()
        version = lines[-1] if lines else "?"
        missing = [ln for ln in lines if ln.startswith(NO_MULTIMEDIA)]
        if missing:
            return Check(
                "qt",
                "warn",
                f"Qt (PySide6 {version}) loads, but QtMultimedia does not, so the station "
                f"works and the player cannot play tracks ({missing[0].split(': ', 1)[-1]}).",
                "sudo apt install libpulse0",
            )
        return Check("qt", "ok", f"Qt (PySide6 {version}) with QtMultimedia loads.")
    detail = (result.stderr.strip().splitlines() or ["no message"])[-1]
    if result.returncode < 0:
        detail = f"it crashed with signal {-result.returncode}; {detail}"
    return Check(
        "qt",
        "fail",
        f"Qt cannot be loaded, so the station window and player cannot open ({detail}).",
        "Install the system libraries Qt needs: sudo apt install libegl1 libgl1 "
        "libxkbcommon0 libfontconfig1 libdbus-1-3 libpulse0; then reinstall Pressroom.",
    )


def check_audio(d: Doctor) -> Check:
    if not d.host.linux:
        return Check("audio", "ok", "No extra audio library is needed on this system.")
    if _find_library("pulse"):
        return Check("audio", "ok", "libpulse is present, so the player can decode audio.")
    return Check(
        "audio",
        "fail",
        "libpulse is missing, so QtMultimedia cannot load and the player cannot play tracks.",
        "sudo apt install libpulse0",
    )


def check_fs_tools(d: Doctor) -> Check:
    missing = [t for t in FS_TOOLS if _which(t) is None]
    if not missing:
        return Check("fstools", "ok", "Filesystem tools for real-disk tests are installed.")
    return Check(
        "fstools",
        "warn",
        f"Optional filesystem tools are missing ({', '.join(missing)}); only the "
        "real-disk (loop device) tests need them.",
        "sudo apt install e2fsprogs dosfstools exfatprogs exfat-fuse fusefat",
    )


CHECKS: tuple[tuple[str, Callable[[Doctor], Check]], ...] = (
    ("python", check_python),
    ("libusb", check_libusb),
    ("usb", check_usb),
    ("udev", check_udev_rule),
    ("group", check_group),
    ("data", check_data_dir),
    ("keys", check_keys),
    ("ledger", check_ledger),
    ("grant", check_grants),
    ("display", check_display),
    ("qt", check_qt),
    ("audio", check_audio),
    ("fstools", check_fs_tools),
)


def report_json(checks: list[Check], app: App) -> dict[str, Any]:
    return {
        "version": __version__,
        "data_dir": str(app.config.data_dir),
        "ledger": ledger_label(app.config.ledger_url),
        "ok": exit_code(checks) == 0,
        "checks": [c.to_json() for c in checks],
    }


# --- small helpers (module level so tests can replace them) ------------------------------


def _find_library(name: str) -> str | None:
    return ctypes.util.find_library(name)


def _which(tool: str) -> str | None:
    return shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def _can_open(node: Path) -> bool:
    """libusb opens the device node read-write to send the string-descriptor requests."""
    return os.access(node, os.R_OK | os.W_OK)


def _writable(folder: Path) -> bool:
    """Really create a file: os.access is wrong for root and for read-only mounts."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _nearest_existing(path: Path) -> Path:
    for parent in path.parents:
        if parent.exists():
            return parent
    return Path(path.anchor or "/")


def _private_key_files(root: Path) -> list[Path]:
    return sorted(root.glob("*.key")) if root.is_dir() else []


def _cert_valid_at(app: App, now: float) -> bool:
    from pressroom.secure.cert import load_station_cert

    ks = app.keystore
    cert = load_station_cert(ks.station_cert_bytes(), ks.trusted_publishers())
    return cert.not_before <= now <= cert.not_after


def _station_id(app: App) -> bytes | None:
    ks = app.keystore
    return ks.station_id() if ks.has_station() else None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def _size(size: int) -> str:
    n = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def _user_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.geteuid())
