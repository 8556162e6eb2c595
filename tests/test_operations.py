"""Operations: the health probes, request ids and structured request logs, and ticket signing key rotation
(old codes keep scanning, at the gate online and with the offline bundle's keys; a retired key's do not)."""
import json
import logging
import stat
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from browser import browser, live  # noqa: F401 (fixtures)
from conftest import login
from ticketing import create_app
from ticketing.extensions import db
from ticketing.gate import checkin, services as gate
from ticketing.inventory import services as inventory
from ticketing.sales.services import PaymentInput, sell
from ticketing.tickets import codes, services as tickets
from ticketing.timeutil import utcnow


class Lines(logging.Handler):
    """The request log's lines, parsed."""
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture
def request_log():
    handler = Lines()
    logger = logging.getLogger("ticketing.requests")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_probes(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json == {"status": "ready"}


@pytest.mark.parametrize("url", ["postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2",
                                 "sqlite:////nonexistent-folder/for/sure/db.sqlite3"])
def test_readyz_says_503_when_the_database_is_unreachable(url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # the process is up
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json == {"status": "unavailable", "reason": "database"}
    with app.app_context():
        db.engine.dispose()


def test_request_id_in_and_out_and_in_the_log(client, make, request_log):
    make.user("treasurer", roles=["treasurer"])
    login(client, "treasurer")
    request_log.clear()
    answer = client.get("/revenue/", headers={"X-Request-ID": "proxy-4f2a.17"})
    assert answer.headers["X-Request-ID"] == "proxy-4f2a.17"
    line = request_log[-1]
    assert line["request_id"] == "proxy-4f2a.17" and line["method"] == "GET" and line["path"] == "/revenue/"
    assert line["status"] == answer.status_code and line["user_id"] is not None and line["duration_ms"] >= 0
    for bad in ("x" * 200, "two words", "semi;colon"):
        answer = client.get("/healthz", headers={"X-Request-ID": bad})
        made = answer.headers["X-Request-ID"]
        assert made != bad and len(made) == 32 and request_log[-1]["request_id"] == made
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_secret_in_the_path_is_not_logged(client, request_log):
    client.get("/t/SECRET-PHONE-TOKEN-abcdef")
    assert "SECRET" not in json.dumps(request_log[-1]) and request_log[-1]["path"] == "/t/<token>"


# --- ticket signing keys ---------------------------------------------------------------------

@pytest.fixture
def keys(app, tmp_path):
    """This test's own key files (the suite's instance folder is shared by every test)."""
    app.config["TICKET_SIGNING_KEY_FILE"] = str(tmp_path / "ticket_signing_key.pem")
    app.config["TICKET_KEYRING_FILE"] = str(tmp_path / "ticket_signing_keys.json")
    return tmp_path


@pytest.fixture
def at_the_gate(make, keys):
    festival = make.festival()
    session = festival.sessions[0]
    session.gate_opens_at = utcnow() - timedelta(hours=1)
    admin = make.user("admin", roles=["admin"])
    entrance = gate.save_entrance(admin, festival.id, None, code="N", name_th="ประตูเหนือ", name_en="North",
                                  stands=["A"])
    seller, guard = make.user("seller1", roles=["seller"]), make.user("gate1", roles=["gate"])
    seats = [s.id for s in inventory.seat_views(session.id)][:4]
    order = sell(seller, session.id, seats, PaymentInput("cash"), {})
    db.session.commit()
    return session, entrance, order, guard


def _scan(session, entrance, guard, code, nonce):
    answer = checkin.check_in(guard, checkin.Scan(session_id=session.id, entrance_id=entrance.id, device="gate-1",
                                                  nonce=nonce, code=code))
    db.session.commit()
    return answer.result


def _offline_device_keys(bundle: dict) -> dict:
    """What a gate device keeps from the bundle: every public key by id."""
    return {int(kid): serialization.load_pem_public_key(pem.encode()) for kid, pem in bundle["public_keys"].items()}


def test_rotation_keeps_old_codes_scanning(app, client, make, at_the_gate, keys):
    session, entrance, order, guard = at_the_gate
    old = [tickets.code_for(t) for t in order.tickets]
    result = app.test_cli_runner().invoke(args=["tickets", "rotate-key"])
    assert result.exit_code == 0 and "key 1 now signs new tickets; accepted keys: 0, 1" in result.output
    new = [tickets.code_for(t) for t in order.tickets]
    assert new != old and all(len(c) == 146 for c in new)
    assert [codes.verify(tickets.public_keys(), c).key_id for c in old + new] == [0] * 4 + [1] * 4
    assert oct(stat.S_IMODE((keys / "ticket_signing_keys.json").stat().st_mode)) == "0o600"

    # a device that went offline after the rotation verifies both with the bundle's keys
    bundle = gate.bundle(session, None)
    device = _offline_device_keys(bundle)
    assert set(device) == {0, 1}
    assert all(codes.verify(device, c).ticket_id == t.id for c, t in zip(old + new, order.tickets * 2))
    # online: an old code and a new one both admit
    assert _scan(session, entrance, guard, old[0], "n1") == "ok"
    assert _scan(session, entrance, guard, new[1], "n2") == "ok"
    # the API lists every key
    make.user("gate2", roles=["gate"])
    login(client, "gate2")
    listed = client.get("/api/v1/tickets/public-key").json
    assert listed["key_id"] == 1 and [k["key_id"] for k in listed["keys"]] == [0, 1]

    # a retired key's codes no longer scan; the current key cannot be retired
    assert app.test_cli_runner().invoke(args=["tickets", "retire-key", "1"]).exit_code == 1
    result = app.test_cli_runner().invoke(args=["tickets", "retire-key", "0"])
    assert result.exit_code == 0, result.output
    assert _scan(session, entrance, guard, old[2], "n3") == "invalid"
    assert _scan(session, entrance, guard, new[2], "n4") == "ok"
    assert set(_offline_device_keys(gate.bundle(session, None))) == {1}


def test_another_worker_sees_the_rotation_at_its_next_request(app, keys):
    """Workers cache the keyring but look at the file on every use."""
    first = tickets.keyring()
    other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                        "TICKET_SIGNING_KEY_FILE": app.config["TICKET_SIGNING_KEY_FILE"],
                        "TICKET_KEYRING_FILE": app.config["TICKET_KEYRING_FILE"]})
    with other.app_context():
        assert tickets.keyring().current == first.current == 0
        tickets.rotate_key()
    assert tickets.keyring().current == 1 and set(tickets.public_keys()) == {0, 1}


def test_key_ids_in_codes():
    keys_by_id = {kid: Ed25519PrivateKey.generate() for kid in (0, 3, 15)}
    public = {kid: k.public_key() for kid, k in keys_by_id.items()}
    ticket = "6f1c2a9e-2b44-4a51-9a59-0c2b9c9f7e11"
    for kid, key in keys_by_id.items():
        code = codes.encode(key, ticket, 1, 2, 3, key_id=kid)
        assert codes.verify(public, code) == codes.TicketClaim(ticket, 1, 2, 3, kid)
        with pytest.raises(codes.InvalidCode):  # another id's key does not verify it
            codes.verify({0: public[3 if kid != 3 else 15]}, code)
        with pytest.raises(codes.InvalidCode, match="unknown key"):
            codes.verify({k: v for k, v in public.items() if k != kid}, code)
    with pytest.raises(ValueError):
        codes.encode(keys_by_id[0], ticket, 1, 2, 3, key_id=16)


def test_sixteen_keys_at_most(tmp_path):
    ring, legacy = tmp_path / "ring.json", tmp_path / "key.pem"
    for n in range(15):
        codes.rotate(ring, legacy)
    assert sorted(codes.load_keyring(ring, legacy).keys) == list(range(16))
    with pytest.raises(ValueError, match="retire an old key first"):
        codes.rotate(ring, legacy)
    codes.retire(ring, legacy, 4)
    assert codes.rotate(ring, legacy).current == 4


# --- an offline gate device after a rotation (real Chromium) ----------------------------------

def test_an_offline_gate_admits_codes_of_every_accepted_key(app, live, browser, at_the_gate, keys):
    """The device learns every accepted key from the bundle, and checks each code with the key it names:
    a code printed before the rotation and one after both admit offline; a code naming a key that is not
    in the keyring is refused."""
    from playwright.sync_api import expect
    session, entrance, order, guard = at_the_gate
    live.server.app.config.update({k: app.config[k] for k in ("TICKET_SIGNING_KEY_FILE", "TICKET_KEYRING_FILE")})
    before = tickets.code_for(order.tickets[0])
    tickets.rotate_key()
    after = tickets.code_for(order.tickets[1])
    stranger = codes.encode(Ed25519PrivateKey.generate(), order.tickets[2].id, session.id, order.tickets[2].seat_id,
                            1, key_id=7)
    assert before[0] != after[0] and codes.verify(tickets.public_keys(), after).key_id == 1

    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live.url}/login")
    page.fill("#username", "gate1")
    page.fill("#password", "secret-pass")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.evaluate("localStorage.setItem('gate.device', 'phone-1')")
    page.goto(f"{live.url}/gate/sessions/{session.id}/entrances/{entrance.id}?mode=entry")
    page.wait_for_function("document.body.dataset.bundle === 'stored' && document.body.dataset.offlineReady === '1'")
    context.set_offline(True)
    page.reload()  # from the service worker; the keys and the bundle from IndexedDB
    page.wait_for_function("document.body.dataset.bundle === 'stored'")
    expect(page.locator("#net")).to_have_attribute("data-state", "offline")
    page.wait_for_function("document.activeElement.id === 'wedge'")
    for code, colour in ((before, "green"), (after, "green"), (stranger, "red")):
        page.keyboard.type(code, delay=0)
        page.keyboard.press("Enter")
        answer = page.locator("#answer")
        expect(answer).to_have_attribute("data-colour", colour)
        expect(page.locator("#answer-offline")).to_be_visible()
        page.click("#answer")
        page.wait_for_selector("#answer", state="hidden")
    expect(page.locator("#queue")).to_have_attribute("data-count", "3")
    context.close()
