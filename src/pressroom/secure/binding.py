"""The key hierarchy that binds a copy to one disk (docs/FORMAT.md, "Keys on a disk").

    media key (random, per disk), wrapped to the player key (X25519 + HKDF + AES-GCM)
    binding key = HKDF(media key, salt = SHA-256(disk identity))
    track key (random, per track per disk), wrapped under
        HKDF(binding key, info = label || licence id || track id)

A copy on another disk has another identity, so another binding key, and no track key
unwraps: a clone fails on an AES-GCM tag, not on a comparison of serial strings.

The same in format versions 1 and 2. The salt being a plain hash of the identity is sound:
HKDF needs no secret salt, the secret is the media key, and a player computes the salt from
the device in front of it. What version 2 changed is that the disk no longer stores that
hash (``pressroom.secure.commitment``), since on its own it let a serial be brute-forced.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pressroom.secure import canonical
from pressroom.secure.canonical import Cbor
from pressroom.secure.errors import BindingError, FormatError
from pressroom.secure.keys import key_id, raw_public

KEY_LEN = 32
NONCE_LEN = 12
INFO_MEDIA = b"pressroom/v1/media-key-wrap"
INFO_BINDING = b"pressroom/v1/binding-key"
INFO_TRACK = b"pressroom/v1/track-key-wrap"


def hkdf(ikm: bytes, *, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_LEN, salt=salt, info=info).derive(ikm)


def random_key() -> bytes:
    return os.urandom(KEY_LEN)


@dataclass(frozen=True)
class WrappedMediaKey:
    player: bytes  # key id of the player key it is wrapped to
    epk: bytes  # ephemeral X25519 public key
    nonce: bytes
    ct: bytes

    def to_cbor(self) -> dict[str, Cbor]:
        return {"player": self.player, "epk": self.epk, "nonce": self.nonce, "ct": self.ct}

    @classmethod
    def from_cbor(cls, raw: Cbor) -> WrappedMediaKey:
        m = canonical.expect_map(raw, "wrapped media key", ("player", "epk", "nonce", "ct"))
        # checked in the order the decoded map holds them, so the first bad field is named
        fields = {name: canonical.expect(m[name], bytes, f"wrapped media key {name}") for name in m}
        return cls(fields["player"], fields["epk"], fields["nonce"], fields["ct"])


def wrap_media_key(
    media_key: bytes, player: X25519PublicKey, *, licence_id: bytes
) -> WrappedMediaKey:
    eph = X25519PrivateKey.generate()
    epk = raw_public(eph.public_key())
    ppk = raw_public(player)
    kek = hkdf(eph.exchange(player), salt=epk + ppk, info=INFO_MEDIA + licence_id)
    nonce = os.urandom(NONCE_LEN)
    ct = AESGCM(kek).encrypt(nonce, media_key, INFO_MEDIA + licence_id)
    return WrappedMediaKey(player=key_id(ppk), epk=epk, nonce=nonce, ct=ct)


def unwrap_media_key(
    wrapped: WrappedMediaKey, player: X25519PrivateKey, *, licence_id: bytes
) -> bytes:
    ppk = raw_public(player.public_key())
    if wrapped.player != key_id(ppk):
        raise BindingError(
            "The disk's media key is wrapped to another player key; this player cannot open it.",
            code="wrong-player",
        )
    try:
        epk = X25519PublicKey.from_public_bytes(wrapped.epk)
        kek = hkdf(player.exchange(epk), salt=wrapped.epk + ppk, info=INFO_MEDIA + licence_id)
        return AESGCM(kek).decrypt(wrapped.nonce, wrapped.ct, INFO_MEDIA + licence_id)
    except (InvalidTag, ValueError):
        raise BindingError(
            "The disk's media key does not unwrap with this player's key (altered licence).",
            code="media-key",
        ) from None


def binding_key(media_key: bytes, identity_hash: bytes) -> bytes:
    return hkdf(media_key, salt=identity_hash, info=INFO_BINDING)


def _track_wrap_key(binding: bytes, licence_id: bytes, track_id: bytes) -> bytes:
    return hkdf(binding, salt=None, info=INFO_TRACK + licence_id + track_id)


def wrap_track_key(
    track_key: bytes, binding: bytes, *, licence_id: bytes, track_id: bytes
) -> dict[str, bytes]:
    nonce = os.urandom(NONCE_LEN)
    ct = AESGCM(_track_wrap_key(binding, licence_id, track_id)).encrypt(
        nonce, track_key, INFO_TRACK
    )
    return {"nonce": nonce, "ct": ct}


def unwrap_track_key(
    wrapped: Cbor, binding: bytes, *, licence_id: bytes, track_id: bytes, file: str
) -> bytes:
    m = canonical.expect_map(wrapped, "wrapped track key", ("nonce", "ct"))
    if not isinstance(m["nonce"], bytes) or not isinstance(m["ct"], bytes):
        raise FormatError("wrapped track key fields must be bytes.", file=file)
    try:
        return AESGCM(_track_wrap_key(binding, licence_id, track_id)).decrypt(
            m["nonce"], m["ct"], INFO_TRACK
        )
    except (InvalidTag, ValueError):
        raise BindingError(
            f"{file}: the track key does not unwrap under this disk's identity "
            "(the copy was made for another disk).",
            code="wrong-disk",
            file=file,
        ) from None
