"""Property: no random mutation of a valid disk verifies (hypothesis)."""

from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pressroom.secure.verifier import verify_disk
from secure_world import World, identity

ID = identity("MUTANT0042TEST")


class MemoryMedium:
    def __init__(self, files: dict[str, bytes]):
        self.files = files

    @contextmanager
    def open(self, relpath: str):
        yield io.BytesIO(self.files[relpath])

    def exists(self, relpath: str) -> bool:
        return relpath in self.files


_PRISTINE: list = []


def pristine_disk(tmp_path_factory):
    """Built once per module; a plain cache (not a fixture) keeps hypothesis output short."""
    if _PRISTINE:
        return _PRISTINE[0]
    world = World(tmp_path_factory.mktemp("mut"))
    world.tracks = [world.make_track("a.bin", 9000), world.make_track("b.bin", 20000)]
    world.grant = world.make_grant(copies=3)
    disk = world.make_disk("disk", ID, chunk_size=4096)
    files = {
        str(p.relative_to(disk)): p.read_bytes()
        for p in sorted(Path(disk).rglob("*"))
        if p.is_file()
    }
    assert verify_disk(MemoryMedium(files), ID, world.trust()).ok
    _PRISTINE.append((world, files))
    return world, files


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("drop-file"), st.just(0), st.just(0)),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(file_index=st.integers(0, 2), ops=st.lists(mutation, min_size=1, max_size=3))
def test_no_mutation_verifies(tmp_path_factory, file_index, ops):
    world, original = pristine_disk(tmp_path_factory)
    files = dict(original)
    name = sorted(files)[file_index]
    for op, pos, value in ops:
        data = bytearray(files.get(name, b""))
        at = pos % (len(data) + 1)
        if op == "flip" and data:
            data[at % len(data)] ^= value
        elif op == "truncate":
            data = data[: at if at < len(data) else len(data) - 1]
        elif op == "insert":
            data[at:at] = bytes([value])
        elif op == "delete" and data:
            del data[at % len(data)]
        elif op == "drop-file":
            files.pop(name, None)
            continue
        files[name] = bytes(data)
    assume(files != original)  # two flips of one bit undo each other
    report = verify_disk(MemoryMedium(files), ID, world.trust())
    assert not report.ok
    assert report.code != "ok" and report.reason
