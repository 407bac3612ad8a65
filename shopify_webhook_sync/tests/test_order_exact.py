"""Orders whose taxes Odoo would round otherwise than Shopify end exact, with no review:
each line carries Shopify's tax amounts. Shopify's side comes from the independent
model of its money rules (``shopify_order_model``), served by the fake Shopify, and
every order goes through signed deliveries and the job runner."""

import json
from decimal import Decimal

from odoo.tests import tagged

from .common import SKUS, ShopifyCase
from .shopify_order_model import Line, Order, Rate, Shipping, allocate, cents

ORDER_NUMBER = 7100000000001
REFUND_NUMBER = 8100000000001
GST = Rate("GST", Decimal("0.05"))
PST = Rate("PST", Decimal("0.07"))
VAT = Rate("VAT incl.", Decimal("0.2"))
REDUCED = Rate("Reduced incl.", Decimal("0.055"))
REDUCED_2 = Rate("GST incl.", Decimal("0.05"))


@tagged("post_install", "-at_install")
class TestOrderExact(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.taxes = cls.map_money((GST, PST, VAT, REDUCED, REDUCED_2), "exact test")

    def publish(self, order: Order):
        self.fake.add(order.order_dict())
        for refund in order.refunds:
            self.fake.add(order.refund_dict(refund))

    def sync(self, order: Order, topic="orders/create", body=None):
        self.publish(order)
        body = body or {"id": order.number}
        self.assertEqual(
            self.deliver(topic, json.dumps(body).encode()).status_code, 200
        )
        self.run_jobs()

    def refund(self, order: Order, line: Line, quantity: int):
        number = REFUND_NUMBER + len(order.refunds)
        order.refund(number, [(line, quantity, "NO_RESTOCK")])
        self.sync(order, "refunds/create", {"id": number, "order_id": order.number})
        self.sync(order, "orders/updated")

    def assert_exact(self, order: Order):
        """Every event done (none in review), and Odoo's untaxed, tax and total equal
        Shopify's in the currency the customer paid."""
        events = self.events()
        self.assertEqual(
            set(events.mapped("state")), {"done"}, events.mapped("error_message")
        )
        sale_order = self.sale_orders()
        self.assertEqual(sale_order.state, "sale")
        self.assertEqual(sale_order.currency_id.name, order.currency)
        odoo = {
            "untaxed": sale_order.amount_untaxed,
            "tax": sale_order.amount_tax,
            "total": sale_order.amount_total,
        }
        self.assertEqual(
            {name: cents(Decimal(str(amount))) for name, amount in odoo.items()},
            order.expected(order.currency),
        )
        return sale_order

    def test_taxes_rounded_per_line_by_shopify_are_exact_when_odoo_rounds_globally(
        self,
    ):
        """Two lines of 0.10 at 5% GST: Shopify rounds each line's tax (0.01 + 0.01),
        Odoo rounding globally would make it 0.01 for the order."""
        self.env.company.tax_calculation_rounding_method = "round_globally"
        order = Order(
            ORDER_NUMBER,
            [
                Line(1, SKUS[0], Decimal("0.10"), 1, (GST,)),
                Line(2, SKUS[1], Decimal("0.10"), 1, (GST,)),
            ],
        )
        self.sync(order)
        sale_order = self.assert_exact(order)
        self.assertEqual(sale_order.amount_tax, 0.02)
        self.assertAlmostEqual(sale_order.order_line[0].price_tax, 0.01, places=9)

    def test_partly_refunded_line_with_taxes_included_in_euros_is_exact(self):
        """Prices include two taxes, an order discount that does not divide evenly, the
        customer paid in euros, and part of a line is refunded: Shopify's tax left on
        that line is its tax less the refunded part's (each rounded), which is not the
        tax of what is left. The order stays exact, with no review, and the line
        carries Shopify's amounts."""
        lines = [
            Line(1, SKUS[0], Decimal("2.83"), 5, (REDUCED, REDUCED_2)),
            Line(2, SKUS[1], Decimal("23.27"), 1, (VAT,)),
        ]
        discount = allocate(Decimal("10.00"), [line.discounted() for line in lines])
        for line, share in zip(lines, discount, strict=True):
            line.order_discount = share
        order = Order(
            ORDER_NUMBER,
            lines,
            taxes_included=True,
            currency="EUR",
            rate=Decimal("1.0843"),
            shipping=Shipping("Generic Shipping", Decimal("4.99"), rates=(VAT,)),
        )
        self.sync(order)
        self.assert_exact(order)
        self.refund(order, lines[0], 2)
        sale_order = self.assert_exact(order)
        first = sale_order.order_line.filtered(lambda sol: sol.product_uom_qty == 3)
        self.assertTrue(first.shopify_tax_amounts)
        self.assertEqual(
            cents(Decimal(str(first.price_tax))),
            sum(order.current_line(lines[0])[1]),
            "the refunded line carries Shopify's tax left on it",
        )
        # Synced again, nothing changes.
        before = sale_order.order_line.mapped("write_date")
        self.sync(order, "orders/updated")
        self.assertEqual(sale_order.order_line.mapped("write_date"), before)

    def test_a_line_changed_in_odoo_computes_its_own_taxes_again(self):
        """Shopify's tax amounts hold only for the line as synced: a line someone
        changes in Odoo gets Odoo's taxes of its new amount."""
        order = Order(ORDER_NUMBER, [Line(1, SKUS[0], Decimal("10.01"), 1, (GST,))])
        self.sync(order)
        line = self.assert_exact(order).order_line[0]
        self.assertEqual(line.price_tax, 0.5)
        line.price_unit = 20
        self.assertEqual(line.price_tax, 1.0)

    def test_a_tax_mapped_to_another_rate_is_not_carried_but_shown(self):
        """Shopify's amounts are carried only onto an Odoo tax of the same rate: a
        mapping to another rate still waits for review with both figures."""
        self.env["shopify.tax.mapping"].search(
            [("title", "=", "GST")]
        ).tax_id = self.taxes[PST]
        order = Order(ORDER_NUMBER, [Line(1, SKUS[0], Decimal("100.00"), 1, (GST,))])
        self.sync(order)
        event = self.events()
        self.assertEqual(event.state, "needs_review")
        self.assertIn("tax Odoo 7.00 / Shopify 5.00", event.error_message)
        self.assertFalse(self.sale_orders(), "nothing written")

    def test_another_price_on_an_invoiced_line_waits_for_review(self):
        """What Odoo cannot follow is not forced: a new price on an invoiced line waits
        for review with both figures, the order unchanged."""
        order = Order(ORDER_NUMBER, [Line(1, SKUS[0], Decimal("10.00"), 2, (GST,))])
        self.sync(order)
        sale_order = self.assert_exact(order)
        sale_order._create_invoices().action_post()
        order.lines[0].unit = Decimal("12.00")
        order.version += 1
        self.sync(order, "orders/updated")
        event = self.events().filtered(lambda e: e.state != "done")
        self.assertEqual(event.state, "needs_review")
        self.assertIn(
            "is invoiced at 10.00; Shopify now says 12.00", event.error_message
        )
        self.assertEqual(sale_order.order_line.price_unit, 10.0)
