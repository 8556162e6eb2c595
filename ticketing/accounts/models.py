"""Organizations (the nine members and the central fund), users, roles and API tokens."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Float, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow

ROLES = ("admin", "treasurer", "seller", "gate")
ORG_KINDS = ("member", "central")


class Organization(db.Model):
    __tablename__ = "organizations"
    __table_args__ = (CheckConstraint("kind IN ('member', 'central')", name="kind"),
                      CheckConstraint("transfer_custody IN ('own', 'central')", name="transfer_custody"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: short stable code used in files and URLs, e.g. "chamber"
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: "member" for one of the nine, "central" for the central fund's own account
    kind: Mapped[str] = mapped_column(String(10), default="member")
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    #: a placeholder from the demo file that the secretariat should edit
    is_example: Mapped[bool] = mapped_column(default=False)
    #: inactive organizations keep their history but get no new allocations or users
    active: Mapped[bool] = mapped_column(default=True)
    #: order of display (and of dealing in "equal shares")
    position: Mapped[int] = mapped_column(default=0)
    #: PromptPay ID money is paid to when this account receives it (phone, tax ID or e-wallet ID)
    promptpay_id: Mapped[str] = mapped_column(String(20), default="")
    #: bank transfers and PromptPay taken at this organization's counter go to its "own" account or to "central"
    transfer_custody: Mapped[str] = mapped_column(String(10), default="central")

    def name(self, locale: str) -> str:
        return self.name_th if locale == "th" else self.name_en


def central_fund_id():
    """SQL: the id of the central fund's account (at most one; NULL before it exists), as a scalar subquery."""
    return select(Organization.id).where(Organization.kind == "central").scalar_subquery()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    #: the organization a seller sells for; None for the secretariat's staff
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    active: Mapped[bool] = mapped_column(default=True)
    #: "th" or "en"; None follows the site default (Thai)
    language: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: raised by logout, a password, role or organization change and deactivation: every session cookie
    #: carries the generation it was made in, and one of an older generation no longer signs anyone in
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    organization: Mapped[Organization | None] = relationship()
    role_rows: Mapped[list["UserRole"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> set[str]:
        return {r.role for r in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What the session cookie keeps: the user's id and its session generation (Flask-Login's
        "alternative token"), so that raising the generation ends every session of the user."""
        return f"{self.id}:{self.session_generation}"


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint("role IN ('admin', 'treasurer', 'seller', 'gate')", name="role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: hex SHA-256 of the token
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: first characters of the token, to tell tokens apart in lists
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the token was last used, written at most once a minute (``accounts.services.LAST_USED_EVERY``)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: after this moment the token signs nobody in; None: until revoked
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class RateLimitCounter(db.Model):
    """One rate-limit counter (failed sign-ins per account or per address) shared by every worker
    and host: the storage behind Flask-Limiter when no Redis is configured (``accounts.throttle``)."""

    __tablename__ = "rate_limit_counters"

    #: Flask-Limiter's key: the limit, its scope and whom it counts (a username or an address)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    #: hits counted in the current window
    hits: Mapped[int]
    #: the window's end, in seconds since the epoch (as Flask-Limiter reckons time)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
