from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, StringField
from wtforms.validators import Email, InputRequired

from .methods import COUNTER_METHODS, METHOD_NAMES


class SaleForm(FlaskForm):
    seat_ids = HiddenField()
    #: made by the page when it opens: a double submit (or a retry) returns the same order
    idempotency_key = HiddenField()
    buyer_name = StringField(_l("Buyer's name"))
    buyer_phone = StringField(_l("Phone"), render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "off"})
    buyer_email = StringField(_l("E-mail"), render_kw={"inputmode": "email", "autocapitalize": "none",
                                                        "autocorrect": "off", "spellcheck": "false"})
    payment_method = RadioField(_l("Payment"), default="cash", choices=[(m, METHOD_NAMES[m]) for m in COUNTER_METHODS])
    received = StringField(_l("Cash received (baht)"))
    reference = StringField(_l("Transfer reference"))
    reason = StringField(_l("Reason for complimentary seats"))


class VoidForm(FlaskForm):
    reason = StringField(_l("Reason for voiding"))


class OpenShiftForm(FlaskForm):
    opening_float = StringField(_l("Opening float: change in the drawer (baht)"), default="0")


class ReceiveCashForm(FlaskForm):
    """Only the CSRF token: the treasurer's "cash received" button."""


class CloseShiftForm(FlaskForm):
    counted_cash = StringField(_l("Cash counted in the drawer (baht)"))
    note = StringField(_l("Note"))


class EmailForm(FlaskForm):
    email = EmailField(_l("Buyer's e-mail"), validators=[InputRequired(_l("Give a valid e-mail address.")),
                                                          Email(_l("Give a valid e-mail address."))])


class RefundForm(FlaskForm):
    """The order page's void / refund form; the tickets are checkboxes named ``ticket_ids``."""
    reason = StringField(_l("Reason for voiding"))
    refund_method = StringField(_l("How the money goes back"), default="cash")
    reference = StringField(_l("Reference of the transfer back"))
