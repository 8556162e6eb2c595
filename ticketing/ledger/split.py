"""Splitting what a buyer paid between the central fund and organizations, exactly.

Each ticket's price is divided by the festival's rules: the selling organization's commission and
any operator fees, each a share in basis points or a fixed amount per ticket, the most specific rule
winning (organization and category, organization, category, default); what is left goes to the
central fund. If the shares ever exceed the price they are scaled down to fit.

Rounding (stated rule: largest remainder): the exact shares of the whole order are added up as
fractions, each party gets the whole satang of its share, and the satang left over go one each to
the parties with the largest fractions (ties: the central fund first, then by organization id).
The parts always add up to exactly what was paid.

Each party's whole satang are then divided between the kinds of its share (``split_parts``): the
seller's commission, an operator fee, the central fund's share (and a payment-processor fee, a kind
kept for a card channel, unused today), each with the rate that produced it, again by largest
remainder inside the party. So ``split_order`` (per party) and the ledger's lines (per party, kind
and rate) always agree to the satang.
"""
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Rule:
    kind: str                       # commission | operator_fee
    organization_id: int | None
    category_code: str | None
    basis_points: int | None
    fixed_satang: int | None

    def amount(self, price: int) -> Fraction:
        if self.basis_points is not None:
            return Fraction(price * self.basis_points, 10_000)
        return Fraction(min(self.fixed_satang, price))


def _most_specific(candidates: list[Rule]) -> Rule | None:
    return max(candidates, key=lambda r: (r.organization_id is not None, r.category_code is not None), default=None)


def ticket_shares(price: int, category: str, seller_id: int | None, rules: list[Rule]) -> dict[int, Fraction]:
    """Exact shares of one ticket for organizations (the central fund's part is what remains)."""
    shares: dict[int, Fraction] = {}
    if seller_id is not None:
        commission = _most_specific([r for r in rules if r.kind == "commission"
                                     and r.organization_id in (None, seller_id) and r.category_code in (None, category)])
        if commission:
            shares[seller_id] = commission.amount(price)
    for operator in sorted({r.organization_id for r in rules if r.kind == "operator_fee"}):
        fee = _most_specific([r for r in rules if r.kind == "operator_fee" and r.organization_id == operator
                              and r.category_code in (None, category)])
        if fee:
            shares[operator] = shares.get(operator, Fraction(0)) + fee.amount(price)
    total = sum(shares.values(), Fraction(0))
    if total > price:  # rules asking for more than the price: scale them down
        shares = {k: v * price / total for k, v in shares.items()}
    return shares


#: the kinds of a share in the ledger (``LedgerEntry.share_kind``)
SHARE_KINDS = ("seller_commission", "operator_fee", "central_share", "processor_fee")


@dataclass(frozen=True)
class Part:
    """One line of an order's split: a party's share of one kind, with the rate that produced it."""
    organization_id: int
    kind: str                       # one of SHARE_KINDS
    basis_points: int | None        # the rule's rate (None for the central fund's remainder)
    fixed_satang: int | None        # or its fixed amount per ticket
    amount_satang: int


def ticket_parts(price: int, category: str, seller_id: int | None,
                 rules: list[Rule]) -> dict[tuple, Fraction]:
    """Exact shares of one ticket keyed by (party, kind, basis points, fixed satang); the central
    fund's remainder is not included."""
    parts: dict[tuple, Fraction] = {}
    if seller_id is not None:
        commission = _most_specific([r for r in rules if r.kind == "commission"
                                     and r.organization_id in (None, seller_id) and r.category_code in (None, category)])
        if commission:
            parts[(seller_id, "seller_commission", commission.basis_points, commission.fixed_satang)] = \
                commission.amount(price)
    for operator in sorted({r.organization_id for r in rules if r.kind == "operator_fee"}):
        fee = _most_specific([r for r in rules if r.kind == "operator_fee" and r.organization_id == operator
                              and r.category_code in (None, category)])
        if fee:
            key = (operator, "operator_fee", fee.basis_points, fee.fixed_satang)
            parts[key] = parts.get(key, Fraction(0)) + fee.amount(price)
    total = sum(parts.values(), Fraction(0))
    if total > price:  # rules asking for more than the price: scale them down
        parts = {k: v * price / total for k, v in parts.items()}
    return parts


def _largest_remainder(exact: dict, total: int, key) -> dict:
    whole = {k: v.numerator // v.denominator for k, v in exact.items()}
    left = total - sum(whole.values())
    for party in sorted(exact, key=lambda k: (-(exact[k] - whole[k]), key(k)))[:left]:
        whole[party] += 1
    return whole


def split_parts(lines: list[tuple[str, int]], seller_id: int | None, rules: list[Rule], central_id: int,
                paid: int) -> list[Part]:
    """The order's split per party, kind and rate, adding up to ``paid`` exactly; summed per party it
    is ``split_order``."""
    central_key = (central_id, "central_share", None, None)
    exact: dict[tuple, Fraction] = {central_key: Fraction(0)}
    list_total = sum(price for _c, price in lines)
    for category, price in lines:
        parts = ticket_parts(price, category, seller_id, rules)
        for key, amount in parts.items():
            exact[key] = exact.get(key, Fraction(0)) + amount
        exact[central_key] += price - sum(parts.values(), Fraction(0))
    if list_total != paid:  # e.g. a discount: every party's part scales with what was really paid
        exact = {k: (v * paid / list_total if list_total else Fraction(0)) for k, v in exact.items()}
        if not list_total:
            exact[central_key] = Fraction(paid)
    per_party: dict[int, Fraction] = {}
    for key, value in exact.items():
        per_party[key[0]] = per_party.get(key[0], Fraction(0)) + value
    whole = _largest_remainder(per_party, paid, lambda k: (k != central_id, k))
    result = []
    for party, amount in whole.items():
        keys = [k for k in exact if k[0] == party]
        if not amount or not per_party[party]:
            continue
        scaled = {k: exact[k] * amount / per_party[party] for k in keys}
        order = {k: i for i, k in enumerate(sorted(keys, key=lambda k: (SHARE_KINDS.index(k[1]), str(k[2:]))))}
        for k, satang in _largest_remainder(scaled, amount, order.get).items():
            if satang:
                result.append(Part(party, k[1], k[2], k[3], satang))
    return sorted(result, key=lambda p: (p.organization_id != central_id, p.organization_id,
                                         SHARE_KINDS.index(p.kind)))


def split_order(lines: list[tuple[str, int]], seller_id: int | None, rules: list[Rule], central_id: int,
                paid: int) -> dict[int, int]:
    """{party: satang} for an order of (category, price) lines, adding up to ``paid`` exactly."""
    whole: dict[int, int] = {}
    for part in split_parts(lines, seller_id, rules, central_id, paid):
        whole[part.organization_id] = whole.get(part.organization_id, 0) + part.amount_satang
    return whole
