"""What every check is given: the station's parts and services, the machine, the time."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field

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
    # the Qt child's answer, asked once and shared by the qt and audio checks
    _qt_answer: list[subprocess.CompletedProcess[str] | subprocess.TimeoutExpired] = field(
        default_factory=list, compare=False, repr=False
    )

    def qt_answer(self, default: QtProbe) -> subprocess.CompletedProcess[str]:
        """The Qt probe's result (raises its TimeoutExpired), run at most once."""
        if not self._qt_answer:
            try:
                self._qt_answer.append((self.qt_probe or default)())
            except subprocess.TimeoutExpired as exc:
                self._qt_answer.append(exc)
        answer = self._qt_answer[0]
        if isinstance(answer, subprocess.TimeoutExpired):
            raise answer
        return answer
