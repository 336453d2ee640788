"""The secured disk format: keys, grants, certificates, track files, licences, verifier.

Specified byte for byte in docs/FORMAT.md. Depends on nothing else in Pressroom (an
import-linter contract), so a player can ship with this package alone.
"""

from pressroom.secure.container import DEFAULT_CHUNK, TrackHeader, encrypt_track, iter_plaintext
from pressroom.secure.errors import (
    BindingError,
    FormatError,
    GrantError,
    IdentityRefused,
    IntegrityError,
    SecureError,
    SignatureError,
    TrustError,
)
from pressroom.secure.grant import Grant, create_grant, load_grant
from pressroom.secure.identity import DiskIdentity
from pressroom.secure.licence import LICENCE_FILE, DiskBinder, Licence, track_file
from pressroom.secure.rights import Rights, RightsLimits
from pressroom.secure.verifier import DirectoryMedium, DiskReport, Trust, verify_disk

__all__ = [
    "DEFAULT_CHUNK",
    "LICENCE_FILE",
    "BindingError",
    "DirectoryMedium",
    "DiskBinder",
    "DiskIdentity",
    "DiskReport",
    "FormatError",
    "Grant",
    "GrantError",
    "IdentityRefused",
    "IntegrityError",
    "Licence",
    "Rights",
    "RightsLimits",
    "SecureError",
    "SignatureError",
    "TrackHeader",
    "Trust",
    "TrustError",
    "create_grant",
    "encrypt_track",
    "iter_plaintext",
    "load_grant",
    "track_file",
    "verify_disk",
]
