"""Keys the player derives from a disk, never stored anywhere.

The play-state key hangs off the disk-bound binding key, so only a player holding the
player private key, reading the disk with the identity the licence was made for, can
compute it: the state cannot be forged, edited, or carried to another disk.
"""

from __future__ import annotations

from pressroom.secure.binding import binding_key, hkdf, unwrap_media_key
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.licence import Licence
from pressroom.secure.verifier import Trust

INFO_PLAY_STATE = b"pressroom/v1/play-state"


def derive_binding_key(lic: Licence, identity: DiskIdentity, trust: Trust) -> bytes:
    """The binding key of ``lic`` on the disk with ``identity`` (wrong disk: another key)."""
    media = unwrap_media_key(lic.media_key, trust.player_key, licence_id=lic.licence_id)
    return binding_key(media, identity.hash())


def play_state_key(binding: bytes, licence_id: bytes) -> bytes:
    """HKDF(binding key, info = "pressroom/v1/play-state" || licence id)."""
    return hkdf(binding, salt=None, info=INFO_PLAY_STATE + licence_id)
