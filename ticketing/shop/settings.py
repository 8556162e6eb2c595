"""What the shop sells: the admin's choices per session (the shared pool online or not)."""
from .. import audit
from ..festivals.models import FestivalSession


def set_pool_online(actor, session: FestivalSession, on: bool) -> None:
    before = session.pool_online
    session.pool_online = bool(on)
    audit.record(actor, "shop.pool_online", "session", session.id, {"pool_online": before},
                 {"pool_online": session.pool_online})
