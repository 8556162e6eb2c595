"""Language choice (Thai first, English second) and the formatting helpers templates use."""
from flask import has_request_context, request
from flask_babel import force_locale, get_locale, gettext
from flask_login import current_user

from .money import format_thb
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


#: the longest name the tables hold (every ``name_th`` and ``name_en`` column is 200 characters)
MAX_NAME = 200


def name_problems(name_th, name_en) -> dict[str, str]:
    """The field errors of a thing's two names, Thai and English: each is required and at most MAX_NAME
    characters once stripped. Festivals, sessions, organizations and entrances check their names here."""
    problems = {}
    for field, value, missing in (("name_th", name_th, gettext("A Thai name is required.")),
                                  ("name_en", name_en, gettext("An English name is required."))):
        value = (value or "").strip()
        if not value:
            problems[field] = missing
        elif len(value) > MAX_NAME:
            problems[field] = gettext("At most %(n)d characters.", n=MAX_NAME)
    return problems


def localized(obj) -> str:
    """The Thai or English name of anything with ``name(locale)``."""
    return obj.name(lang()) if obj is not None else ""


def in_both(message: str, **params) -> tuple[str, str]:
    """A ticket or a statement speaks Thai and English at once: the message in each language."""
    with force_locale("th"):
        th = gettext(message, **params)
    with force_locale("en"):
        en = gettext(message, **params)
    return th, en


def both(message: str, **params) -> str:
    th, en = in_both(message, **params)
    return th if th == en else f"{th} {en}"


def register_template_helpers(app) -> None:
    app.jinja_env.globals.update(lang=lang, localized=localized, LANGUAGES=LANGUAGES)
    app.jinja_env.filters["thb"] = format_thb
    app.jinja_env.filters["local_datetime"] = lambda value: format_datetime(value, lang())
    app.jinja_env.filters["local_date"] = lambda value: format_date(value, lang())
    app.jinja_env.globals["period_text"] = lambda start, end: period_bounds_text(start, end, lang())
    app.jinja_env.filters["display_year"] = lambda year: year + BE_OFFSET if lang() == "th" else year
