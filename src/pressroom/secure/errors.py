"""Why a disk, a licence or a grant does not authenticate.

Every failure carries a stable ``code`` (tests and ``--json`` use it) and one plain sentence.
Codes name the *cryptographic* reason: a tag that does not verify, a signature that does
not verify, a key that does not unwrap. Structural problems are ``format``.
"""

from __future__ import annotations

from pressroom.errors import PressroomError, VerificationFailed


class SecureError(VerificationFailed):
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, file: str | None = None):
        super().__init__(message)
        if code:
            self.code = code
        self.file = file


class FormatError(SecureError):
    code = "format"


class SignatureError(SecureError):
    """A signature that does not verify under the key it claims."""

    code = "bad-signature"


class TrustError(SecureError):
    """Signed correctly, but by a key the verifier does not trust (uncertified, revoked)."""

    code = "untrusted"


class GrantError(SecureError):
    code = "grant"


class BindingError(SecureError):
    """A key that does not unwrap: the disk is not the one the licence was made for."""

    code = "wrong-disk"


class IntegrityError(SecureError):
    """An AEAD tag or a hash that does not match: the data was altered."""

    code = "altered"


class IdentityRefused(PressroomError):
    """A disk identity that must never be bound to (blank or placeholder serial)."""
