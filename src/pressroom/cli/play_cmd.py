"""`pressroom play MOUNT [TRACK] [--list] [--json] [--gui]`: the offline player.

The disk's identity is read from the device at MOUNT, never taken from the user (see
:mod:`pressroom.station.device`): a folder of copied files does not play.

Without TRACK: list the tracks with their rights and remaining plays. With TRACK (number
or title): authorize, decrypt into memory, record the play, and, since a station has no
audio device to rely on, decode the container from memory and say what would play.
There is deliberately no option to write decrypted audio anywhere.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from pressroom.app import App
from pressroom.errors import EXIT_FAILED, UsageError
from pressroom.player import PlayerDisk, PlayerTrack, PlayPermit, Refusal, probe
from pressroom.secure.errors import SecureError
from pressroom.station import words
from pressroom.station.device import DeviceRefused


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("play", help="verify a disk offline and play a track (decoded in memory)")
    p.add_argument("mount", nargs="?", help="mount point (or simulated disk folder) of the disk")
    p.add_argument("track", nargs="?", help="track number (1, 2, ...) or title")
    p.add_argument("--list", action="store_true", help="list the tracks even when TRACK is given")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--gui", action="store_true", help="open the player window")
    # Gone on purpose: kept hidden only to answer with a sentence instead of "unrecognized".
    p.add_argument("--serial", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_play)


def cmd_play(args: argparse.Namespace) -> int:
    if args.serial is not None:
        raise UsageError(
            "play reads the serial from the disk itself and takes none from you; to check "
            "a disk against a serial you type, use 'pressroom verify MOUNT --serial S' "
            "(a support-desk check that never makes a disk playable)."
        )
    if args.gui:
        from pressroom.gui.launch import run_player

        return run_player(App.from_args(args), args.mount)
    if not args.mount:
        raise UsageError("Give the disk's mount point (or use --gui to pick it).")
    with App.from_args(args) as app:
        try:
            opened = app.station.disks.open_for_play(args.mount)
        except DeviceRefused as exc:
            return _device_refused(exc, args.json)
        return _play(opened.disk, opened.source, args)


def _device_refused(exc: DeviceRefused, as_json: bool) -> int:
    """No identifiable disk: nothing plays, and one sentence says why."""
    if as_json:
        doc = {"disk": {"ok": False, "code": exc.code, "reason": str(exc), "tracks": []}}
        print(json.dumps(doc, indent=2))
    else:
        print(refused(exc.code, str(exc)))
    return EXIT_FAILED


def refused(code: str, reason: str, word: str = "REFUSED") -> str:
    """The player window's words for a refusal (pressroom.station.words), then the
    verifier's own sentence and code, which a terminal can show."""
    return f"{word}: {words.refusal_words(code).text}\n  detail: {reason} [{code}]"


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
        _emit(out, args.json, refused(permit.code, permit.reason))
        return EXIT_FAILED
    try:
        audio = disk.decrypt(index)
        info = probe(audio)
    except SecureError as exc:
        out["play"] = {"ok": False, "code": exc.code, "reason": str(exc)}
        _emit(out, args.json, refused(exc.code, str(exc), "FAIL"))
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
        "memory": _memory_json(disk),
        "licence_id": lic.id_hex if lic else None,
        "station": disk.station.name if disk.station else None,
        "grant_title": disk.grant.title if disk.grant else None,
        "tracks": [track_json(t) for t in disk.tracks],
    }


def _memory_json(disk: PlayerDisk) -> dict[str, Any]:
    refusal = disk.memory_refusal()
    if refusal is None:
        return {"ok": True, "code": "ok", "reason": ""}
    return {"ok": False, "code": refusal.code, "reason": refusal.reason}


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
        print(refused(disk.refusal.code, disk.refusal.reason))
        return
    assert disk.station is not None and disk.grant is not None
    print(
        f"The disk authenticates ({source}; made by {disk.station.name!r} "
        f"under grant {disk.grant.title!r})."
    )
    memory = disk.memory_refusal()
    if memory is not None:
        print(refused(memory.code, f"{memory.reason[0].upper()}{memory.reason[1:]}", "WARNING"))
    for t in disk.tracks:
        length = f"{t.duration:.1f} s" if t.duration else "?"
        mark = "" if t.playable else "  [cannot play]"
        print(f"  {t.index + 1:>2}. {t.title[:32]:<32} {t.format:<5} {length:>7}  ", end="")
        print(f"{t.rights_text()}{mark}")


def _emit(out: dict[str, Any], as_json: bool, text: str) -> None:
    print(json.dumps(out, indent=2) if as_json else text)
