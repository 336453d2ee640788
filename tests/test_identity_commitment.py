"""Attacks on the disk's identity as the licence and track headers state it (format v2).

A version-1 licence stated SHA-256(identity bytes) with vendor, product, capacity class and
the serial's last four characters in the clear: a brute-force search over serials found the
serial from the licence file alone. Version 2 states only a commitment keyed under the
media key and a sealed made-for map (docs/FORMAT.md 6.3). Each test here is an attack that
must fail for its reason, or a compatibility promise (version-1 disks still verify).
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pressroom.secure import canonical
from pressroom.secure.binding import unwrap_media_key
from pressroom.secure.commitment import identity_commitment
from pressroom.secure.container import HEADER_LEN
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.keys import Envelope, key_id, raw_public, sign
from pressroom.secure.licence import LICENCE_FILE, parse_licence, track_file
from pressroom.secure.verifier import DirectoryMedium, Trust, identity_for_serial, verify_disk
from secure_world import World, identity

FIXTURE = Path(__file__).parent / "fixtures" / "v1_disk.json"
VID, PID, CAPACITY = 0x0781, 0x5583, 16 * 10**9
SERIAL = "7305912864"  # a 10-digit numeric serial, as many sticks report
A = identity("AA11BB22CC33DD44")
B = identity("EE55FF66AA77BB88")


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


def candidates(known_prefix: str) -> list[str]:
    """10-digit serials starting with ``known_prefix`` and ending in the victim's last four:
    the attacker's search space (kept small so the test is quick; 10^4 serials)."""
    free = 10 - len(known_prefix) - 4
    return [f"{known_prefix}{i:0{free}d}{SERIAL[-4:]}" for i in range(10**free)]


def unkeyed_values(serial: str) -> set[bytes]:
    """Everything an attacker without keys can compute from a guessed serial."""
    ident = DiskIdentity.of(VID, PID, serial, CAPACITY)
    return {
        ident.hash(),  # the v1 identity hash
        hashlib.sha256(serial.encode()).digest(),
        hashlib.sha256(ident.serial.encode()).digest(),
    }


def every_window(data: bytes, size: int = 32) -> set[bytes]:
    return {data[i : i + size] for i in range(len(data) - size + 1)}


def disk_bytes(root: Path) -> bytes:
    """What an attacker with the disk's files but no key holds: the licence and headers."""
    lic = (root / LICENCE_FILE).read_bytes()
    headers = b"".join(p.read_bytes()[:HEADER_LEN] for p in sorted(root.rglob("*.prt")))
    return lic + headers


def brute_force(root: Path, space: list[str]) -> str | None:
    """The attack of issue 13: test every candidate serial against the disk's own bytes."""
    windows = every_window(disk_bytes(root))
    for serial in space:
        if unkeyed_values(serial) & windows:
            return serial
    return None


def body_of(root: Path) -> dict:
    env = Envelope.from_bytes((root / LICENCE_FILE).read_bytes(), "licence", "licence")
    return canonical.decode(env.body, "licence body")


def test_v1_licence_gives_the_serial_away_to_a_brute_force_search(world):
    ident = DiskIdentity.of(VID, PID, SERIAL, CAPACITY)
    disk = world.make_disk("v1", ident, version=1)
    body = body_of(disk)
    # The clear made-for map hands the attacker vendor, product, capacity and the last four.
    assert body["made_for"] == {"vid": VID, "pid": PID, "cap": 16, "hint": SERIAL[-4:]}
    assert brute_force(disk, candidates(SERIAL[:2])) == SERIAL


def test_v2_licence_and_headers_give_a_brute_force_search_nothing_to_test(world):
    ident = DiskIdentity.of(VID, PID, SERIAL, CAPACITY)
    disk = world.make_disk("v2", ident)
    body = body_of(disk)
    assert body["v"] == 2 and "made_for" not in body and "identity_hash" not in body
    space = candidates(SERIAL[:2])
    assert SERIAL in space
    # Not one 32-byte window of the licence or of any header is an unkeyed hash of any
    # candidate identity, the true one included: the search has nothing to compare with.
    assert brute_force(disk, space) is None
    raw = disk_bytes(disk)
    for clear in (SERIAL.encode(), SERIAL[-4:].encode(), ident.canonical_bytes()):
        assert clear not in raw  # no serial, no last-four hint, no identity bytes in clear
    # The header's identity field is the licence's commitment, not the identity hash.
    header = (disk / track_file(0)).read_bytes()[:HEADER_LEN]
    assert header[4] == 2 and header[76:108] == body["identity_commitment"] != ident.hash()


def test_v2_commitment_opens_only_with_the_media_key_from_the_player_key(world):
    ident = DiskIdentity.of(VID, PID, SERIAL, CAPACITY)
    disk = world.make_disk("v2", ident)
    _, lic = parse_licence((disk / LICENCE_FILE).read_bytes())
    media = unwrap_media_key(lic.media_key, world.player, licence_id=lic.licence_id)
    assert lic.names_identity(ident, media)  # the player-key holder can check a serial
    other = DiskIdentity.of(VID, PID, "7305912865", CAPACITY)
    assert not lic.names_identity(other, media)
    # Without the media key, a guess is checked against nothing: any other key gives
    # another value, and no media key is derivable from the disk without the player key.
    wrong = hashlib.sha256(b"a guessed media key").digest()
    guessed = identity_commitment(wrong, lic.licence_id, ident.canonical_bytes())
    assert guessed != lic.identity_tag
    stranger = X25519PrivateKey.generate()
    with pytest.raises(Exception) as err:
        unwrap_media_key(lic.media_key, stranger, licence_id=lic.licence_id)
    assert getattr(err.value, "code", None) == "wrong-player"


def test_v2_clone_fails_on_key_unwrap_and_names_the_serial_only_after_unwrapping(world):
    disk = world.make_disk("a", A)
    clone = world.root / "clone"
    shutil.copytree(disk, clone)
    assert b"DD44" not in disk_bytes(clone) and b"dd44" not in disk_bytes(clone)
    report = world.verify(clone, B)
    assert report.code == "wrong-disk"  # the AES-GCM unwrap of the track key failed
    assert "made for the disk whose serial ends in 'DD44'" in report.reason
    assert "not for this one (serial ending in 'BB88')" in report.reason
    # A player without the key cannot unwrap the media key, so it learns nothing of A.
    stranger = Trust(world.publishers, X25519PrivateKey.generate())
    report = verify_disk(DirectoryMedium(clone), B, stranger)
    assert report.code == "wrong-player" and "DD44" not in report.reason


def test_v2_disk_verifies_on_its_own_disk_and_as_its_serial_at_the_support_desk(world):
    disk = world.make_disk("a", A)
    assert world.verify(disk, A).ok
    _, lic = parse_licence((disk / LICENCE_FILE).read_bytes())
    # "As if its serial were S": vendor, product and capacity come from the sealed map.
    assert identity_for_serial(lic, " aa11bb22cc33dd44 ", world.trust()) == A
    assert world.verify(disk, identity_for_serial(lic, B.serial, world.trust())).code == (
        "wrong-disk"
    )


def load_v1_fixture(root: Path) -> tuple[DiskIdentity, Trust]:
    """The v1 disk checked in as written by the v1 writer (Pressroom 8b6ea67), fixed keys."""
    fx = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for rel, data in fx["files"].items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(base64.b64decode(data))
    publisher = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(fx["publisher_private"]))
    pub = publisher.public_key()
    player = X25519PrivateKey.from_private_bytes(bytes.fromhex(fx["player_private"]))
    i = fx["identity"]
    ident = DiskIdentity.of(i["vendor_id"], i["product_id"], i["serial"], i["capacity"])
    return ident, Trust({key_id(raw_public(pub)): pub}, player)


def test_v1_disk_written_by_the_old_writer_still_verifies(tmp_path):
    ident, trust = load_v1_fixture(tmp_path)
    _, lic = parse_licence((tmp_path / LICENCE_FILE).read_bytes())
    assert lic.version == 1 and lic.identity_tag == ident.hash()
    report = verify_disk(DirectoryMedium(tmp_path), ident, trust)
    assert report.ok, report.reason
    assert [t.chunks for t in report.tracks] == [2, 1]
    other = DiskIdentity.of(ident.vendor_id, ident.product_id, "2718281828", 8 * 10**9)
    report = verify_disk(DirectoryMedium(tmp_path), other, trust)
    assert report.code == "wrong-disk"
    assert "made for the disk whose serial ends in '2653'" in report.reason


def test_v1_disk_from_the_test_writer_verifies_and_its_clone_fails(world):
    disk = world.make_disk("a", A, version=1)
    assert body_of(disk)["v"] == 1 and world.verify(disk, A).ok
    report = world.verify(disk, B)
    assert report.code == "wrong-disk" and "ends in 'DD44'" in report.reason


def downgraded_body(body: dict, ident: DiskIdentity) -> dict:
    """The v2 body rewritten as a well-formed v1 body, as a downgrading attacker would."""
    v1 = {k: v for k, v in body.items() if k not in ("identity_commitment", "sealed_made_for")}
    v1["v"] = 1
    v1["identity_hash"] = ident.hash()
    v1["made_for"] = {"vid": ident.vendor_id, "pid": ident.product_id, "cap": 16, "hint": "DD44"}
    return v1


def test_v2_licence_passed_off_as_version_1_fails_the_signature(world):
    disk = world.make_disk("a", A)
    env = Envelope.from_bytes((disk / LICENCE_FILE).read_bytes(), "licence", "licence")
    body = canonical.decode(env.body, "licence body")
    forged = Envelope(env.type, canonical.encode(downgraded_body(body, A)), env.kid, env.sig)
    (disk / LICENCE_FILE).write_bytes(forged.to_bytes())
    report = world.verify(disk, A)
    assert report.code == "bad-signature"


def test_v2_licence_with_only_its_version_byte_edited_to_1_is_refused(world):
    disk = world.make_disk("a", A)
    raw = cbor2.loads((disk / LICENCE_FILE).read_bytes())
    at = raw["body"].index(b"\x61v\x02")  # text "v", then the integer 2
    raw["body"] = raw["body"][:at] + b"\x61v\x01" + raw["body"][at + 3 :]
    (disk / LICENCE_FILE).write_bytes(cbor2.dumps(raw, canonical=True))
    report = world.verify(disk, A)
    # It no longer has a version-1 body's fields; had it, the signature would fail (above).
    assert report.code == "format" and "missing fields" in report.reason


@pytest.mark.parametrize("version", [0, 3, True, "2", 2.0, None])
def test_unknown_licence_version_is_refused_even_when_validly_signed(world, version):
    disk = world.make_disk("a", A)
    body = body_of(disk)
    body["v"] = version
    resigned = sign(world.station, "licence", canonical.encode(body)).to_bytes()
    (disk / LICENCE_FILE).write_bytes(resigned)
    report = world.verify(disk, A)
    # A float never gets past the bounded CBOR reader; the others reach the version check.
    why = "float" if isinstance(version, float) else "not supported"
    assert report.code == "format" and why in report.reason


def test_header_version_edited_fails_the_chunk_tag_and_unknown_is_refused(world):
    disk = world.make_disk("a", A)
    path = disk / track_file(0)
    data = bytearray(path.read_bytes())
    data[4] = 1  # v2 header relabelled v1: the header is every chunk's AAD
    path.write_bytes(bytes(data))
    assert world.verify(disk, A).tracks[0].code == "bad-chunk"
    data[4] = 3
    path.write_bytes(bytes(data))
    assert world.verify(disk, A).tracks[0].code == "format"
