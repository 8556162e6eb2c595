from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField


class MapImportForm(FlaskForm):
    file = FileField(_l("Seating map file (JSON)"), validators=[FileRequired(_l("Choose a file."))])
    replace = BooleanField(_l("Replace the current map (only while nothing is sold)"))


class PriceForm(FlaskForm):
    price = StringField(_l("Price (baht)"))
