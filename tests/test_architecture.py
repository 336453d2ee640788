"""The shape of the code (docs/ARCHITECTURE.md) is checked by `make test`, not only by lint.

The import-linter contracts in pyproject.toml are run on this checkout; each kind of
break they exist to stop is then made on a copy of the source and must be reported as
BROKEN by the contract that names it, so a contract that silently stopped matching
anything would fail here too.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="needs import-linter (pip install import-linter)")

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
QT = ("PySide6", "shiboken6")


def _lint(root: Path, contract: str = "") -> subprocess.CompletedProcess[str]:
    """lint-imports on ``root``'s pyproject.toml and src/, in a child (its own sys.path);
    ``contract``: only the contract with that id."""
    only = (contract,) if contract else ()
    code = (
        "import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, "
        f"limit_to_contracts={only!r}))"
    )
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_hold_on_this_checkout():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_contract_allows_indirect_imports():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = config["contracts"]
    assert {c["type"] for c in contracts} >= {"layers", "independence", "forbidden"}
    assert [c["name"] for c in contracts if "allow_indirect_imports" in c] == []


def _children() -> set[str]:
    """Every package and module directly under pressroom (but `python -m pressroom`)."""
    top = SRC / "pressroom"
    names = {p.name for p in top.iterdir() if (p / "__init__.py").is_file()}
    names |= {p.stem for p in top.glob("*.py")} - {"__init__", "__main__"}
    return {f"pressroom.{n}" for n in names}


def test_the_qt_contract_names_every_package_but_gui():
    """The layers contract is exhaustive by itself; the Qt one must be kept so by hand."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (qt,) = [c for c in config["contracts"] if c.get("id") == "qt"]
    assert set(qt["source_modules"]) == _children() - {"pressroom.gui"}


def _qt_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [
            f"{path.relative_to(SRC)}:{node.lineno} {n}" for n in names if n.split(".")[0] in QT
        ]
    return found


def test_only_gui_imports_qt():
    """Every import statement, also inside functions and TYPE_CHECKING blocks."""
    gui = SRC / "pressroom" / "gui"
    offenders = [
        hit
        for path in sorted((SRC / "pressroom").rglob("*.py"))
        if gui not in path.parents
        for hit in _qt_imports(path)
    ]
    assert offenders == []
    assert _qt_imports(gui / "launch.py"), "the scan must see the window's own Qt imports"


# Each break a contract is there to stop: (file to change, line to add, contract id).
BREAKS = {
    "siblings": (
        "ledger/__init__.py",
        "import pressroom.catalog.store",
        "layers",
    ),
    "upward": ("engine/__init__.py", "import pressroom.station", "layers"),
    "app-below-station": ("station/parts.py", "import pressroom.app", "layers"),
    "cli-into-window": (
        "cli/run_cmd.py",
        "import pressroom.gui.main_window",
        "fronts",
    ),
    "window-into-cli": (
        "gui/drive_card.py",
        "import pressroom.cli.drives_cmd",
        "fronts",
    ),
    "qt-outside-gui": (
        "catalog/track.py",
        "import PySide6.QtCore",
        "qt",
    ),
    "qt-indirect": (
        "engine/job.py",
        "import pressroom.gui.theme",
        "qt",
    ),
    "secure-upward": (
        "secure/__init__.py",
        "import pressroom.config",
        "secure",
    ),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("arch")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(
        SRC / "pressroom", root / "src" / "pressroom", ignore=shutil.ignore_patterns("__pycache__")
    )
    return root


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_each_contract_catches_its_break(pristine, tmp_path, case):
    rel, line, contract = BREAKS[case]
    root = tmp_path / "tree"
    shutil.copytree(pristine, root)
    target = root / "src" / "pressroom" / rel
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n")
    result = _lint(root, contract)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 broken" in result.stdout


def test_a_package_without_a_layer_is_refused(pristine, tmp_path):
    root = tmp_path / "tree"
    shutil.copytree(pristine, root)
    (root / "src" / "pressroom" / "newthing.py").write_text('"""Not placed in a layer."""\n')
    result = _lint(root, "layers")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "pressroom.newthing" in result.stdout
