"""Desktop integration files: valid for the freedesktop tools, consistent with each other."""

from __future__ import annotations

import configparser
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "packaging"
DESKTOP = PKG / "linux" / "pressroom.desktop"
METAINFO = PKG / "linux" / "io.pressroom.Station.metainfo.xml"
ICONS = PKG / "linux" / "icons"
UNIT = PKG / "systemd" / "pressroom-kiosk.service"
APP_ID = "io.pressroom.Station"


def _ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # keys are case-sensitive in both formats
    parser.read(path, encoding="utf-8")
    return parser


@pytest.mark.skipif(
    not shutil.which("desktop-file-validate"), reason="apt install desktop-file-utils"
)
def test_desktop_file_validates():
    result = subprocess.run(
        ["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and "error" not in result.stdout, result.stdout


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="apt install appstream")
def test_metainfo_validates():
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(METAINFO)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_desktop_metainfo_and_icons_agree():
    entry = _ini(DESKTOP)["Desktop Entry"]
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert entry["Icon"] == APP_ID == root.findtext("icon")
    assert (ICONS / f"{APP_ID}.svg").is_file()
    from pressroom import __version__

    assert root.find("releases/release").get("version") == __version__


def test_png_icon_is_256_pixels():
    data = (ICONS / f"{APP_ID}-256.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (256, 256)


def test_launchers_name_real_commands():
    """Every command line the desktop file and the kiosk unit run parses in our CLI."""
    from pressroom.cli import build_parser

    parser = build_parser()
    desktop = _ini(DESKTOP)
    execs = [desktop[s]["Exec"] for s in desktop.sections()]
    unit = _ini(UNIT)
    execs.append(unit["Service"]["ExecStart"].removeprefix("/usr/bin/env "))
    for line in execs:
        prog, *argv = line.split()
        assert prog == "pressroom"
        assert parser.parse_args(argv).command == "gui"
    assert "--kiosk" in unit["Service"]["ExecStart"]


def test_kiosk_unit_starts_with_the_session_and_restarts():
    unit = _ini(UNIT)
    assert unit["Unit"]["After"] == "graphical-session.target"
    assert unit["Install"]["WantedBy"] == "graphical-session.target"
    assert unit["Service"]["Restart"] == "on-failure"


def test_udev_rule_is_the_one_doctor_and_the_usb_layer_name():
    from pressroom.drives import usb
    from pressroom.station.doctor import host
    from pressroom.station.doctor import usb as doctor

    assert (ROOT / doctor.UDEV_RULE_SOURCE).is_file()
    assert usb.UDEV_RULE == doctor.UDEV_RULE_SOURCE
    assert Path(doctor.UDEV_RULE_SOURCE).name == doctor.UDEV_RULE_NAME
    assert f'GROUP="{host.OPERATOR_GROUP}"' in (ROOT / doctor.UDEV_RULE_SOURCE).read_text()


def test_bundle_spec_names_existing_inputs():
    spec = (PKG / "pressroom.spec").read_text()
    for folder in ("demo", "icons", "style"):
        assert f'"resources" / "{folder}"' in spec
        assert (ROOT / "resources" / folder).is_dir()
    assert (PKG / "pyinstaller" / "launcher.py").is_file()
    assert "pressroom/_resources" in spec
