"""Ticket codes: what the QR carries, signed with Ed25519 so a gate can check it with the public key alone.

Layout (91 bytes before encoding): key and version (1) | ticket id (16, the UUID) | session id (4) |
seat id (4) | issue number (2) | Ed25519 signature over the first 27 bytes (64). The first byte holds the
signing key's id in its high four bits and the format version (1) in its low four, so codes made before
keys could rotate (first byte 1) are codes of key 0. The bytes are written in RFC 4648 base32 without
padding: only capital letters and digits 2-7, so the QR uses its compact alphanumeric mode (146
characters, QR version 6 at error correction M).

**Keys rotate** (``rotate``): the keyring holds up to 16 keys by id, one of them current (signing new
codes); every key in it is accepted, so codes already printed keep scanning. A key leaves the keyring
only when retired on purpose (``retire``). Before the first rotation the keyring is the single key file
of earlier versions, as key 0.
"""
import base64
import binascii
import json
import os
import secrets
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..config import write_once

VERSION = 1
#: key ids fit in the first byte's high four bits
KEY_IDS = range(16)
BODY = struct.Struct(">B16sIIH")
SIGNATURE_BYTES = 64
CODE_BYTES = BODY.size + SIGNATURE_BYTES


class InvalidCode(ValueError):
    """Not a ticket code of ours: unreadable, wrong length or version, or a bad signature."""


@dataclass(frozen=True)
class TicketClaim:
    """What a genuine code says."""
    ticket_id: str
    session_id: int
    seat_id: int
    issue: int
    #: the id of the key that signed it
    key_id: int = 0


def encode_bytes(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def encode(private_key: Ed25519PrivateKey, ticket_id: str, session_id: int, seat_id: int, issue: int,
           key_id: int = 0) -> str:
    if key_id not in KEY_IDS:
        raise ValueError(f"key id {key_id} is not 0-15")
    body = BODY.pack(key_id << 4 | VERSION, uuid.UUID(ticket_id).bytes, session_id, seat_id, issue)
    return encode_bytes(body + private_key.sign(body))


def verify(public_keys: Ed25519PublicKey | Mapping[int, Ed25519PublicKey], code: str) -> TicketClaim:
    """Check the signature first; raise InvalidCode for anything not issued by the holder of a key.
    ``public_keys``: every accepted key by id (the code names its key), or one key for any id."""
    text = (code or "").strip().upper()
    if len(text) > 200 or not text.isascii():
        raise InvalidCode("not a ticket code")
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        raise InvalidCode("not a ticket code")
    if len(raw) != CODE_BYTES or raw[0] & 0x0F != VERSION or encode_bytes(raw) != text:
        # the last check refuses other spellings of the same bytes (the unused bits of the last letter)
        raise InvalidCode("not a ticket code")
    key_id = raw[0] >> 4
    public_key = public_keys.get(key_id) if isinstance(public_keys, Mapping) else public_keys
    if public_key is None:
        raise InvalidCode("unknown key")
    body, signature = raw[:BODY.size], raw[BODY.size:]
    try:
        public_key.verify(signature, body)
    except InvalidSignature:
        raise InvalidCode("bad signature")
    _v, ticket, session_id, seat_id, issue = BODY.unpack(body)
    return TicketClaim(str(uuid.UUID(bytes=ticket)), session_id, seat_id, issue, key_id)


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The signing key, made on first run and kept outside the repository (0600)."""
    pem = write_once(path, lambda: Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def public_pem(private_key: Ed25519PrivateKey) -> str:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _pem(private_key: Ed25519PrivateKey) -> str:
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()


def _private(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


@dataclass
class Keyring:
    """The ticket signing keys by id; ``current`` signs new codes, every one verifies."""
    current: int
    keys: dict[int, Ed25519PrivateKey]
    created: dict[int, str] = field(default_factory=dict)

    @property
    def signing_key(self) -> Ed25519PrivateKey:
        return self.keys[self.current]

    def public_keys(self) -> dict[int, Ed25519PublicKey]:
        if not hasattr(self, "_public"):
            self._public = {kid: key.public_key() for kid, key in self.keys.items()}
        return self._public

    def public_pems(self) -> dict[int, str]:
        return {kid: public_pem(key) for kid, key in sorted(self.keys.items())}


def load_keyring(keyring_path: Path, legacy_key_path: Path) -> Keyring:
    """The keyring file if there is one, else the single key file of earlier versions as key 0 (made on
    first run)."""
    if keyring_path.exists():
        data = json.loads(keyring_path.read_text())
        keys = {int(k["id"]): _private(k["private_key_pem"]) for k in data["keys"]}
        if data["current"] not in keys or not set(keys) <= set(KEY_IDS):
            raise ValueError(f"{keyring_path}: the current key is missing or a key id is not 0-15")
        return Keyring(data["current"], keys, {int(k["id"]): k.get("created_at", "") for k in data["keys"]})
    return Keyring(0, {0: load_or_create_key(legacy_key_path)})


def _save(keyring: Keyring, path: Path) -> None:
    """Write the keyring (0600), replacing the file in one step so that no reader sees half of it."""
    data = {"current": keyring.current, "keys": [
        {"id": kid, "created_at": keyring.created.get(kid, ""), "private_key_pem": _pem(key)}
        for kid, key in sorted(keyring.keys.items())]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=1)
    os.replace(tmp, path)


def rotate(keyring_path: Path, legacy_key_path: Path) -> Keyring:
    """Make a new key the current one; the others stay accepted. Raises ValueError when all 16 ids are
    taken (retire an old key first)."""
    keyring = load_keyring(keyring_path, legacy_key_path)
    free = [kid for kid in KEY_IDS if kid not in keyring.keys]
    if not free:
        raise ValueError("all 16 key ids are in use: retire an old key first")
    # the next id after the current one, so that a retired key's id comes back as late as possible
    new = min(free, key=lambda kid: (kid - keyring.current) % len(KEY_IDS))
    keyring.keys[new] = Ed25519PrivateKey.generate()
    keyring.created[new] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    keyring.current = new
    _save(keyring, keyring_path)
    return keyring


def retire(keyring_path: Path, legacy_key_path: Path, key_id: int) -> Keyring:
    """Stop accepting key ``key_id``: codes it signed no longer scan. The current key cannot be retired."""
    keyring = load_keyring(keyring_path, legacy_key_path)
    if key_id not in keyring.keys:
        raise ValueError(f"there is no key {key_id}")
    if key_id == keyring.current:
        raise ValueError(f"key {key_id} signs new tickets: rotate first")
    del keyring.keys[key_id]
    keyring.created.pop(key_id, None)
    _save(keyring, keyring_path)
    return keyring
