"""Maps on a weak network: the live map's changes read by cursor from an index (exactly the seats that
changed, none missed when transactions commit out of order), compressed pages, SVG and JSON, ETags and
304 for unchanged seat data, and the counter page usable on a throttled network in a real Chromium.
Timing targets live in bench/map_network.py and bench/polling.py, not here."""
import gzip
import re
from datetime import timedelta

import brotli
import pytest
from sqlalchemy import create_engine, text, update

from browser import CHROMIUM, LAUNCH_ARGS, live, require_browser  # noqa: F401 (live: fixture)
from conftest import login
from ticketing.errors import Invalid
from ticketing.extensions import db
from ticketing.inventory import changes
from ticketing.inventory import services as inventory
from ticketing.inventory.models import SeatInventory
from ticketing.sales import holds
from ticketing.sales.services import PaymentInput, sell
from ticketing.timeutil import utcnow


@pytest.fixture
def counter(client, make):
    festival = make.festival(sessions=2)
    admin = make.user("boss", roles=["admin"])
    seller = make.user("seller1", roles=["seller"])
    other = make.user("seller2", roles=["seller"])
    login(client, "seller1")
    session = festival.sessions[0]
    return {"festival": festival, "session": session, "seller": seller, "other": other, "admin": admin,
            "seats": [s.id for s in inventory.seat_views(session.id)], "base": f"/counter/sessions/{session.id}"}


def _page_cursor(client, counter) -> str:
    page = client.get(counter["base"]).get_data(as_text=True)
    return re.search(r'data-cursor="([0-9.,]+)"', page).group(1)


def _poll(client, counter, cursor, **headers):
    return client.get(f"{counter['base']}/changes", query_string={"cursor": cursor}, headers=headers)


def test_changes_after_a_cursor_are_exactly_the_changed_seats(client, counter):
    s, seats = counter["session"], counter["seats"]
    cursor = _page_cursor(client, counter)
    assert _poll(client, counter, cursor).json["seats"] == []

    holds.hold_seats(counter["other"], s, [seats[0], seats[1]])  # another counter holds two seats
    sell(counter["other"], s.id, [seats[2]], PaymentInput("cash"))  # sells one
    inventory.block_seats(counter["admin"], s, [seats[3]], "officials")  # the admin blocks one
    inventory.allocate_seats(counter["admin"], s, [seats[4]], counter["seller"].organization_id)  # allocates one
    db.session.commit()
    answer = _poll(client, counter, cursor).json
    got = {row[0]: row for row in answer["seats"]}
    assert sorted(got) == sorted(seats[:5])
    assert [got[i][1] for i in seats[:5]] == ["held", "held", "sold", "blocked", "available"]
    assert got[seats[0]][3] is False and got[seats[0]][4] is not None  # not mine; the hold's expiry
    assert got[seats[4]][2] == counter["seller"].organization_id

    following = answer["cursor"]
    assert _poll(client, counter, following).json["seats"] == []
    # a raw statement (any write path) is stamped too: the database's trigger, not the code, does it
    db.session.execute(text("UPDATE seat_inventory SET state = 'blocked', block_reason = 'camera' "
                            "WHERE session_id = :s AND seat_id = :seat"), {"s": s.id, "seat": seats[9]})
    other_session = counter["festival"].sessions[1]  # another session's change is not this map's
    inventory.block_seats(counter["admin"], other_session, [seats[8]], "officials")
    db.session.commit()
    assert [row[:2] for row in _poll(client, counter, following).json["seats"]] == [[seats[9], "blocked"]]
    assert len(_poll(client, counter, "0").json["seats"]) == len(seats)  # from the start: the whole session


def test_a_seat_given_to_the_online_shop_is_a_change(client, counter):
    cursor = _page_cursor(client, counter)
    inventory.allocate_seats(counter["admin"], counter["session"], [counter["seats"][6]], inventory.ONLINE)
    db.session.commit()
    assert [row[0] for row in _poll(client, counter, cursor).json["seats"]] == [counter["seats"][6]]


def test_an_expired_hold_is_answered_as_free(client, counter):
    cursor = _page_cursor(client, counter)
    holds.hold_seats(counter["other"], counter["session"], [counter["seats"][0], counter["seats"][1]])
    db.session.execute(update(SeatInventory).where(SeatInventory.seat_id == counter["seats"][0])
                       .values(hold_expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    rows = {row[0]: row[1:] for row in _poll(client, counter, cursor).json["seats"]}
    assert rows[counter["seats"][0]] == ["available", None, False, None]
    assert rows[counter["seats"][1]][0] == "held"


def test_a_sale_that_commits_late_is_not_missed(app, client, counter):
    """PostgreSQL stamps the transaction's id: a sale that began first but commits after a later one
    (and after a poll) is still answered by the next poll."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: a transaction cannot commit while another writes")
    s, seats = counter["session"], counter["seats"]
    cursor = _page_cursor(client, counter)
    slow = create_engine(db.engine.url)
    with slow.connect() as conn:
        conn.execute(update(SeatInventory).where(SeatInventory.session_id == s.id,
                                                 SeatInventory.seat_id == seats[0]).values(state="blocked"))
        # meanwhile another counter's change commits, and a poll reads it
        inventory.block_seats(counter["admin"], s, [seats[1]], "officials")
        db.session.commit()
        first = _poll(client, counter, cursor).json
        assert [row[0] for row in first["seats"]] == [seats[1]]
        conn.commit()  # the first transaction commits last
    slow.dispose()
    second = _poll(client, counter, first["cursor"]).json
    assert seats[0] in [row[0] for row in second["seats"]]
    third = _poll(client, counter, second["cursor"]).json
    assert third["seats"] == []


def test_changes_are_read_from_the_index(app, counter):
    """The poll's plan names the index on (session_id, change_seq): it never reads the whole session."""
    postgresql = db.engine.dialect.name == "postgresql"
    query = changes.changes_query(counter["session"].id, changes.Cursor(12345, (12340, 12342)), utcnow(), postgresql)
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if postgresql:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table: would a plan use it?
        plan = "\n".join(db.session.scalars(text("EXPLAIN " + sql)))
    else:
        plan = "\n".join(str(r[-1]) for r in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
    db.session.rollback()
    assert "ix_seat_inventory_session_change" in plan, plan


def test_a_bad_cursor_is_a_clear_error_in_thai(client, counter):
    resp = _poll(client, counter, "yesterday")
    assert resp.status_code == 400 and resp.json["error"] == "bad_cursor"
    assert "cursor" not in resp.json["message"]  # said in Thai, the default language
    with pytest.raises(Invalid):
        changes.parse_cursor(str(2**63))
    assert client.get("/counter/sessions/999999/changes?cursor=0").status_code == 404  # no such session


def test_an_unchanged_poll_is_304_and_a_change_is_not(client, counter):
    cursor = _page_cursor(client, counter)
    first = _poll(client, counter, cursor)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = _poll(client, counter, cursor, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    holds.hold_seats(counter["other"], counter["session"], [counter["seats"][0]])
    db.session.commit()
    changed = _poll(client, counter, cursor, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert [row[0] for row in changed.json["seats"]] == [counter["seats"][0]]


def test_the_map_svg_has_an_etag_and_answers_304_until_a_seat_changes(client, counter):
    url = f"/sessions/{counter['session'].id}/map.svg"
    for encoding in ("identity", "gzip", "br"):
        first = client.get(url, headers={"Accept-Encoding": encoding})
        assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-cache"
        etag = first.headers["ETag"]
        again = client.get(url, headers={"Accept-Encoding": encoding, "If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b""
    sell(counter["other"], counter["session"].id, [counter["seats"][5]], PaymentInput("cash"))
    db.session.commit()
    changed = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert 'class="seat s c' in brotli.decompress(changed.get_data()).decode()


def test_the_seats_json_of_the_api_answers_304_when_unchanged(client, counter):
    url = f"/api/v1/sessions/{counter['session'].id}/seats"
    first = client.get(url)
    assert first.status_code == 200
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    holds.hold_seats(counter["other"], counter["session"], [counter["seats"][0]])
    db.session.commit()
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def _decoded(resp) -> bytes:
    body = resp.get_data()
    return {"gzip": gzip.decompress, "br": brotli.decompress}.get(resp.headers.get("Content-Encoding"),
                                                                   lambda b: b)(body)


def test_pages_svg_json_and_scripts_are_compressed(client, counter):
    page = client.get(counter["base"], headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in page.headers["Vary"]
    assert b"<svg" in _decoded(page) and len(page.get_data()) * 3 < len(_decoded(page))
    for url in (f"/sessions/{counter['session'].id}/map.svg", f"/api/v1/sessions/{counter['session'].id}/seats",
                "/static/js/counter.js"):
        resp = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert resp.status_code == 200 and resp.headers["Content-Encoding"] == "br", url
        assert len(_decoded(resp)) > len(resp.get_data()), url
    plain = client.get(counter["base"], headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and b"<svg" in plain.get_data()
    with_zero_quality = client.get(counter["base"], headers={"Accept-Encoding": "br;q=0, gzip"})
    assert with_zero_quality.headers["Content-Encoding"] == "gzip"


def test_pdf_tickets_are_sent_as_they_are(client, counter):
    """A PDF (like XLSX and PNG) is compressed already: it goes out untouched."""
    order = sell(counter["seller"], counter["session"].id, [counter["seats"][7]], PaymentInput("cash"))
    db.session.commit()
    resp = client.get(f"/counter/orders/{order.id}/tickets-a6.pdf", headers={"Accept-Encoding": "gzip, br"})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "Content-Encoding" not in resp.headers and resp.get_data().startswith(b"%PDF")


# --- in a real browser, on a throttled network --------------------------------------------------

#: Chromium's network emulation: 1.6 Mbit/s down, 750 kbit/s up, 300 ms latency (a weak mobile network)
WEAK_NETWORK = {"offline": False, "latency": 300, "downloadThroughput": 1_600_000 / 8,
                "uploadThroughput": 750_000 / 8}


def test_the_counter_page_is_usable_on_a_throttled_network(live, make):
    """A seller's tablet on a weak network: the map becomes usable, another counter's sale arrives by the
    poll, an unchanged poll is a 304, and the page itself came compressed."""
    require_browser()
    from playwright.sync_api import sync_playwright
    festival = make.festival()
    make.user("seller1", roles=["seller"])
    other = make.user("seller2", roles=["seller"])
    session = festival.sessions[0]
    seats = [s.id for s in inventory.seat_views(session.id)]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"{live.url}/login")
        page.fill("#username", "seller1")
        page.fill("#password", "secret-pass")
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", WEAK_NETWORK)
        answers = []
        page.on("response", lambda r: answers.append((r.url, r.status, r.headers.get("content-encoding"))))
        page.goto(f"{live.url}/counter/sessions/{session.id}")
        page.wait_for_selector("#seatmap[data-live=true]")
        assert page.locator("#seatmap circle.seat").count() == len(seats)
        assert [a[2] for a in answers if a[0].endswith(f"/counter/sessions/{session.id}")] in (["gzip"], ["br"])
        page.wait_for_event("response", lambda r: "/changes?" in r.url and r.status == 304)  # nothing changed
        sell(other, session.id, [seats[0]], PaymentInput("cash"))
        db.session.commit()
        page.wait_for_selector(f'#seatmap circle.seat.s[data-id="{seats[0]}"]')  # another counter's sale
        target = page.locator(f'#seatmap circle.seat[data-id="{seats[1]}"]')
        if target.bounding_box()["width"] < 14:  # too small for a finger: the first tap zooms in
            target.click()
            page.wait_for_function("id => document.querySelector(`#seatmap circle[data-id='${id}']`)"
                                   ".getBoundingClientRect().width >= 14", arg=seats[1])
        target.click()
        page.wait_for_selector(f'#seatmap circle.seat.sel[data-id="{seats[1]}"]')  # held for this seller
        browser.close()
