"""The audit page (admins and treasurers): every entry, newest first, narrowed by organization, user,
kind and date, with its place in the chain; the chain's export for an organization to keep."""
from datetime import datetime, timedelta

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.access import roles_required
from ..accounts.models import Organization, User
from ..extensions import db
from ..timeutil import from_local, parse_day, utcnow
from .chain import head, export_lines
from .search import AuditFilter, kinds, search

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _id(name: str) -> int | None:
    value = (request.args.get(name) or "").strip()
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < 2**31 else None


def _day(name: str, errors: dict):
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return parse_day(value)
    except ValueError:
        errors[name] = _("Give a date such as 2027-07-19.")
        return None


@bp.get("/")
@roles_required("admin", "treasurer")
def index():
    errors: dict = {}
    first, last = _day("from", errors), _day("to", errors)
    if first and last and last < first:
        errors["to"] = _("The last day comes before the first.")
    f = AuditFilter(organization_id=_id("organization"), user_id=_id("user"),
                    kind=(request.args.get("kind") or "").strip()[:60] or None,
                    starts_at=from_local(datetime.combine(first, datetime.min.time())) if first else None,
                    ends_at=from_local(datetime.combine(last + timedelta(days=1), datetime.min.time())) if last else None)
    rows, next_before = ([], None) if errors else search(f, _id("before"))
    users = {u.id: u for u in db.session.scalars(select(User).order_by(User.username))}
    organizations = {o.id: o for o in db.session.scalars(select(Organization).order_by(Organization.position))}
    seq, digest = head()
    return render_template("audit/index.html", rows=rows, next_before=next_before, f=f, errors=errors,
                           users=users, organizations=organizations, kinds=kinds(), head_seq=seq, head_hash=digest,
                           args={k: v for k, v in request.args.items() if k != "before"})


@bp.get("/export.jsonl")
@roles_required("admin", "treasurer")
def export():
    """The chain with its head, streamed; for one organization, other organizations' entries as hashes only."""
    org = db.session.get(Organization, _id("organization")) if _id("organization") else None
    name = f"audit-chain-{org.code if org else 'all'}-{utcnow():%Y%m%d-%H%M%S}.jsonl"
    return Response(stream_with_context(export_lines(org)), mimetype="application/x-ndjson",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
