"""Player memory a restored backup cannot roll back: the anchor in the keyring or state dir.

The attack: save ``memory.json`` and ``state.prs`` before playing, play, put both back.
Both files are genuine (their MACs verify), so only the anchor kept elsewhere tells.
The keyring is tested with an in-memory backend registered through keyring's own
``set_keyring``; the fallback with keyring's fail backend (what this machine has).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import KeyringError

from pressroom.player import STATE_FILE, PlayerMemory, PlayPermit, Refusal, open_disk
from pressroom.player.anchor import (
    SERVICE_PREFIX,
    FileAnchor,
    KeyringAnchor,
    default_anchors,
    secure_backend,
    state_dir,
)
from pressroom.player.memory import MEMORY_FILE
from pressroom.secure.author import SourceTrack
from pressroom.secure.errors import IntegrityError
from pressroom.secure.rights import Rights
from pressroom.secure.verifier import DirectoryMedium
from secure_world import FakeClock, World, identity


class MemoryKeyring(KeyringBackend):
    """A secure-store stand-in: secrets in a dict, as keyring's docs show for tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        self.broken = False

    def get_password(self, service: str, username: str) -> str | None:
        if self.broken:
            raise KeyringError("the wallet is locked")
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.store[(service, username)]


@pytest.fixture
def os_keyring():
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


def limited_disk(world: World) -> Path:
    """Track 1: two plays; track 2: expires later; track 3: unlimited."""
    rights = (Rights(plays=2), Rights(expires=world.now + 86400), Rights())
    sources = [
        SourceTrack(t.path, t.track_id, t.title, r)
        for t, r in zip(world.tracks, rights, strict=True)
    ]
    return world.make_disk("a", identity(), sources=sources)


def open_with(world: World, root: Path, mem: PlayerMemory):
    return open_disk(
        DirectoryMedium(root), identity(), world.trust(), clock=FakeClock(world.now), memory=mem
    )


def restore_attack(world: World, root: Path, mem_dir: Path, **load) -> Path:
    """Back up memory + state after one play, play the second, put the backup back."""
    open_with(world, root, PlayerMemory.load(mem_dir, world.player, **load)).record_play(0)
    backup = mem_dir.parent / "backup"
    backup.mkdir()
    shutil.copy(mem_dir / MEMORY_FILE, backup / MEMORY_FILE)
    shutil.copy(root / STATE_FILE, backup / "state.prs")
    disk = open_with(world, root, PlayerMemory.load(mem_dir, world.player, **load))
    disk.record_play(0)
    assert disk.authorize(0).code == "no-plays-left"
    shutil.copy(backup / MEMORY_FILE, mem_dir / MEMORY_FILE)
    shutil.copy(backup / "state.prs", root / STATE_FILE)
    return backup


def test_without_an_anchor_the_restore_brings_plays_back(world, tmp_path):
    """The attack as it worked before anchoring (so the tests below can fail)."""
    root, mem_dir = limited_disk(world), tmp_path / "mem"
    restore_attack(world, root, mem_dir, anchors=[])
    disk = open_with(world, root, PlayerMemory.load(mem_dir, world.player, anchors=[]))
    assert isinstance(disk.authorize(0), PlayPermit) and disk.tracks[0].plays_left == 1


def test_keyring_anchor_refuses_a_restored_memory(world, tmp_path, os_keyring):
    root, mem_dir = limited_disk(world), tmp_path / "mem"
    restore_attack(world, root, mem_dir)
    [(service, _user)] = os_keyring.store
    assert service.startswith(SERVICE_PREFIX + "/")
    shutil.rmtree(state_dir())  # the fallback file gone too: the keyring alone must catch it
    mem = PlayerMemory.load(mem_dir, world.player)
    assert mem.rolled_back and "the OS keyring (" in mem.rollback
    assert "restored from an older copy" in mem.rollback
    disk = open_with(world, root, mem)
    assert disk.ok  # the disk authenticates; only what the memory vouches for waits
    refused = disk.authorize(0)
    assert isinstance(refused, Refusal) and refused.code == "memory-rollback"
    assert disk.authorize(1).code == "memory-rollback"  # an expiry relies on the memory too
    assert isinstance(disk.authorize(2), PlayPermit)  # unlimited tracks still play
    assert disk.memory_refusal().headline == "The player's memory was rolled back"


def test_fail_backend_falls_back_to_the_state_dir_anchor(world, tmp_path):
    assert isinstance(keyring.get_keyring(), fail.Keyring)  # conftest: no usable keyring
    assert secure_backend() is None
    root, mem_dir = limited_disk(world), tmp_path / "mem"
    anchors = default_anchors(mem_dir / MEMORY_FILE, b"\x01" * 16)
    assert [type(a) for a in anchors] == [FileAnchor]
    assert state_dir() in anchors[0].path.parents  # not in the data dir with the memory
    restore_attack(world, root, mem_dir)
    mem = PlayerMemory.load(mem_dir, world.player)
    assert mem.rolled_back and "the anchor file" in mem.rollback
    assert open_with(world, root, mem).authorize(0).code == "memory-rollback"


def test_restoring_the_anchor_file_too_still_rolls_back(world, tmp_path):
    """The documented limit of the fallback: whoever restores both files wins."""
    root, mem_dir = limited_disk(world), tmp_path / "mem"
    anchor_dir = state_dir() / "player-anchors"
    open_with(world, root, PlayerMemory.load(mem_dir, world.player)).record_play(0)
    saved = {p: p.read_bytes() for p in (mem_dir / MEMORY_FILE, root / STATE_FILE)}
    saved |= {p: p.read_bytes() for p in anchor_dir.iterdir()}
    open_with(world, root, PlayerMemory.load(mem_dir, world.player)).record_play(0)
    for path, data in saved.items():
        path.write_bytes(data)
    mem = PlayerMemory.load(mem_dir, world.player)
    assert not mem.rolled_back
    assert open_with(world, root, mem).tracks[0].plays_left == 1


def test_deleting_the_memory_is_a_rollback_too(world, tmp_path, os_keyring):
    root, mem_dir = limited_disk(world), tmp_path / "mem"
    open_with(world, root, PlayerMemory.load(mem_dir, world.player)).record_play(0)
    (mem_dir / MEMORY_FILE).unlink()
    mem = PlayerMemory.load(mem_dir, world.player)
    assert "memory file is missing" in mem.rollback
    assert open_with(world, root, mem).authorize(0).code == "memory-rollback"


def test_a_rolled_back_memory_is_never_written(world, tmp_path, os_keyring):
    """Saving would raise its write number past the anchor and make the copy accepted."""
    root, mem_dir = limited_disk(world), tmp_path / "mem"
    restore_attack(world, root, mem_dir)
    restored = (mem_dir / MEMORY_FILE).read_bytes()
    for _ in range(5):
        disk = open_with(world, root, PlayerMemory.load(mem_dir, world.player))
        assert isinstance(disk.authorize(2), PlayPermit)
        disk.record_play(2)
    assert (mem_dir / MEMORY_FILE).read_bytes() == restored
    assert PlayerMemory.load(mem_dir, world.player).rolled_back


def test_putting_the_newest_memory_back_resolves_it(world, tmp_path, os_keyring):
    root, mem_dir = limited_disk(world), tmp_path / "mem"
    open_with(world, root, PlayerMemory.load(mem_dir, world.player)).record_play(0)
    newest = (mem_dir / MEMORY_FILE).read_bytes()
    older = tmp_path / "older.json"
    (mem_dir / MEMORY_FILE).rename(older)
    assert PlayerMemory.load(mem_dir, world.player).rolled_back
    (mem_dir / MEMORY_FILE).write_bytes(newest)
    mem = PlayerMemory.load(mem_dir, world.player)
    assert not mem.rolled_back
    assert isinstance(open_with(world, root, mem).authorize(0), PlayPermit)


def test_same_write_number_with_other_content_is_refused(world, tmp_path, os_keyring):
    """A second memory forked from the same backup cannot pass for the anchored one."""
    root, mem_dir = limited_disk(world), tmp_path / "mem"
    open_with(world, root, PlayerMemory.load(mem_dir, world.player)).record_play(0)
    fork = tmp_path / "fork"
    shutil.copytree(mem_dir, fork)
    other = PlayerMemory.load(fork, world.player, anchors=[])
    other.note_clock(world.now + 5)
    other.save()  # the same next write number as the real one, other content
    open_with(world, root, PlayerMemory.load(mem_dir, world.player)).record_play(2)
    shutil.copy(fork / MEMORY_FILE, mem_dir / MEMORY_FILE)
    assert "restored from an older copy" in PlayerMemory.load(mem_dir, world.player).rollback


def test_a_keyring_that_does_not_answer_falls_back_to_the_file(world, tmp_path, os_keyring):
    root, mem_dir = limited_disk(world), tmp_path / "mem"
    restore_attack(world, root, mem_dir)
    os_keyring.broken = True
    mem = PlayerMemory.load(mem_dir, world.player)
    assert mem.rolled_back and "the anchor file" in mem.rollback


def test_file_ahead_of_its_anchor_is_accepted_and_re_anchored(world, tmp_path, os_keyring):
    """A crash between writing the memory and its anchors leaves the file ahead: fine."""
    mem_dir = tmp_path / "mem"
    mem = PlayerMemory.load(mem_dir, world.player)
    mem.save()
    unanchored = PlayerMemory.load(mem_dir, world.player, anchors=[])
    unanchored.note_clock(world.now)
    unanchored.save()  # write 2, anchors still say 1
    again = PlayerMemory.load(mem_dir, world.player)
    assert not again.rolled_back and again.seq == 2
    again.save()
    assert [a.read().seq for a in again.anchors] == [3, 3]


def test_two_processes_saving_do_not_trip_the_anchor(world, tmp_path, os_keyring):
    """Saves merge under a lock: no lost plays, no false rollback."""
    root, mem_dir = limited_disk(world), tmp_path / "mem"
    first = open_with(world, root, PlayerMemory.load(mem_dir, world.player))
    second = open_with(world, root, PlayerMemory.load(mem_dir, world.player))
    first.record_play(0)
    second.record_play(0)
    mem = PlayerMemory.load(mem_dir, world.player)
    assert not mem.rolled_back
    assert mem.seen(first.licence.licence_id).plays == {first.licence.tracks[0].file: 2}


def test_insecure_keyring_backends_are_not_trusted(os_keyring):
    assert secure_backend() is os_keyring

    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"  # what keyrings.alt installs
    keyring.set_keyring(PlaintextKeyring())
    assert secure_backend() is None
    anchors = default_anchors(Path("/x/memory.json"), b"\x02" * 16)
    assert not any(isinstance(a, KeyringAnchor) for a in anchors)


def test_anchor_entries_that_are_not_marks_count_as_none(world, tmp_path, os_keyring):
    mem_dir = tmp_path / "mem"
    PlayerMemory.load(mem_dir, world.player).save()
    for key in os_keyring.store:
        os_keyring.store[key] = "x" * 10_000
    for path in (state_dir() / "player-anchors").iterdir():
        path.write_text('{"seq": "many"}')
    assert not PlayerMemory.load(mem_dir, world.player).rolled_back


def test_altered_memory_still_refuses_everything(world, tmp_path, os_keyring):
    mem_dir = tmp_path / "mem"
    PlayerMemory.load(mem_dir, world.player).save()
    path = mem_dir / MEMORY_FILE
    path.write_text(path.read_text().replace('\\"clock\\":0', '\\"clock\\":1'))
    with pytest.raises(IntegrityError) as err:
        PlayerMemory.load(mem_dir, world.player)
    assert err.value.code == "memory-altered"


def test_a_memory_replaced_while_a_window_is_open_is_caught_at_save(world, tmp_path, os_keyring):
    """Window A is open; B saves later; the file is then restored from a backup. A's save
    must neither accept the restored copy nor lower the anchor below B's write."""
    root, mem_dir = limited_disk(world), tmp_path / "mem"
    PlayerMemory.load(mem_dir, world.player).save()
    backup = (mem_dir / MEMORY_FILE).read_bytes()
    window = open_with(world, root, PlayerMemory.load(mem_dir, world.player))
    open_with(world, root, PlayerMemory.load(mem_dir, world.player)).record_play(0)
    anchored = [a.read().seq for a in window._memory.anchors]
    (mem_dir / MEMORY_FILE).write_bytes(backup)
    window._memory.save()
    assert window._memory.rolled_back
    assert [a.read().seq for a in window._memory.anchors] == anchored
    assert (mem_dir / MEMORY_FILE).read_bytes() == backup
    assert PlayerMemory.load(mem_dir, world.player).rolled_back
