"""The seating-map file format: good files parse, every bad file says what is wrong and where."""
import copy
import json
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from ticketing.seating.mapfile import MAX_PROBLEMS, MapError, Problem, jsonload, native, parse_map
from ticketing.seating.mapfile.checks import overlap_problems
from ticketing.seating.mapfile.native import count_up
from ticketing.seating.mapfile.spec import DraftPlan, ProblemList, SeatSpec

MAPS = Path(__file__).resolve().parents[1] / "seating_maps"
NAME = {"th": "ชื่อ", "en": "Name"}


def native_doc(rows=None, blocks=None) -> dict:
    """A valid native map with one stand and one section holding ``rows`` and ``blocks``."""
    section = {"code": "A1", "name": NAME}
    if rows is not None:
        section["rows"] = rows
    if blocks is not None:
        section["blocks"] = blocks
    return {"format": "ubon-candle-seating/1", "name": NAME, "seat_radius": 4,
            "categories": [{"code": "vip", "name": NAME, "color": "#c8102e", "price_satang": 80000},
                           {"code": "front", "name": NAME, "color": "#1F4E9E", "price_satang": 150000}],
            "stands": [{"code": "A", "name": NAME, "sections": [section]}]}


def row(label, *xs, y=4, category="vip"):
    return {"label": label, "category": category,
            "seats": [{"label": str(i + 1), "x": x, "y": y} for i, x in enumerate(xs)]}


def block(**fields):
    """A block whose front-left seat is at 4,4: with seat radius 4 the plan keeps its coordinates."""
    return {"rows": 1, "seats_per_row": 5, "origin": {"x": 4, "y": 4}, "seat_pitch": 10, "row_pitch": 12,
            "category": "vip", **fields}


def block_without_rows(**fields):
    b = block(**fields)
    del b["rows"]
    return b


def pretix_doc() -> dict:
    return json.loads((MAPS / "pretix-small.example.json").read_text(encoding="utf-8"))


def problems_of(doc, **limits) -> list[tuple[str, str]]:
    raw = doc if isinstance(doc, (str, bytes)) else json.dumps(doc)
    with pytest.raises(MapError) as info:
        parse_map(raw, **limits)
    return [(p.path, p.message) for p in info.value.problems]


def seats_of(doc) -> list[tuple[str, str, float, float]]:
    return [(s.row_label, s.label, s.x, s.y) for s in parse_map(json.dumps(doc)).seats]


# -- good files ------------------------------------------------------------------------------

def test_example_map_parses():
    plan = parse_map((MAPS / "candle-grandstand.example.json").read_bytes())
    assert plan.is_example and "Example" in plan.name_en and "ตัวอย่าง" in plan.name_th
    assert 2000 <= len(plan.seats) <= 3000
    assert [c.code for c in plan.categories] == ["vip-front", "vip", "vip-table"]
    assert all(isinstance(c.price_satang, int) for c in plan.categories)
    assert Counter(s.category_code for s in plan.seats) == {"vip-front": 372, "vip": 1854, "vip-table": 112}
    assert [s.code for s in plan.stands] == ["A", "B", "VT", "C"]
    assert min(s.x for s in plan.seats) == min(s.y for s in plan.seats) == plan.seat_radius
    assert plan.width == max(s.x for s in plan.seats) + plan.seat_radius
    tables = {s.row_label for s in plan.seats if s.category_code == "vip-table"}
    assert tables == {f"T{n}" for n in range(1, 17)}


def test_example_map_and_schema_agree():
    schema = json.loads((MAPS / "schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    example = json.loads((MAPS / "candle-grandstand.example.json").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(example)) == []


def test_pretix_example_parses():
    plan = parse_map((MAPS / "pretix-small.example.json").read_text(encoding="utf-8"))
    assert len(plan.seats) == 30 and plan.seat_radius == 10
    assert [(s.code, s.name_en) for s in plan.stands] == [("stalls", "Stalls"), ("balcony", "Balcony")]  # no stage
    assert [(c.code, c.name_th, c.color, c.price_satang) for c in plan.categories] == [
        ("front", "Front", "#c8102e", 0), ("standard", "Standard", "#1f4e9e", 0)]
    row3 = [s for s in plan.seats if s.section_code == "stalls" and s.row_label == "3"]
    assert [s.label for s in row3] == [str(n) for n in range(1, 9)]  # two pretix segments, one row
    assert {s.row_index for s in row3} == {2}
    assert row3[4].x - row3[3].x == 50  # segment at row x 125: absolute = zone + row + seat
    balcony = plan.seats[-6]
    assert (balcony.x - plan.seats[0].x, balcony.y - plan.seats[0].y) == (30, 160)


def test_text_bytes_and_byte_order_mark_read_the_same():
    text = json.dumps(native_doc(rows=[row("1", 4, 14)]), ensure_ascii=False)
    plans = [parse_map(text), parse_map(text.encode()), parse_map(b"\xef\xbb\xbf" + text.encode())]
    assert plans[0] == plans[1] == plans[2]


# -- blocks ----------------------------------------------------------------------------------

def test_block_numbers_left_to_right_by_default():
    assert seats_of(native_doc(blocks=[block()])) == [("1", str(n), 4 + 10 * (n - 1), 4) for n in range(1, 6)]


def test_block_numbers_right_to_left():
    seats = seats_of(native_doc(blocks=[block(numbering="right-to-left", first_seat=11)]))
    assert [label for _, label, _, _ in seats] == ["11", "12", "13", "14", "15"]
    assert {label: x for _, label, x, _ in seats} == {"15": 4, "14": 14, "13": 24, "12": 34, "11": 44}


def test_aisle_adds_one_pitch_right_of_the_seat():
    xs = {label: x for _, label, x, _ in seats_of(native_doc(blocks=[block(aisles_after=[2])]))}
    assert xs == {"1": 4, "2": 14, "3": 34, "4": 44, "5": 54}


def test_aisle_is_counted_in_drawing_order_when_numbering_right_to_left():
    seats = seats_of(native_doc(blocks=[block(numbering="right-to-left", aisles_after=[2])]))
    assert {label: x for _, label, x, _ in seats} == {"5": 4, "4": 14, "3": 24, "2": 34, "1": 54}


def test_gaps_leave_their_place_empty():
    seats = seats_of(native_doc(blocks=[block(rows=2, gaps=[2, 4])]))
    assert [(r, label, x) for r, label, x, _ in seats] == [
        ("1", "1", 4), ("1", "3", 24), ("1", "5", 44), ("2", "1", 4), ("2", "3", 24), ("2", "5", 44)]


def test_letter_rows_count_past_z_and_go_back_by_row_pitch():
    plan = parse_map(json.dumps(native_doc(blocks=[block(rows=4, first_row="Y", seats_per_row=1)])))
    assert [(s.row_label, s.row_index, s.y) for s in plan.seats] == [
        ("Y", 0, 4), ("Z", 1, 16), ("AA", 2, 28), ("AB", 3, 40)]


def test_numeric_rows_keep_zero_padding():
    assert count_up("1", 3) == ["1", "2", "3"]
    assert count_up("08", 3) == ["08", "09", "10"]
    assert count_up("y", 3) == ["y", "z", "aa"]
    assert count_up("AZ", 2) == ["AZ", "BA"]


def test_negative_row_pitch_stacks_rows_upwards():
    seats = seats_of(native_doc(blocks=[block(rows=2, seats_per_row=1, row_pitch=-12)]))
    assert [(r, y) for r, _, _, y in seats] == [("1", 16), ("2", 4)]  # shifted so the top seat is at y=4


def test_row_labels_list_instead_of_counting():
    seats = seats_of(native_doc(blocks=[block_without_rows(row_labels=["AA", "BB"], seats_per_row=1)]))
    assert [r for r, _, _, _ in seats] == ["AA", "BB"]


def test_explicit_rows_come_first_and_a_block_may_continue_a_row():
    doc = native_doc(rows=[row("A", 4, 14)],
                     blocks=[block(first_row="A", rows=2, seats_per_row=2, first_seat=3, origin={"x": 34, "y": 4})])
    plan = parse_map(json.dumps(doc))
    assert [(s.row_label, s.row_index, s.label) for s in plan.seats] == [
        ("A", 0, "1"), ("A", 0, "2"), ("A", 0, "3"), ("A", 0, "4"), ("B", 1, "3"), ("B", 1, "4")]


def test_seat_category_overrides_its_row():
    doc = native_doc(rows=[row("1", 4, 14)])
    doc["stands"][0]["sections"][0]["rows"][0]["seats"][1]["category"] = "front"
    assert [s.category_code for s in parse_map(json.dumps(doc)).seats] == ["vip", "front"]


def test_unused_category_is_fine():
    assert len(parse_map(json.dumps(native_doc(rows=[row("1", 4)]))).categories) == 2


# -- bad files: the file itself --------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    (b"", "the file is empty"),
    ("  \n\t ", "the file is empty"),
    ('{"format": "ubon-candle-seating/1",\n  "name": }', "the file is not valid JSON at line 2, character 11: "
     "a value is missing here (or there is a comma too many, or text without quotes)"),
    ('{"format": "ubon-candle-seating/1" "name": 1}', "the file is not valid JSON at line 1, character 36: "
     "a comma is missing between two entries"),
    ("[1, 2]", "the top level must be a JSON object {…}, not a list […]"),
    ('{"x": NaN}', "not valid JSON: NaN is not a number JSON allows"),
    (b'{"name": "\xff"}', "the file is not UTF-8 text (bad byte at offset 10)"),
])
def test_unreadable_files(raw, expected):
    assert problems_of(raw) == [("", expected)]


def test_unknown_or_missing_format():
    assert problems_of({"format": "seats/9"}) == [
        ("format", 'unknown format "seats/9"; expected "ubon-candle-seating/1"')]
    [(path, message)] = problems_of({"name": "x"})
    assert path == "" and message.startswith('missing "format"')


class NeverDecoded(bytes):
    """File content that fails the test if it is copied for decoding (the reader does bytes(raw).decode())."""

    def __bytes__(self):
        pytest.fail("the file was decoded")


class NeverEncoded(str):
    """Text that fails the test if it is encoded to measure its size in bytes."""

    def encode(self, *args, **kwargs):
        pytest.fail("the text was encoded")


def test_file_over_the_size_limit_is_refused_before_decoding_or_parsing(monkeypatch):
    monkeypatch.setattr(jsonload.json, "loads", lambda *a, **k: pytest.fail("the file was parsed"))
    raw = NeverDecoded(b"{" + b" " * 5_000_000 + b"}")
    assert problems_of(raw) == [("", "the file is larger than the limit of 5,000,000 bytes")]
    # More characters than bytes allowed: too large whatever the encoding, so it is not encoded.
    assert problems_of(NeverEncoded("x" * 101), max_bytes=100) == [
        ("", "the file is larger than the limit of 100 bytes")]


@pytest.mark.parametrize("raw", ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000])
def test_deep_nesting_is_refused_without_crashing(raw):
    assert problems_of(raw) == [("", "the data is nested deeper than a seating map allows")]


def test_repeated_json_key():
    text = json.dumps(native_doc(rows=[row("1", 4)])).replace('"code": "A",', '"code": "A", "code": "B",')
    assert problems_of(text) == [("stands[0]", 'the field "code" is given twice')]


# -- bad files: structure --------------------------------------------------------------------

def test_wrong_types_missing_and_unknown_fields_name_their_paths():
    doc = native_doc(rows=[row("1", 4, 14)], blocks=[block(seats_per_row="5")])
    section = doc["stands"][0]["sections"][0]
    section["rows"][0]["seats"][1]["x"] = "14"
    del section["rows"][0]["label"]
    doc["stands"][0]["colour"] = "red"
    doc["example"] = "yes"
    assert problems_of(doc) == [
        ("example", "must be true or false, not a text in quotes"),
        ("stands[0]", 'unknown field "colour"'),
        ("stands[0].sections[0].blocks[0].seats_per_row", "must be a whole number, not a text in quotes"),
        ("stands[0].sections[0].rows[0]", 'missing required field "label"'),
        ("stands[0].sections[0].rows[0].seats[1].x", "must be a number, not a text in quotes"),
    ]


@pytest.mark.parametrize("price, expected", [
    (-100, "a price cannot be negative"),
    (150.5, "a price is a whole number of satang (150000 = 1,500 baht), not 150.5"),
    (150.0, "a price is a whole number of satang (150000 = 1,500 baht), not 150.0"),
    ("1500", 'a price is a whole number of satang (150000 = 1,500 baht), not "1500"'),
])
def test_bad_prices(price, expected):
    doc = native_doc(rows=[row("1", 4)])
    doc["categories"][1]["price_satang"] = price
    assert problems_of(doc) == [("categories[1].price_satang", expected)]


def test_bad_colour_and_code():
    doc = native_doc(rows=[row("1", 4)])
    doc["categories"][0]["color"] = "red"
    doc["stands"][0]["code"] = "A 1"
    assert problems_of(doc) == [
        ("categories[0].color", 'a colour is written "#rrggbb", e.g. "#c8102e"'),
        ("stands[0].code", 'a code is letters, digits, "-" and "_", starting with a letter or digit'),
    ]


def test_block_size_is_capped_by_the_schema():
    assert problems_of(native_doc(blocks=[block(rows=501)])) == [
        ("stands[0].sections[0].blocks[0].rows", "must be at most 500")]


def test_block_bomb_is_refused_before_expansion(monkeypatch):
    monkeypatch.setattr(native, "_expand_block", lambda *a: pytest.fail("a block was expanded"))
    assert problems_of(native_doc(blocks=[block(rows=500, seats_per_row=500)] * 40)) == [
        ("", "the map would have 10,000,000 seats; the limit is 50,000")]


def test_seat_limit_is_inclusive():
    doc = native_doc(blocks=[block(rows=2, seats_per_row=5, gaps=[3])])
    assert len(parse_map(json.dumps(doc), max_seats=8).seats) == 8
    assert problems_of(doc, max_seats=7) == [("", "the map would have 8 seats; the limit is 7")]


# -- bad files: meaning ----------------------------------------------------------------------

def test_duplicate_seat_label_in_a_row():
    doc = native_doc(rows=[row("1", 4), row("2", 4, 14, y=20)])
    doc["stands"][0]["sections"][0]["rows"][1]["seats"][1]["label"] = "1"
    assert problems_of(doc) == [("stands[0].sections[0].rows[1]", 'duplicate seat label "1"')]


def test_duplicate_seat_label_from_a_block_names_the_row():
    doc = native_doc(rows=[row("A", 4, 14)],
                     blocks=[block(first_row="A", seats_per_row=2, first_seat=2, origin={"x": 34, "y": 4})])
    assert problems_of(doc) == [("stands[0].sections[0].blocks[0]", 'duplicate seat label "2" in row "A"')]


def test_duplicate_codes_and_row_labels():
    doc = native_doc(rows=[row("1", 4), row("1", 4, y=20)])
    doc["categories"][1]["code"] = "vip"
    doc["stands"].append(copy.deepcopy(doc["stands"][0]))
    doc["stands"][1]["sections"][0]["rows"][0]["seats"][0]["x"] = 100
    assert problems_of(doc) == [
        ("categories[1]", 'duplicate category code "vip"'),
        ("stands[0].sections[0].rows[1]", 'duplicate row label "1"'),
        ("stands[1]", 'duplicate stand code "A"'),
        ("stands[1].sections[0]", 'duplicate section code "A1"'),
        ("stands[1].sections[0].rows[1]", 'duplicate row label "1"'),
    ]


def test_unknown_category_is_reported_where_it_is_named():
    doc = native_doc(rows=[row("1", 4, 14, category="gold"), row("2", 4, y=20, category=None)],
                     blocks=[block(category="silver", first_row="3", origin={"x": 4, "y": 40})])
    rows = doc["stands"][0]["sections"][0]["rows"]
    del rows[1]["category"]
    rows[0]["seats"][1]["category"] = "bronze"
    assert problems_of(doc) == [
        ("stands[0].sections[0].rows[0]", 'unknown category "gold"'),
        ("stands[0].sections[0].rows[0].seats[1]", 'unknown category "bronze"'),
        ("stands[0].sections[0].rows[1].seats[0]", 'no category: set "category" on the seat or on its row'),
        ("stands[0].sections[0].blocks[0]", 'unknown category "silver"'),
    ]


def test_overlapping_seats_name_both():
    doc = native_doc(rows=[row("1", 4, 11, 30)], blocks=[block(first_row="2", seats_per_row=2, origin={"x": 36, "y": 4})])
    assert problems_of(doc) == [
        ("stands[0].sections[0].rows[0].seats[1]",
         'seat "2" of row "1" overlaps seat "1" of row "1" at stand 1, section 1, row 1, seat 1'),
        ("stands[0].sections[0].blocks[0]",
         'seat "1" of row "2" overlaps seat "3" of row "1" at stand 1, section 1, row 1, seat 3'),
    ]


def test_problems_read_as_sentences_with_the_place_in_words(app):
    from ticketing.seating.mapfile.spec import Problem
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from flask_babel import force_locale
        with force_locale("en"):
            assert Problem("stands[1].sections[0].rows[4]", 'duplicate seat label "12"').sentence() == \
                'In stand 2, section 1, row 5 of the file: duplicate seat label "12".'
            assert Problem("categories[1].price_satang", "x").sentence() == \
                'In category 2, the field "price_satang" of the file: x.'
            assert Problem("", "the file is empty").sentence() == "The file is empty."
        with force_locale("th"):
            said = Problem("stands[1].sections[0].rows[4]", "x").sentence()
            assert "[" not in said and "อัฒจันทร์ลำดับที่ 2" in said


def test_touching_seats_do_not_overlap():
    assert len(parse_map(json.dumps(native_doc(rows=[row("1", 4, 12, 20)]))).seats) == 3


class CountedSeat(SeatSpec):
    """A seat that counts how often its x is read, which the overlap check does for every comparison."""
    reads = 0

    def __getattribute__(self, name):
        if name == "x":
            CountedSeat.reads += 1
        return super().__getattribute__(name)


def test_a_whole_block_on_one_point_is_reported_with_linear_work():
    doc = native_doc(blocks=[block(rows=100, seats_per_row=100, seat_pitch=0.001, row_pitch=0)])
    found = problems_of(doc)
    assert len(found) == MAX_PROBLEMS + 1 and found[-1] == ("", "…and more problems not shown; fix these first")
    # The same 10,000 seats: each is compared with the few seats kept near it, not with every seat
    # placed before it (that would be some 50 million comparisons).
    seats = [CountedSeat("A", "A1", "1", 0, str(n), 4 + n % 100 * 0.001, 4, "vip") for n in range(10_000)]
    CountedSeat.reads = 0
    problems = ProblemList()
    overlap_problems(DraftPlan("", "", False, 4, [], seats=seats, seat_paths=[""] * len(seats)), problems)
    assert problems and CountedSeat.reads < 10 * len(seats)


def test_block_rules_the_schema_cannot_express():
    doc = native_doc(blocks=[block(row_labels=["A"]), block_without_rows(),
                             block(aisles_after=[0], gaps=[6]), block(gaps=[1, 2, 3, 4, 5])])
    assert problems_of(doc) == [
        ("stands[0].sections[0].blocks[0]", 'give either "row_labels" or "rows" (with "first_row"), not both'),
        ("stands[0].sections[0].blocks[1]", 'missing "rows" or "row_labels"'),
        ("stands[0].sections[0].blocks[2].aisles_after[0]", "seat 0 is not in this block (seats 1–5)"),
        ("stands[0].sections[0].blocks[2].gaps[0]", "seat 6 is not in this block (seats 1–5)"),
        ("stands[0].sections[0].blocks[3].gaps", "every seat of the block is a gap"),
    ]


def test_a_section_without_seats():
    assert problems_of(native_doc()) == [
        ("stands[0].sections[0]", 'the section has no seats: give it "rows" or "blocks"')]


def test_all_problems_are_reported_together():
    doc = native_doc(rows=[row("1", 4, 14, category="gold"), row("2", 4, 4, y=20)])
    doc["stands"][0]["sections"].append({"code": "A1", "name": NAME, "rows": [row("9", 100)]})
    assert [path for path, _ in problems_of(doc)] == [
        "stands[0].sections[0].rows[0]", "stands[0].sections[1]", "stands[0].sections[0].rows[1].seats[1]"]


def test_problem_reads_as_path_and_message():
    assert str(Problem("stands[1].sections[0].rows[4]", 'duplicate seat label "12"')) == \
        'stands[1].sections[0].rows[4]: duplicate seat label "12"'
    assert str(Problem("", "the file is empty")) == "the file is empty"


# -- bad files: pretix -----------------------------------------------------------------------

def test_pretix_duplicate_guid():
    doc = pretix_doc()
    doc["zones"][2]["rows"][0]["seats"][3]["seat_guid"] = "stalls-1-1"
    assert problems_of(doc) == [
        ("zones[2].rows[0].seats[3]", 'duplicate seat_guid "stalls-1-1", also at zones[1].rows[0].seats[0]')]


def test_pretix_structure_and_meaning_problems_use_pretix_paths():
    doc = pretix_doc()
    del doc["zones"][1]["rows"][2]["seats"][3]["seat_guid"]
    doc["zones"][1]["rows"][0]["seats"][0]["position"]["x"] = "0"
    assert problems_of(doc) == [
        ("zones[1].rows[0].seats[0].position.x", "must be a number, not a text in quotes"),
        ("zones[1].rows[2].seats[3]", 'missing required field "seat_guid"'),
    ]
    doc = pretix_doc()
    doc["zones"][1]["rows"][1]["seats"][2]["category"] = "Gold"
    doc["zones"][1]["rows"][3]["seats"][0]["seat_number"] = "4"
    doc["categories"][0]["color"] = "reddish"
    assert problems_of(doc) == [
        ("categories[0].color", 'unsupported colour "reddish": use "#rrggbb"'),
        ("zones[1].rows[1].seats[2]", 'unknown category "Gold"'),
        ("zones[1].rows[3].seats[0]", 'duplicate seat number "4" in row "3"'),
    ]


def test_pretix_plan_without_seats():
    doc = pretix_doc()
    doc["zones"] = doc["zones"][:1]
    assert problems_of(doc) == [("", "the map has no seats")]


def test_pretix_colours_and_codes():
    doc = pretix_doc()
    doc["categories"] = [{"name": "แถวหน้า", "color": "red"}, {"name": "Standard"}, {"name": "Front", "color": "#ABC"}]
    for zone in doc["zones"][1:]:
        for pretix_row in zone["rows"]:
            for seat in pretix_row["seats"]:
                seat["category"] = "แถวหน้า"
    plan = parse_map(json.dumps(doc))
    assert [(c.code, c.color) for c in plan.categories] == [
        ("category-1", "#ff0000"), ("standard", "#1f4e9e"), ("front", "#aabbcc")]
