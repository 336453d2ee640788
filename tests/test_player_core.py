"""The Qt-free player: authentication, rights, the authenticated play state, clock safety."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pressroom.player import (
    STATE_FILE,
    PlayerMemory,
    PlayPermit,
    PlayRefused,
    Refusal,
    open_disk,
)
from pressroom.player.state import PlayState, seal_state
from pressroom.secure.author import SourceTrack
from pressroom.secure.cert import issue_revocations
from pressroom.secure.errors import IntegrityError
from pressroom.secure.keys import key_id, raw_public
from pressroom.secure.rights import Rights
from pressroom.secure.verifier import DirectoryMedium
from secure_world import FakeClock, World, identity

SERIAL_A = "4C530001230807114364"
SERIAL_B = "4C530001230807119999"


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


def with_rights(world: World, *rights: Rights) -> list[SourceTrack]:
    return [
        SourceTrack(t.path, t.track_id, t.title, r)
        for t, r in zip(world.tracks, rights, strict=True)
    ]


def memory(world: World, folder: Path) -> PlayerMemory:
    return PlayerMemory.load(folder, world.player)


def play(world, root, ident=None, *, mem=None, clock=None):
    return open_disk(
        DirectoryMedium(root),
        ident or identity(SERIAL_A),
        world.trust(),
        clock=clock or FakeClock(world.now),
        memory=mem,
    )


def test_good_disk_plays_and_counts_on_the_disk(world, tmp_path):
    sources = with_rights(world, Rights(plays=3), Rights(preview_seconds=30), Rights())
    root = world.make_disk("a", identity(SERIAL_A), sources=sources)
    disk = play(world, root)
    assert disk.ok, disk.refusal
    assert [t.plays_left for t in disk.tracks] == [3, None, None]
    assert disk.decrypt(0) == world.tracks[0].path.read_bytes()
    disk.record_play(0)
    assert (root / STATE_FILE).is_file()
    again = play(world, root)  # a fresh player with no memory reads the count off the disk
    assert again.tracks[0].played == 1 and again.tracks[0].plays_left == 2


def test_clone_is_refused_with_the_reason(world):
    root = world.make_disk("a", identity(SERIAL_A))
    clone = world.root / "clone"
    shutil.copytree(root, clone)
    disk = play(world, clone, identity(SERIAL_B))
    assert not disk.ok
    assert disk.refusal.code == "wrong-disk"
    assert disk.refusal.headline == "Copied from another disk"
    assert f"serial ends in {SERIAL_A[-4:]!r}" in disk.refusal.reason
    assert isinstance(disk.authorize(0), Refusal)
    with pytest.raises(PlayRefused):
        disk.decrypt(0)


def test_play_count_decrements_persists_and_refuses_at_zero(world, tmp_path):
    root = world.make_disk(
        "a", identity(SERIAL_A), sources=with_rights(world, *[Rights(plays=2)] * 3)
    )
    for left in (1, 0):
        disk = play(world, root, mem=memory(world, tmp_path / "mem"))
        permit = disk.authorize(1)
        assert isinstance(permit, PlayPermit) and permit.plays_left == left
        disk.record_play(1)
    disk = play(world, root, mem=memory(world, tmp_path / "mem"))
    refusal = disk.authorize(1)
    assert isinstance(refusal, Refusal) and refusal.code == "no-plays-left"
    assert disk.tracks[1].plays_left == 0 and disk.tracks[0].plays_left == 2
    with pytest.raises(PlayRefused, match="all 2 plays"):
        disk.record_play(1)
    with pytest.raises(PlayRefused):
        disk.decrypt(1)


def test_preview_permit_limits_the_play(world):
    sources = with_rights(world, Rights(preview_seconds=3), Rights(), Rights())
    disk = play(world, world.make_disk("a", identity(SERIAL_A), sources=sources))
    permit = disk.authorize(0)
    assert permit.max_seconds == 3 and permit.limit_ms == 3000
    assert permit.play_seconds(8.0) == 3.0
    assert not permit.must_stop(2999) and permit.must_stop(3000)
    full = disk.authorize(1)
    assert full.max_seconds is None and not full.must_stop(10**9)
    assert full.play_seconds(8.0) == 8.0


def test_state_tampering_is_detected(world):
    root = world.make_disk(
        "a", identity(SERIAL_A), sources=with_rights(world, *[Rights(plays=1)] * 3)
    )
    disk = play(world, root)
    disk.record_play(0)
    path = root / STATE_FILE
    data = bytearray(path.read_bytes())
    # Edit the recorded count 1 -> 0 in place: the MAC no longer verifies.
    body_at = data.index(b"PRESSROOM/tracks/01.prt") + len(b"PRESSROOM/tracks/01.prt")
    assert data[body_at] == 1
    data[body_at] = 0
    path.write_bytes(bytes(data))
    disk = play(world, root)
    assert disk.refusal.code == "state-altered"
    assert "play state was altered" in disk.refusal.reason


def test_forged_state_without_the_key_is_refused(world):
    root = world.make_disk("a", identity(SERIAL_A))
    disk = play(world, root)
    forged = PlayState(disk.licence.licence_id, seq=9, plays={})
    (root / STATE_FILE).write_bytes(seal_state(forged, b"\x00" * 32))
    assert play(world, root).refusal.code == "state-altered"
    (root / STATE_FILE).write_bytes(b"not cbor at all")
    assert play(world, root).refusal.code == "state-altered"


def test_state_copied_from_another_disk_is_refused(world):
    sources = with_rights(world, *[Rights(plays=5)] * 3)
    a = world.make_disk("a", identity(SERIAL_A), sources=sources)
    b = world.make_disk("b", identity(SERIAL_B), sources=sources)
    disk_a = play(world, a)
    disk_a.record_play(0)
    shutil.copy(a / STATE_FILE, b / STATE_FILE)
    disk_b = play(world, b, identity(SERIAL_B))
    assert disk_b.refusal.code == "state-foreign"
    assert "copied from another disk" in disk_b.refusal.reason


def test_rollback_is_detected_only_with_player_memory(world, tmp_path):
    root = world.make_disk(
        "a", identity(SERIAL_A), sources=with_rights(world, *[Rights(plays=2)] * 3)
    )
    mem_dir = tmp_path / "mem"
    play(world, root, mem=memory(world, mem_dir)).record_play(0)
    saved = (root / STATE_FILE).read_bytes()  # one play used
    play(world, root, mem=memory(world, mem_dir)).record_play(0)  # both used
    (root / STATE_FILE).write_bytes(saved)  # put the older genuine state back
    rolled = play(world, root, mem=memory(world, mem_dir))
    assert rolled.refusal.code == "state-rollback"
    assert "rolled back" in rolled.refusal.reason
    # The documented limit: a player that never saw the newer state cannot tell.
    fresh = play(world, root, mem=memory(world, tmp_path / "other-player"))
    assert fresh.ok and fresh.tracks[0].plays_left == 1


def test_clock_set_back_does_not_revive_expiry(world, tmp_path):
    clock = FakeClock(world.now)
    expires = world.now + 1000
    sources = with_rights(world, Rights(expires=expires), Rights(), Rights())
    root = world.make_disk("a", identity(SERIAL_A), sources=sources)
    mem_dir = tmp_path / "mem"
    assert isinstance(
        play(world, root, mem=memory(world, mem_dir), clock=clock).authorize(0), PlayPermit
    )
    clock.now = expires + 5
    late = play(world, root, mem=memory(world, mem_dir), clock=clock)
    assert late.authorize(0).code == "expired" and late.tracks[0].expired
    late.record_play(1)  # another track plays: the disk's own clock mark rises too
    clock.now = world.now  # the clock is set back
    back = play(world, root, mem=memory(world, mem_dir), clock=clock)
    assert back.authorize(0).code == "expired"
    # Even a player without memory sees the mark the play left on the disk.
    other = play(world, root, mem=memory(world, tmp_path / "other"), clock=clock)
    assert other.now() >= expires + 5 and other.authorize(0).code == "expired"


def test_player_remembers_the_newest_revocation_list(world, tmp_path):
    root = world.make_disk("a", identity(SERIAL_A))
    station_id = key_id(raw_public(world.station.public_key()))
    revs = issue_revocations(
        world.publisher, number=3, issued_at=world.now, stations={station_id}, licences=set()
    )
    mem_dir = tmp_path / "mem"
    disk = open_disk(
        DirectoryMedium(root),
        identity(SERIAL_A),
        world.trust(revocations=(revs,)),
        clock=FakeClock(world.now),
        memory=memory(world, mem_dir),
    )
    assert disk.refusal.code == "station-revoked"
    # Later the player is given no list at all: it still remembers list 3.
    again = play(world, root, mem=memory(world, mem_dir))
    assert again.refusal.code == "station-revoked"
    assert again.refusal.headline == "Made by a revoked station"


def test_unknown_station_is_refused(world):
    stranger = World(world.root / "elsewhere")
    root = stranger.make_disk("a", identity(SERIAL_A))
    # Same player key, but the station was certified by a publisher this player does not trust.
    disk = open_disk(
        DirectoryMedium(root), identity(SERIAL_A), stranger.trust(), clock=FakeClock(world.now)
    )
    assert disk.ok
    disk = open_disk(
        DirectoryMedium(root),
        identity(SERIAL_A),
        world.trust().__class__(world.publishers, stranger.player),
        clock=FakeClock(world.now),
    )
    assert disk.refusal.code == "station-uncertified"


def test_altered_chunk_fails_decrypt_and_is_not_counted(world):
    root = world.make_disk(
        "a", identity(SERIAL_A), sources=with_rights(world, *[Rights(plays=3)] * 3)
    )
    track = root / "PRESSROOM/tracks/02.prt"
    data = bytearray(track.read_bytes())
    data[len(data) // 2] ^= 1
    track.write_bytes(bytes(data))
    disk = play(world, root)
    with pytest.raises(IntegrityError) as err:
        disk.decrypt(1)
    assert err.value.code == "bad-chunk"
    assert disk.tracks[1].played == 0


def test_altered_player_memory_is_refused(world, tmp_path):
    root = world.make_disk("a", identity(SERIAL_A))
    mem_dir = tmp_path / "mem"
    play(world, root, mem=memory(world, mem_dir)).record_play(0)
    path = mem_dir / "memory.json"
    path.write_text(path.read_text().replace('\\"seq\\":1', '\\"seq\\":0'))
    with pytest.raises(IntegrityError) as err:
        memory(world, mem_dir)
    assert err.value.code == "memory-altered"


def test_decrypted_audio_never_reaches_a_file(world, tmp_path, _isolated_data_dir):
    root = world.make_disk("a", identity(SERIAL_A))
    mem_dir = _isolated_data_dir / "player"
    disk = play(world, root, mem=memory(world, mem_dir))
    for i in range(3):
        assert disk.decrypt(i) == world.tracks[i].path.read_bytes()
        disk.record_play(i)
    probes = [t.path.read_bytes()[5000:5064] for t in world.tracks]
    for folder in (root, _isolated_data_dir):
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert files
        for p in files:
            blob = p.read_bytes()
            assert not any(probe in blob for probe in probes), p


def test_two_open_handles_do_not_lose_a_play(world):
    root = world.make_disk(
        "a", identity(SERIAL_A), sources=with_rights(world, *[Rights(plays=2)] * 3)
    )
    first, second = play(world, root), play(world, root)
    first.record_play(0)
    second.record_play(0)  # re-reads the disk: sees the first play, counts the second
    assert play(world, root).tracks[0].plays_left == 0
    with pytest.raises(PlayRefused, match="all 2 plays"):
        first.record_play(0)
