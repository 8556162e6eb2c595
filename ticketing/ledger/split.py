"""Splitting what a buyer paid between the central fund and organizations, exactly.

Each ticket's price is divided by the festival's rules: the selling organization's commission and
any operator fees, each a share in basis points or a fixed amount per ticket, the most specific rule
winning (organization and category, organization, category, default); what is left goes to the
central fund. If the shares ever exceed the price they are scaled down to fit.

Rounding (stated rule: largest remainder): the exact shares of the whole order are added up as
fractions, each party gets the whole satang of its share, and the satang left over go one each to
the parties with the largest fractions (ties: the central fund first, then by organization id).
The parts always add up to exactly what was paid.
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


def split_order(lines: list[tuple[str, int]], seller_id: int | None, rules: list[Rule], central_id: int,
                paid: int) -> dict[int, int]:
    """{party: satang} for an order of (category, price) lines, adding up to ``paid`` exactly."""
    exact: dict[int, Fraction] = {central_id: Fraction(0)}
    list_total = sum(price for _c, price in lines)
    for category, price in lines:
        shares = ticket_shares(price, category, seller_id, rules)
        for party, amount in shares.items():
            exact[party] = exact.get(party, Fraction(0)) + amount
        exact[central_id] += price - sum(shares.values(), Fraction(0))
    if list_total != paid:  # e.g. a discount: every party's part scales with what was really paid
        exact = {k: (v * paid / list_total if list_total else Fraction(0)) for k, v in exact.items()}
        if not list_total:
            exact[central_id] = Fraction(paid)
    whole = {k: v.numerator // v.denominator for k, v in exact.items()}
    left = paid - sum(whole.values())
    order = sorted(exact, key=lambda k: (-(exact[k] - whole[k]), k != central_id, k))
    for party in order[:left]:
        whole[party] += 1
    return {k: v for k, v in whole.items() if v}
