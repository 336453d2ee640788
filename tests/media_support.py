"""Whether ffmpeg can run here, asked once: a binary on the PATH whose libraries do not load
(libpulse, libavcodec from another release) would turn a skip into an error."""

from __future__ import annotations

import functools
import shutil
import subprocess

FFMPEG_MISSING = "needs a working ffmpeg (Debian package ffmpeg)"


@functools.cache
def ffmpeg_runs() -> bool:
    exe = shutil.which("ffmpeg")
    if exe is None:
        return False
    try:
        proc = subprocess.run([exe, "-version"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0
