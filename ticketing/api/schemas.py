"""Marshmallow schemas: the single declaration behind validation and the OpenAPI document."""
from marshmallow import Schema, fields


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"description": "stable error code"})
    message = fields.String(required=True, metadata={"description": "human text in the caller's language"})
    fields_ = fields.Dict(data_key="fields", metadata={"description": "field errors, when a value was wrong"})


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
    festival = fields.Integer(metadata={"description": "only the sessions of this festival"})


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
    organization = fields.Nested(OrganizationRefSchema, allow_none=True,
                                 metadata={"description": "the allocation, or null for the shared pool"})


class SeatListSchema(Schema):
    session_id = fields.Integer()
    seats = fields.List(fields.Nested(SeatSchema))


class BuyerSchema(Schema):
    name = fields.String(load_default="", validate=lambda v: len(v) <= 200)
    phone = fields.String(load_default="", validate=lambda v: len(v) <= 40)
    email = fields.Email(load_default="")


class OrderCreateSchema(Schema):
    session_id = fields.Integer(required=True, strict=True)
    seat_ids = fields.List(fields.Integer(strict=True), required=True)
    payment_method = fields.String(required=True, metadata={"enum": ["cash", "transfer", "promptpay"]})
    buyer = fields.Nested(BuyerSchema, load_default=dict)


class TicketSchema(Schema):
    id = fields.String()
    seat_id = fields.Integer()
    price_satang = fields.Integer()
    status = fields.String()


class OrderSchema(Schema):
    id = fields.String()
    session_id = fields.Integer()
    organization_id = fields.Integer(allow_none=True)
    payment_method = fields.String()
    total_satang = fields.Integer()
    status = fields.String()
    created_at = fields.DateTime()
    tickets = fields.List(fields.Nested(TicketSchema))


class VoidSchema(Schema):
    reason = fields.String(required=True)
