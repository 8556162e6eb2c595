"""Signed ticket codes: genuine ones verify, altered, foreign, revoked and void ones do not."""
import random
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ticketing.tickets import codes

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


def test_round_trip_and_size(key):
    ticket = str(uuid.uuid4())
    code = codes.encode(key, ticket, 3, 2338, 2)
    assert len(code) == 146 and set(code) <= set(ALPHABET)
    assert codes.verify(key.public_key(), code) == codes.TicketClaim(ticket, 3, 2338, 2)
    assert codes.verify(key.public_key(), code.lower()) == codes.TicketClaim(ticket, 3, 2338, 2)  # a scanner's case


def test_every_single_character_change_of_1000_codes_fails(key):
    rnd = random.Random(42)
    public = key.public_key()
    genuine = [codes.encode(key, str(uuid.UUID(int=rnd.getrandbits(128))), rnd.randint(1, 99), rnd.randint(1, 3000),
                            rnd.randint(1, 5)) for _ in range(1000)]
    accepted = checked = 0
    for code in genuine:
        for i, ch in enumerate(code):
            forged = code[:i] + rnd.choice(ALPHABET.replace(ch, "")) + code[i + 1:]
            checked += 1
            try:
                codes.verify(public, forged)
                accepted += 1
            except codes.InvalidCode:
                pass
    assert (checked, accepted) == (146_000, 0)


def test_other_key_and_garbage(key):
    other = Ed25519PrivateKey.generate()
    code = codes.encode(other, str(uuid.uuid4()), 1, 1, 1)
    with pytest.raises(codes.InvalidCode):
        codes.verify(key.public_key(), code)
    for garbage in ["", "HELLO", "1" * 146, code[:-1], code + "A", "é" * 146, "A" * 10_000, None]:
        with pytest.raises(codes.InvalidCode):
            codes.verify(key.public_key(), garbage)


def test_key_file_is_made_once(tmp_path):
    path = tmp_path / "k.pem"
    first = codes.load_or_create_key(path)
    second = codes.load_or_create_key(path)
    assert codes.public_pem(first) == codes.public_pem(second)
    assert oct(path.stat().st_mode)[-3:] == "600"
