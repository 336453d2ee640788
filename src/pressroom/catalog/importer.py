"""Import files and folders into the catalog, reporting each file that cannot go in.

One bad file must never stop an import of hundreds: each file is read on its own, and a
file that is not audio, is cut short or has corrupt tags is skipped with a reason a
person can act on ("truncated FLAC stream: ...", "corrupt ID3 tag: ..."). Films,
archives and software (the patent's "video and software content") are accepted as kind
"other": the disk container does not care what it encrypts.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mutagen
import mutagen.id3
import mutagen.mp3

from pressroom.catalog import integrity
from pressroom.catalog.formats import MP4Reader, open_audio
from pressroom.catalog.store import CatalogStore
from pressroom.catalog.track import TrackInfo, TrackReadError, hash_file

NOT_AUDIO = "not an audio file mutagen recognises"

# Content accepted as kind "other" by extension: video, archives, disk images, software.
OTHER_EXTENSIONS = frozenset(
    {
        ".mkv", ".avi", ".mov", ".m4v", ".webm", ".wmv", ".mpg", ".mpeg", ".ts",
        ".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".xz", ".bz2",
        ".exe", ".msi", ".dmg", ".pkg", ".deb", ".rpm", ".apk", ".appimage",
        ".iso", ".img", ".pdf", ".epub",
    }
)  # fmt: skip

# mutagen names its modules after formats; used to say which format a failure is about.
_FORMAT_OF_MODULE = {
    "mutagen.flac": "FLAC",
    "mutagen.mp3": "MP3",
    "mutagen.oggvorbis": "Ogg Vorbis",
    "mutagen.oggopus": "Opus",
    "mutagen.ogg": "Ogg",
    "mutagen.mp4": "MP4",
    "mutagen.asf": "WMA",
    "mutagen.wave": "WAV",
    "mutagen.aiff": "AIFF",
    "mutagen._riff": "WAV",
    "mutagen._iff": "AIFF",
}

# Companions of music in a folder (cover art, playlists, rip logs): ignored quietly when a
# folder is walked, since reporting every cover.jpg as "skipped" would bury real problems.
COMPANION_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".m3u", ".m3u8", ".pls", ".cue",
     ".log", ".nfo", ".sfv", ".md5", ".accurip"}
)  # fmt: skip

# Structural checks that need no mutagen: when mutagen fails, they say *why* more exactly.
_STRUCTURE_CHECKS = {
    ".wav": integrity.check_wave,
    ".m4a": integrity.check_mp4,
    ".m4b": integrity.check_mp4,
    ".mp4": integrity.check_mp4,
}

ProgressCallback = Callable[[int, int, Path], None]  # (files done, files in all, current)


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class ImportReport:
    imported: list[TrackInfo] = field(default_factory=list)
    known: list[TrackInfo] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)  # cover art etc. met in folder walks

    @property
    def accepted(self) -> int:
        return len(self.imported) + len(self.known)

    def summary(self) -> str:
        text = (
            f"{len(self.imported)} imported, {len(self.known)} already known, "
            f"{len(self.skipped)} skipped"
        )
        if self.ignored:
            text += f" ({len(self.ignored)} cover, playlist or log files ignored)"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "imported": [t.to_json() for t in self.imported],
            "known": [t.to_json() for t in self.known],
            "skipped": [{"path": str(s.path), "reason": s.reason} for s in self.skipped],
            "ignored": [str(p) for p in self.ignored],
            "summary": self.summary(),
        }


def import_paths(
    paths: Iterable[str | os.PathLike[str]],
    store: CatalogStore,
    *,
    other: bool = False,
    exclude: Iterable[str | os.PathLike[str]] = (),
    on_progress: ProgressCallback | None = None,
) -> ImportReport:
    """Read every file under ``paths`` into ``store``; bad files are skipped and reported.

    ``other=True`` accepts explicitly named files that are not audio as kind "other".
    ``exclude`` lists folders never to walk into (the station's own data directory).
    """
    report = ImportReport()
    files, missing = _collect(paths, [Path(p).resolve() for p in exclude])
    report.skipped.extend(missing)
    for done, (path, explicit) in enumerate(files, start=1):
        try:
            if not explicit and path.suffix.lower() in COMPANION_EXTENSIONS:
                report.ignored.append(path)
                continue
            track = read_track(path, other=other and explicit)
        except TrackReadError as exc:
            report.skipped.append(Skipped(path, exc.reason))
        else:
            if store.upsert(track):
                report.imported.append(store.get(track.content_hash) or track)
            else:
                report.known.append(store.get(track.content_hash) or track)
        finally:
            if on_progress is not None:
                on_progress(done, len(files), path)
    return report


def _collect(
    paths: Iterable[str | os.PathLike[str]], exclude: list[Path]
) -> tuple[list[tuple[Path, bool]], list[Skipped]]:
    """Files to read, each flagged whether it was named explicitly; and missing paths."""
    files: list[tuple[Path, bool]] = []
    missing: list[Skipped] = []
    for raw in paths:
        path = Path(raw).expanduser().absolute()
        if path.is_dir():
            files.extend((f, False) for f in _walk(path, exclude))
        elif path.is_file():
            files.append((path, True))
        else:
            missing.append(Skipped(path, "no such file or folder"))
    return files, missing


def _walk(root: Path, exclude: list[Path]) -> Iterator[Path]:
    """Regular files under ``root`` in a stable order, without hidden or excluded ones."""
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and not _is_excluded((here / d).resolve(), exclude)
        )
        for name in sorted(names):
            candidate = here / name
            if not name.startswith(".") and candidate.is_file():
                yield candidate


def _is_excluded(path: Path, exclude: list[Path]) -> bool:
    return any(path == e or path.is_relative_to(e) for e in exclude)


def read_track(path: str | os.PathLike[str], *, other: bool = False) -> TrackInfo:
    """Read one file into a :class:`TrackInfo`, or raise :class:`TrackReadError` saying why."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TrackReadError(path, f"cannot read the file: {exc.strerror}") from None
    if size == 0:
        raise TrackReadError(path, "the file is empty")
    if path.suffix.lower() in OTHER_EXTENSIONS:
        return _other(path, size)
    try:
        reader = open_audio(path)
        if reader is not None and isinstance(reader, MP4Reader) and reader.has_video():
            return _other(path, size, reader.tag("title"))
        problem = reader.check_stream() if reader is not None else None
    except mutagen.mp3.HeaderNotFoundError:
        reader, problem = None, None  # chosen by its .mp3 name alone: no MPEG frame inside
    except OSError as exc:
        raise TrackReadError(path, f"cannot read the file: {exc.strerror}") from None
    except (mutagen.MutagenError, EOFError, struct.error, ValueError, IndexError) as exc:
        raise TrackReadError(path, _structure_problem(path) or describe_error(exc, path)) from None
    if reader is None:
        if other:
            return _other(path, size)
        raise TrackReadError(path, NOT_AUDIO)
    if problem:
        raise TrackReadError(path, problem.rstrip("."))
    try:
        content_hash = hash_file(path)
    except OSError as exc:
        raise TrackReadError(path, f"cannot read the file: {exc.strerror}") from None
    return reader.track_info(content_hash, size)


def _structure_problem(path: Path) -> str | None:
    check = _STRUCTURE_CHECKS.get(path.suffix.lower())
    if check is None:
        return None
    try:
        with open(path, "rb") as handle:
            problem = check(handle)
    except (OSError, struct.error):
        return None
    return problem.rstrip(".") if problem else None


def describe_error(exc: BaseException, path: Path) -> str:
    """Turn a mutagen (or parsing) exception into a plain reason."""
    detail = str(exc)
    for quoted in (repr(str(path)), f"'{path}'", str(path)):
        detail = detail.replace(quoted, "")  # the path is already on the line
    detail = detail.strip(" :'\"") or "its header is unreadable"
    if isinstance(exc, mutagen.id3.error):
        return f"corrupt ID3 tag: {detail}"
    label = _FORMAT_OF_MODULE.get(type(exc).__module__) or path.suffix.lstrip(".").upper()
    if isinstance(exc, EOFError | struct.error) or "said" in detail or "truncat" in detail:
        return f"truncated {label} stream: {detail}"
    return f"unreadable {label} file: {detail}"


def _other(path: Path, size: int, title: str | None = None) -> TrackInfo:
    try:
        content_hash = hash_file(path)
    except OSError as exc:
        raise TrackReadError(path, f"cannot read the file: {exc.strerror}") from None
    return TrackInfo(
        content_hash=content_hash,
        path=path,
        size=size,
        kind="other",
        format=path.suffix.lstrip(".").lower() or "file",
        title=title or path.name,
    )
