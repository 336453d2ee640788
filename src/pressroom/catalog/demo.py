"""Where the demo catalog (resources/demo, made by resources/make_demo_tracks.py) lives."""

from __future__ import annotations

import os
from pathlib import Path

from pressroom.errors import SetupError
from pressroom.resources import resource


def demo_dir() -> Path:
    """The demo tracks: ``$PRESSROOM_DEMO_DIR``, else ``demo`` in :mod:`pressroom.resources`."""
    env = os.environ.get("PRESSROOM_DEMO_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(resource("demo"))
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise SetupError(
        "The demo tracks were not found; set PRESSROOM_DEMO_DIR to a folder of audio files."
    )
