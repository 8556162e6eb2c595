"""Benchmark: time to a usable 3,000-seat counter map in a real Chromium, on a throttled network (Chromium's
network emulation through CDP ``Network.emulateNetworkConditions``: 1.6 Mbit/s down, 750 kbit/s up, 300 ms
latency) against the same page unthrottled, in the same run.

    .venv/bin/python bench/map_network.py [--db sqlite|postgresql] [--database-url URL] [--runs 5]

Serves the real app under gunicorn (2 gthread workers) on a scratch database of its own (bench/common.py):
a 3,000-seat map dealt in equal shares to nine organizations, a third of the seats sold, then ANALYZE.
Each load is a cold one (browser cache cleared, session cookie kept) of a seller's counter page. *Usable*
is the moment the page's script marks the map live (``#seatmap[data-live]``): every seat drawn, zoom and
pan on, a tap holds a seat. Also measured: the bytes that came over the network until then, and how long a
tap takes to come back held. Three ways, taking turns so that the machine's other work weighs on each alike:

- unthrottled (the baseline),
- throttled, as served (compressed),
- throttled with compression refused by the browser (``Accept-Encoding: identity``), to show what it is worth.

Prints the medians, the ratios to the baseline and the target (throttled usable <= 3 s).
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import ScratchDatabase, Server, add_database_options, analyze, make_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WEAK_NETWORK = {"offline": False, "latency": 300, "downloadThroughput": 1_600_000 / 8,
                "uploadThroughput": 750_000 / 8}
NO_LIMIT = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
TARGET_MS = 3000
PASSWORD = "bench-password"
#: records when the page's script marks the map live (set before any page script runs)
WATCH_USABLE = """
new MutationObserver(function (changes, observer) {
  var map = document.getElementById('seatmap');
  if (map && map.dataset.live === 'true' && !window.__usableAt) {
    window.__usableAt = performance.now();
    observer.disconnect();
  }
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-live'] });
"""


def plan(seats: int) -> dict:
    """A grandstand of three stands, 10 sections each, rows of 10 seats: ``seats`` seats in all."""
    rows = max(1, seats // 300)
    stands = []
    for s, code in enumerate("ABC"):
        sections = [{"code": f"{code}{n}", "name": {"th": f"{code}{n}", "en": f"{code}{n}"}, "blocks": [
            {"rows": rows, "first_row": "1", "seats_per_row": 10, "origin": {"x": s * 1200 + n * 115, "y": 0},
             "seat_pitch": 10, "row_pitch": 12, "category": "vip" if n % 3 else "front"}]} for n in range(10)]
        stands.append({"code": code, "name": {"th": f"อัฒจันทร์ {code}", "en": f"Stand {code}"}, "sections": sections})
    return {"format": "ubon-candle-seating/1", "name": {"th": "bench", "en": "bench"}, "stands": stands,
            "categories": [
                {"code": "front", "name": {"th": "หน้า", "en": "Front"}, "color": "#c8102e", "price_satang": 150000},
                {"code": "vip", "name": {"th": "วีไอพี", "en": "VIP"}, "color": "#1a73e8", "price_satang": 80000}]}


def setup(url: str, seats: int = 3000, sellers: int = 9, sold_share: float = 1 / 3) -> dict:
    """Schema, nine member organizations with a seller each, a ``seats``-seat session dealt in equal shares,
    ``sold_share`` of each organization's seats marked sold, then ANALYZE. Returns the session id, the
    sellers' usernames and, for each, a free seat of its own allocation."""
    from datetime import datetime, timezone

    from sqlalchemy import select, update

    from ticketing.accounts.services import save_organization, save_user
    from ticketing.extensions import db
    from ticketing.festivals.services import save_festival
    from ticketing.inventory.allocation import deal_equal_shares
    from ticketing.inventory.models import SeatInventory
    from ticketing.inventory.sessions import import_map, save_session
    from ticketing.seating.mapfile import parse_map

    app = make_app(url)
    with app.app_context():
        save_organization(None, None, code="central", kind="central", name_th="กองกลาง", name_en="Central fund")
        users = []
        for i in range(1, sellers + 1):
            org = save_organization(None, None, code=f"m{i}", kind="member", name_th=f"องค์กร {i}",
                                    name_en=f"Member {i}", position=i)
            users.append(save_user(None, None, username=f"seller{i}", roles=["seller"], organization_id=org.id,
                                   password=PASSWORD))
        festival = save_festival(None, None, name_th="งานแห่เทียนพรรษา", name_en="Candle Festival", year=2027)
        import_map(None, festival, parse_map(json.dumps(plan(seats))))
        session = save_session(None, festival, None, name_th="รอบเช้า", name_en="Morning",
                               starts_at=datetime(2027, 7, 20, 1, 0, tzinfo=timezone.utc))
        deal_equal_shares(None, session)
        db.session.commit()
        for user in users:  # the map shows states only: the seats are marked sold, without orders
            own = list(db.session.scalars(select(SeatInventory.seat_id).where(
                SeatInventory.session_id == session.id, SeatInventory.organization_id == user.organization_id)
                .order_by(SeatInventory.seat_id)))
            db.session.execute(update(SeatInventory).where(
                SeatInventory.session_id == session.id,
                SeatInventory.seat_id.in_(own[:int(len(own) * sold_share)])).values(state="sold"))
        db.session.commit()
        free = {}
        for user in users:
            free[user.username] = db.session.scalar(select(SeatInventory.seat_id).where(
                SeatInventory.session_id == session.id, SeatInventory.organization_id == user.organization_id,
                SeatInventory.state == "available").order_by(SeatInventory.seat_id.desc()))
        result = {"session_id": session.id, "sellers": [u.username for u in users], "free_seat": free,
                  "seats": db.session.scalar(select(db.func.count()).select_from(SeatInventory).where(
                      SeatInventory.session_id == session.id))}
    with app.app_context():
        db.engine.dispose()
    analyze(url)
    return result


def load(browser, base: str, username: str, session_id: int, seat_id: int, network: dict, compressed: bool) -> dict:
    """One cold load of the counter page in a new browser context: milliseconds to a usable map, bytes over
    the network, and milliseconds for a tapped seat to come back held."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if not compressed:
        cdp.send("Network.setExtraHTTPHeaders", {"headers": {"Accept-Encoding": "identity"}})
    cdp.send("Network.emulateNetworkConditions", network)
    received = []
    cdp.on("Network.loadingFinished", lambda e: received.append(e["encodedDataLength"]))
    page.add_init_script(WATCH_USABLE)
    page.goto(f"{base}/counter/sessions/{session_id}", wait_until="commit")
    page.wait_for_function("() => window.__usableAt !== undefined", timeout=60_000)
    usable = page.evaluate("window.__usableAt")
    circles = page.evaluate("document.querySelectorAll('#seatmap circle.seat').length")
    transferred = sum(received)  # what came before the map was usable (the font may still be coming)
    page.wait_for_load_state("load")
    start = time.perf_counter()
    page.evaluate("""id => { const v = document.getElementById('seatmap');
        v.dispatchEvent(new CustomEvent('seat-tap', { detail: v.querySelector('circle[data-id="' + id + '"]') })); }""",
                  seat_id)
    page.wait_for_selector(f'#seatmap circle.sel[data-id="{seat_id}"]', timeout=60_000)
    held = (time.perf_counter() - start) * 1000
    page.evaluate("""url => fetch(url, { method: 'POST', credentials: 'same-origin', body: '{}',
        headers: { 'Content-Type': 'application/json',
                   'X-CSRFToken': document.querySelector('#sale-form input[name=csrf_token]').value } })""",
                  f"{base}/counter/sessions/{session_id}/release")  # the next run finds the seat free again
    context.close()
    return {"usable": usable, "bytes": transferred, "held": held, "circles": circles}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_options(parser, "map_network")
    parser.add_argument("--runs", type=int, default=5, help="loads of each kind (alternating)")
    parser.add_argument("--seats", type=int, default=3000)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with ScratchDatabase(args) as url:
        print(f"setting up {args.seats} seats on {url.split('@')[-1]} ...", flush=True)
        data = setup(url, args.seats)
        server = Server("wsgi:app", url, workers=2, threads=4)
        kinds = [("unthrottled (baseline)", NO_LIMIT, True), ("throttled 1.6 Mbit/s, 300 ms", WEAK_NETWORK, True),
                 ("throttled, not compressed", WEAK_NETWORK, False)]
        results = {name: [] for name, _n, _c in kinds}
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
                base = f"http://127.0.0.1:{server.port}"
                seller = data["sellers"][0]
                load(browser, base, seller, data["session_id"], data["free_seat"][seller], NO_LIMIT, True)  # warm up
                for run in range(args.runs):
                    for name, network, compressed in kinds:
                        seller = data["sellers"][run % len(data["sellers"])]
                        results[name].append(load(browser, base, seller, data["session_id"],
                                                  data["free_seat"][seller], network, compressed))
                browser.close()
        finally:
            server.stop()

    print(f"\ncounter page of a {data['seats']}-seat session ({results[kinds[0][0]][0]['circles']} seats drawn), "
          f"{args.runs} cold loads each, medians:")
    print(f"{'':32} {'usable ms':>10} {'ratio':>7} {'KB until usable':>16} {'tap held ms':>12}")
    base_usable = statistics.median(r["usable"] for r in results[kinds[0][0]])
    for name, _n, _c in kinds:
        rows = results[name]
        usable = statistics.median(r["usable"] for r in rows)
        print(f"{name:32} {usable:10.0f} {usable / base_usable:7.2f} "
              f"{statistics.median(r['bytes'] for r in rows) / 1024:16.1f} "
              f"{statistics.median(r['held'] for r in rows):12.0f}")
    throttled = statistics.median(r["usable"] for r in results[kinds[1][0]])
    plain = statistics.median(r["usable"] for r in results[kinds[2][0]])
    print(f"\nthrottled usable map: {throttled:.0f} ms (target <= {TARGET_MS} ms: "
          f"{'met' if throttled <= TARGET_MS else 'NOT met'}); compression makes it {plain / throttled:.1f}x faster "
          f"on this network")


if __name__ == "__main__":
    main()
