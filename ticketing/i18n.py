"""Language choice (Thai first, English second) and the formatting helpers templates use."""
from flask import has_request_context, request
from flask_babel import get_locale
from flask_login import current_user

from .money import format_thb
from .sales.methods import method_name
from .timeutil import BE_OFFSET, format_date, format_datetime, period_bounds_text

LANGUAGES = ("th", "en")
LANG_COOKIE = "lang"


def select_locale() -> str:
    if has_request_context():
        chosen = request.cookies.get(LANG_COOKIE)
        if chosen in LANGUAGES:
            return chosen
        if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
            return current_user.language
    return "th"


def lang() -> str:
    return str(get_locale() or "th")


def localized(obj) -> str:
    """The Thai or English name of anything with ``name(locale)``."""
    return obj.name(lang()) if obj is not None else ""


def register_template_helpers(app) -> None:
    app.jinja_env.globals.update(lang=lang, localized=localized, LANGUAGES=LANGUAGES)
    app.jinja_env.filters["thb"] = format_thb
    app.jinja_env.filters["method_name"] = method_name
    app.jinja_env.filters["local_datetime"] = lambda value: format_datetime(value, lang())
    app.jinja_env.filters["local_date"] = lambda value: format_date(value, lang())
    app.jinja_env.globals["period_text"] = lambda start, end: period_bounds_text(start, end, lang())
    app.jinja_env.filters["display_year"] = lambda year: year + BE_OFFSET if lang() == "th" else year
