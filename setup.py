"""Build step only; every piece of metadata is in pyproject.toml.

The station's resources (icons, style sheet, demo tracks) live once, in the top-level
``resources/`` folder. Wheels carry a copy inside the package, as ``pressroom/_resources``,
where :mod:`pressroom.resources` finds it: no symlink, no data-files outside site-packages.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SKIP = shutil.ignore_patterns("*.py", "__pycache__", "*.pyc")  # the track generator stays home


class BuildPyWithResources(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads resources/ of the checkout directly
        target = Path(self.build_lib) / "pressroom" / "_resources"
        shutil.copytree(HERE / "resources", target, ignore=SKIP, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithResources})
