"""The settlement statement as JSON (the same figures as the CSV, XLSX and PDF exports)."""
from flask_babel import gettext as _
from flask_login import current_user
from .parsing import Blueprint
from marshmallow import Schema, ValidationError, fields, validates_schema

from ..accounts.access import organization_scope
from ..accounts.models import Organization
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..festivals.models import Festival
from ..revenue import statements
from ..timeutil import in_service_years
from .schemas import ID_RANGE


def sensible_year(value):
    if not in_service_years(value):
        raise ValidationError("Give a date between the years 2000 and 2100.")

bp = Blueprint("api_revenue", __name__, url_prefix="/api/v1", description="Revenue statements")


class StatementQuerySchema(Schema):
    festival = fields.Integer(required=True, strict=False, validate=ID_RANGE)
    organization = fields.Integer(strict=False, validate=ID_RANGE, metadata={
        "description": "one member organization's statement only (treasurers and admins; a seller always "
                       "gets its own)"})
    from_ = fields.AwareDateTime(data_key="from", validate=sensible_year, metadata={
        "description": "ISO 8601 with a UTC offset, years 2000-2100; omitted: the festival's first sale or expense"})
    to = fields.AwareDateTime(validate=sensible_year, metadata={
        "description": "ISO 8601 with a UTC offset, after 'from', years 2000-2100; omitted: now"})

    @validates_schema
    def ordered(self, data, **kwargs):
        if "to" in data and "from_" in data and data["to"] <= data["from_"]:
            raise ValidationError("'to' must come after 'from'.", "to")


class CategoryLineSchema(Schema):
    code, name_th, name_en = fields.String(), fields.String(), fields.String()
    tickets, gross_satang = fields.Integer(), fields.Integer()


class ShareLineSchema(Schema):
    kind = fields.String(metadata={"description": "seller_commission | operator_fee | central_share | processor_fee"})
    rule_version = fields.Integer(allow_none=True, metadata={"description": "the split-rule version used"})
    basis_points = fields.Integer(allow_none=True, metadata={"description": "the rule's rate, 1/100 of a percent"})
    fixed_satang = fields.Integer(allow_none=True, metadata={"description": "or its fixed amount per ticket"})
    amount_satang = fields.Integer()
    fee = fields.Boolean(metadata={"description": "true: the entries moving a payment processor's fee out of the "
                                                  "central fund's share (not a rule's split)"})


class OrganizationStatementSchema(Schema):
    organization_id = fields.Integer()
    code, name_th, name_en = fields.String(), fields.String(), fields.String()
    categories = fields.List(fields.Nested(CategoryLineSchema))
    tickets_sold, gross_satang, complimentary_tickets = fields.Integer(), fields.Integer(), fields.Integer()
    tickets_voided, refunds_satang, share_satang = fields.Integer(), fields.Integer(), fields.Integer()
    custody_satang = fields.Integer(metadata={"description": "money it holds (cash, transfers to its account)"})
    net_to_central_satang = fields.Integer(metadata={"description": "positive: to remit; negative: to receive"})
    net_sales_satang = fields.Integer(metadata={"description": "gross - refunds"})
    commission_satang = fields.Integer(metadata={"description": "its share earned as the seller"})
    operator_fee_satang = fields.Integer(metadata={"description": "its share earned as an operator"})
    shares = fields.List(fields.Nested(ShareLineSchema), metadata={"description": "shares by kind, rule and rate"})


class OnlineSalesSchema(Schema):
    code = fields.String(metadata={"description": "always 'online'"})
    categories = fields.List(fields.Nested(CategoryLineSchema))
    tickets_sold, gross_satang = fields.Integer(), fields.Integer()
    tickets_voided, refunds_satang = fields.Integer(), fields.Integer()
    net_sales_satang = fields.Integer(metadata={"description": "gross - refunds"})
    fees_satang = fields.Integer(metadata={"description": "the payment processor's (Stripe's) fees on these orders; "
                                                         "the central fund's fees_satang includes them"})


class CentralSummarySchema(Schema):
    gross_satang, refunds_satang = fields.Integer(), fields.Integer()
    shares_to_organizations_satang, central_share_satang = fields.Integer(), fields.Integer()
    fees_satang = fields.Integer(metadata={"description": "payment processor fees (online orders), part of "
                                                         "central_share_satang"})
    expenses_satang, custody_satang = fields.Integer(), fields.Integer()
    net_satang = fields.Integer(metadata={"description": "central_share - fees - expenses"})
    net_sales_satang = fields.Integer(metadata={"description": "gross - refunds"})
    receivable_satang = fields.Integer(metadata={"description": "what members are to remit to it in total"})
    payable_satang = fields.Integer(metadata={"description": "what it owes members in total"})
    reconciled_satang = fields.Integer(metadata={
        "description": "custody + receivable - payable; always equals central_share_satang"})
    shares = fields.List(fields.Nested(ShareLineSchema))


class StatementSchema(Schema):
    festival_id = fields.Integer()
    festival_th, festival_en = fields.String(), fields.String()
    starts_at, ends_at, generated_at = fields.String(), fields.String(), fields.String()
    closed = fields.Boolean(metadata={"description": "the whole period lies inside closed periods"})
    open_parts = fields.List(fields.List(fields.String()), metadata={
        "description": "[start, end) parts of the period outside every closed period: figures there may change"})
    organizations = fields.List(fields.Nested(OrganizationStatementSchema))
    central = fields.Nested(CentralSummarySchema, metadata={"description": "treasurers and admins only"})
    online = fields.Nested(OnlineSalesSchema, metadata={
        "description": "the online shop's line (orders with no selling organization, paid to the central fund); "
                       "treasurers and admins, in the statement of every organization only"})


@bp.route("/revenue/statement")
@bp.arguments(StatementQuerySchema, location="query")
@bp.response(200, StatementSchema)
def statement(args):
    """Per-organization statement and central fund summary over [from, to); without them, the whole
    festival (from its first sale or expense to now). Treasurers and admins see every organization; a
    seller sees only its own."""
    if db.session.get(Festival, args["festival"]) is None:
        raise NotFound(_("No such festival."))
    try:
        only = organization_scope(current_user)
    except PermissionError:
        raise Forbidden(_("You may not do this.")) from None
    if only is None and args.get("organization") is not None:
        if db.session.get(Organization, args["organization"]) is None:
            raise NotFound(_("No such organization."))
        only = args["organization"]
    first, now = statements.whole_festival(args["festival"])
    starts_at = args.get("from_") or first
    ends_at = args.get("to") or max(now, starts_at)
    result = statements.build(args["festival"], starts_at, ends_at, only).to_dict()
    if only is not None:
        result.pop("central")
        result.pop("online")
    return result
