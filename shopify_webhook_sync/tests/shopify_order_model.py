"""A pure-Python model of the money in a Shopify order, independent of the addon.

It computes what Shopify shows for an order and its refunds from Shopify's documented
rules, and renders them as the GraphQL objects the fake Shopify serves (the shape of
``fixtures/graphql/order_*.json`` and ``refund_*.json``). The property test drives the
addon with them and compares Odoo's figures with the model's.

The rules (shopify.dev: Order, LineItem, MoneyBag, DiscountAllocation, TaxLine,
Refund, RefundLineItem):

* Every amount is a MoneyBag: ``presentmentMoney`` in the currency the customer paid,
  ``shopMoney`` in the shop's; each shop amount is converted on its own from the
  presentment amount (so shop-money sums drift by cents from shop-money totals).
* Discounts are allocated to lines (``discountAllocations``): a line discount to its
  line; an order discount across the lines in proportion to their amounts (a
  percentage per line, a fixed amount with the remainder on the last line); a
  shipping discount to the shipping line.
* Each line's taxes (``taxLines``, one per rate) are computed on its discounted amount,
  rounded per line: ``amount x rate`` when prices exclude taxes, ``amount x rate / (1 +
  sum of rates)`` when they include them (the amount then includes the taxes).
* A refund (or an edit) that removes ``q`` of a line's ``quantity`` units takes
  ``q / quantity`` of the line's discounted amount and of each of its taxes, rounded;
  one that removes the last units left takes all that is left (a line refunded in
  full gives back exactly what it cost); ``currentQuantity`` and the order's
  ``current*`` totals are what is left.
* ``currentSubtotalPriceSet`` = the lines' current discounted amounts;
  ``currentTotalTaxSet`` = their current taxes + the shipping's; ``currentTaxLines``
  the same taxes summed per title and rate ("the total price for all tax lines with
  the same rate and title", after returns);
  ``currentTotalPriceSet`` = subtotal + shipping + taxes (taxes not added when prices
  include them).
"""

from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
SHOP_CURRENCY = "USD"


def cents(value: Decimal | int) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclasses.dataclass(frozen=True)
class Rate:
    title: str
    rate: Decimal


@dataclasses.dataclass
class Line:
    number: int
    sku: str
    unit: Decimal  # presentment, before discounts
    quantity: int
    rates: tuple[Rate, ...] = ()
    line_discount: Decimal = Decimal(0)  # on the whole line (presentment)
    order_discount: Decimal = Decimal(0)  # its share of the order discount
    removed: list[int] = dataclasses.field(default_factory=list)  # refunds, edits

    @property
    def current(self) -> int:
        return self.quantity - sum(self.removed)

    def discounted(self) -> Decimal:
        return self.unit * self.quantity - self.line_discount - self.order_discount


@dataclasses.dataclass
class Shipping:
    title: str
    price: Decimal
    discount: Decimal = Decimal(0)
    rates: tuple[Rate, ...] = ()

    def discounted(self) -> Decimal:
        return self.price - self.discount


@dataclasses.dataclass
class RefundLine:
    line: Line
    quantity: int
    restock: str  # CANCEL, NO_RESTOCK
    removal: int = 0  # its index in line.removed


@dataclasses.dataclass
class Refund:
    number: int
    lines: list[RefundLine]
    gateway: str = "bogus"


@dataclasses.dataclass
class Order:
    number: int
    lines: list[Line]
    taxes_included: bool = False
    currency: str = SHOP_CURRENCY  # presentment
    rate: Decimal = Decimal(1)  # presentment -> shop
    shipping: Shipping | None = None
    refunds: list[Refund] = dataclasses.field(default_factory=list)
    version: int = 0  # bumped by every change: updatedAt

    # -- money --

    def taxes(self, amount: Decimal, rates: tuple[Rate, ...]) -> list[Decimal]:
        if self.taxes_included:
            total_rate = 1 + sum(r.rate for r in rates)
            return [cents(amount * r.rate / total_rate) for r in rates]
        return [cents(amount * r.rate) for r in rates]

    def line_taxes(self, line: Line) -> list[Decimal]:
        return self.taxes(line.discounted(), line.rates)

    def removed_parts(self, line: Line) -> list[tuple[Decimal, list[Decimal]]]:
        """(discounted amount, taxes) taken off the line by each of its removals."""
        amount, taxes = line.discounted(), self.line_taxes(line)
        parts, left = [], line.quantity
        for quantity in line.removed:
            left -= quantity
            if not left:  # the last units: all that is left
                parts.append((amount, taxes))
            else:
                share = Decimal(quantity) / line.quantity
                parts.append(
                    (
                        cents(line.discounted() * share),
                        [cents(tax * share) for tax in self.line_taxes(line)],
                    )
                )
            amount -= parts[-1][0]
            taxes = [t - p for t, p in zip(taxes, parts[-1][1], strict=True)]
        return parts

    def removed_part(self, line: Line, removal: int) -> tuple[Decimal, list[Decimal]]:
        """(discounted amount, taxes) taken off by the line's ``removal``-th one."""
        return self.removed_parts(line)[removal]

    def current_line(self, line: Line) -> tuple[Decimal, list[Decimal]]:
        amount, taxes = line.discounted(), self.line_taxes(line)
        for part, part_taxes in self.removed_parts(line):
            amount -= part
            taxes = [t - p for t, p in zip(taxes, part_taxes, strict=True)]
        return amount, taxes

    def totals(self) -> dict[str, Decimal]:
        """Shopify's current subtotal, shipping, tax and total (presentment)."""
        subtotal = tax = Decimal(0)
        for line in self.lines:
            amount, taxes = self.current_line(line)
            subtotal += amount
            tax += sum(taxes)
        shipping = Decimal(0)
        if self.shipping:
            shipping = self.shipping.discounted()
            tax += sum(self.taxes(shipping, self.shipping.rates))
        total = subtotal + shipping + (0 if self.taxes_included else tax)
        return {"subtotal": subtotal, "shipping": shipping, "tax": tax, "total": total}

    def current_tax_lines(self) -> dict[Rate, Decimal]:
        """Shopify's current taxes per title and rate, lines and shipping."""
        per_rate: dict[Rate, Decimal] = {}
        for line in self.lines:
            for rate, tax in zip(line.rates, self.current_line(line)[1], strict=True):
                per_rate[rate] = per_rate.get(rate, Decimal(0)) + tax
        if self.shipping:
            shipping = self.shipping
            taxes = self.taxes(shipping.discounted(), shipping.rates)
            for rate, tax in zip(shipping.rates, taxes, strict=True):
                per_rate[rate] = per_rate.get(rate, Decimal(0)) + tax
        return per_rate

    def expected(self, currency: str) -> dict[str, Decimal]:
        """Untaxed, tax and total as Shopify states them in ``currency`` (the
        presentment one, or the shop's: each converted on its own)."""
        totals = self.totals()
        convert = self.presentment if currency == self.currency else self.shop
        tax, total = convert(totals["tax"]), convert(totals["total"])
        return {"untaxed": total - tax, "tax": tax, "total": total}

    def shop(self, amount: Decimal) -> Decimal:
        return cents(amount * self.rate)

    def presentment(self, amount: Decimal) -> Decimal:
        return cents(amount)

    # -- changes --

    def remove(self, line: Line, quantity: int) -> None:
        line.removed.append(quantity)
        self.version += 1

    def refund(self, number: int, removals: list[tuple[Line, int, str]]) -> Refund:
        refund = Refund(number, [])
        for line, quantity, restock in removals:
            refund.lines.append(RefundLine(line, quantity, restock, len(line.removed)))
            line.removed.append(quantity)
        self.refunds.append(refund)
        self.version += 1
        return refund

    def add_line(self, line: Line) -> None:
        self.lines.append(line)
        self.version += 1

    # -- as Shopify's GraphQL Admin API serves it --

    @property
    def gid(self) -> str:
        return f"gid://shopify/Order/{self.number}"

    def money(self, amount: Decimal) -> dict:
        return {
            "shopMoney": {"amount": str(self.shop(amount)), "currencyCode": "USD"},
            "presentmentMoney": {
                "amount": str(cents(amount)),
                "currencyCode": self.currency,
            },
        }

    def tax_lines(self, amount: Decimal, rates: tuple[Rate, ...]) -> list[dict]:
        return [
            {"title": r.title, "rate": float(r.rate), "priceSet": self.money(tax)}
            for r, tax in zip(rates, self.taxes(amount, rates), strict=True)
        ]

    def allocations(self, *amounts: tuple[str, Decimal]) -> list[dict]:
        return [
            {
                "allocatedAmountSet": self.money(amount),
                "discountApplication": {
                    "__typename": "ManualDiscountApplication",
                    "title": title,
                    "allocationMethod": "ACROSS",
                    "targetSelection": "ALL",
                    "targetType": "LINE_ITEM",
                    "value": {
                        "__typename": "MoneyV2",
                        "amount": str(amount),
                        "currencyCode": self.currency,
                    },
                },
            }
            for title, amount in amounts
            if amount
        ]

    def line_gid(self, line: Line) -> str:
        return f"gid://shopify/LineItem/{self.number}{line.number:03d}"

    def line_dict(self, line: Line) -> dict:
        amount, taxes = self.current_line(line)
        return {
            "id": self.line_gid(line),
            "name": f"Item {line.sku}",
            "title": f"Item {line.sku}",
            "sku": line.sku,
            "quantity": line.quantity,
            "currentQuantity": line.current,
            "variant": None,
            "taxable": bool(line.rates),
            "requiresShipping": True,
            "isGiftCard": False,
            "originalUnitPriceSet": self.money(line.unit),
            "originalTotalSet": self.money(line.unit * line.quantity),
            "discountedUnitPriceAfterAllDiscountsSet": self.money(
                cents(line.discounted() / line.quantity)
            ),
            "discountedUnitPriceSet": self.money(
                cents((line.unit * line.quantity - line.line_discount) / line.quantity)
            ),
            "discountedTotalSet": self.money(
                line.unit * line.quantity - line.line_discount
            ),
            "currentDiscountedTotalSet": self.money(amount),
            # the current quantity's amount after its discounts, before taxes
            "priceAfterAllDiscountsBeforeTaxesSet": self.money(
                amount - (sum(taxes) if self.taxes_included else 0)
            ),
            "totalDiscountSet": self.money(line.line_discount + line.order_discount),
            "discountAllocations": self.allocations(
                ("Line discount", line.line_discount),
                ("Order discount", line.order_discount),
            ),
            "taxLines": self.tax_lines(line.discounted(), line.rates),
        }

    def shipping_dict(self) -> dict:
        shipping = self.shipping
        return {
            "id": f"gid://shopify/ShippingLine/{self.number}",
            "title": shipping.title,
            "code": shipping.title,
            "isRemoved": False,
            "originalPriceSet": self.money(shipping.price),
            "discountedPriceSet": self.money(shipping.discounted()),
            "currentDiscountedPriceSet": self.money(shipping.discounted()),
            "discountAllocations": self.allocations(
                ("Shipping discount", shipping.discount)
            ),
            "taxLines": self.tax_lines(shipping.discounted(), shipping.rates),
        }

    def updated_at(self) -> str:
        minute = self.version
        return f"2026-11-30T{10 + minute // 60:02d}:{minute % 60:02d}:00Z"

    def order_dict(self) -> dict:
        totals = self.totals()
        discounts = sum(line.line_discount + line.order_discount for line in self.lines)
        return {
            "__typename": "Order",
            "id": self.gid,
            "legacyResourceId": str(self.number),
            "name": f"#P{self.number}",
            "createdAt": "2026-11-30T10:00:00Z",
            "updatedAt": self.updated_at(),
            "processedAt": "2026-11-30T10:00:00Z",
            "cancelledAt": None,
            "cancelReason": None,
            "currencyCode": SHOP_CURRENCY,
            "presentmentCurrencyCode": self.currency,
            "taxesIncluded": self.taxes_included,
            "email": "buyer@example.com",
            "phone": None,
            "note": None,
            "tags": [],
            "test": True,
            "displayFinancialStatus": "PAID",
            "displayFulfillmentStatus": "UNFULFILLED",
            "customer": None,
            "billingAddress": None,
            "shippingAddress": None,
            "currentSubtotalPriceSet": self.money(totals["subtotal"]),
            "currentShippingPriceSet": self.money(totals["shipping"]),
            "currentTotalTaxSet": self.money(totals["tax"]),
            "currentTaxLines": [
                {"title": r.title, "rate": float(r.rate), "priceSet": self.money(tax)}
                for r, tax in self.current_tax_lines().items()
            ],
            "currentTotalPriceSet": self.money(totals["total"]),
            "currentTotalDiscountsSet": self.money(discounts),
            "totalTipReceivedSet": self.money(Decimal(0)),
            "currentTotalDutiesSet": None,
            "additionalFees": [],
            "totalDiscountsSet": self.money(discounts),
            "shippingLines": {"nodes": [self.shipping_dict()] if self.shipping else []},
            "lineItems": {"nodes": [self.line_dict(line) for line in self.lines]},
        }

    def refund_dict(self, refund: Refund) -> dict:
        lines, total = [], Decimal(0)
        for n, refund_line in enumerate(refund.lines):
            amount, taxes = self.removed_part(refund_line.line, refund_line.removal)
            total += amount + (0 if self.taxes_included else sum(taxes))
            lines.append(
                {
                    "id": f"gid://shopify/RefundLineItem/{refund.number}{n:03d}",
                    "quantity": refund_line.quantity,
                    "restockType": refund_line.restock,
                    "priceSet": self.money(
                        cents(refund_line.line.discounted() / refund_line.line.quantity)
                    ),
                    "subtotalSet": self.money(amount),
                    "totalTaxSet": self.money(sum(taxes)),
                    "lineItem": {
                        "id": self.line_gid(refund_line.line),
                        "name": f"Item {refund_line.line.sku}",
                    },
                }
            )
        return {
            "__typename": "Refund",
            "id": f"gid://shopify/Refund/{refund.number}",
            "legacyResourceId": str(refund.number),
            "createdAt": self.updated_at(),
            "note": None,
            "order": self.gid,
            "totalRefundedSet": self.money(total),
            "refundShippingLines": {"nodes": []},
            "transactions": {
                "nodes": [
                    {
                        "id": f"gid://shopify/OrderTransaction/{refund.number}",
                        "gateway": refund.gateway,
                        "kind": "REFUND",
                        "status": "SUCCESS",
                        "amountSet": self.money(total),
                    }
                ]
            },
            "refundLineItems": {"nodes": lines},
        }


def allocate(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``amount`` split in proportion to ``weights``, in cents, the remainder on the
    last share (how Shopify allocates a fixed order discount across lines)."""
    total = sum(weights)
    if not total:
        return [Decimal(0)] * len(weights)
    shares = [cents(amount * w / total) for w in weights[:-1]]
    return [*shares, amount - sum(shares)]
