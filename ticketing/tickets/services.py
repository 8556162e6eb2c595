"""Ticket codes for sold tickets, reissue (lost phone) and the revocation list for gates."""
import os
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


@lru_cache(maxsize=8)
def _keyring(keyring_path: str, legacy_path: str, _stamp) -> codes.Keyring:
    return codes.load_keyring(Path(keyring_path), Path(legacy_path))


def _keyring_path() -> str:
    return current_app.config.get("TICKET_KEYRING_FILE") or str(
        Path(current_app.config["TICKET_SIGNING_KEY_FILE"]).with_name("ticket_signing_keys.json"))


def keyring() -> codes.Keyring:
    """The ticket signing keys. Read again whenever the keyring file changes, so a rotation reaches every
    worker (every host sharing the file) at its next request."""
    path = _keyring_path()
    try:
        st = os.stat(path)
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    except FileNotFoundError:
        stamp = None
    return _keyring(path, current_app.config["TICKET_SIGNING_KEY_FILE"], stamp)


def signing_key():
    """The current Ed25519 key, which signs new codes."""
    return keyring().signing_key


def public_keys() -> dict:
    """Every accepted public key by key id (codes name the key that signed them)."""
    return keyring().public_keys()


def rotate_key() -> codes.Keyring:
    """A new current key; codes signed with the others keep scanning."""
    return codes.rotate(Path(_keyring_path()), Path(current_app.config["TICKET_SIGNING_KEY_FILE"]))


def retire_key(key_id: int) -> codes.Keyring:
    return codes.retire(Path(_keyring_path()), Path(current_app.config["TICKET_SIGNING_KEY_FILE"]), key_id)


def code_for(ticket: Ticket) -> str:
    ring = keyring()
    return codes.encode(ring.signing_key, ticket.id, ticket.session_id, ticket.seat_id, ticket.issue_no,
                        key_id=ring.current)


def check(code: str) -> Ticket:
    """A code the gate may let in: genuine, of a live ticket, of its current issue. Raises InvalidCode
    (with a reason: invalid, void, revoked) otherwise. The signature is checked before the database."""
    claim = codes.verify(public_keys(), code)
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
