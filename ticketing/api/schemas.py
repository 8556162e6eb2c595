"""Marshmallow schemas: the single declaration behind validation and the OpenAPI document."""
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..money import MAX_SATANG
from ..tickets.services import code_for

#: database ids are 32-bit on every engine we run on: larger numbers are refused as invalid, not
#: passed on to overflow in the driver
ID_RANGE = validate.Range(1, 2**31 - 1)


class ApiErrorSchema(Schema):
    error = fields.String(required=True, metadata={"description": "stable error code"})
    message = fields.String(required=True, metadata={"description": "human text in the caller's language"})
    fields_ = fields.Dict(data_key="fields", metadata={"description": "field errors, when a value was wrong"})
    seats = fields.List(fields.Integer(), metadata={"description": "seats_taken: the seats sold meanwhile"})
    order_id = fields.String(metadata={"description": "idempotency_key_reused: the order the key made"})


class FestivalSchema(Schema):
    id = fields.Integer()
    name = fields.String(metadata={"description": "name in the requested language"})
    name_th = fields.String()
    name_en = fields.String()
    year = fields.Integer(metadata={"description": "C.E. year"})
    venue = fields.String()


class FestivalListSchema(Schema):
    festivals = fields.List(fields.Nested(FestivalSchema))


class SessionSchema(Schema):
    id = fields.Integer()
    festival_id = fields.Integer()
    name = fields.String()
    name_th = fields.String()
    name_en = fields.String()
    starts_at = fields.DateTime(metadata={"description": "ISO 8601, UTC"})
    ends_at = fields.DateTime(allow_none=True)


class SessionListSchema(Schema):
    sessions = fields.List(fields.Nested(SessionSchema))


class SessionQuerySchema(Schema):
    festival = fields.Integer(validate=ID_RANGE, metadata={"description": "only the sessions of this festival"})


class OrganizationRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()


class SeatSchema(Schema):
    id = fields.Integer()
    label = fields.String()
    stand = fields.String()
    section = fields.String()
    row = fields.String()
    state = fields.String(metadata={"enum": ["available", "held", "sold", "blocked"]})
    category = fields.String()
    price_satang = fields.Integer()
    sold_whole = fields.Boolean(metadata={"description": "the seat's row is a table sold whole: an order takes "
                                                         "all its seats or none"})
    organization = fields.Nested(OrganizationRefSchema, allow_none=True,
                                 metadata={"description": "the allocation, or null for the shared pool"})


class SeatListSchema(Schema):
    session_id = fields.Integer()
    seats = fields.List(fields.Nested(SeatSchema))


def _empty_or_email(value: str) -> None:
    if value:
        validate.Email()(value)


class BuyerSchema(Schema):
    name = fields.String(load_default="", validate=validate.Length(max=200))
    phone = fields.String(load_default="", validate=validate.Length(max=40))
    email = fields.String(load_default="", validate=_empty_or_email,
                          metadata={"description": "empty, or an e-mail address"})


class BestAvailableSchema(Schema):
    count = fields.Integer(required=True, strict=True, validate=validate.Range(1, 20))
    category = fields.String(load_default=None, metadata={"description": "price category code"})
    section = fields.String(load_default=None, metadata={"description": "section code"})


class OrderCreateSchema(Schema):
    """Send either ``seat_ids`` or ``best_available``, not both (``oneOf`` in the OpenAPI document)."""
    session_id = fields.Integer(required=True, strict=True, validate=ID_RANGE)
    seat_ids = fields.List(fields.Integer(strict=True, validate=ID_RANGE),
                           metadata={"description": "the seats to sell; send this or best_available, not both"})
    best_available = fields.Nested(BestAvailableSchema, metadata={
        "description": "let the server choose the best seats; send this or seat_ids, not both"})
    payment_method = fields.String(required=True, validate=validate.OneOf(
        ["cash", "transfer", "promptpay", "complimentary"]))
    received_satang = fields.Integer(strict=True, validate=validate.Range(0, MAX_SATANG),
                                     metadata={"description": "cash handed over (change is returned)"})
    reference = fields.String(load_default="", validate=validate.Length(max=100),
                              metadata={"description": "bank transfer reference (required for transfer)"})
    reason = fields.String(load_default="", validate=validate.Length(max=300),
                           metadata={"description": "why (required for complimentary)"})
    buyer = fields.Nested(BuyerSchema, load_default=dict)

    @validates_schema
    def one_way_to_choose(self, data, **kwargs):
        if ("seat_ids" in data) == ("best_available" in data):
            raise ValidationError("Send either seat_ids or best_available.", "seat_ids")


class TicketSchema(Schema):
    id = fields.String()
    seat_id = fields.Integer()
    price_satang = fields.Integer()
    status = fields.String()
    issue_no = fields.Integer()
    code = fields.Method("ticket_code", metadata={"description": "the signed code the QR carries (null when void)"})

    def ticket_code(self, ticket):
        return code_for(ticket) if ticket.status == "valid" else None


class PaymentSchema(Schema):
    method = fields.String()
    amount_satang = fields.Integer()
    custodian_id = fields.Integer(allow_none=True, metadata={"description": "organization that holds the money"})
    received_satang = fields.Integer(allow_none=True)


class RefundSchema(Schema):
    id = fields.Integer()
    method = fields.String(metadata={"description": "cash (back at the counter), transfer (back by bank transfer), "
                                                    "or the payment's own method"})
    amount_satang = fields.Integer()
    custodian_id = fields.Integer(allow_none=True, metadata={"description": "organization that paid the money back"})
    reference = fields.String(metadata={"description": "bank transfer reference"})
    reason = fields.String()
    created_at = fields.DateTime()


class OrderSchema(Schema):
    id = fields.String()
    number = fields.String(metadata={"description": "order (and receipt) number as printed: the id's first 8 "
                                                    "characters, upper case"})
    session_id = fields.Integer()
    organization_id = fields.Integer(allow_none=True)
    channel = fields.String()
    payment_method = fields.String()
    total_satang = fields.Integer()
    status = fields.String(metadata={"enum": ["paid", "partly_void", "void"]})
    created_at = fields.DateTime()
    buyer_name = fields.String()
    buyer_phone = fields.String()
    buyer_email = fields.String()
    tickets = fields.List(fields.Nested(TicketSchema))
    payments = fields.List(fields.Nested(PaymentSchema))
    refunds = fields.List(fields.Nested(RefundSchema))


class OrderQuerySchema(Schema):
    q = fields.String(validate=validate.Length(max=200), metadata={
        "description": "order or receipt number (or its first characters), buyer's name (or part of it), "
                       "seat as 'section row seat' (e.g. 'A1 2 4'); a phone number or e-mail also works here"})
    phone = fields.String(validate=validate.Length(max=40), metadata={"description": "the number or its last digits"})
    email = fields.String(validate=validate.Length(max=200), metadata={"description": "the whole address"})
    session = fields.Integer(validate=ID_RANGE, metadata={"description": "session id"})
    status = fields.String(validate=validate.OneOf(["paid", "partly_void", "void"]))
    method = fields.String(validate=validate.OneOf(["cash", "transfer", "promptpay", "card", "complimentary"]))
    from_ = fields.Date(data_key="from", metadata={"description": "first day (in Ubon), included"})
    to = fields.Date(metadata={"description": "last day (in Ubon), included; not before `from`"})
    cursor = fields.String(validate=validate.Length(max=200),
                           metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("to") and data.get("from_") and data["to"] < data["from_"]:
            raise ValidationError(_("The last day comes before the first day."), "to")


class OrderListSchema(Schema):
    orders = fields.List(fields.Nested(OrderSchema), metadata={"description": "newest first"})
    next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page"})


class VoidSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300),
                           metadata={"description": "why the order is voided (not blank)"})
    ticket_ids = fields.List(fields.String(validate=validate.Length(max=36)), validate=validate.Length(min=1, max=50),
                             metadata={"description": "void and refund only these tickets of the order "
                                                      "(omitted: every valid ticket, the whole order)"})
    refund_method = fields.String(validate=validate.OneOf(["cash", "transfer"]), metadata={
        "description": "how the money goes back: cash at the counter, or a bank transfer (give `reference`); "
                       "omitted: the way it was paid"})
    reference = fields.String(load_default="", validate=validate.Length(max=100),
                              metadata={"description": "the bank transfer's reference (refund_method transfer)"})


class RevocationSchema(Schema):
    session_id = fields.Integer()
    void = fields.List(fields.String(), metadata={"description": "ticket ids that must never enter"})
    reissued = fields.Dict(keys=fields.String(), values=fields.Integer(),
                           metadata={"description": "ticket id -> the only issue number still valid"})


class KeySchema(Schema):
    key_id = fields.Integer(metadata={"description": "0-15: the high four bits of a code's first byte"})
    public_key_pem = fields.String()


class PublicKeySchema(Schema):
    algorithm = fields.String()
    public_key_pem = fields.String(metadata={"description": "the current key (it signs new codes)"})
    key_id = fields.Integer(metadata={"description": "the current key's id"})
    keys = fields.List(fields.Nested(KeySchema), metadata={
        "description": "every accepted key: codes signed with an older key keep scanning after a rotation"})


class IdempotencyHeaderSchema(Schema):
    idempotency_key = fields.String(data_key="Idempotency-Key", validate=validate.Length(max=100), metadata={
        "description": "up to 100 characters, new for each sale: a retried request with the same key and the same "
                       "body gets the first order back; the same key with another body is refused with 409 "
                       "idempotency_key_reused"})


#: what the OpenAPI document states that a marshmallow field cannot: merged into the named component
#: schemas by ``api.register_api``
OPENAPI_RULES = {
    "OrderCreate": {"oneOf": [{"required": ["seat_ids"], "not": {"required": ["best_available"]}},
                              {"required": ["best_available"], "not": {"required": ["seat_ids"]}}]},
}
