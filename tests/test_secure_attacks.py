"""Every attack in docs/SECURITY.md, each failing for its cryptographic reason."""

from __future__ import annotations

import shutil
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pressroom.secure.cert import issue_revocations, issue_station_cert
from pressroom.secure.container import HEADER_LEN, TAG_LEN
from pressroom.secure.errors import IdentityRefused
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.keys import key_id, raw_public
from pressroom.secure.licence import LICENCE_FILE, track_file
from pressroom.secure.rights import Rights, RightsLimits
from pressroom.secure.verifier import DirectoryMedium, Trust, verify_disk
from secure_world import World, identity

CHUNK = 16384
A = identity("AA11BB22CC33DD44")
B = identity("EE55FF66AA77BB88")


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


def flip(path, offset: int, mask: int = 0x01) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def chunk_span(index: int) -> tuple[int, int]:
    start = HEADER_LEN + index * (CHUNK + TAG_LEN)
    return start, start + CHUNK + TAG_LEN


def test_good_disk_verifies_every_chunk(world):
    disk = world.make_disk("a", A)
    report = world.verify(disk, A)
    assert report.ok, report.reason
    assert [t.ok for t in report.tracks] == [True, True, True]
    assert sum(t.bytes for t in report.tracks) == sum(t.path.stat().st_size for t in world.tracks)
    assert report.tracks[2].chunks == -(-world.tracks[2].path.stat().st_size // CHUNK)


def test_clone_to_another_serial_fails_on_key_unwrap(world):
    disk = world.make_disk("a", A)
    clone = world.root / "clone"
    shutil.copytree(disk, clone)
    report = world.verify(clone, B)
    assert not report.ok
    assert report.code == "wrong-disk"  # raised only when AES-GCM unwrap fails (InvalidTag)
    assert "made for the disk whose serial ends in 'DD44'" in report.reason


def test_same_serial_other_vendor_or_capacity_is_another_disk(world):
    disk = world.make_disk("a", A)
    other_vendor = DiskIdentity(0x090C, A.product_id, A.serial, A.capacity_class)
    bigger = DiskIdentity(A.vendor_id, A.product_id, A.serial, A.capacity_class * 2)
    assert world.verify(disk, other_vendor).code == "wrong-disk"
    assert world.verify(disk, bigger).code == "wrong-disk"


def test_serial_normalisation_does_not_split_one_disk(world):
    disk = world.make_disk("a", A)
    same = DiskIdentity.of(A.vendor_id, A.product_id, " aa11bb22cc33dd44\n", 16 * 10**9)
    assert world.verify(disk, same).ok


@pytest.mark.parametrize("offset", [20, 40, 60, 90, HEADER_LEN - 1])
def test_flipped_header_byte_fails_the_chunk_tag(world, offset):
    disk = world.make_disk("a", A)
    flip(disk / track_file(0), offset)
    report = world.verify(disk, A)
    assert not report.ok and report.file == track_file(0)
    assert report.code in ("bad-chunk", "truncated", "format")
    if offset >= 20:  # nonce prefix, ids, identity hash: only the AEAD can notice
        assert report.code == "bad-chunk"


def test_flipped_magic_is_not_a_track_file(world):
    disk = world.make_disk("a", A)
    flip(disk / track_file(1), 0)
    report = world.verify(disk, A)
    assert report.code == "format" and "bad magic" in report.reason


def test_flipped_chunk_byte_fails_the_tag(world):
    disk = world.make_disk("a", A)
    start, _ = chunk_span(3)
    flip(disk / track_file(2), start + 5)
    report = world.verify(disk, A)
    assert report.code == "bad-chunk" and "chunk 4 of" in report.reason
    assert [t.ok for t in report.tracks] == [True, True, False]


def test_flipped_tag_byte_fails(world):
    disk = world.make_disk("a", A)
    _, end = chunk_span(0)
    flip(disk / track_file(0), end - 1)
    assert world.verify(disk, A).code == "bad-chunk"


def test_flipped_licence_byte_fails_the_signature(world):
    disk = world.make_disk("a", A)
    lic = disk / LICENCE_FILE
    data = lic.read_bytes()
    offset = data.index(b"t1.bin")  # a track title inside the signed body
    flip(lic, offset, 0x02)
    report = world.verify(disk, A)
    assert report.code == "bad-signature" and report.file == LICENCE_FILE


def test_flipped_licence_signature_fails(world):
    disk = world.make_disk("a", A)
    lic = disk / LICENCE_FILE
    flip(lic, len(lic.read_bytes()) - 70)  # inside the trailing signature (64 bytes + map)
    assert world.verify(disk, A).code in ("bad-signature", "format")


def test_tracks_swapped_between_disks_fail_the_tag(world):
    a = world.make_disk("a", A)
    b = world.make_disk("b", B, copy_index=2)
    shutil.copy(b / track_file(0), a / track_file(0))
    report = world.verify(a, A)
    assert report.code == "bad-chunk" and report.file == track_file(0)


def test_tracks_swapped_within_a_disk_fail(world):
    same = [world.tracks[0], world.make_track("same-size.bin", world.tracks[0].path.stat().st_size)]
    world.tracks = same
    world.grant = world.make_grant(copies=5)
    a = world.make_disk("a", A, sources=same)
    t0, t1 = a / track_file(0), a / track_file(1)
    d0, d1 = t0.read_bytes(), t1.read_bytes()
    t0.write_bytes(d1)
    t1.write_bytes(d0)
    assert world.verify(a, A).code == "bad-chunk"


def test_licence_swapped_between_disks_fails_on_key_unwrap(world):
    a = world.make_disk("a", A)
    b = world.make_disk("b", B, copy_index=2)
    shutil.copy(a / LICENCE_FILE, b / LICENCE_FILE)
    report = world.verify(b, B)
    assert report.code == "wrong-disk"


def test_truncated_track_at_chunk_boundary(world):
    disk = world.make_disk("a", A)
    path = disk / track_file(2)
    _, end = chunk_span(1)
    path.write_bytes(path.read_bytes()[:end])
    report = world.verify(disk, A)
    assert report.code == "truncated"


def test_truncated_track_with_rewritten_length_fails_the_tag(world):
    """The attacker also rewrites the header's length: now the last-chunk flag is wrong."""
    disk = world.make_disk("a", A)
    path = disk / track_file(2)
    _, end = chunk_span(1)
    data = bytearray(path.read_bytes()[:end])
    struct.pack_into(">Q", data, 12, 2 * CHUNK)
    path.write_bytes(bytes(data))
    assert world.verify(disk, A).code == "bad-chunk"


def test_truncated_mid_chunk(world):
    disk = world.make_disk("a", A)
    path = disk / track_file(0)
    path.write_bytes(path.read_bytes()[:-7])
    assert world.verify(disk, A).code == "truncated"


def test_reordered_chunks_fail(world):
    disk = world.make_disk("a", A)
    path = disk / track_file(2)
    data = bytearray(path.read_bytes())
    (s1, e1), (s2, e2) = chunk_span(1), chunk_span(2)
    c1, c2 = data[s1:e1], data[s2:e2]
    data[s1:e1], data[s2:e2] = c2, c1
    path.write_bytes(bytes(data))
    report = world.verify(disk, A)
    assert report.code == "bad-chunk" and "chunk 2 of" in report.reason


def test_duplicated_chunk_fails(world):
    disk = world.make_disk("a", A)
    path = disk / track_file(2)
    data = bytearray(path.read_bytes())
    (s1, e1), (s2, e2) = chunk_span(1), chunk_span(2)
    data[s2:e2] = data[s1:e1]
    path.write_bytes(bytes(data))
    assert world.verify(disk, A).code == "bad-chunk"


def test_appended_bytes_fail(world):
    disk = world.make_disk("a", A)
    with open(disk / track_file(0), "ab") as fh:
        fh.write(b"\0" * 32)
    assert world.verify(disk, A).code == "trailing-data"


def test_missing_track_and_missing_licence(world):
    disk = world.make_disk("a", A)
    (disk / track_file(1)).unlink()
    assert world.verify(disk, A).code == "missing"
    (disk / LICENCE_FILE).unlink()
    assert world.verify(disk, A).code == "no-licence"


def test_licence_from_uncertified_station_fails(world):
    rogue_publisher = Ed25519PrivateKey.generate()
    rogue = Ed25519PrivateKey.generate()
    cert = issue_station_cert(
        rogue_publisher, rogue.public_key(), name="Rogue", not_before=0, not_after=world.now * 2
    ).to_bytes()
    disk = world.make_disk("a", A, station_key=rogue, station_cert=cert)
    report = world.verify(disk, A)
    assert report.code == "station-uncertified"


def test_licence_signed_by_a_key_other_than_the_certified_one_fails(world):
    other = Ed25519PrivateKey.generate()
    disk = world.make_disk("a", A, station_key=other)  # carries the genuine certificate
    assert world.verify(disk, A).code == "bad-signature"


def test_forged_station_certificate_fails(world):
    disk = world.make_disk("a", A)
    lic = disk / LICENCE_FILE
    data = lic.read_bytes()
    flip(lic, data.index(b"Test Shop"), 0x02)  # the cert's station name, inside the licence
    assert world.verify(disk, A).code in ("bad-signature", "format")


def test_revoked_station_fails(world):
    disk = world.make_disk("a", A)
    station = key_id(raw_public(world.station.public_key()))
    rl = issue_revocations(
        world.publisher, number=1, issued_at=world.now, stations={station}, licences=set()
    )
    report = world.verify(disk, A, revocations=(rl,))
    assert report.code == "station-revoked"


def test_revocation_list_from_untrusted_key_is_ignored(world):
    disk = world.make_disk("a", A)
    station = key_id(raw_public(world.station.public_key()))
    rl = issue_revocations(
        Ed25519PrivateKey.generate(), number=9, issued_at=0, stations={station}, licences=set()
    )
    assert world.verify(disk, A, revocations=(rl,)).ok


def test_expired_grant_fails(world):
    grant = world.make_grant(not_before=world.now - 10 * 86400, not_after=world.now - 86400)
    disk = world.make_disk("a", A, grant=grant)
    assert world.verify(disk, A).code == "grant-expired"


def test_forged_grant_fails(world):
    forger = Ed25519PrivateKey.generate()
    disk = world.make_disk("a", A, grant=world.make_grant(publisher=forger, copies=1000))
    assert world.verify(disk, A).code == "grant-untrusted"


def test_altered_grant_inside_licence_fails(world):
    """Raise the grant's copy count in place and re-sign the licence as the station."""
    from pressroom.secure import canonical
    from pressroom.secure.keys import Envelope

    env = Envelope.from_bytes(world.grant, "grant", "grant")
    body = canonical.decode(env.body, "grant")
    body["copies"] = 10_000
    forged = Envelope(env.type, canonical.encode(body), env.kid, env.sig).to_bytes()
    disk = world.make_disk("a", A, grant=forged)
    assert world.verify(disk, A).code == "grant-forged"


def test_exceeded_grant_fails(world):
    disk = world.make_disk("a", A, copy_index=6)  # the grant allows 5
    report = world.verify(disk, A)
    assert report.code == "grant-exceeded"


def test_rights_beyond_the_grant_fail(world):
    world.grant = world.make_grant(limits=RightsLimits(max_plays=5))
    sources = [t.__class__(**{**t.__dict__, "rights": Rights(plays=50)}) for t in world.tracks]
    disk = world.make_disk("a", A, sources=sources)
    assert world.verify(disk, A).code == "grant-rights"


def test_track_outside_the_grant_fails(world):
    extra = world.make_track("extra.bin", 5000)
    disk = world.make_disk("a", A, sources=[*world.tracks, extra])
    assert world.verify(disk, A).code == "grant-track"


def test_other_player_cannot_open(world):
    disk = world.make_disk("a", A)
    stranger = Trust(world.publishers, X25519PrivateKey.generate())
    assert verify_disk(DirectoryMedium(disk), A, stranger).code == "wrong-player"


@pytest.mark.parametrize(
    "serial",
    [None, "", "   ", "0000000000", "000000000000000000", "FFFFFFFFFFFF", "0123456789ABCDEF"],
)
def test_blank_or_placeholder_serial_refused_at_binding(serial):
    with pytest.raises(IdentityRefused):
        DiskIdentity.of(0x0781, 0x5583, serial, 8 * 10**9)


def test_signed_but_malformed_licence_is_a_format_error_not_a_crash(world):
    """Even the certified station cannot crash a player with a malformed licence."""
    from pressroom.secure import canonical
    from pressroom.secure.keys import Envelope, sign

    disk = world.make_disk("a", A)
    env = Envelope.from_bytes((disk / LICENCE_FILE).read_bytes(), "licence", "licence")
    body = canonical.decode(env.body, "licence")
    body["tracks"][0]["duration_ms"] = "long"
    resigned = sign(world.station, "licence", canonical.encode(body)).to_bytes()
    (disk / LICENCE_FILE).write_bytes(resigned)
    report = world.verify(disk, A)
    assert not report.ok and report.code == "format"
