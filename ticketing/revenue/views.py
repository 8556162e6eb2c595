"""The treasurer's pages: dashboard, statements and their exports, split rules, expenses, closing."""
import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request, send_file,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.utils import secure_filename

from ..accounts.access import organization_scope, roles_required
from ..accounts.services import member_organizations
from ..errors import Invalid
from ..extensions import db
from ..festivals.models import Festival
from ..festivals.services import list_festivals
from ..handling import page_action
from ..i18n import lang
from ..inventory.services import categories_for_session
from ..money import format_thb, parse_baht
from ..sales.methods import method_name
from ..timeutil import BANGKOK, format_date, parse_day, utcnow
from . import check, dashboard, exports, services, statements
from .exports.common import central_rows, share_rows
from .ledger_csv import ledger_csv_rows
from .charts import bar_chart
from ..ledger.models import LedgerEntry
from .models import ClosedPeriod, Expense

bp = Blueprint("revenue", __name__, url_prefix="/revenue")


def _festival() -> Festival:
    festivals = list_festivals()
    wanted = request.args.get("festival", type=int)
    festival = next((f for f in festivals if f.id == wanted), festivals[0] if festivals else None)
    if festival is None:
        abort(404)
    return festival


def _dates(festival) -> tuple[date, date]:
    """The period asked for, as Ubon dates (inclusive); by default from the first sale to today."""
    today = utcnow().astimezone(BANGKOK).date()
    first = db.session.scalar(select(LedgerEntry.at).where(LedgerEntry.festival_id == festival.id)
                              .order_by(LedgerEntry.at).limit(1))
    default_from = first.astimezone(BANGKOK).date() if first else today
    try:
        start = parse_day(request.args.get("from") or default_from.isoformat())
        end = parse_day(request.args.get("to") or max(today, default_from).isoformat())
    except ValueError:
        flash(_("Give dates as YYYY-MM-DD, between the years 2000 and 2100."), "error")
        start, end = default_from, max(today, default_from)
    if end < start:
        flash(_("The end must come after the start."), "error")
        end = start
    return start, end


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return statements.day_bounds(start)[0], statements.day_bounds(end)[1]


def _only() -> int | None:
    """Whose figures the user may see: None for every organization, else its own (403 for nobody's)."""
    try:
        return organization_scope(current_user)
    except PermissionError:
        abort(403)


def _chosen(only: int | None) -> int | None:
    """The organization whose statement is shown: a seller's own; for a treasurer or an admin the one
    chosen with ``?organization=ID`` (a member), or None for all of them."""
    if only is not None:
        return only
    wanted = request.args.get("organization", type=int)
    return wanted if wanted in {o.id for o in member_organizations()} else None


def _query(festival, start, end, chosen) -> dict:
    query = {"festival": festival.id, "from": start.isoformat(), "to": end.isoformat()}
    if chosen is not None:
        query["organization"] = chosen
    return query


@bp.get("/")
@roles_required("admin", "treasurer", "seller")
def index():
    only = _only()
    festival = _festival()
    start, end = _dates(festival)
    chosen = _chosen(only)
    statement = statements.build(festival.id, *_bounds(start, end), chosen)
    charts, fairness = [], []
    if only is None:
        data = dashboard.breakdowns(festival.id, *_bounds(start, end), lang())
        titles = {"organization": _("Sales by organization, net of refunds (baht)"),
                  "session": _("Sales by session, net of refunds (baht)"),
                  "category": _("Sales by category, net of refunds (baht)"),
                  "method": _("Sales by payment method, net of refunds (baht)")}
        data["method"] = [(method_name(method), amount) for method, amount in data["method"]]
        charts = [bar_chart(rows, titles[key]) for key, rows in data.items()]
        days = dashboard.by_day(festival.id, start, end)
        if len(days) > 1:
            charts.insert(0, bar_chart([(format_date(day, lang()), amount) for day, amount in days],
                                       _("Sales per day, net of refunds (baht)")))
        fairness = dashboard.fairness(festival.id, lang())
    return render_template("revenue/index.html", festival=festival, festivals=list_festivals(), statement=statement,
                           start=start, end=end, charts=charts, fairness=fairness,
                           query=_query(festival, start, end, chosen), chosen=chosen,
                           share_lines=_share_lines(statement),
                           central_lines=central_rows(statement.central) if statement.central else [],
                           organizations=member_organizations() if only is None else [],
                           problems=[] if only else check.statement_problems(statement))


def _share_lines(statement) -> list[tuple[str, str, str, int]]:
    """(who, kind, rule and rate, satang) for every share line of the statement, in the reader's language."""
    pick = 0 if lang() == "th" else 1
    rows = []
    for org in statement.organizations:
        rows += [(org.name_th if pick == 0 else org.name_en, kind[pick], rate[pick], satang)
                 for kind, rate, satang in share_rows(org)]
    if statement.central is not None:
        rows += [(_("Central fund"), kind[pick], rate[pick], satang) for kind, rate, satang in share_rows(statement.central)]
    return rows


@bp.get("/statement.<fmt>")
@roles_required("admin", "treasurer", "seller")
def export(fmt):
    only = _only()
    festival = _festival()
    start, end = _dates(festival)
    chosen = _chosen(only)
    statement = statements.build(festival.id, *_bounds(start, end), chosen)
    name = f"statement-{festival.year}-{start}-{end}"
    if chosen is not None:
        name += f"-{secure_filename(statement.organizations[0].code) or chosen}"
    if fmt == "csv" and request.args.get("format") == "machine":  # satang, English headings, no BOM
        return Response(exports.statement_csv(statement), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}-machine.csv"})
    if fmt == "csv":  # for people: baht, headings in the reader's language, UTF-8 with a BOM for Excel
        return Response(exports.statement_csv_people(statement, lang()), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    if fmt == "xlsx":
        return send_file(io.BytesIO(exports.statement_xlsx(statement)), download_name=f"{name}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if fmt == "pdf":
        return send_file(io.BytesIO(exports.statement_pdf(statement)), download_name=f"{name}.pdf",
                         mimetype="application/pdf")
    if fmt == "json":
        return statement.to_dict()
    abort(404)


@bp.get("/ledger.csv")
@roles_required("admin", "treasurer")
def ledger_csv():
    """Every ledger entry of the period, streamed row by row (memory stays flat however many)."""
    festival = _festival()
    start, end = _dates(festival)
    return Response(stream_with_context(ledger_csv_rows(festival.id, *_bounds(start, end))), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=ledger-{festival.year}-{start}-{end}.csv"})


# --- split rules ---------------------------------------------------------------------------

RULE_ROWS = 8
MAX_RULE_ROWS = 40


@bp.route("/rules", methods=["GET", "POST"])
@roles_required("admin", "treasurer")
def rules():
    festival = _festival()
    form = FlaskForm()

    def save():
        version = services.save_rules(current_user, festival, _rules_from_form())
        return _("Split rules saved as version %(v)d; they apply to sales from now on.", v=version)
    if request.method == "POST" and page_action(save, form=form, success=lambda message: message).ok:
        return redirect(url_for(".rules", festival=festival.id))
    rows = _posted_rule_rows() if request.method == "POST" else _rule_rows(services.rules_of(festival.id))
    sessions = festival.sessions
    categories = categories_for_session(sessions[0]) if sessions else []
    return render_template("revenue/rules.html", festival=festival, rule_rows=rows,
                           blank_rows=max(RULE_ROWS - len(rows), 2), organizations=member_organizations(),
                           categories=categories, form=form)


def _rule_rows(rules) -> list[dict]:
    """The saved rules as the form shows them (percent and baht as text)."""
    return [{"kind": r.kind, "organization_id": r.organization_id, "category_code": r.category_code,
             "percent": format_thb(r.basis_points) if r.basis_points is not None else "",
             "fixed": format_thb(r.fixed_satang) if r.fixed_satang is not None else ""} for r in rules]


def _posted_rule_rows() -> list[dict]:
    """What the treasurer typed, kept as typed so that a refused save loses nothing."""
    rows = []
    for i in range(MAX_RULE_ROWS):
        kind = request.form.get(f"kind-{i}")
        if kind:
            org = request.form.get(f"org-{i}") or ""
            rows.append({"kind": kind, "organization_id": int(org) if org.isdigit() else None,
                         "category_code": request.form.get(f"category-{i}") or None,
                         "percent": request.form.get(f"percent-{i}", ""), "fixed": request.form.get(f"fixed-{i}", "")})
    return rows


def _number(text: str, row: int, what: str) -> int | None:
    """Baht or percent typed in a rule row, in hundredths; None when empty."""
    text = text.strip()
    if not text:
        return None
    try:
        return parse_baht(text)
    except ValueError:
        if text.startswith("-"):
            raise Invalid(_("Row %(n)d: a percentage or an amount cannot be negative.", n=row))
        if re.fullmatch(r"[0-9๐-๙,]*\.[0-9๐-๙]{3,}", text):
            raise Invalid(_("Row %(n)d: at most two decimals are allowed in the %(what)s (like 12.35, not "
                            "12.345).", n=row, what=what))
        raise Invalid(_("Row %(n)d: give the %(what)s as a number, like 10 or 12.5.", n=row, what=what))


def _rules_from_form() -> list[dict]:
    rules = []
    for i, row in enumerate(_posted_rule_rows(), start=1):
        rules.append({"kind": row["kind"], "organization_id": row["organization_id"],
                      "category_code": row["category_code"],
                      "basis_points": _number(row["percent"], i, _("percentage")),  # "12.5" % -> 1250 bp
                      "fixed_satang": _number(row["fixed"], i, _("amount"))})
    return rules


# --- expenses ------------------------------------------------------------------------------

@bp.route("/expenses", methods=["GET", "POST"])
@roles_required("admin", "treasurer")
def expenses():
    festival = _festival()
    form = FlaskForm()
    errors: dict = {}
    if request.method == "POST" and page_action(lambda: _add_expense(festival), form=form, errors=errors,
                                                success=lambda message: message).ok:
        return redirect(url_for(".expenses", festival=festival.id))
    rows = db.session.scalars(select(Expense).where(Expense.festival_id == festival.id)
                              .order_by(Expense.spent_on.desc(), Expense.id.desc())).all()
    values = request.form if request.method == "POST" else {}
    return render_template("revenue/expenses.html", festival=festival, expenses=rows, form=form, values=values,
                           errors=errors)


def _add_expense(festival) -> str:
    upload = request.files.get("receipt")
    data = upload.read(services.MAX_RECEIPT_BYTES + 1) if upload and upload.filename else None
    typed = {}
    try:
        amount = parse_baht(request.form.get("amount") or "")
    except ValueError:
        amount = None
        if (request.form.get("amount") or "").strip():
            typed["amount"] = _("Give the amount in baht as a number, like 15,000 or 1500.50.")
    try:
        spent_on = parse_day(request.form.get("spent_on") or "")
    except ValueError:
        spent_on = None
        if request.form.get("spent_on"):
            typed["spent_on"] = _("Give a date between the years 2000 and 2100.")
    spent_time = None
    if (request.form.get("spent_time") or "").strip():
        try:
            spent_time = datetime.strptime(request.form["spent_time"].strip(), "%H:%M").time()
        except ValueError:
            typed["spent_time"] = _("Give the time as HH:MM, like 14:30, or leave it empty.")
    if typed:
        raise Invalid(_("Some values are wrong; see the marked fields."), details=typed)
    services.add_expense(current_user, festival, spent_on=spent_on, category=request.form.get("category", ""),
                         amount_satang=amount, payee=request.form.get("payee", ""),
                         note=request.form.get("note", ""), receipt_name=upload.filename if data else None,
                         receipt_bytes=data, spent_time=spent_time)
    return _("Expense recorded.")


@bp.get("/expenses/<int:expense_id>/receipt")
@roles_required("admin", "treasurer")
def receipt(expense_id):
    expense = db.get_or_404(Expense, expense_id)
    if not expense.receipt_path:
        abort(404)
    # Always downloaded, never shown in the site's pages, with the type its content was checked to be.
    suffix = Path(expense.receipt_path).suffix.lower()
    return send_file(expense.receipt_path, download_name=expense.receipt_name or f"receipt{suffix}", as_attachment=True,
                     mimetype=services.RECEIPT_TYPES.get(suffix, "application/octet-stream"))


# --- closing -------------------------------------------------------------------------------

@bp.route("/close", methods=["GET", "POST"])
@roles_required("admin", "treasurer")
def close():
    festival = _festival()
    form = FlaskForm()

    def close_it():
        try:
            start = parse_day(request.form.get("from") or "")
            end = parse_day(request.form.get("to") or "")
        except ValueError:
            raise Invalid(_("Give dates as YYYY-MM-DD, between the years 2000 and 2100."))
        services.close_period(current_user, festival, *_bounds(start, end))
        return _("The period is closed.")
    if request.method == "POST" and page_action(close_it, form=form, success=lambda message: message).ok:
        return redirect(url_for(".close", festival=festival.id))
    periods = db.session.scalars(select(ClosedPeriod).where(ClosedPeriod.festival_id == festival.id)
                                 .order_by(ClosedPeriod.starts_at)).all()
    yesterday = utcnow().astimezone(BANGKOK).date() - timedelta(days=1)
    # each closed period with the page of its statement: its first and last Ubon day
    links = [(p, {"festival": festival.id, "from": p.starts_at.astimezone(BANGKOK).date().isoformat(),
                  "to": (p.ends_at - timedelta(microseconds=1)).astimezone(BANGKOK).date().isoformat()})
             for p in periods]
    return render_template("revenue/close.html", festival=festival, periods=links, form=form, yesterday=yesterday)


@bp.get("/closed/<int:period_id>.json")
@roles_required("admin", "treasurer")
def closed_snapshot(period_id):
    """The statement of a closed period exactly as it was frozen when the period was closed."""
    period = db.get_or_404(ClosedPeriod, period_id)
    return {"id": period.id, "festival_id": period.festival_id, "starts_at": period.starts_at.isoformat(),
            "ends_at": period.ends_at.isoformat(), "closed_at": period.closed_at.isoformat(),
            "statement": period.snapshot}
