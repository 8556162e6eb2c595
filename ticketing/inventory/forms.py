from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class SeatSelectionForm(FlaskForm):
    """Seats picked on the map (comma-separated ids) and what to do with them."""
    seat_ids = HiddenField()
    action = SelectField(_l("Action"), choices=[
        ("allocate", _l("Allocate to")), ("pool", _l("Return to the shared pool")),
        ("block", _l("Block")), ("unblock", _l("Unblock"))])
    organization_id = SelectField(_l("Organization"), coerce=_optional_int, validate_choice=False)
    reason = StringField(_l("Reason for blocking"))


class RowRangeForm(FlaskForm):
    section_id = SelectField(_l("Section"), coerce=_optional_int, validate_choice=False)
    row_from = StringField(_l("From row"), validators=[InputRequired()])
    row_to = StringField(_l("To row"), validators=[InputRequired()])
    organization_id = SelectField(_l("Organization"), coerce=_optional_int, validate_choice=False)


class EqualSharesForm(FlaskForm):
    run = IntegerField(_l("Adjacent seats dealt together"), default=4,
                       validators=[InputRequired(_l("Give a number from 1 to 20."))])


class ReleaseForm(FlaskForm):
    organization_id = SelectField(_l("Organization"), coerce=_optional_int, validate_choice=False)
