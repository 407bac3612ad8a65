"""Shopify's tax amounts for an order's current lines, so Odoo can carry them as they
are instead of computing its own (Odoo's base lines take them as
``manual_tax_amounts``).

Shopify computes each tax of a line on the line's discounted amount and rounds it per
line (``LineItem.taxLines``: for the line's original quantity). A refund or an edit
that removes units takes their share of each tax off, rounded again; the order's
``currentTaxLines`` (one per tax title and rate, shipping and fees included) and
``currentTotalTaxSet`` are what is left. Shopify does not say what is left per line,
so a line with removed units gets its share of its tax lines, and the cents that
rounding leaves between those shares and Shopify's current totals go on the largest
such line. A difference larger than that rounding can make is not rounding: those
taxes are not carried, Odoo computes them, and the order's totals check shows it.
"""

import dataclasses
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

TaxKey = tuple[str, Decimal]  # (title, rate) as Shopify names a tax


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def tax_key(tax_line: dict) -> TaxKey:
    """A Shopify tax line's (title, rate), the rate to 5 decimals as mapped."""
    rate = Decimal(str(tax_line.get("rate") or 0)).quantize(Decimal("0.00001"))
    return (tax_line["title"], rate)


@dataclasses.dataclass
class TaxedLine:
    """One Odoo line's Shopify taxes: ``taxes`` [(key, Shopify's amount for the whole
    line)], of which the part ``current`` / ``whole`` is left after ``removals``
    removals (refunds, edits: each rounded by Shopify)."""

    gid: str
    taxes: list[tuple[TaxKey, Decimal]]
    whole: Decimal = Decimal(1)
    current: Decimal = Decimal(1)
    removals: int = 0
    size: Decimal = Decimal(0)  # where rounding cents go: the largest line

    def share(self, amount: Decimal) -> Decimal:
        """The part of a tax amount of the whole line that is left."""
        if not self.removals or self.current == self.whole:
            return amount
        if not self.whole or not self.current:
            return Decimal(0)
        return cents(amount * self.current / self.whole)


def current_taxes(
    lines: list[TaxedLine],
    current_tax_lines: list[tuple[TaxKey, Decimal]],
    total_tax: Decimal,
    excluded: set[TaxKey] = frozenset(),
) -> dict[str, dict[TaxKey, Decimal]]:
    """{line gid: {tax key: amount}}: Shopify's current tax amounts per line, for the
    taxes whose lines add up to Shopify's current figures (to rounding): each tax of
    ``current_tax_lines`` (the order's currentTaxLines) when they add up to
    ``total_tax``, else all taxes together to ``total_tax``. A tax left out is one
    Odoo should compute itself, as are those in ``excluded`` (all taxes, when they
    are not broken down per tax)."""
    keys = {key for line in lines for key, _amount in line.taxes}
    targets = _targets(current_tax_lines, total_tax)
    if targets is None:
        groups = [(keys, total_tax)] if keys else []
    else:
        groups = [({key}, targets.get(key, Decimal(0))) for key in keys]
    carried: dict[str, dict[TaxKey, Decimal]] = {}
    for group, target in groups:
        if group & excluded:
            continue
        amounts = _group_amounts(lines, group, target)
        for gid, by_key in (amounts or {}).items():
            carried.setdefault(gid, {}).update(by_key)
    return carried


def _targets(current_tax_lines: list[tuple[TaxKey, Decimal]], total_tax: Decimal):
    """Shopify's current tax per key, when its tax lines add up to the order's tax."""
    targets: dict[TaxKey, Decimal] = {}
    for key, amount in current_tax_lines:
        targets[key] = targets.get(key, Decimal(0)) + amount
    if not targets or sum(targets.values()) != total_tax:
        return None
    return targets


def _group_amounts(lines: list[TaxedLine], group: set, target: Decimal):
    """{gid: {key: amount}} for the taxes in ``group``, adding up to ``target``; None
    when the difference is more than the rounding of the removed units can make."""
    amounts: dict[str, dict[TaxKey, Decimal]] = {}
    entries = []  # (line, key) in the group
    tolerance = Decimal(0)
    for line in lines:
        for key, amount in line.taxes:
            if key not in group:
                continue
            by_key = amounts.setdefault(line.gid, {})
            by_key[key] = by_key.get(key, Decimal(0)) + line.share(amount)
            entries.append((line, key))
            if line.removals:
                # Shopify rounds each removal, the share rounds once more.
                tolerance += CENT * (1 + line.removals)
    difference = target - sum(a for by_key in amounts.values() for a in by_key.values())
    if not difference:
        return amounts
    touched = [(line, key) for line, key in entries if line.removals and line.current]
    if not touched or abs(difference) > tolerance:
        return None
    line, key = max(touched, key=lambda entry: (entry[0].size, entry[0].gid))
    amounts[line.gid][key] += difference
    if amounts[line.gid][key] * target < 0:  # a tax of the other sign: no rounding
        return None
    return amounts
