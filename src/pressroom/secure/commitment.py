"""What a version-2 disk says about the disk it was made for, readable only with its media key.

Version 1 put ``SHA-256(identity bytes)`` and the last four serial characters on the disk in
the clear: with vendor, product and capacity class beside them, a 10-digit serial fell to a
brute-force search of the licence file alone. Version 2 replaces both (docs/FORMAT.md 6.3):

    commitment key = HKDF(media key, salt = licence id, info = INFO_COMMITMENT)
    commitment     = HMAC-SHA256(commitment key, identity bytes)
    made-for key   = HKDF(media key, salt = licence id, info = INFO_MADE_FOR)
    sealed made-for = AES-256-GCM(made-for key, nonce, CBOR(made-for map), aad = label || id)

The media key is 32 random bytes wrapped to the player key, so without the player key a
guessed serial has nothing to be tested against: the search is over the 256-bit key, not
the serial. Binding does not use either value; they let a player explain a mismatch.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pressroom.secure import canonical
from pressroom.secure.binding import NONCE_LEN, hkdf
from pressroom.secure.canonical import Cbor
from pressroom.secure.errors import FormatError

INFO_COMMITMENT = b"pressroom/v2/identity-commitment"
INFO_MADE_FOR = b"pressroom/v2/made-for"
COMMITMENT_LEN = 32


def identity_commitment(media_key: bytes, licence_id: bytes, identity_bytes: bytes) -> bytes:
    """HMAC-SHA256 of the canonical identity under a key only the media key yields."""
    key = hkdf(media_key, salt=licence_id, info=INFO_COMMITMENT)
    return hmac.new(key, identity_bytes, hashlib.sha256).digest()


def commitment_matches(
    commitment: bytes, media_key: bytes, licence_id: bytes, identity_bytes: bytes
) -> bool:
    expected = identity_commitment(media_key, licence_id, identity_bytes)
    return hmac.compare_digest(expected, commitment)


@dataclass(frozen=True)
class SealedBox:
    """An AES-256-GCM ciphertext with its nonce, as stored in a version-2 licence."""

    nonce: bytes
    ct: bytes

    def to_cbor(self) -> dict[str, bytes]:
        return {"nonce": self.nonce, "ct": self.ct}

    @classmethod
    def from_cbor(cls, raw: Cbor, what: str) -> SealedBox:
        m = canonical.expect_map(raw, what, ("nonce", "ct"))
        return cls(
            canonical.expect(m["nonce"], bytes, f"{what} nonce"),
            canonical.expect(m["ct"], bytes, f"{what} ciphertext"),
        )


def _made_for_key(media_key: bytes, licence_id: bytes) -> bytes:
    return hkdf(media_key, salt=licence_id, info=INFO_MADE_FOR)


def seal_made_for(media_key: bytes, licence_id: bytes, plain: bytes) -> SealedBox:
    nonce = os.urandom(NONCE_LEN)
    aead = AESGCM(_made_for_key(media_key, licence_id))
    return SealedBox(nonce, aead.encrypt(nonce, plain, INFO_MADE_FOR + licence_id))


def open_made_for(box: SealedBox, media_key: bytes, licence_id: bytes) -> bytes:
    """The made-for map's CBOR bytes; a box that does not open is a malformed licence."""
    try:
        aead = AESGCM(_made_for_key(media_key, licence_id))
        return aead.decrypt(box.nonce, box.ct, INFO_MADE_FOR + licence_id)
    except (InvalidTag, ValueError):
        raise FormatError(
            "The licence's sealed made-for field does not open under its media key."
        ) from None
