"""Turn what a person typed (a hash prefix or a file path) into one catalog track."""

from __future__ import annotations

import re
from pathlib import Path

from pressroom.catalog.store import CatalogStore
from pressroom.catalog.track import TrackInfo, hash_file
from pressroom.errors import UsageError

MIN_PREFIX = 8  # 32 bits: short enough to type, long enough to rarely collide
_HEX = re.compile(r"[0-9a-fA-F]+")


def resolve_track(store: CatalogStore, ref: str) -> TrackInfo:
    """The track named by ``ref``: an existing file's path, or a hash prefix of >= 8 hex.

    A path is looked up by its content (so a renamed or copied file still resolves), or,
    if the file is gone, by the path it was imported from.
    """
    ref = ref.strip()
    if not ref:
        raise UsageError("An empty track reference was given; use a hash prefix or a path.")
    path = Path(ref).expanduser()
    if path.is_file():
        try:
            track = store.get(hash_file(path))
        except OSError as exc:
            raise UsageError(f"Cannot read {path}: {exc.strerror}.") from None
        if track is None:
            raise UsageError(
                f"{path} is not in the catalog; add it with `pressroom catalog import`."
            )
        return track
    if _HEX.fullmatch(ref):
        if len(ref) < MIN_PREFIX:
            raise UsageError(
                f"The track reference {ref} is too short; give at least {MIN_PREFIX} hex "
                "characters of its hash."
            )
        track = store.find(ref)
        if track is not None:
            return track
        raise UsageError(f"No track in the catalog has a hash starting with {ref.lower()}.")
    wanted = str(path.absolute())
    for track in store.all():
        if str(track.path) == wanted:
            return store.get(track.content_hash) or track
    raise UsageError(f"{ref} is neither a file nor a hash prefix of a track in the catalog.")
