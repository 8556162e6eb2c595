"""Ticket codes: what the QR carries, signed with Ed25519 so a gate can check it with the public key alone.

Layout (91 bytes before encoding): version (1) | ticket id (16, the UUID) | session id (4) | seat id (4) |
issue number (2) | Ed25519 signature over the first 27 bytes (64). The bytes are written in RFC 4648
base32 without padding: only capital letters and digits 2-7, so the QR uses its compact alphanumeric
mode (146 characters, QR version 6 at error correction M).
"""
import base64
import binascii
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..config import write_once

VERSION = 1
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


def encode_bytes(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def encode(private_key: Ed25519PrivateKey, ticket_id: str, session_id: int, seat_id: int, issue: int) -> str:
    body = BODY.pack(VERSION, uuid.UUID(ticket_id).bytes, session_id, seat_id, issue)
    return encode_bytes(body + private_key.sign(body))


def verify(public_key: Ed25519PublicKey, code: str) -> TicketClaim:
    """Check the signature first; raise InvalidCode for anything not issued by the holder of the key."""
    text = (code or "").strip().upper()
    if len(text) > 200 or not text.isascii():
        raise InvalidCode("not a ticket code")
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        raise InvalidCode("not a ticket code")
    if len(raw) != CODE_BYTES or raw[0] != VERSION or encode_bytes(raw) != text:
        # the last check refuses other spellings of the same bytes (the unused bits of the last letter)
        raise InvalidCode("not a ticket code")
    body, signature = raw[:BODY.size], raw[BODY.size:]
    try:
        public_key.verify(signature, body)
    except InvalidSignature:
        raise InvalidCode("bad signature")
    _v, ticket, session_id, seat_id, issue = BODY.unpack(body)
    return TicketClaim(str(uuid.UUID(bytes=ticket)), session_id, seat_id, issue)


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
