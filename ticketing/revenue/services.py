"""Split rules, central fund expenses and closing statement periods (one audit entry per change)."""
import re
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..accounts.models import Organization
from ..errors import Conflict, Invalid
from ..extensions import db
from ..seating.models import PriceCategory, SeatingMap
from ..timeutil import from_local, in_service_years, utcnow
from ..festivals.models import Festival
from ..ledger.models import SplitRule, SplitRuleSet
from ..ledger.services import latest_version
from . import statements
from .models import ClosedPeriod, Expense

RECEIPT_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
MAX_RECEIPT_BYTES = 10_000_000


def receipt_type(data: bytes) -> str | None:
    """The media type a receipt file's content (its magic bytes) shows, among PDF, PNG and JPEG; else None."""
    kind = filetype.guess(data[:8192])
    return kind.mime if kind is not None and kind.mime in RECEIPT_TYPES.values() else None
#: a sale takes its ledger time when it starts and commits a moment later: a period is closed only
#: when no sale that started inside it can still be in flight
CLOSE_GRACE = timedelta(minutes=10)


def _category_codes(festival_id: int) -> set[str]:
    return set(db.session.scalars(select(PriceCategory.code).join(SeatingMap, SeatingMap.id == PriceCategory.map_id)
                                  .where(SeatingMap.festival_id == festival_id)))


def claim_festival(festival_id: int) -> None:
    """Lock the festival's row until this transaction ends (a no-op update of a column no foreign key
    refers to, so sales writing rows that point at the festival are not held up): saving split rules and
    closing a period take it first, so two treasurers doing either at the same moment go one after
    the other, and the second sees what the first wrote (its version, its closed period)."""
    db.session.execute(update(Festival).where(Festival.id == festival_id).values(year=Festival.year)
                       .execution_options(synchronize_session=False))


def save_rules(actor, festival, rules: list[dict]) -> int:
    """Replace the festival's split rules with ``rules`` as a new version; return the version.
    Each rule: kind (commission | operator_fee), organization_id (None = every seller, for a
    commission), category_code (None = all), and basis_points (0-10000) or fixed_satang."""
    members = set(db.session.scalars(select(Organization.id).where(Organization.kind == "member")))
    categories = _category_codes(festival.id)
    errors, clean = {}, []
    for i, rule in enumerate(rules):
        kind, org, cat = rule.get("kind"), rule.get("organization_id"), rule.get("category_code") or None
        bps, fixed = rule.get("basis_points"), rule.get("fixed_satang")
        where = f"rules[{i}]"
        if kind not in ("commission", "operator_fee"):
            errors[where] = _("Choose commission or operator fee.")
        elif org is not None and org not in members:
            errors[where] = _("Choose a member organization.")
        elif kind == "operator_fee" and org is None:
            errors[where] = _("An operator fee names the organization that operates.")
        elif cat is not None and cat not in categories:
            errors[where] = _("Unknown category.")
        elif (bps is None) == (fixed is None):
            errors[where] = _("Give either a percentage or a fixed amount per ticket.")
        elif bps is not None and (not isinstance(bps, int) or isinstance(bps, bool) or not 0 <= bps <= 10_000):
            errors[where] = _("A percentage is between 0 and 100 with at most two decimals.")
        elif fixed is not None and (not isinstance(fixed, int) or isinstance(fixed, bool) or fixed < 0):
            errors[where] = _("A fixed amount is a non-negative amount in baht.")
        else:
            clean.append((kind, org, cat, bps, fixed))
    if len(set((k, o, c) for k, o, c, _b, _f in clean)) != len(clean):
        errors["rules"] = _("Two rules say the same thing for the same organization and category.")
    if errors:
        raise Invalid(_("Some rules are wrong."), details=errors)
    claim_festival(festival.id)
    version = (db.session.scalar(select(latest_version(festival.id))) or 0) + 1
    try:
        with db.session.begin_nested():  # the unique index is the backstop behind the claim
            db.session.add(SplitRuleSet(festival_id=festival.id, version=version,
                                        created_by_id=getattr(actor, "id", None)))
    except IntegrityError:
        raise Conflict(_("Someone else saved the split rules at the same moment. Reload the page and check "
                         "the rules before saving again."), code="rules_saved_meanwhile") from None
    db.session.add_all([SplitRule(festival_id=festival.id, version=version, kind=k, organization_id=o, category_code=c,
                                  basis_points=b, fixed_satang=f, created_by_id=getattr(actor, "id", None))
                        for k, o, c, b, f in clean])
    audit.record(actor, "revenue.rules", "festival", festival.id, None, {"version": version, "rules": [
        {"kind": k, "organization_id": o, "category_code": c, "basis_points": b, "fixed_satang": f}
        for k, o, c, b, f in clean]})
    return version


def rules_of(festival_id: int, version: int | None = None) -> list[SplitRule]:
    if version is None:
        version = db.session.scalar(select(latest_version(festival_id)))
    return list(db.session.scalars(select(SplitRule).where(SplitRule.festival_id == festival_id,
                                                           SplitRule.version == version).order_by(SplitRule.id)))


def add_expense(actor, festival, *, spent_on, category: str, amount_satang, payee: str, note: str = "",
                receipt_name: str | None = None, receipt_bytes: bytes | None = None, spent_time: time | None = None) -> Expense:
    """Record an expense of the central fund. It counts in statements at ``spent_time`` (Ubon) of
    ``spent_on``, or at 00:00 of that day when no time is given."""
    errors = {}
    if not isinstance(spent_on, date) or not in_service_years(spent_on):
        errors["spent_on"] = _("Give the date of the expense.")
    if not (category or "").strip():
        errors["category"] = _("Give a category, e.g. promotion.")
    if not isinstance(amount_satang, int) or isinstance(amount_satang, bool) or amount_satang <= 0:
        errors["amount"] = _("Give an amount in baht greater than zero.")
    if not (payee or "").strip():
        errors["payee"] = _("Who was paid?")
    suffix = Path(receipt_name or "").suffix.lower()
    if receipt_bytes is not None:
        if suffix not in RECEIPT_TYPES:
            errors["receipt"] = _("The receipt must be a PDF, PNG or JPEG file.")
        elif len(receipt_bytes) > MAX_RECEIPT_BYTES:
            errors["receipt"] = _("The receipt file is larger than 10 MB.")
        elif not receipt_bytes:
            errors["receipt"] = _("The receipt file is empty.")
        elif receipt_type(receipt_bytes) != RECEIPT_TYPES[suffix]:
            # Judged by the content, not the name: a page or a script renamed .pdf is refused.
            errors["receipt"] = _("This file is not the PDF, PNG or JPEG picture its name says; scan or "
                                  "export the receipt again.")
    if errors:
        raise Invalid(_("Please correct the highlighted fields."), details=errors)
    spent_at = from_local(datetime.combine(spent_on, spent_time or time(0, 0)))
    if statements.is_closed(festival.id, spent_at, spent_at + timedelta(microseconds=1)):
        raise Conflict(_("That day is in a closed period, whose statement cannot change. Date the expense "
                         "in the current period and say in the note which day it was for."),
                       code="period_closed", details={"spent_on": _("This day is in a closed period.")})
    stored = None
    if receipt_bytes is not None:
        folder = Path(current_app.config["INSTANCE_PATH"]) / "receipts"
        folder.mkdir(parents=True, exist_ok=True)
        stored = folder / f"{uuid.uuid4()}{suffix}"
        stored.write_bytes(receipt_bytes)
    expense = Expense(festival_id=festival.id, spent_on=spent_on, spent_at=spent_at, category=category.strip()[:100],
                      amount_satang=amount_satang, payee=payee.strip()[:200], note=(note or "").strip()[:500],
                      receipt_path=str(stored) if stored else None,
                      receipt_name=re.sub(r"[^\w.\- ]", "_", receipt_name or "")[:200] if stored else None,
                      created_by_id=getattr(actor, "id", None))
    db.session.add(expense)
    db.session.flush()
    audit.record(actor, "revenue.expense", "expense", expense.id, None,
                 {"amount_satang": amount_satang, "category": expense.category, "payee": expense.payee})
    return expense


def close_period(actor, festival, starts_at: datetime, ends_at: datetime) -> ClosedPeriod:
    """Freeze a period's statement. Only a period that is over, and that overlaps no closed one."""
    if ends_at <= starts_at:
        raise Invalid(_("The end must come after the start."))
    claim_festival(festival.id)  # a second closing at the same moment waits, then sees this one
    if ends_at > utcnow() - CLOSE_GRACE:
        raise Conflict(_("A period can be closed once it has been over for %(n)d minutes (sales in progress at "
                         "its end must land first).", n=CLOSE_GRACE.seconds // 60), code="period_not_over")
    if statements.is_closed(festival.id, starts_at, ends_at):
        raise Conflict(_("This period overlaps a closed one."), code="period_closed")
    snapshot = statements.build(festival.id, starts_at, ends_at).to_dict()
    snapshot.pop("generated_at")
    snapshot.pop("closed")
    snapshot.pop("open_parts", None)
    period = ClosedPeriod(festival_id=festival.id, starts_at=starts_at, ends_at=ends_at, snapshot=snapshot,
                          closed_by_id=getattr(actor, "id", None))
    db.session.add(period)
    db.session.flush()
    audit.record(actor, "revenue.close", "festival", festival.id, None,
                 {"period": [starts_at.isoformat(), ends_at.isoformat()], "closed_period": period.id})
    return period
