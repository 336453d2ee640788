"""`pressroom play MOUNT [TRACK] [--serial S] [--list] [--json] [--gui]`: the offline player.

Without TRACK: list the tracks with their rights and remaining plays. With TRACK (number
or title): authorize, decrypt into memory, record the play, and, since a station has no
audio device to rely on, decode the container from memory and say what would play.
There is deliberately no option to write decrypted audio anywhere.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from pressroom.app import App
from pressroom.cli.verify_cmd import resolve_identity
from pressroom.errors import EXIT_FAILED, UsageError
from pressroom.player import (
    Clock,
    PlayerDisk,
    PlayerMemory,
    PlayerTrack,
    PlayPermit,
    Refusal,
    open_disk,
    probe,
)
from pressroom.secure.errors import SecureError
from pressroom.secure.verifier import DirectoryMedium


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("play", help="verify a disk offline and play a track (decoded in memory)")
    p.add_argument("mount", nargs="?", help="mount point (or simulated disk folder) of the disk")
    p.add_argument("track", nargs="?", help="track number (1, 2, ...) or title")
    p.add_argument("--serial", help="open as if the disk had this USB serial (support desk)")
    p.add_argument("--list", action="store_true", help="list the tracks even when TRACK is given")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--gui", action="store_true", help="open the player window")
    p.set_defaults(func=cmd_play)


def memory_dir(app: App) -> Path:
    """Where the built-in player keeps its memory (rollback and revocation memory)."""
    return app.config.data_dir / "player"


def open_mount(
    app: App, mount: Path, serial: str | None = None, clock: Clock = time.time
) -> tuple[PlayerDisk, str]:
    """Open the disk at ``mount`` with this station's player trust and memory.

    Returns the disk and a sentence saying where its identity came from.
    """
    if not mount.is_dir():
        raise UsageError(f"{mount} is not a folder or mount point.")
    identity, source = resolve_identity(app, mount, serial)
    trust = app.trust()
    memory = PlayerMemory.load(memory_dir(app), trust.player_key)
    disk = open_disk(DirectoryMedium(mount), identity, trust, clock=clock, memory=memory)
    return disk, source


def cmd_play(args: argparse.Namespace) -> int:
    if args.gui:
        from pressroom.gui.player_window import run_player

        return run_player(App.from_args(args), args.mount, serial=args.serial)
    if not args.mount:
        raise UsageError("Give the disk's mount point (or use --gui to pick it).")
    with App.from_args(args) as app:
        disk, source = open_mount(app, Path(args.mount), args.serial)
        return _play(disk, source, args)


def _play(disk: PlayerDisk, source: str, args: argparse.Namespace) -> int:
    out: dict[str, Any] = {"disk": disk_json(disk, source)}
    if disk.refusal is not None or args.track is None:
        if args.json:
            print(json.dumps(out, indent=2))
        else:
            print_listing(disk, source)
        return EXIT_FAILED if disk.refusal is not None else 0
    if args.list and not args.json:
        print_listing(disk, source)
    index = find_track(disk, args.track)
    permit = disk.authorize(index)
    if isinstance(permit, Refusal):
        out["play"] = {"ok": False, "code": permit.code, "reason": permit.reason}
        _emit(out, args.json, f"REFUSED: {permit.reason}")
        return EXIT_FAILED
    try:
        audio = disk.decrypt(index)
        info = probe(audio)
    except SecureError as exc:
        out["play"] = {"ok": False, "code": exc.code, "reason": str(exc)}
        _emit(out, args.json, f"FAIL: {exc}")
        return EXIT_FAILED
    disk.record_play(index)
    seconds = permit.play_seconds(info.duration) or 0.0
    out["play"] = {
        "ok": True,
        "track": index + 1,
        "title": permit.title,
        "format": info.format,
        "sample_rate": info.sample_rate,
        "channels": info.channels,
        "duration": round(info.duration, 3),
        "seconds": round(seconds, 3),
        "preview": permit.max_seconds,
        "plays_left": permit.plays_left,
        "bytes": len(audio),
    }
    _emit(out, args.json, describe_play(permit, info, seconds))
    return 0


def describe_play(permit: PlayPermit, info: Any, seconds: float) -> str:
    detail = ", ".join(
        x
        for x in (
            f"{info.sample_rate} Hz" if info.sample_rate else "",
            {1: "mono", 2: "stereo"}.get(info.channels or 0, f"{info.channels} ch"),
        )
        if x and x != "0 ch"
    )
    text = f"would play {seconds:.1f} s of {info.format} audio ({detail})"
    if permit.max_seconds is not None:
        text += f" (preview {permit.max_seconds} s of {info.duration:.1f} s)"
    n = permit.plays_left
    left = "unlimited plays" if n is None else f"{n} play{'' if n == 1 else 's'} left"
    return f"{permit.index + 1}. {permit.title}: {text}; {left}."


def find_track(disk: PlayerDisk, wanted: str) -> int:
    """A 1-based number, or a title (exact, else a unique case-insensitive part of one)."""
    tracks = disk.tracks
    if wanted.isdigit():
        n = int(wanted)
        if not 1 <= n <= len(tracks):
            raise UsageError(f"There is no track {n}; this disk has {len(tracks)}.")
        return n - 1
    low = wanted.casefold()
    exact = [t for t in tracks if t.title.casefold() == low]
    matches = exact or [t for t in tracks if low in t.title.casefold()]
    if len(matches) == 1:
        return matches[0].index
    if not matches:
        raise UsageError(f"No track on this disk is called {wanted!r}.")
    names = ", ".join(repr(t.title) for t in matches)
    raise UsageError(f"{wanted!r} matches several tracks ({names}); give its number.")


def disk_json(disk: PlayerDisk, source: str) -> dict[str, Any]:
    lic = disk.licence
    return {
        "ok": disk.ok,
        "code": disk.refusal.code if disk.refusal else "ok",
        "reason": disk.refusal.reason if disk.refusal else "",
        "identity": {"source": source, "serial_tail": disk.identity.serial[-4:]},
        "licence_id": lic.id_hex if lic else None,
        "station": disk.station.name if disk.station else None,
        "grant_title": disk.grant.title if disk.grant else None,
        "tracks": [track_json(t) for t in disk.tracks],
    }


def track_json(t: PlayerTrack) -> dict[str, Any]:
    return {
        "number": t.index + 1,
        "title": t.title,
        "artist": t.artist,
        "format": t.format,
        "duration": t.duration,
        "rights": t.rights.to_cbor(),
        "played": t.played,
        "plays_left": t.plays_left,
        "expired": t.expired,
        "playable": t.playable,
        "why_not": t.refusal.reason if t.refusal else None,
    }


def print_listing(disk: PlayerDisk, source: str) -> None:
    if disk.refusal is not None:
        print(f"REFUSED: {disk.refusal.reason}")
        return
    assert disk.station is not None and disk.grant is not None
    print(
        f"The disk authenticates ({source}; made by {disk.station.name!r} "
        f"under grant {disk.grant.title!r})."
    )
    for t in disk.tracks:
        length = f"{t.duration:.1f} s" if t.duration else "?"
        mark = "" if t.playable else "  [cannot play]"
        print(f"  {t.index + 1:>2}. {t.title[:32]:<32} {t.format:<5} {length:>7}  ", end="")
        print(f"{t.rights_text()}{mark}")


def _emit(out: dict[str, Any], as_json: bool, text: str) -> None:
    print(json.dumps(out, indent=2) if as_json else text)
