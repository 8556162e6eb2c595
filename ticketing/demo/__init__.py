"""The demo festival: organizations, users, a festival with sessions and the example map.

Loading is idempotent: what already exists (matched by code, username or name) is left alone,
so running ``flask --app wsgi demo`` twice does no harm.
"""
import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from ..accounts.models import Organization, User
from ..accounts.services import save_organization, save_user
from ..extensions import db
from ..festivals.models import Festival, FestivalSession
from ..festivals.services import save_festival
from ..gate.services import entrances_of, save_entrance, set_gate_rules
from ..inventory.allocation import deal_equal_shares
from ..shop.settings import set_pool_online
from ..inventory.models import SeatInventory
from ..inventory.sessions import import_map, save_session
from ..revenue.services import rules_of, save_rules
from ..sales.models import ComplimentaryQuota
from ..sales.services import set_quota
from ..seating.mapfile import parse_map
from ..seating.services import map_of
from ..timeutil import from_local, utcnow

DEMO_FILE = Path(__file__).with_name("demo.json")
ROOT = Path(__file__).resolve().parents[2]


def load_demo() -> dict:
    """Load the demo data; return the logins (username -> password) it defines."""
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    for position, org in enumerate(data["organizations"]):
        if db.session.scalar(select(Organization.id).where(Organization.code == org["code"])) is None:
            save_organization(None, None, code=org["code"], kind=org.get("kind", "member"), name_th=org["name_th"],
                              name_en=org["name_en"], is_example=org.get("example", False), position=position,
                              promptpay_id=org.get("promptpay_id", ""))
    orgs = {o.code: o.id for o in db.session.scalars(select(Organization))}
    for user in data["users"]:
        if db.session.scalar(select(User.id).where(User.username == user["username"])) is None:
            save_user(None, None, username=user["username"], roles=user["roles"], password=user["password"],
                      display_name=user.get("display_name", ""), organization_id=orgs.get(user.get("organization")))
    fest = data["festival"]
    festival = db.session.scalar(select(Festival).where(Festival.name_en == fest["name_en"], Festival.year == fest["year"]))
    if festival is None:
        festival = save_festival(None, None, name_th=fest["name_th"], name_en=fest["name_en"], year=fest["year"],
                                 venue_th=fest["venue_th"], venue_en=fest["venue_en"])
    if map_of(festival.id) is None:
        import_map(None, festival, parse_map((ROOT / fest["map"]).read_bytes()))
    for s in fest["sessions"]:
        if db.session.scalar(select(FestivalSession.id).where(FestivalSession.festival_id == festival.id,
                                                              FestivalSession.name_en == s["name_en"])) is None:
            save_session(None, festival, None, name_th=s["name_th"], name_en=s["name_en"],
                         starts_at=from_local(datetime.fromisoformat(s["starts_at"])),
                         ends_at=from_local(datetime.fromisoformat(s["ends_at"])))
    for org_id in db.session.scalars(select(Organization.id).where(Organization.kind == "member")):
        if db.session.scalar(select(ComplimentaryQuota.id).where(ComplimentaryQuota.festival_id == festival.id,
                                                                 ComplimentaryQuota.organization_id == org_id)) is None:
            set_quota(None, festival, org_id, fest["complimentary_seats_per_organization"])
    first = db.session.scalar(select(FestivalSession).where(FestivalSession.festival_id == festival.id)
                              .order_by(FestivalSession.starts_at))
    if first is not None and fest.get("equal_shares_in_first_session") and db.session.scalar(
            select(func.count()).select_from(SeatInventory).where(SeatInventory.session_id == first.id,
                                                                   SeatInventory.organization_id.is_not(None))) == 0:
        deal_equal_shares(None, first)
    _gates(festival, first, fest)
    for later in db.session.scalars(select(FestivalSession).where(FestivalSession.festival_id == festival.id,
                                                                  FestivalSession.id != (first.id if first else None))):
        if not later.pool_online:  # the online shop sells the later sessions' shared pool (no keys: no payment)
            set_pool_online(None, later, True)
    if not rules_of(festival.id):
        save_rules(None, festival, [{**{k: v for k, v in rule.items() if k != "organization"},
                                     "organization_id": orgs.get(rule.get("organization"))}
                                    for rule in fest["split_rules"]])
    db.session.commit()
    return {u["username"]: u["password"] for u in data["users"]}


def _gates(festival, first, fest: dict) -> None:
    """The demo's entrances, and gates open from now in the first session so that the demo gate user
    can try scanning months before the parade (a real festival keeps the default opening time)."""
    known = {e.code for e in entrances_of(festival.id)}
    for entrance in fest.get("entrances", []):
        if entrance["code"] not in known:
            save_entrance(None, festival.id, None, code=entrance["code"], name_th=entrance["name_th"],
                          name_en=entrance["name_en"], stands=entrance["stands"])
    if first is not None and fest.get("gates_open_now_in_first_session") and first.gate_opens_at is None:
        set_gate_rules(None, first, reentry_allowed=first.reentry_allowed, gate_opens_at=utcnow())
