"""Ticket codes for sold tickets, reissue (lost phone) and the revocation list for gates."""
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from .. import audit
from ..errors import Conflict, NotFound
from ..extensions import db
from ..sales.models import Order, Ticket
from . import codes


@lru_cache(maxsize=4)
def _key(path: str):
    return codes.load_or_create_key(Path(path))


def signing_key():
    """The Ed25519 key (read once per process; every worker reads the same file)."""
    return _key(current_app.config["TICKET_SIGNING_KEY_FILE"])


def code_for(ticket: Ticket) -> str:
    return codes.encode(signing_key(), ticket.id, ticket.session_id, ticket.seat_id, ticket.issue_no)


def check(code: str) -> Ticket:
    """A code the gate may let in: genuine, of a live ticket, of its current issue. Raises InvalidCode
    (with a reason: invalid, void, revoked) otherwise. The signature is checked before the database."""
    claim = codes.verify(signing_key().public_key(), code)
    ticket = db.session.get(Ticket, claim.ticket_id)
    if ticket is None or (ticket.session_id, ticket.seat_id) != (claim.session_id, claim.seat_id):
        raise codes.InvalidCode("invalid")
    if ticket.status != "valid":
        raise codes.InvalidCode("void")
    if claim.issue != ticket.issue_no:
        raise codes.InvalidCode("revoked")
    return ticket


def reissue(actor, ticket_id: str) -> Ticket:
    """A new code for a live ticket (the buyer lost the old one); the old code is revoked."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(_("No such ticket."))
    if ticket.status != "valid":
        raise Conflict(_("A void ticket cannot be reissued."), code="ticket_void")
    ticket.issue_no += 1
    audit.record(actor, "ticket.reissue", "ticket", ticket.id, {"issue": ticket.issue_no - 1}, {"issue": ticket.issue_no})
    return ticket


def revocations(session_id: int) -> dict:
    """What a gate device must refuse although the signature is good: void tickets, and every
    code of a reissued ticket below its current issue number."""
    rows = db.session.execute(select(Ticket.id, Ticket.status, Ticket.issue_no).where(
        Ticket.session_id == session_id, or_(Ticket.status == "void", Ticket.issue_no > 1))).all()
    return {"void": sorted(r.id for r in rows if r.status == "void"),
            "reissued": {r.id: r.issue_no for r in rows if r.status != "void"}}


def order_for_token(token: str) -> Order | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Order).where(Order.access_token == token))
