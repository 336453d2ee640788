"""The sdist and wheel carry the resources, and `twine check` accepts them.

One `python -m build` (sdist, then the wheel built from that sdist, so the sdist is proven
complete) takes a few seconds; the PyInstaller bundle is built by
packaging/build-and-smoke.sh instead, which is too slow and too big for the test run.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from pressroom import resources
from pressroom.catalog.demo import demo_dir

ROOT = Path(__file__).resolve().parents[1]
DEMO = sorted(p.name for p in (ROOT / "resources" / "demo").iterdir() if p.is_file())
ICONS = sorted(p.name for p in (ROOT / "resources" / "icons").glob("*.svg"))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    for tool in ("build", "twine"):
        if importlib.util.find_spec(tool) is None:
            pytest.skip(f"{tool} is not installed (pip install -e '.[test]')")
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


def test_wheel_carries_resources_and_migrations(built):
    names = set(zipfile.ZipFile(built["wheel"]).namelist())
    packaged = f"pressroom/{resources.PACKAGED_NAME}"
    assert DEMO and {f"{packaged}/demo/{n}" for n in DEMO} <= names
    assert ICONS and {f"{packaged}/icons/{n}" for n in ICONS} <= names
    assert f"{packaged}/style/pressroom.qss" in names
    assert "pressroom/ledger/migrations/env.py" in names
    assert not any(n.endswith("make_demo_tracks.py") for n in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(built["wheel"]).read(entry_points).decode()
    assert "pressroom = pressroom.cli:main" in text


def test_sdist_has_what_the_wheel_is_built_from(built):
    with tarfile.open(built["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {"setup.py", "pyproject.toml", "packaging/udev/70-pressroom.rules"} <= names
    assert {f"resources/demo/{n}" for n in DEMO} <= names


def test_twine_check_passes(built):
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, built.values())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_installed_wheel_finds_its_own_resources(built, tmp_path):
    """Unpacked like site-packages (no checkout around it): the packaged copy is used."""
    site = tmp_path / "site"
    zipfile.ZipFile(built["wheel"]).extractall(site)
    code = (
        "import pressroom.resources as r, pressroom.catalog.demo as d;"
        "print(r.resources_dir()); print(d.demo_dir())"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESSROOM_")}
    env["PYTHONPATH"] = str(site)
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {code}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    res, demo = out.stdout.split()
    assert Path(res) == site / "pressroom" / resources.PACKAGED_NAME
    assert Path(demo) == Path(res) / "demo"


def test_checkout_uses_the_source_tree_and_env_overrides(tmp_path, monkeypatch):
    monkeypatch.delenv("PRESSROOM_RESOURCES", raising=False)
    monkeypatch.delenv("PRESSROOM_DEMO_DIR", raising=False)
    assert resources.resources_dir() == ROOT / "resources"
    assert demo_dir() == ROOT / "resources" / "demo"
    (tmp_path / "demo").mkdir()
    monkeypatch.setenv("PRESSROOM_RESOURCES", str(tmp_path))
    assert resources.resource("icons", "app.svg") == tmp_path / "icons" / "app.svg"
    assert demo_dir() == tmp_path / "demo"
