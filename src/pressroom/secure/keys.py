"""Key pairs, signed envelopes, and the station's key store on disk.

Three roles (docs/FORMAT.md, "Keys"): the publisher (Ed25519) signs grants, station
certificates and revocation lists; the station (Ed25519) signs disk licences; the player
(X25519) receives each disk's media key. A key is named by its *key id*: the first 16
bytes of SHA-256 over its raw 32-byte public key.

Every signature covers a domain-separated message, ``b"pressroom/v1/" + type + b"\\0" +
kid + body``, so a signature made for one kind of object can never be replayed as another,
and the key id beside it cannot be altered either (signed objects are not malleable).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from pressroom.errors import SetupError, UsageError
from pressroom.secure import canonical
from pressroom.secure.errors import FormatError, SignatureError

DOMAIN = b"pressroom/v1/"
KEY_ID_LEN = 16


def key_id(raw_public: bytes) -> bytes:
    return hashlib.sha256(raw_public).digest()[:KEY_ID_LEN]


def raw_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Envelope:
    """A signed object: ``type`` names what the body is; ``kid`` names the signing key."""

    type: str
    body: bytes
    kid: bytes
    sig: bytes

    def to_bytes(self) -> bytes:
        return canonical.encode(
            {"type": self.type, "body": self.body, "kid": self.kid, "sig": self.sig}
        )

    @classmethod
    def from_bytes(cls, data: bytes, what: str, expected_type: str) -> Envelope:
        raw = canonical.expect_map(
            canonical.decode(data, what), what, ("type", "body", "kid", "sig")
        )
        env = cls(
            type=canonical.expect(raw["type"], str, f"{what} type"),
            body=canonical.expect(raw["body"], bytes, f"{what} body"),
            kid=canonical.expect(raw["kid"], bytes, f"{what} key id"),
            sig=canonical.expect(raw["sig"], bytes, f"{what} signature"),
        )
        if env.type != expected_type:
            raise FormatError(f"{what} is a {env.type!r} object, not a {expected_type!r}.")
        if len(env.kid) != KEY_ID_LEN or len(env.sig) != 64:
            raise FormatError(f"{what} has a key id or signature of the wrong length.")
        return env

    def verify(self, public: Ed25519PublicKey, what: str) -> None:
        try:
            public.verify(self.sig, _message(self.type, self.kid, self.body))
        except InvalidSignature:
            raise SignatureError(f"The signature on the {what} does not verify.") from None


def _message(type_: str, kid: bytes, body: bytes) -> bytes:
    return DOMAIN + type_.encode("ascii") + b"\0" + kid + body


def sign(private: Ed25519PrivateKey, type_: str, body: bytes) -> Envelope:
    kid = key_id(raw_public(private.public_key()))
    return Envelope(type=type_, body=body, kid=kid, sig=private.sign(_message(type_, kid, body)))


def ed25519_public_from_raw(raw: bytes, what: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise FormatError(f"{what} is not a valid Ed25519 public key.") from None


# --- files -------------------------------------------------------------------------------

PRIVATE_MODE = 0o600


def _write_private(path: Path, data: bytes, *, overwrite: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(path, flags, PRIVATE_MODE)
    except FileExistsError:
        raise UsageError(f"{path} already exists; refusing to overwrite a key.") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(path, PRIVATE_MODE)


def _write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _pem_private(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pem_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _load_private(path: Path) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        if path.stem == "player":
            raise SetupError(
                f"No player private key at {path}: this station holds only the player's public "
                "key (enough to make disks); checking a disk's tracks needs the player "
                "itself ('pressroom play' on a player, or 'pressroom keys init --demo' on a "
                "trial station)."
            ) from None
        raise SetupError(
            f"No {path.stem} key at {path}; run 'pressroom keys init' first."
        ) from None
    except ValueError as exc:
        raise SetupError(f"{path} is not a valid private key file ({exc}).") from None


def _load_public(path: Path) -> PublicKeyTypes:
    try:
        return serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError:
        raise SetupError(f"No public key at {path}; run 'pressroom keys init' first.") from None
    except ValueError as exc:
        raise SetupError(f"{path} is not a valid public key file ({exc}).") from None


def _wrong_kind(path: Path) -> SetupError:
    return SetupError(f"{path} holds the wrong kind of key.")


def _load_ed25519_private(path: Path) -> Ed25519PrivateKey:
    key = _load_private(path)
    if not isinstance(key, Ed25519PrivateKey):
        raise _wrong_kind(path)
    return key


def _load_x25519_private(path: Path) -> X25519PrivateKey:
    key = _load_private(path)
    if not isinstance(key, X25519PrivateKey):
        raise _wrong_kind(path)
    return key


def _load_ed25519_public(path: Path) -> Ed25519PublicKey:
    key = _load_public(path)
    if not isinstance(key, Ed25519PublicKey):
        raise _wrong_kind(path)
    return key


def _load_x25519_public(path: Path) -> X25519PublicKey:
    key = _load_public(path)
    if not isinstance(key, X25519PublicKey):
        raise _wrong_kind(path)
    return key


class KeyStore:
    """The station's keys directory.

    Layout (all private files mode 0600, the directory 0700)::

        station.key / station.pub   Ed25519, signs disk licences
        station.cert                station certificate (publisher-signed envelope)
        player.key / player.pub     X25519 (a demo player's; real players hold their own)
        publisher.key               Ed25519, only on demo stations: signs grants and certs
        trust/<kid>.pub             publisher public keys this station and its player trust
        revocations.cbor            newest revocation list seen
    """

    def __init__(self, root: Path):
        self.root = Path(root)

    # paths
    @property
    def station_key_path(self) -> Path:
        return self.root / "station.key"

    @property
    def station_cert_path(self) -> Path:
        return self.root / "station.cert"

    @property
    def player_key_path(self) -> Path:
        return self.root / "player.key"

    @property
    def player_pub_path(self) -> Path:
        return self.root / "player.pub"

    @property
    def publisher_key_path(self) -> Path:
        return self.root / "publisher.key"

    @property
    def trust_dir(self) -> Path:
        return self.root / "trust"

    @property
    def revocations_path(self) -> Path:
        return self.root / "revocations.cbor"

    # creation
    def init_station(self) -> bytes:
        """Create the station key pair; returns its key id. Never overwrites."""
        key = Ed25519PrivateKey.generate()
        _write_private(self.station_key_path, _pem_private(key), overwrite=False)
        _write_public(self.root / "station.pub", _pem_public(key.public_key()))
        return key_id(raw_public(key.public_key()))

    def init_publisher(self) -> bytes:
        key = Ed25519PrivateKey.generate()
        _write_private(self.publisher_key_path, _pem_private(key), overwrite=False)
        self.add_trusted_publisher(key.public_key())
        return key_id(raw_public(key.public_key()))

    def init_player(self) -> bytes:
        key = X25519PrivateKey.generate()
        _write_private(self.player_key_path, _pem_private(key), overwrite=False)
        _write_public(self.player_pub_path, _pem_public(key.public_key()))
        return key_id(raw_public(key.public_key()))

    def install_player_public(self, public: X25519PublicKey) -> bytes:
        """Install the player's public key (disk keys are wrapped to it); returns its id.

        Refused when a different player key is already installed: disks made for one
        player would not play on the other."""
        kid = key_id(raw_public(public))
        if self.player_pub_path.exists():
            current = key_id(raw_public(self.player_public()))
            if current != kid:
                raise SetupError(
                    f"A different player key ({current.hex()[:16]}) is installed at "
                    f"{self.player_pub_path}; remove it first if the player really changed."
                )
            return kid
        _write_public(self.player_pub_path, _pem_public(public))
        return kid

    def add_trusted_publisher(self, public: Ed25519PublicKey) -> bytes:
        kid = key_id(raw_public(public))
        _write_public(self.trust_dir / f"{kid.hex()}.pub", _pem_public(public))
        return kid

    def save_station_cert(self, envelope: Envelope) -> None:
        _write_public(self.station_cert_path, envelope.to_bytes())

    # loading
    def has_station(self) -> bool:
        return self.station_key_path.exists()

    def has_publisher(self) -> bool:
        return self.publisher_key_path.exists()

    def has_player(self) -> bool:
        return self.player_key_path.exists()

    def has_player_public(self) -> bool:
        """Disks can be made (wrapped to the player) with only the public key."""
        return self.player_pub_path.exists()

    def station_key(self) -> Ed25519PrivateKey:
        return _load_ed25519_private(self.station_key_path)

    def publisher_key(self) -> Ed25519PrivateKey:
        return _load_ed25519_private(self.publisher_key_path)

    def player_key(self) -> X25519PrivateKey:
        return _load_x25519_private(self.player_key_path)

    def player_public(self) -> X25519PublicKey:
        return _load_x25519_public(self.player_pub_path)

    def station_cert_bytes(self) -> bytes:
        try:
            return self.station_cert_path.read_bytes()
        except FileNotFoundError:
            raise SetupError(
                "This station has no certificate; run 'pressroom keys init --demo' or "
                "import one from the publisher."
            ) from None

    def trusted_publishers(self) -> dict[bytes, Ed25519PublicKey]:
        keys: dict[bytes, Ed25519PublicKey] = {}
        if self.trust_dir.is_dir():
            for path in sorted(self.trust_dir.glob("*.pub")):
                pub = _load_ed25519_public(path)
                keys[key_id(raw_public(pub))] = pub
        return keys

    def station_id(self) -> bytes:
        return key_id(raw_public(self.station_key().public_key()))

    def watermark_key(self) -> bytes:
        """The secret that keys this station's forensic watermark patterns and check bits.

        Derived from the station's private key (so a key backup restores it, and nothing
        on a disk reveals it); ``pressroom trace`` needs it to read a mark.
        """
        raw = self.station_key().private_bytes_raw()
        return hashlib.sha256(b"pressroom-watermark-key-v1" + raw).digest()

    def revocations_bytes(self) -> bytes | None:
        try:
            return self.revocations_path.read_bytes()
        except FileNotFoundError:
            return None

    def write_revocations(self, data: bytes) -> None:
        """Store a revocation list as it is; :func:`pressroom.secure.cert.install_revocations`
        decides whether it may replace the stored one."""
        _write_public(self.revocations_path, data)
