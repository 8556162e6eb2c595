"""What the three statement formats share: Thai/English words with their values, and baht as exact decimals."""
from datetime import datetime, timezone
from decimal import Decimal

from ...timeutil import format_datetime, period_bounds_text
from ...i18n import in_both
from ..statements import Statement


def whole(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"amounts and counts are integers, not {type(value).__name__}")
    return value


def _moment(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _fill(pair: tuple[str, str], th: dict, en: dict) -> tuple[str, str]:
    """``pair`` is (Thai, English) of a message looked up without parameters; each gets its own values
    (e.g. a Thai date in the Thai text and an English date in the English text)."""
    return pair[0] % th, pair[1] % en


def period_words(statement: Statement) -> tuple[str, str]:
    start, end = _moment(statement.starts_at), _moment(statement.ends_at)
    th_start, th_end = period_bounds_text(start, end, "th")
    en_start, en_end = period_bounds_text(start, end, "en")
    return _fill(in_both("Period: %(start)s to %(end)s"), {"start": th_start, "end": th_end},
                 {"start": en_start, "end": en_end})


def generated_words(statement: Statement) -> tuple[str, str]:
    at = _moment(statement.generated_at)
    return _fill(in_both("Generated on %(time)s"), {"time": format_datetime(at, "th")},
                 {"time": format_datetime(at, "en")})


def direction_words(net_satang: int) -> tuple[str, str]:
    """What the net of an organization means, in words."""
    if net_satang > 0:
        return in_both("To remit to the central fund")
    if net_satang < 0:
        return in_both("To receive from the central fund")
    return in_both("Nothing to remit or receive")


def baht_decimal(satang: int) -> Decimal:
    """Baht as an exact decimal (no float ever holds money)."""
    return Decimal(whole(satang)) / 100


def joined(pair: tuple[str, str], separator: str = " ") -> str:
    """Thai and English side by side (once, while a message has no Thai translation yet)."""
    return pair[0] if pair[0] == pair[1] else f"{pair[0]}{separator}{pair[1]}"


def central_rows(c) -> list[tuple[tuple[str, str], int, bool]]:
    return [(in_both("Sales (baht)"), c.gross_satang, False),
            (in_both("Refunded (baht)"), c.refunds_satang, False),
            (in_both("Shares owed to organizations"), c.shares_to_organizations_satang, False),
            (in_both("Central fund's share"), c.central_share_satang, False),
            (in_both("Payment fees"), c.fees_satang, False),
            (in_both("Expenses"), c.expenses_satang, False),
            (in_both("Money held by the central fund"), c.custody_satang, False),
            (in_both("Net"), c.net_satang, True)]
