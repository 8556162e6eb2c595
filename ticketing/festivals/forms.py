from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, StringField
from wtforms.validators import InputRequired, Optional


class FestivalForm(FlaskForm):
    name_th = StringField(_l("Name in Thai"))
    name_en = StringField(_l("Name in English"))
    year = IntegerField(_l("Year (C.E.)"), validators=[InputRequired(_l("Give the year as a number."))])
    venue_th = StringField(_l("Venue in Thai"))
    venue_en = StringField(_l("Venue in English"))


class SessionForm(FlaskForm):
    name_th = StringField(_l("Name in Thai"))
    name_en = StringField(_l("Name in English"))
    starts_at = DateTimeLocalField(_l("Starts (Ubon time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(_l("Give a date and time."))])
    ends_at = DateTimeLocalField(_l("Ends (Ubon time)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
