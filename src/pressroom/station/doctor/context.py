"""What every check is given: the station's parts and services, the machine, the time."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from pressroom.station.doctor.host import Host
from pressroom.station.grants import GrantService
from pressroom.station.keys import KeyService
from pressroom.station.parts import Parts

QtProbe = Callable[[], "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class Examination:
    """One run of the doctor. ``qt_probe`` replaces the child process in tests."""

    parts: Parts
    keys: KeyService
    grants: GrantService
    host: Host
    now: float
    qt_probe: QtProbe | None = None
