"""Open a disk as a player: authenticate it offline, enforce its rights, decrypt to memory.

Opening checks everything that can be checked without reading the audio: the licence
chain (station certificate, signature, revocations, grant), that the media key unwraps
with this player's key, that every track key unwraps under *this* disk's identity (a
clone fails here), that each track header is the one the licence signed, and that the
play state authenticates and is not older than one this player remembers. Every chunk
of a track is then authenticated as it is decrypted, and the whole plaintext is hashed
against the licence before :meth:`PlayerDisk.decrypt` hands it over.

Decrypted audio only ever lives in memory: nothing here writes plaintext to a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from pressroom.player.keys import derive_binding_key, play_state_key
from pressroom.player.memory import PlayerMemory
from pressroom.player.state import DiskStateFile, PlayState, StateStore, open_state, seal_state
from pressroom.secure.cert import StationCert, newest
from pressroom.secure.container import iter_plaintext, read_header
from pressroom.secure.errors import IntegrityError, SecureError
from pressroom.secure.grant import Grant
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.licence import Licence, TrackEntry, parse_licence
from pressroom.secure.rights import Rights
from pressroom.secure.verifier import (
    Medium,
    Trust,
    check_parsed,
    open_track,
    read_licence,
    track_key_for,
)

Clock = Callable[[], float]

HEADLINES = {
    "wrong-disk": "Copied from another disk",
    "wrong-player": "Made for another player",
    "media-key": "The licence was altered",
    "bad-signature": "The licence was altered",
    "format": "Damaged or not a Pressroom disk",
    "no-licence": "Not a finished Pressroom disk",
    "altered": "The disk was altered",
    "bad-header": "The disk was altered",
    "bad-chunk": "The disk was altered",
    "bad-hash": "The disk was altered",
    "truncated": "The disk was altered",
    "missing": "A track is missing",
    "station-uncertified": "Made by an unknown station",
    "station-revoked": "Made by a revoked station",
    "station-expired": "Made outside the station's certificate",
    "licence-revoked": "This disk's licence was revoked",
    "grant-expired": "Made outside its grant",
    "grant-early": "Made outside its grant",
    "grant-exceeded": "More copies than the grant allows",
    "grant-station": "Made by a station the grant does not name",
    "grant-track": "A track the grant does not cover",
    "grant-rights": "Rights beyond the grant",
    "state-altered": "Play state was altered",
    "state-foreign": "Play state copied from another disk",
    "state-rollback": "Play state was rolled back",
    "memory-altered": "The player's memory was altered",
    "memory-rollback": "The player's memory was rolled back",
    "simulated-disk": "A simulated disk from another station",
    "expired": "Expired",
    "no-plays-left": "No plays left",
    "io-error": "The disk could not be read",
    "symlink": "The disk carries a link",
    "fifo": "The disk carries a special file",
    "socket": "The disk carries a special file",
    "device": "The disk carries a special file",
    "directory": "Damaged or not a Pressroom disk",
    "not-directory": "Damaged or not a Pressroom disk",
    "too-large": "Damaged or not a Pressroom disk",
    "too-complex": "Damaged or not a Pressroom disk",
    "changed": "The disk changed while it was read",
}


class PlayRefused(SecureError):
    """Raised by :meth:`PlayerDisk.decrypt` and ``record_play`` when a play is not allowed."""

    code = "refused"


@dataclass(frozen=True)
class Refusal:
    """Why the disk, or one track, may not play: a stable code and one sentence."""

    code: str
    reason: str

    def __str__(self) -> str:
        return self.reason

    @property
    def headline(self) -> str:
        """A few words for a banner title; the reason says the rest."""
        return HEADLINES.get(self.code, "This disk cannot be played")

    @classmethod
    def of(cls, exc: SecureError) -> Refusal:
        return cls(exc.code, str(exc))


@dataclass(frozen=True)
class PlayPermit:
    """What one play may do. The player must stop at ``max_seconds`` (preview rights)."""

    index: int
    file: str
    title: str
    max_seconds: int | None  # preview length; None: the whole track
    max_bytes: int  # plaintext bytes released: the whole file, containers need their index
    duration: float | None  # of the whole track, from the licence
    plays_left: int | None  # after this play; None: unlimited
    expires: int | None
    export: bool

    @property
    def limit_ms(self) -> int | None:
        return None if self.max_seconds is None else self.max_seconds * 1000

    def play_seconds(self, duration: float | None = None) -> float | None:
        """How long this play lasts: the track, cut at the preview length."""
        length = duration if duration is not None else self.duration
        if self.max_seconds is None:
            return length
        return float(self.max_seconds) if length is None else min(length, self.max_seconds)

    def must_stop(self, position_ms: int) -> bool:
        """True once playback has reached the preview limit."""
        return self.limit_ms is not None and position_ms >= self.limit_ms


@dataclass(frozen=True)
class PlayerTrack:
    index: int
    file: str
    title: str
    artist: str
    album: str
    format: str
    duration: float | None
    rights: Rights
    played: int
    plays_left: int | None  # None: unlimited
    expired: bool
    refusal: Refusal | None  # why it cannot play now, or None

    @property
    def playable(self) -> bool:
        return self.refusal is None

    def rights_text(self) -> str:
        r = self.rights
        parts = ["unlimited plays" if r.plays is None else f"{self.plays_left} of {r.plays} left"]
        if r.expires is not None:
            stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(r.expires))
            parts.append(f"expired {stamp}" if self.expired else f"until {stamp}")
        if r.preview_seconds is not None:
            parts.append(f"preview {r.preview_seconds} s")
        return ", ".join(parts)


@dataclass
class PlayerDisk:
    """One opened disk. ``refusal`` set: nothing on it plays, and it says why."""

    identity: DiskIdentity
    refusal: Refusal | None = None
    licence: Licence | None = None
    station: StationCert | None = None
    grant: Grant | None = None
    state: PlayState | None = None
    _medium: Medium | None = field(default=None, repr=False)
    _store: StateStore | None = field(default=None, repr=False)
    _state_key: bytes = field(default=b"", repr=False)
    _keys: list[bytes] = field(default_factory=list, repr=False)
    _memory: PlayerMemory | None = field(default=None, repr=False)
    _clock: Clock = field(default=time.time, repr=False)

    @property
    def ok(self) -> bool:
        return self.refusal is None

    def memory_refusal(self, title: str = "") -> Refusal | None:
        """Limited rights (plays, expiry) rely on the player's memory; a rolled-back one
        cannot vouch for them, so those tracks wait until the newest memory is back."""
        if self._memory is None or self._memory.rollback is None:
            return None
        head = f"{title}: " if title else ""
        return Refusal(
            "memory-rollback",
            f"{head}tracks with a play count or an expiry do not play: "
            f"{self._memory.rollback}; put back the newest memory to play them again.",
        )

    def now(self) -> int:
        """Trusted time: never earlier than any time this disk or this player has seen."""
        marks = [int(self._clock())]
        if self.state is not None:
            marks.append(self.state.clock)
        if self._memory is not None:
            marks.append(self._memory.clock)
        return max(marks)

    @property
    def tracks(self) -> list[PlayerTrack]:
        if self.licence is None:
            return []
        now = self.now()
        return [self._track(i, e, now) for i, e in enumerate(self.licence.tracks)]

    def _track(self, index: int, entry: TrackEntry, now: int) -> PlayerTrack:
        r = entry.rights
        played = self.state.played(entry.file) if self.state else 0
        left = None if r.plays is None else max(0, r.plays - played)
        expired = r.expires is not None and now > r.expires
        refusal = self.refusal
        if refusal is None and expired:
            refusal = Refusal("expired", f"{entry.title}: the right to play it expired.")
        if refusal is None and left == 0:
            refusal = Refusal(
                "no-plays-left", f"{entry.title}: all {r.plays} plays have been used."
            )
        if refusal is None and (r.plays is not None or r.expires is not None):
            refusal = self.memory_refusal(entry.title)
        return PlayerTrack(
            index=index,
            file=entry.file,
            title=entry.title,
            artist=entry.artist,
            album=entry.album,
            format=entry.format,
            duration=entry.duration,
            rights=r,
            played=played,
            plays_left=left,
            expired=expired,
            refusal=refusal,
        )

    def authorize(self, index: int) -> PlayPermit | Refusal:
        """May track ``index`` play now, and under which limits."""
        if self.licence is None or self.refusal is not None:
            return self.refusal or Refusal("no-licence", "The disk has no readable licence.")
        if not 0 <= index < len(self.licence.tracks):
            return Refusal("no-track", f"There is no track {index + 1} on this disk.")
        track = self._track(index, self.licence.tracks[index], self.now())
        if track.refusal is not None:
            return track.refusal
        entry = self.licence.tracks[index]
        return PlayPermit(
            index=index,
            file=entry.file,
            title=entry.title,
            max_seconds=entry.rights.preview_seconds,
            max_bytes=entry.plain_len,
            duration=entry.duration,
            plays_left=None if track.plays_left is None else track.plays_left - 1,
            expires=entry.rights.expires,
            export=entry.rights.export,
        )

    def _permit(self, index: int) -> PlayPermit:
        permit = self.authorize(index)
        if isinstance(permit, Refusal):
            raise PlayRefused(permit.reason, code=permit.code)
        return permit

    def stream(self, index: int) -> Iterator[bytes]:
        """Authenticated plaintext of a permitted track, chunk by chunk, in memory.

        Every chunk is authenticated before it is yielded; the whole-track hash is checked
        after the last one (IntegrityError then). Use :meth:`decrypt` to get nothing at all
        unless the whole track checks out.
        """
        permit = self._permit(index)
        assert self.licence is not None and self._medium is not None
        entry = self.licence.tracks[index]
        digest, total, chunks = hashlib.sha256(), 0, 0
        with open_track(self._medium, entry) as fh:
            header, hbytes = read_header(fh, entry.file)
            _check_header(entry, hbytes)
            for plain in iter_plaintext(fh, self._keys[index], header, hbytes, entry.file):
                digest.update(plain)
                total += len(plain)
                chunks += 1
                yield bytes(plain)
        if digest.digest() != entry.plain_sha256 or chunks != entry.chunks:
            raise IntegrityError(
                f"{entry.file}: the decrypted track does not match the licence's hash.",
                code="bad-hash",
                file=entry.file,
            )
        assert total <= permit.max_bytes

    def decrypt(self, index: int) -> bytes:
        """The whole plaintext of a permitted track, in memory, only once fully verified."""
        out = bytearray()
        for chunk in self.stream(index):
            out += chunk
        return bytes(out)

    def record_play(self, index: int) -> PlayState:
        """Count one play of ``index`` on the disk (atomically) and in the player's memory."""
        self._permit(index)
        assert self.licence is not None and self._store is not None and self.state is not None
        # Another window or process may have played this disk since it was opened.
        current = open_state(self._store.read(), self._state_key, self.licence.licence_id)
        if current.seq < self.state.seq:
            raise PlayRefused(
                "The play state on the disk went back while it was open; refusing to play.",
                code="state-rollback",
            )
        self.state = current
        self._permit(index)
        entry = self.licence.tracks[index]
        state = self.state.after_play(entry.file, self.now())
        self._store.write(seal_state(state, self._state_key))
        self.state = state
        if self._memory is not None:
            self._memory.note_state(state)
            self._memory.save()
        return state


def _check_header(entry: TrackEntry, hbytes: bytes) -> None:
    if hashlib.sha256(hbytes).digest() != entry.header_sha256:
        raise IntegrityError(
            f"{entry.file}: the track header is not the one the licence signed.",
            code="bad-header",
            file=entry.file,
        )


def open_disk(
    medium: Medium,
    identity: DiskIdentity,
    trust: Trust,
    state_store: StateStore | None = None,
    clock: Clock = time.time,
    *,
    memory: PlayerMemory | None = None,
) -> PlayerDisk:
    """Authenticate a disk for playing; never raises for a disk that does not authenticate.

    ``state_store`` defaults to ``PRESSROOM/state.prs`` under ``medium.root``. ``memory``
    is the player's own memory (rollback and revocation memory); without it a rolled-back
    play state cannot be detected.
    """
    memory = memory if memory is not None else PlayerMemory.load(None, trust.player_key)
    remembered = (memory.revocations,) if memory.revocations else ()
    trust = Trust(trust.publishers, trust.player_key, (*trust.revocations, *remembered))
    memory.note_revocations(newest(list(trust.revocations), trust.publishers))
    memory.note_clock(int(clock()))
    disk = PlayerDisk(identity, _medium=medium, _memory=memory, _clock=clock)
    disk._store = state_store or DiskStateFile(medium.root)  # type: ignore[attr-defined]
    try:
        disk.refusal = _authenticate(disk, medium, identity, trust, memory)
    finally:
        with contextlib.suppress(OSError):  # a read-only player still plays; it cannot remember
            memory.save()
    return disk


def _authenticate(
    disk: PlayerDisk, medium: Medium, identity: DiskIdentity, trust: Trust, memory: PlayerMemory
) -> Refusal | None:
    """Fill ``disk`` in step by step; the first thing that does not authenticate is the answer."""
    assert disk._store is not None
    parsed: Licence | None = None
    try:
        env, parsed = parse_licence(read_licence(medium))  # read once, at most 16 MiB
        lic, cert, revoked, grant = check_parsed(env, parsed, trust)
        disk.licence, disk.station, disk.grant = lic, cert, grant
        memory.note_revocations(revoked)  # a disk may carry a newer list than the player had
        binding = derive_binding_key(lic, identity, trust)
        for entry in lic.tracks:
            disk._keys.append(track_key_for(lic, entry, identity, trust))
            with open_track(medium, entry) as fh:
                _check_header(entry, read_header(fh, entry.file)[1])
        disk._state_key = play_state_key(binding, lic.licence_id)
        disk.state = open_state(disk._store.read(), disk._state_key, lic.licence_id)
    except SecureError as exc:
        _note_carried_list(parsed, trust, memory)
        return Refusal.of(exc)
    except OSError as exc:
        return Refusal("io-error", f"The disk could not be read ({exc.strerror or exc}).")
    rollback = memory.rollback_reason(disk.state)
    if rollback:
        return Refusal("state-rollback", f"Refusing to play: {rollback}.")
    _raise_clock_mark(disk)
    memory.note_state(disk.state)
    return None


def _note_carried_list(lic: Licence | None, trust: Trust, memory: PlayerMemory) -> None:
    """Remember a newer revocation list even from a disk that is itself refused.

    The list is publisher-signed and checked by ``newest``; the licence around it need not
    be believed (a revoked disk may well carry the list that revokes others). The licence
    parsed while opening is reused: a refused disk is not read or parsed a second time.
    """
    if lic is not None:
        memory.note_revocations(newest([lic.revocations], trust.publishers))


def _raise_clock_mark(disk: PlayerDisk) -> None:
    """Carry this player's trusted time onto a disk with time-limited rights.

    Opening is enough: a disk seen after its expiry by an honest player must stay expired
    on a player whose clock was set back, even if nothing was played. Disks without an
    expiry are not written to. A read-only disk keeps its old mark (the player's own
    memory still holds the time).
    """
    assert disk.licence is not None and disk.state is not None and disk._store is not None
    if all(e.rights.expires is None for e in disk.licence.tracks):
        return
    now = disk.now()
    if now <= disk.state.clock:
        return
    state = disk.state.with_clock(now)
    try:
        disk._store.write(seal_state(state, disk._state_key))
    except OSError:
        return
    disk.state = state
