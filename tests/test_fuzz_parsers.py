"""Hypothesis on the two parsers that read what outsiders hand us (issue 14, item 6): the seating-map parser
(an admin's upload, ``ticketing.seating.mapfile``) and the ticket-code parser (whatever a gate's camera
reads, ``ticketing.tickets.codes``). Whatever the input, they answer with a map or a clear error (MapError
naming what is wrong and where; InvalidCode), never another exception.

Bounded: FUZZ_EXAMPLES_PARSERS examples per property (150 by default), a few seconds each."""
import copy
import json
import os
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, SMALL_MAP
from ticketing.seating.mapfile import MapError, SeatingPlan, parse_map
from ticketing.tickets import codes

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES_PARSERS", 150))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# --- ticket codes --------------------------------------------------------------------------------------------------

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()
KEYS = {0: KEY.public_key(), 3: OTHER.public_key()}
GENUINE = codes.encode(KEY, str(uuid.UUID(int=7)), 12, 345, 1)
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _verify_or_refuse(text):
    """verify() either returns a claim or raises InvalidCode; anything else is a crash."""
    try:
        return codes.verify(KEYS, text)
    except codes.InvalidCode as err:
        assert str(err), "an InvalidCode says why"
        return None


@FUZZ
@given(st.one_of(st.text(), st.text(alphabet=BASE32, min_size=140, max_size=150),
                 st.binary(min_size=0, max_size=120).map(codes.encode_bytes)))
def test_any_text_is_a_claim_or_invalid_code(text):
    assert _verify_or_refuse(text) is None  # nothing but a code we signed verifies


@FUZZ
@given(st.integers(0, len(GENUINE) - 1), st.sampled_from(BASE32 + "01=ก \x00"))
def test_a_changed_character_never_verifies(position, letter):
    changed = GENUINE[:position] + letter + GENUINE[position + 1:]
    claim = _verify_or_refuse(changed)
    assert claim is None or changed.upper() == GENUINE, (position, letter)


@FUZZ
@given(st.uuids(), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(0, 2**16 - 1),
       st.sampled_from([0, 3]), st.sampled_from(["", " ", "\n"]), st.booleans())
def test_genuine_codes_read_back_in_any_case_and_spacing(ticket, session_id, seat_id, issue, key_id, space, lower):
    key = KEY if key_id == 0 else OTHER
    code = codes.encode(key, str(ticket), session_id, seat_id, issue, key_id=key_id)
    claim = codes.verify(KEYS, space + (code.lower() if lower else code) + space)
    assert (claim.ticket_id, claim.session_id, claim.seat_id, claim.issue, claim.key_id) == (
        str(ticket), session_id, seat_id, issue, key_id)
    with pytest.raises(codes.InvalidCode):  # signed by a key that is not the one the code names
        codes.verify({key_id: (OTHER if key is KEY else KEY).public_key()}, code)


# --- seating maps --------------------------------------------------------------------------------------------------

EXAMPLE = json.loads((ROOT / "seating_maps" / "candle-grandstand.example.json").read_text(encoding="utf-8"))
PRETIX = json.loads((ROOT / "seating_maps" / "pretix-small.example.json").read_text(encoding="utf-8"))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)


def _parse(raw) -> SeatingPlan | None:
    """parse_map either returns a plan or raises MapError whose every problem says what is wrong."""
    try:
        return parse_map(raw, max_seats=5_000)
    except MapError as err:
        assert err.problems, "a MapError lists its problems"
        for problem in err.problems:
            assert isinstance(problem.message, str) and problem.message.strip(), problem
            assert isinstance(problem.path, str)
        return None


def _leaves(doc, path=()):
    """Every place in a document (dict key or list index paths) where a value sits."""
    yield path
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from _leaves(value, path + (i,))


def _mutate(doc, path, value, delete):
    doc = copy.deepcopy(doc)
    if not path:
        return value
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    elif delete and isinstance(parent, list):
        parent.pop(path[-1])
    else:
        parent[path[-1]] = value
    return doc


def _mutations(base):
    places = list(_leaves(base))
    return st.tuples(st.sampled_from(places), JSON_VALUES, st.booleans()).map(lambda t: _mutate(base, *t))


@FUZZ
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300), JSON_VALUES.map(json.dumps)))
def test_any_file_is_a_map_or_a_map_error(app, raw):
    _parse(raw)


@FUZZ
@given(st.one_of(_mutations(SMALL_MAP), _mutations(EXAMPLE), _mutations(PRETIX)))
def test_a_map_with_one_thing_changed_is_a_map_or_a_map_error(app, doc):
    plan = _parse(json.dumps(doc))
    if plan is not None:
        assert plan.stands and plan.categories


@FUZZ
@given(st.sampled_from([SMALL_MAP, EXAMPLE, PRETIX]), st.integers(0, 100_000), st.binary(max_size=8))
def test_a_cut_or_spliced_file_is_a_map_or_a_map_error(app, doc, where, junk):
    raw = json.dumps(doc, ensure_ascii=False).encode()
    where %= len(raw) + 1
    _parse(raw[:where])
    _parse(raw[:where] + junk + raw[where:])


def test_files_the_probe_tried(app):
    """Deep nesting, a huge number, NUL, a byte-order mark, an empty file: each a MapError, none a crash."""
    for raw in ("[" * 100_000 + "]" * 100_000, '{"format": "ubon-candle-seating/1", "name": %s}' % ("9" * 5000),
                '{"format": "ubon-candle-seating/1\u0000"}', "\ufeff{}", "", b"\xff\xfe\x00", "null",
                json.dumps({**SMALL_MAP, "stands": [SMALL_MAP["stands"][0]] * 2})):
        assert _parse(raw) is None, raw[:80]
    assert _parse(json.dumps(SMALL_MAP)) is not None
