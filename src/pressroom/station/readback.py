"""A disk's files as the verifier's medium, read around every cache.

``pressroom verify`` (and any front end that verifies a disk) must say whether the bytes
it checked came from the medium or only from the page cache; this medium remembers how
each read was proven and sums it up in one sentence.
"""

from __future__ import annotations

from pressroom.drives.base import FROM_MEDIA, weakest_cache_mode
from pressroom.drives.volume import FileReader, LocalVolume
from pressroom.secure.errors import FormatError, SecureError
from pressroom.secure.licence import Licence, parse_licence
from pressroom.secure.verifier import Medium, read_licence


class ReadBackMedium:
    """The disk's files read around every cache, remembering how each read was proven."""

    def __init__(self, volume: LocalVolume) -> None:
        self.volume = volume
        self.modes: list[str] = []
        self.note = ""

    def open(self, relpath: str) -> FileReader:
        reader = self.volume.open_read(relpath, uncached=True)
        self.modes.append(reader.cache_mode)
        if reader.cache_mode not in FROM_MEDIA and not self.note:
            self.note = reader.why_cache_only
        return reader

    def exists(self, relpath: str) -> bool:
        """Any entry, even a link or a FIFO: opening it then refuses it with its own code."""
        with self.volume.disk() as d:
            return d.exists(relpath)

    def read(self, relpath: str, limit: int) -> bytes:
        """A whole small file, refused by its size before a byte of it is read."""
        if self.volume.size(relpath) > limit:
            raise FormatError(
                f"{relpath} is larger than {limit} bytes; it was not read further.",
                code="too-large",
                file=relpath,
            )
        with self.open(relpath) as fh:
            data: bytes = fh.read(limit + 1)
            return data

    def summary(self) -> dict[str, object]:
        mode = weakest_cache_mode(self.modes)
        return {
            "cache_mode": mode or None,
            "from_media": bool(mode) and mode in FROM_MEDIA,
            "note": self.note,
        }

    def sentence(self) -> str:
        mode = weakest_cache_mode(self.modes)
        if not mode:
            return "nothing was read"
        if mode in FROM_MEDIA:
            return f"from the media ({mode})"
        return f"verified from cache only ({self.note})"


def parsed_licence(medium: Medium) -> tuple[bytes | None, Licence | SecureError]:
    """The licence bytes (None when unreadable) and the parsed licence, or why not.

    Read once per command: the verifier is handed these bytes instead of reading again."""
    data: bytes | None = None
    try:
        data = read_licence(medium)
        return data, parse_licence(data)[1]
    except SecureError as exc:
        return data, exc
