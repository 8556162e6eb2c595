"""Times are stored in UTC and shown in Asia/Bangkok; Thai text uses Buddhist Era years."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import get_month_names
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

BANGKOK = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC (same on SQLite and PostgreSQL), returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


def from_local(naive_local: datetime) -> datetime:
    """A wall-clock time typed in Ubon (Asia/Bangkok) -> aware UTC."""
    return naive_local.replace(tzinfo=BANGKOK).astimezone(timezone.utc)


def to_local(value: datetime) -> datetime:
    return value.astimezone(BANGKOK)


def local_today() -> date:
    """Today in Ubon: the machine's own date is UTC's, a day behind from midnight to 7 a.m. there."""
    return to_local(utcnow()).date()


def format_date(value: datetime | date, locale: str) -> str:
    """'24 พฤศจิกายน 2569' in Thai (Buddhist Era), '24 November 2026' in English. A datetime is shown
    as its day in Ubon; a plain date as it is."""
    local = to_local(value) if isinstance(value, datetime) else value
    month = get_month_names("wide", locale=locale)[local.month]
    year = local.year + BE_OFFSET if locale == "th" else local.year
    return f"{local.day} {month} {year}"


def format_datetime(value: datetime | None, locale: str) -> str:
    if value is None:
        return ""
    local = to_local(value)
    clock = f"{local:%H:%M}"
    if locale == "th":
        return f"{format_date(value, locale)} เวลา {clock} น."
    return f"{format_date(value, locale)}, {clock}"


def period_bounds_text(starts_at: datetime, ends_at: datetime, locale: str) -> tuple[str, str]:
    """A period [starts_at, ends_at) as people say it: whole Ubon days as their first and last date
    ("20 พฤศจิกายน 2569", "24 พฤศจิกายน 2569", the last day included), otherwise the two moments."""
    start, end = to_local(starts_at), to_local(ends_at)
    if start.time() == end.time() == datetime.min.time():
        return format_date(start, locale), format_date(end - timedelta(days=1), locale)
    return format_datetime(starts_at, locale), format_datetime(ends_at, locale)


#: the years anyone sells, spends or reports in; a date outside them is a typo (and 9999-12-31 plus a
#: day overflows), so forms, the API and services refuse it instead of failing
SERVICE_YEARS = (2000, 2100)


def in_service_years(value: date | datetime) -> bool:
    return SERVICE_YEARS[0] <= value.year <= SERVICE_YEARS[1]


def parse_day(text: str) -> date:
    """'2027-07-19' -> date; ValueError for anything else, or a year outside ``SERVICE_YEARS``."""
    day = date.fromisoformat(text)
    if not in_service_years(day):
        raise ValueError(text)
    return day
