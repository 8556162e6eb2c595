"""Failed sign-ins are rate limited, per account and per address, with a temporary lockout; so are the
shop's requests to send one's tickets again (per e-mail address and per client).

Flask-Limiter counts them. Its counters live in Redis when ``RATELIMIT_STORAGE_URI`` names one
(``redis://127.0.0.1:6379/0``); otherwise in the application's own database (the table
``rate_limit_counters``, storage scheme ``ticketing+db://``), so that the limit holds across every
gunicorn worker and host, never in one process's memory.

Only failed attempts count (``deduct_when``); once an account or an address has used up its
attempts, every sign-in for it, the right password included, is refused until the window ends.
"""
import time

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import Storage
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from .models import RateLimitCounter

DB_STORAGE_URI = "ticketing+db://"
#: the longest account key kept (a longer username cannot exist: see ``services.USERNAME_RE``)
MAX_ACCOUNT_KEY = 80


class DatabaseStorage(Storage):
    """A ``limits`` storage on the app's database: one row per counter, incremented by one atomic
    ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (SQLite and PostgreSQL), on a connection of its own
    so that a count survives the request's rollback and never waits for its commit."""

    STORAGE_SCHEME = ["ticketing+db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        table = RateLimitCounter.__table__
        insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(table)
        stmt = insert.values(key=key, hits=amount, expires_at=now + expiry)
        expired = table.c.expires_at <= now
        stmt = stmt.on_conflict_do_update(index_elements=[table.c.key], set_={
            "hits": db.case((expired, amount), else_=table.c.hits + amount),
            "expires_at": db.case((expired, now + expiry), else_=table.c.expires_at),
        }).returning(table.c.hits)
        with db.engine.begin() as conn:
            hits = conn.execute(stmt).scalar_one()
            # Counters of windows that ended a while ago are of no use: keep the table small.
            conn.execute(delete(table).where(table.c.expires_at < now - 3600))
        return hits

    def _row(self, key: str):
        with db.engine.connect() as conn:
            return conn.execute(select(RateLimitCounter.hits, RateLimitCounter.expires_at)
                                .where(RateLimitCounter.key == key)).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.hits if row and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires_at if row and row.expires_at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with db.engine.begin() as conn:
            return conn.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))


def account_key() -> str:
    """Whose attempts a sign-in counts against: the username as sign-in reads it (any capitals)."""
    name = (request.form.get("username") or "").strip().lower()[:MAX_ACCOUNT_KEY]
    return f"user:{name}" if name else "user:"


def failed_sign_in(response) -> bool:
    """A sign-in that was tried and did not sign anyone in: the form shown again, not a redirect (an
    attempt refused by the lockout itself, 429, checked no password and is not counted again)."""
    return request.method == "POST" and response.status_code not in (301, 302, 303, 429)


limiter = Limiter(key_func=get_remote_address, default_limits=[])


#: the only requests that are limited: sign-ins, and asking the shop for one's tickets again
LIMITED = {"accounts.login", "shop.tickets_again"}


@limiter.request_filter
def _not_limited() -> bool:
    """Every other request (a sale, a map poll) skips the limiter's look-up of the limits that might apply."""
    return request.endpoint not in LIMITED


def email_key() -> str:
    """Whose requests a "send my tickets again" counts against: the address as typed, in small letters."""
    return "email:" + (request.form.get("email") or "").strip().lower()[:200]
