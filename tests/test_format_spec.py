"""Conformance: an independent reader of docs/FORMAT.md against disks the code writes.

Nothing here parses with ``pressroom.secure``: the header is unpacked with the spec's own
``struct`` layout, keys are derived with ``cryptography`` from the documented hierarchy,
CBOR is read with ``cbor2`` and the identity bytes are encoded by hand. The code is used
only to *make* disks (and, for the worked example, to produce bytes from fixed inputs).
If the document and the code disagree, a test here fails.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import struct
import unicodedata
from pathlib import Path
from unittest import mock

import cbor2
import pytest
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from secure_world import World

ROOT = Path(__file__).resolve().parents[1]
SPEC = (ROOT / "docs" / "FORMAT.md").read_text(encoding="utf-8")

# --- the spec, section 7.1 ------------------------------------------------------------------

HEADER = struct.Struct(">4sBBHIQ7sx16s32s32s")
HEADER_LEN = 108
TAG = 16
DOMAIN = b"pressroom/v1/"
INFO_MEDIA = b"pressroom/v1/media-key-wrap"
INFO_BINDING = b"pressroom/v1/binding-key"
INFO_TRACK = b"pressroom/v1/track-key-wrap"
INFO_COMMITMENT = b"pressroom/v2/identity-commitment"
INFO_MADE_FOR = b"pressroom/v2/made-for"
SERIAL = " 4c5300 01230807114364\n"
VID, PID, CAPACITY = 0x0781, 0x5583, 16_000_000_000


def parse_header(data: bytes) -> dict:
    names = (
        "magic",
        "version",
        "flags",
        "hlen",
        "chunk",
        "plain_len",
        "prefix",
        "lid",
        "tid",
        "ih",
    )
    return dict(zip(names, HEADER.unpack(data[:HEADER_LEN]), strict=True))


def chunk_count(plain_len: int, chunk: int) -> int:
    return max(1, -(-plain_len // chunk))


def nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


# --- the spec, section 6 ----------------------------------------------------------------------


def cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | extra]) + n.to_bytes(size, "big")
    raise ValueError(n)


def cbor_text(s: str) -> bytes:
    raw = s.encode("utf-8")
    return cbor_head(3, len(raw)) + raw


def normalise(serial: str) -> str:
    s = unicodedata.normalize("NFKC", serial)
    s = "".join(c for c in s if not c.isspace() and not unicodedata.category(c).startswith("C"))
    return s.upper()


def capacity_class(capacity: int) -> int:
    gib = max(1, -(-capacity // (1 << 30)))
    cls = 1
    while cls < gib:
        cls *= 2
    return cls


def identity_bytes(vid: int, pid: int, serial: str, capacity: int) -> bytes:
    return (
        cbor_head(4, 5)
        + cbor_text("pressroom/v1/disk-identity")
        + cbor_head(0, vid)
        + cbor_head(0, pid)
        + cbor_text(normalise(serial))
        + cbor_head(0, capacity_class(capacity))
    )


def hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def raw(public) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def kid(raw_public: bytes) -> bytes:
    return hashlib.sha256(raw_public).digest()[:16]


def unwrap_media_key(media: dict, player: X25519PrivateKey, licence_id: bytes) -> bytes:
    ppk = raw(player.public_key())
    assert media["player"] == kid(ppk)
    shared = player.exchange(X25519PublicKey.from_public_bytes(media["epk"]))
    kek = hkdf(shared, media["epk"] + ppk, INFO_MEDIA + licence_id)
    return AESGCM(kek).decrypt(media["nonce"], media["ct"], INFO_MEDIA + licence_id)


def track_key(body: dict, entry: dict, ident: bytes, player: X25519PrivateKey) -> bytes:
    lid = body["licence_id"]
    binding = hkdf(unwrap_media_key(body["media_key"], player, lid), sha(ident), INFO_BINDING)
    wrap = hkdf(binding, b"\0" * 32, INFO_TRACK + lid + entry["track_id"])
    w = entry["wrapped_key"]
    return AESGCM(wrap).decrypt(w["nonce"], w["ct"], INFO_TRACK)


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# --- the spec, section 6.3 (version 2) --------------------------------------------------------


def commitment(media_key: bytes, licence_id: bytes, ident: bytes) -> bytes:
    key = hkdf(media_key, licence_id, INFO_COMMITMENT)
    return hmac.new(key, ident, hashlib.sha256).digest()


def open_made_for(body: dict, player: X25519PrivateKey) -> dict:
    lid = body["licence_id"]
    key = hkdf(unwrap_media_key(body["media_key"], player, lid), lid, INFO_MADE_FOR)
    box = body["sealed_made_for"]
    return canonical_loads(AESGCM(key).decrypt(box["nonce"], box["ct"], INFO_MADE_FOR + lid))


def made_for(body: dict, player: X25519PrivateKey) -> dict:
    return body["made_for"] if body["v"] == 1 else open_made_for(body, player)


def identity_field(body: dict, ident: bytes, player: X25519PrivateKey) -> bytes:
    """What the licence and every header must hold in their identity field (6.1 / 6.3)."""
    if body["v"] == 1:
        return sha(ident)
    lid = body["licence_id"]
    return commitment(unwrap_media_key(body["media_key"], player, lid), lid, ident)


# --- the spec, sections 2, 3 and 8 ------------------------------------------------------------


def canonical_loads(data: bytes):
    value = cbor2.loads(data)
    assert cbor2.dumps(value, canonical=True) == data, "not canonical CBOR"
    return value


def check_key_order(value) -> None:
    """RFC 8949 section 4.2.1: map keys in bytewise order of their encodings, recursively."""
    if isinstance(value, dict):
        encoded = [cbor2.dumps(k) for k in value]
        assert encoded == sorted(encoded), list(value)
        for v in value.values():
            check_key_order(v)
    elif isinstance(value, list):
        for v in value:
            check_key_order(v)


def open_envelope(data: bytes, type_: str, signer: Ed25519PublicKey) -> dict:
    env = canonical_loads(data)
    check_key_order(env)
    assert set(env) == set(doc_fields("### 3.2 Envelope"))
    assert env["type"] == type_
    message = DOMAIN + type_.encode("ascii") + b"\0" + env["kid"] + env["body"]
    signer.verify(env["sig"], message)  # raises InvalidSignature
    assert env["kid"] == kid(raw(signer))
    body = canonical_loads(env["body"])
    check_key_order(body)
    return body


# --- reading the document ---------------------------------------------------------------------


def section(heading: str) -> str:
    """The text under the heading line that starts with ``heading``, up to the next heading."""
    match = re.search(rf"^{re.escape(heading)}\b.*$", SPEC, re.M)
    assert match, f"FORMAT.md has no heading {heading!r}"
    rest = SPEC[match.end() :]
    end = re.search(r"^#{2,3} ", rest, re.M)
    return rest[: end.start() if end else len(rest)]


def doc_fields(heading: str) -> list[str]:
    """The first column of the field table under ``heading``."""
    fields = re.findall(r"^\| `([a-z_0-9]+)` \|", section(heading), re.M)
    assert fields, f"no field table under {heading!r}"
    return fields


def doc_optional(heading: str) -> set[str]:
    """Fields of the table under ``heading`` written only when set (type "`true`, optional")."""
    return set(re.findall(r"^\| `([a-z_0-9]+)` \| `true`, optional \|", section(heading), re.M))


def doc_map(name: str) -> set[str]:
    match = re.search(rf"{name} map\s*=\s*\{{([^}}]*)\}}", SPEC)
    assert match, name
    return set(re.findall(r'"([a-z_]+)"', match.group(1)))


def worked_example(name: str = "worked-example") -> dict[str, str]:
    block = SPEC.split(f"<!-- {name}:begin -->")[1].split(f"<!-- {name}:end -->")[0]
    pairs = re.findall(r"^([a-z_0-9]+)\s+(\S+)$", block, re.M)
    return dict(pairs)


def worked_example_v2() -> dict[str, bytes]:
    return {k: bytes.fromhex(v) for k, v in worked_example("worked-example-v2").items()}


def hexdump_bytes() -> bytes:
    dump = section("## 10. Worked example").split("`hexdump -C` shows it:")[1]
    out = b""
    for line in re.findall(r"^[0-9a-f]{8}  (.*?)  \|", dump, re.M):
        out += bytes.fromhex(line.replace(" ", ""))
    return out


# --- a disk made by the code ------------------------------------------------------------------

CHUNK = 16384


@pytest.fixture(scope="module", params=[2, 1], ids=["v2", "v1"])
def disk(request, tmp_path_factory):
    """A disk as stations write it now (v2), and one as they wrote it before (v1)."""
    from pressroom.secure.cert import issue_revocations
    from pressroom.secure.identity import DiskIdentity

    world = World(tmp_path_factory.mktemp("spec"))
    world.tracks.append(world.make_track("empty.bin", 0))
    world.tracks.append(world.make_track("exact.bin", 2 * CHUNK))
    world.grant = world.make_grant(copies=5)
    rl = issue_revocations(
        world.publisher, number=1, issued_at=world.now, stations=set(), licences=set()
    )
    ident = DiskIdentity.of(VID, PID, SERIAL, CAPACITY)
    root = world.make_disk("disk", ident, revocations=rl, chunk_size=CHUNK, version=request.param)
    return world, root


def licence_body(world: World, root: Path) -> dict:
    data = (root / "PRESSROOM" / "licence.prl").read_bytes()
    return open_envelope(data, "licence", world.station.public_key())


def test_disk_layout_and_track_headers_follow_the_spec(disk):
    world, root = disk
    body = licence_body(world, root)
    own_identity = identity_bytes(VID, PID, SERIAL, CAPACITY)
    field = identity_field(body, own_identity, world.player)
    if body["v"] == 2:
        assert field == body["identity_commitment"] != sha(own_identity)
    else:
        assert field == body["identity_hash"] == sha(own_identity)
    assert [e["file"] for e in body["tracks"]] == [
        f"PRESSROOM/tracks/{i + 1:02d}.prt" for i in range(len(world.tracks))
    ]
    for entry, src in zip(body["tracks"], world.tracks, strict=True):
        data = (root / entry["file"]).read_bytes()
        h = parse_header(data)
        plain = src.path.read_bytes()
        assert (h["magic"], h["flags"], h["hlen"]) == (b"PRTK", 0, HEADER_LEN)
        assert h["version"] == body["v"]
        assert data[27] == 0  # reserved
        assert h["chunk"] == CHUNK and h["plain_len"] == len(plain) == entry["plain_len"]
        assert h["lid"] == body["licence_id"] and len(body["licence_id"]) == 16
        assert h["tid"] == sha(plain) == entry["track_id"] == entry["plain_sha256"]
        assert h["ih"] == field
        n = chunk_count(len(plain), CHUNK)
        assert entry["chunks"] == n
        assert len(data) == HEADER_LEN + len(plain) + TAG * n
        assert sha(data[:HEADER_LEN]) == entry["header_sha256"]


def test_first_and_last_chunk_decrypt_with_keys_derived_from_the_spec(disk):
    world, root = disk
    body = licence_body(world, root)
    ident = identity_bytes(VID, PID, SERIAL, CAPACITY)
    for entry, src in zip(body["tracks"], world.tracks, strict=True):
        data = (root / entry["file"]).read_bytes()
        plain = src.path.read_bytes()
        h = parse_header(data)
        key = AESGCM(track_key(body, entry, ident, world.player))
        aad = sha(data[:HEADER_LEN])
        n = chunk_count(len(plain), CHUNK)
        first = data[HEADER_LEN : HEADER_LEN + min(CHUNK, len(plain)) + TAG]
        assert key.decrypt(nonce(h["prefix"], 0, n == 1), first, aad) == plain[:CHUNK]
        last_start = HEADER_LEN + (n - 1) * (CHUNK + TAG)
        tail = key.decrypt(nonce(h["prefix"], n - 1, True), data[last_start:], aad)
        assert tail == plain[(n - 1) * CHUNK :]
        # The last-chunk flag and the AAD are part of the construction, not decoration.
        with pytest.raises(InvalidTag):
            key.decrypt(nonce(h["prefix"], n - 1, False), data[last_start:], aad)
        with pytest.raises(InvalidTag):
            key.decrypt(nonce(h["prefix"], n - 1, True), data[last_start:], sha(b"other"))


def test_empty_track_is_one_chunk_holding_only_a_tag(disk):
    world, root = disk
    body = licence_body(world, root)
    entry = next(e for e in body["tracks"] if e["plain_len"] == 0)
    data = (root / entry["file"]).read_bytes()
    assert len(data) == HEADER_LEN + TAG and entry["chunks"] == 1
    key = track_key(body, entry, identity_bytes(VID, PID, SERIAL, CAPACITY), world.player)
    prefix = parse_header(data)["prefix"]
    assert AESGCM(key).decrypt(nonce(prefix, 0, True), data[HEADER_LEN:], sha(data[:108])) == b""


def test_another_identity_derives_a_key_that_does_not_unwrap(disk):
    world, root = disk
    body = licence_body(world, root)
    other = identity_bytes(VID, PID, SERIAL.replace("64", "65"), CAPACITY)
    with pytest.raises(InvalidTag):
        track_key(body, body["tracks"][0], other, world.player)


def test_signed_objects_verify_over_the_documented_messages(disk):
    world, root = disk
    body = licence_body(world, root)  # licence: signed by the station
    publisher = world.publisher.public_key()
    cert = open_envelope(body["station_cert"], "station-cert", publisher)
    assert cert["station_key"] == raw(world.station.public_key())
    assert cert["station"] == kid(cert["station_key"]) and cert["publisher"] == kid(raw(publisher))
    grant = open_envelope(body["grant"], "grant", publisher)
    assert all(t["track_id"] in grant["tracks"] for t in body["tracks"])
    assert grant["station"] == cert["station"]
    revocations = open_envelope(body["revocations"], "revocations", publisher)
    assert revocations["number"] == 1
    with pytest.raises(InvalidSignature):  # another type in the message: no longer valid
        env = cbor2.loads(body["grant"])
        publisher.verify(env["sig"], DOMAIN + b"licence\0" + env["kid"] + env["body"])


def test_documented_fields_are_exactly_the_fields_on_disk(disk):
    world, root = disk
    body = licence_body(world, root)
    publisher = world.publisher.public_key()
    grant = open_envelope(body["grant"], "grant", publisher)
    objects = {
        "### 3.3 Station certificate": open_envelope(
            body["station_cert"], "station-cert", publisher
        ),
        "### 3.4 Revocation list": open_envelope(body["revocations"], "revocations", publisher),
        "## 4. Grant": grant,
        "### 4.1 Rights limits": grant["limits"],
        "### 8.4 Made for": made_for(body, world.player),
    }
    for entry in body["tracks"]:
        objects["### 8.5 Track entry"] = entry
        objects["## 5. Rights"] = entry["rights"]
        assert set(entry["wrapped_key"]) == doc_map("wrapped_key")
    assert set(body["media_key"]) == doc_map("media_key")
    for heading, value in objects.items():
        optional = doc_optional(heading)
        assert set(value) - optional == set(doc_fields(heading)) - optional, heading
        assert set(value) <= set(doc_fields(heading)), heading
    versioned = "### 8.2 Licence body, version 2" if body["v"] == 2 else "### 8.3 Licence body"
    assert list(body) == sorted(body, key=lambda k: (len(k), k))  # canonical order
    assert set(body) == set(doc_fields("### 8.1 Licence body")) | set(doc_fields(versioned))
    if body["v"] == 2:
        assert set(body["sealed_made_for"]) == doc_map("sealed_made_for")
        order = section("### 8.2 Licence body, version 2").split("in canonical order:")[1]
        assert re.findall(r"`([a-z_]+)`", order.split(")")[0]) == list(body)
    for name in ("station_cert", "grant", "revocations"):
        assert f"| `{name}` |" in section("### 8.1 Licence body")
    assert body["v"] in (1, 2) and body["kind"] == "sale" and body["copy_index"] == 1
    expected = {"vid": VID, "pid": PID, "cap": 16, "hint": "4364"}
    assert made_for(body, world.player) == expected


def test_identity_rules_in_the_spec_match_the_code():
    from typing import get_args

    from pressroom.errors import PressroomError
    from pressroom.secure.identity import (
        KNOWN_PLACEHOLDERS,
        DiskIdentity,
        Family,
        classify_serial,
    )

    rules = section("### 6.1 Canonical disk identity")
    listed = rules.split("The known placeholders are the texts")[1].split("(the vendor")[0]
    placeholders = re.findall(r"`([^`]+)`", listed)
    assert set(placeholders) == set(KNOWN_PLACEHOLDERS)
    for serial in placeholders:
        with pytest.raises(PressroomError):
            DiskIdentity.of(VID, PID, serial, CAPACITY)
    table = rules.split("| family | rule | examples refused |")[1].split("\n\n")[0]
    families = {}
    for row in table.strip().splitlines()[1:]:
        family, _rule, examples = (cell.strip() for cell in row.strip("|").split(" | "))
        families[family.strip("`")] = re.findall(r"`([^`]+)`", examples)
    assert list(families) == list(get_args(Family)), "one row per family, in the code's order"
    for family, examples in families.items():
        for serial in examples:
            assert classify_serial(serial).family == family, serial
            with pytest.raises(PressroomError):
                DiskIdentity.of(VID, PID, serial, CAPACITY)
    assert "`TO BE FILLED BY O.E.M.` is refused" in " ".join(rules.split())
    for serial in (None, "", " \t", "0000", "AAAAAAAA", "AB1"):
        with pytest.raises(PressroomError):
            DiskIdentity.of(VID, PID, serial, CAPACITY)
    for capacity, cls in ((16_000_000_000, 16), (8_000_000_000, 8), (1, 1), (33 << 30, 64)):
        assert (
            capacity_class(capacity)
            == cls
            == DiskIdentity.of(VID, PID, "AB12", capacity).capacity_class
        )
    for serial in (SERIAL, "ﬀ1234\u200b", "straße-99"):
        ident = DiskIdentity.of(VID, PID, serial, CAPACITY)
        assert ident.serial == normalise(serial)
        assert ident.canonical_bytes() == identity_bytes(VID, PID, serial, CAPACITY)


def test_this_readers_constants_are_the_documented_ones():
    assert f"`{HEADER.format}`" in section("### 7.1 Header") and HEADER.size == HEADER_LEN
    keys_section = section("### 6.2 Keys on a disk")
    for label in (INFO_MEDIA, INFO_BINDING, INFO_TRACK):
        assert f'b"{label.decode()}"' in keys_section
    for label in (INFO_COMMITMENT, INFO_MADE_FOR):
        assert f'b"{label.decode()}"' in section("### 6.3 Identity commitment")
    assert '"pressroom/v1/disk-identity"' in section("### 6.1 Canonical disk identity")
    assert 'b"pressroom/v1/" || type (ASCII) || 0x00 || kid || body' in section("### 3.2 Envelope")
    assert "first 16 bytes of `SHA-256(raw 32-byte public key)`" in section("### 3.1 Key roles")
    assert "nonce_prefix (7) || u32(i) || u8(last)" in section("### 7.2 Chunks")


def test_worked_example_follows_from_the_spec():
    """Recompute every value of section 10 with this file's own implementation."""
    ex = worked_example()
    b = {
        k: bytes.fromhex(v)
        for k, v in ex.items()
        if k not in ("serial_normalised", "capacity_class", "file_size")
    }
    assert normalise(SERIAL) == ex["serial_normalised"]
    assert capacity_class(CAPACITY) == int(ex["capacity_class"])
    ident = identity_bytes(VID, PID, SERIAL, CAPACITY)
    assert ident == b["identity_bytes"] and sha(ident) == b["identity_hash"]
    player = X25519PrivateKey.from_private_bytes(b["player_private"])
    eph = X25519PrivateKey.from_private_bytes(b["ephemeral_private"])
    ppk, epk = raw(player.public_key()), raw(eph.public_key())
    assert (ppk, epk, kid(ppk)) == (b["player_public"], b["ephemeral_public"], b["player_kid"])
    shared = eph.exchange(player.public_key())
    assert shared == player.exchange(eph.public_key()) == b["x25519_shared"]
    lid = b["licence_id"]
    kek = hkdf(shared, epk + ppk, INFO_MEDIA + lid)
    assert kek == b["media_kek"]
    media = {"player": kid(ppk), "epk": epk, "nonce": b["media_nonce"], "ct": b["media_ct"]}
    assert unwrap_media_key(media, player, lid) == b["media_key"]
    binding = hkdf(b["media_key"], sha(ident), INFO_BINDING)
    assert binding == b["binding_key"]
    plain = bytes(i % 251 for i in range(5000))
    assert sha(plain) == b["track_id"]
    wrap = hkdf(binding, b"\0" * 32, INFO_TRACK + lid + b["track_id"])
    assert wrap == b["track_wrap_key"]
    assert AESGCM(wrap).decrypt(b["track_nonce"], b["track_ct"], INFO_TRACK) == b["track_key"]
    header = HEADER.pack(
        b"PRTK", 1, 0, HEADER_LEN, 4096, 5000, b["nonce_prefix"], lid, sha(plain), sha(ident)
    )
    assert header == b["header"] == hexdump_bytes()
    assert sha(header) == b["aad"]
    n0, n1 = nonce(b["nonce_prefix"], 0, False), nonce(b["nonce_prefix"], 1, True)
    assert (n0, n1) == (b["nonce_0"], b["nonce_1"])
    key = AESGCM(b["track_key"])
    c0 = key.encrypt(n0, plain[:4096], sha(header))
    c1 = key.encrypt(n1, plain[4096:], sha(header))
    assert (c0[:16], c0[-16:]) == (b["chunk_0_first16"], b["chunk_0_tag"])
    assert (c1[:16], c1[-16:]) == (b["chunk_1_first16"], b["chunk_1_tag"])
    assert HEADER_LEN + len(c0) + len(c1) == int(ex["file_size"])
    station = Ed25519PrivateKey.from_private_bytes(b["station_private"])
    spk = raw(station.public_key())
    assert (spk, kid(spk)) == (b["station_public"], b["station_kid"])
    message = DOMAIN + b"licence\0" + kid(spk) + b["empty_body"]
    assert message == b["signed_message"]
    env = {
        "type": "licence",
        "body": b["empty_body"],
        "kid": kid(spk),
        "sig": station.sign(message),
    }
    assert cbor2.dumps(env, canonical=True) == b["envelope"]
    check_key_order(cbor2.loads(b["envelope"]))


def test_worked_example_is_what_the_code_produces():
    """Run the reference producers with the example's fixed values in place of randomness."""
    from pressroom.secure import binding, container, keys
    from pressroom.secure.identity import DiskIdentity

    ex = worked_example()
    b = {k: bytes.fromhex(v) for k, v in ex.items() if re.fullmatch(r"([0-9a-f]{2})+", v)}
    ident = DiskIdentity.of(VID, PID, SERIAL, CAPACITY)
    assert ident.canonical_bytes() == b["identity_bytes"] and ident.hash() == b["identity_hash"]
    player = X25519PrivateKey.from_private_bytes(b["player_private"])
    eph = X25519PrivateKey.from_private_bytes(b["ephemeral_private"])
    lid = b["licence_id"]
    with (
        mock.patch.object(binding.X25519PrivateKey, "generate", return_value=eph),
        mock.patch("os.urandom", return_value=b["media_nonce"]),
    ):
        wrapped = binding.wrap_media_key(b["media_key"], player.public_key(), licence_id=lid)
    assert wrapped.to_cbor() == {
        "player": b["player_kid"],
        "epk": b["ephemeral_public"],
        "nonce": b["media_nonce"],
        "ct": b["media_ct"],
    }
    bk = binding.binding_key(b["media_key"], ident.hash())
    assert bk == b["binding_key"]
    with mock.patch("os.urandom", return_value=b["track_nonce"]):
        wk = binding.wrap_track_key(b["track_key"], bk, licence_id=lid, track_id=b["track_id"])
    assert wk == {"nonce": b["track_nonce"], "ct": b["track_ct"]}
    plain = bytes(i % 251 for i in range(5000))
    header = container.TrackHeader(
        4096, 5000, b["nonce_prefix"], lid, b["track_id"], ident.hash(), version=1
    )
    out = io.BytesIO()
    container.encrypt_track(io.BytesIO(plain), out, b["track_key"], header)
    data = out.getvalue()
    assert data[:HEADER_LEN] == b["header"] and len(data) == int(ex["file_size"])
    c1 = data[HEADER_LEN + 4096 + TAG :]
    assert data[HEADER_LEN : HEADER_LEN + 16] == b["chunk_0_first16"]
    assert data[HEADER_LEN + 4096 : HEADER_LEN + 4096 + TAG] == b["chunk_0_tag"]
    assert (c1[:16], c1[-16:]) == (b["chunk_1_first16"], b["chunk_1_tag"])
    station = Ed25519PrivateKey.from_private_bytes(b["station_private"])
    assert keys.sign(station, "licence", b["empty_body"]).to_bytes() == b["envelope"]


def test_worked_example_v2_follows_from_the_spec():
    """Recompute every value of section 10.1 with this file's own implementation."""
    b = {k: bytes.fromhex(v) for k, v in worked_example().items() if k.endswith(("key", "id"))}
    v2 = worked_example_v2()
    ident = identity_bytes(VID, PID, SERIAL, CAPACITY)
    media, lid = b["media_key"], b["licence_id"]
    assert hkdf(media, lid, INFO_COMMITMENT) == v2["commitment_key"]
    assert commitment(media, lid, ident) == v2["identity_commitment"]
    assert v2["identity_commitment"] != sha(ident)
    key = hkdf(media, lid, INFO_MADE_FOR)
    assert key == v2["made_for_key"]
    plain = cbor_head(5, 4)  # the made-for map, keys in canonical order, encoded by hand
    for name, value in (("cap", 16), ("pid", PID), ("vid", VID)):
        plain += cbor_text(name) + cbor_head(0, value)
    plain += cbor_text("hint") + cbor_text(normalise(SERIAL)[-4:])
    assert plain == v2["made_for_plain"]
    sealed = AESGCM(key).encrypt(v2["made_for_nonce"], plain, INFO_MADE_FOR + lid)
    assert sealed == v2["made_for_ct"]
    header = HEADER.pack(
        b"PRTK",
        2,
        0,
        HEADER_LEN,
        4096,
        5000,
        bytes([0x88]) * 7,
        lid,
        b["track_id"],
        v2["identity_commitment"],
    )
    assert header == v2["header_v2"] and sha(header) == v2["aad_v2"]
    assert header[:4] + header[5:76] == hexdump_bytes()[:4] + hexdump_bytes()[5:76]


def test_worked_example_v2_is_what_the_code_produces():
    from pressroom.secure import canonical, container
    from pressroom.secure import commitment as ref
    from pressroom.secure.identity import DiskIdentity
    from pressroom.secure.licence import MadeFor

    b = {k: bytes.fromhex(v) for k, v in worked_example().items() if k.endswith(("key", "id"))}
    v2 = worked_example_v2()
    ident = DiskIdentity.of(VID, PID, SERIAL, CAPACITY)
    media, lid = b["media_key"], b["licence_id"]
    assert ref.identity_commitment(media, lid, ident.canonical_bytes()) == v2["identity_commitment"]
    plain = canonical.encode(MadeFor.of(ident).to_cbor())
    assert plain == v2["made_for_plain"]
    with mock.patch("os.urandom", return_value=v2["made_for_nonce"]):
        box = ref.seal_made_for(media, lid, plain)
    assert (box.nonce, box.ct) == (v2["made_for_nonce"], v2["made_for_ct"])
    assert ref.open_made_for(box, media, lid) == plain
    header = container.TrackHeader(
        4096, 5000, bytes([0x88]) * 7, lid, b["track_id"], v2["identity_commitment"]
    )
    assert header.version == 2 and header.to_bytes() == v2["header_v2"]


def test_every_error_code_the_verifier_can_report_is_documented():
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in sorted((ROOT / "src/pressroom/secure").glob("*.py"))
    )
    codes = set(re.findall(r'code\s*=\s*"([a-z-]+)"', source))
    # Class defaults that no verification path reports: every raise on a disk-verification
    # path names its code, and a revocation list from an unknown key is ignored, not raised.
    codes -= {"invalid", "untrusted", "grant", "altered"}
    assert {"wrong-disk", "bad-chunk", "truncated", "format", "bad-signature"} <= codes
    undocumented = {
        c
        for c in codes
        if f"`{c}`" not in section("## 9. Verification, in order, with error codes")
    }
    assert not undocumented


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        ({"revoked": True, "forged_grant": True}, "station-revoked"),  # step 6 before 7
        ({"expired_grant": True, "copy_index": 6}, "grant-expired"),  # step 9 before 10
        ({"copy_index": 6, "rights": True}, "grant-exceeded"),  # step 10 before 11
    ],
)
def test_the_verifier_checks_in_the_documented_order(tmp_path, faults, expected):
    from pressroom.secure.cert import issue_revocations
    from pressroom.secure.identity import DiskIdentity
    from pressroom.secure.rights import Rights, RightsLimits

    world = World(tmp_path)
    ident = DiskIdentity.of(VID, PID, SERIAL, CAPACITY)
    kw: dict = {"copy_index": faults.get("copy_index", 1)}
    if faults.get("forged_grant"):
        kw["grant"] = world.make_grant(publisher=Ed25519PrivateKey.generate())
    if faults.get("expired_grant"):
        kw["grant"] = world.make_grant(
            not_before=world.now - 9 * 86400, not_after=world.now - 86400
        )
    if faults.get("rights"):
        kw["grant"] = world.make_grant(limits=RightsLimits(max_plays=1))
        kw["sources"] = [
            t.__class__(**{**t.__dict__, "rights": Rights(plays=9)}) for t in world.tracks
        ]
    if faults.get("revoked"):
        kw["revocations"] = issue_revocations(
            world.publisher,
            number=1,
            issued_at=world.now,
            stations={kid(raw(world.station.public_key()))},
            licences=set(),
        )
    root = world.make_disk("d", ident, **kw)
    assert world.verify(root, ident).code == expected


def test_highest_numbered_revocation_list_wins(tmp_path):
    from pressroom.secure.cert import issue_revocations
    from pressroom.secure.identity import DiskIdentity

    world = World(tmp_path)
    ident = DiskIdentity.of(VID, PID, SERIAL, CAPACITY)
    station = {kid(raw(world.station.public_key()))}

    def rl(number: int, stations: set) -> bytes:
        return issue_revocations(
            world.publisher, number=number, issued_at=0, stations=stations, licences=set()
        )

    root = world.make_disk("d", ident, revocations=rl(2, station))  # carried in the licence
    assert world.verify(root, ident, revocations=(rl(1, set()),)).code == "station-revoked"
    assert world.verify(root, ident, revocations=(rl(3, set()),)).ok


def test_bios_placeholder_serial_is_refused():
    from pressroom.errors import PressroomError
    from pressroom.secure.identity import DiskIdentity

    with pytest.raises(PressroomError):
        DiskIdentity.of(VID, PID, "To Be Filled By O.E.M.", CAPACITY)


def test_security_md_names_every_attack_test_and_only_tests_that_exist():
    text = (ROOT / "docs" / "SECURITY.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(?:tests/\w+\.py::)?(test_\w+)`", text))
    defined: dict[str, set[str]] = {}
    for path in (ROOT / "tests").glob("test_*.py"):
        for name in re.findall(r"^def (test_\w+)\(", path.read_text(encoding="utf-8"), re.M):
            defined.setdefault(name, set()).add(path.name)
    assert not named - set(defined), "SECURITY.md names tests that do not exist"
    for module in ("test_secure_attacks.py", "test_secure_mutations.py"):
        attacks = {n for n, files in defined.items() if module in files}
        assert attacks and not attacks - named, f"SECURITY.md omits tests of {module}"
