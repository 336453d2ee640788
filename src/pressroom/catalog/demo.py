"""Where the demo catalog (resources/demo, made by resources/make_demo_tracks.py) lives."""

from __future__ import annotations

import os
from pathlib import Path

from pressroom.errors import SetupError


def demo_dir() -> Path:
    """The demo tracks: ``$PRESSROOM_DEMO_DIR``, else ``resources/demo`` of a source tree."""
    env = os.environ.get("PRESSROOM_DEMO_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[3] / "resources" / "demo")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise SetupError(
        "The demo tracks were not found; set PRESSROOM_DEMO_DIR to a folder of audio files."
    )
