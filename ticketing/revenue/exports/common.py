"""What the three statement formats share: Thai/English words with their values, and baht as exact decimals."""
from datetime import datetime, timezone
from decimal import Decimal

from ...money import format_thb
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
    """The central fund's figures, ending with its reconciliation: held + receivable - payable, which
    equals its share."""
    return [(in_both("Sales (baht)"), c.gross_satang, False),
            (in_both("Refunded (baht)"), c.refunds_satang, False),
            (in_both("Net sales (sales - refunds)"), c.net_sales_satang, False),
            (in_both("Shares owed to organizations"), c.shares_to_organizations_satang, False),
            (in_both("Central fund's share"), c.central_share_satang, True),
            (in_both("Payment fees"), c.fees_satang, False),
            (in_both("Expenses"), c.expenses_satang, False),
            (in_both("Net"), c.net_satang, True),
            (in_both("Money held by the central fund"), c.custody_satang, False),
            (in_both("To receive from members in total"), c.receivable_satang, False),
            (in_both("Owed to members in total"), c.payable_satang, False),
            (in_both("Held + receivable - owed (= central fund's share)"), c.reconciled_satang, True)]


def kind_words(kind: str) -> tuple[str, str]:
    """The name of a kind of share (``ledger.split.SHARE_KINDS``) in Thai and English."""
    if kind == "seller_commission":
        return in_both("Commission as seller")
    if kind == "operator_fee":
        return in_both("Operator fee")
    if kind == "central_share":
        return in_both("Central fund's share")
    if kind == "processor_fee":
        return in_both("Payment processor fee")
    return kind, kind


def online_name() -> tuple[str, str]:
    """The online shop's line (orders with no selling organization), in Thai and English."""
    return in_both("Online shop")


def online_rows(online) -> list[tuple[tuple[str, str], int]]:
    """The online shop's money: sales, refunds, net sales and the payment processor's fees (satang)."""
    return [(in_both("Sales (baht)"), online.gross_satang),
            (in_both("Refunded (baht)"), online.refunds_satang),
            (in_both("Net sales (baht)"), online.net_sales_satang),
            (in_both("Payment processor fees (baht)"), online.fees_satang)]


def rate_words(line) -> tuple[str, str]:
    """The rule version and rate beside a share line, e.g. "rule v2, 10.00 %" or "rule v2, 20.00 baht
    per ticket"; the central fund's remainder says "the rest"."""
    if getattr(line, "fee", False):  # not a rule's split: a fee moved from the central fund's share
        if line.kind == "processor_fee":
            return in_both("charged on online payments")
        return in_both("less the payment processor's fees")
    version = "-" if line.rule_version is None else str(line.rule_version)
    if line.basis_points is not None:
        return _fill(in_both("rule v%(version)s, %(percent)s %%"), {"version": version,
                     "percent": format_thb(line.basis_points)}, {"version": version,
                     "percent": format_thb(line.basis_points)})
    if line.fixed_satang is not None:
        values = {"version": version, "baht": format_thb(line.fixed_satang)}
        return _fill(in_both("rule v%(version)s, %(baht)s baht per ticket"), values, values)
    if line.kind == "central_share":
        return _fill(in_both("rule v%(version)s, the rest"), {"version": version}, {"version": version})
    return _fill(in_both("rule v%(version)s"), {"version": version}, {"version": version})


def share_rows(line) -> list[tuple[tuple[str, str], tuple[str, str], int]]:
    """(kind, rule and rate, satang) for each share line of an organization or the central fund."""
    return [(kind_words(s.kind), rate_words(s), s.amount_satang) for s in line.shares]
