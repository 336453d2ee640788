"""Clock safety with a fake clock: winding the clock back never extends a right.

Complements tests/test_player_core.py (which covers a mark left by a *play* and the
player's memory across opens) with the cases it does not: a disk merely *opened* after
expiry, a clock set back while a disk is open, and disks without expiry staying untouched.
"""

from __future__ import annotations

import pytest

from pressroom.player import STATE_FILE, PlayerMemory, PlayPermit, open_disk
from pressroom.secure.author import SourceTrack
from pressroom.secure.rights import Rights
from pressroom.secure.verifier import DirectoryMedium
from secure_world import FakeClock, World, identity

SERIAL = "4C530001230807114364"


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


def rental(world: World, expires: int):
    sources = [
        SourceTrack(t.path, t.track_id, t.title, Rights(expires=expires) if i == 0 else Rights())
        for i, t in enumerate(world.tracks)
    ]
    return world.make_disk("rental", identity(SERIAL), sources=sources)


def open_with(world, root, clock, memory_dir=None):
    memory = PlayerMemory.load(memory_dir, world.player)
    return open_disk(
        DirectoryMedium(root), identity(SERIAL), world.trust(), clock=clock, memory=memory
    )


def test_opening_after_expiry_marks_the_disk_even_without_a_play(world, tmp_path):
    expires = world.now + 1000
    root = rental(world, expires)
    late = FakeClock(expires + 60)
    seen = open_with(world, root, late, tmp_path / "honest-player")
    assert seen.authorize(0).code == "expired"  # nothing is played
    # Another player, no memory of this disk, clock wound back to before the expiry:
    back = open_with(world, root, FakeClock(world.now), tmp_path / "wound-back-player")
    assert back.now() >= expires + 60
    assert back.authorize(0).code == "expired"
    assert isinstance(back.authorize(1), PlayPermit)  # rights without expiry still play


def test_clock_set_back_while_the_disk_is_open_does_not_revive_it(world):
    expires = world.now + 1000
    root = rental(world, expires)
    clock = FakeClock(expires + 5)
    disk = open_with(world, root, clock)
    assert disk.authorize(0).code == "expired"
    clock.now = world.now  # set back while open
    assert disk.authorize(0).code == "expired" and disk.tracks[0].expired
    disk.record_play(1)
    assert disk.state.clock >= expires + 5  # the play wrote the high mark, not the clock


def test_a_disk_without_expiry_is_not_written_on_open(world):
    root = world.make_disk("plain", identity(SERIAL))
    assert open_with(world, root, FakeClock(world.now + 10**6)).ok
    assert not (root / STATE_FILE).exists()


def test_a_mark_ahead_of_the_clock_is_kept_not_lowered(world, tmp_path):
    expires = world.now + 1000
    root = rental(world, expires)
    open_with(world, root, FakeClock(expires + 500), tmp_path / "a")
    marked = (root / STATE_FILE).read_bytes()
    open_with(world, root, FakeClock(expires - 500), tmp_path / "b")  # earlier clock
    assert (root / STATE_FILE).read_bytes() == marked  # not rewritten with an earlier time
