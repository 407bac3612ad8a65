"""Orders need their mappings (products, taxes, shipping, currency) and must total what
Shopify says: otherwise they stop with a reason, and saving the mapping releases
them."""

from odoo.tests import tagged

from .common import ORDER_GID, ShopifyCase


def money(amount):
    return {"shopMoney": {"amount": str(amount), "currencyCode": "USD"}}


@tagged("post_install", "-at_install")
class TestOrderMappings(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vat20 = cls.env["account.tax"].create(
            {"name": "VAT 20% (Shopify test)", "amount": 20, "type_tax_use": "sale"}
        )

    def order(self):
        return self.fake.objects[ORDER_GID]

    def sync(self, topic="orders/create"):
        self.assertEqual(self.deliver(topic).status_code, 200)
        return self.run_jobs()

    def tax_first_line(self):
        """Shopify charged 20% VAT on the first line (89.99): 18.00."""
        self.order()["lineItems"]["nodes"][0]["taxLines"] = [
            {"title": "VAT", "rate": 0.2, "priceSet": money("18.0")}
        ]
        self.order()["currentTotalTaxSet"] = money("18.0")
        self.order()["currentTotalPriceSet"] = money("432.95")

    def test_shipping_line_uses_the_mapped_product(self):
        self.sync()
        line = self.sale_orders().order_line.filtered(
            lambda sol: sol.product_id == self.shipping_product
        )
        self.assertEqual(line.name, "Generic Shipping")
        self.assertEqual(line.price_unit, 0.0)

    def test_mapped_tax_gives_shopify_totals_to_the_cent(self):
        self.tax_first_line()
        self.env["shopify.tax.mapping"].create(
            {
                "shop_id": self.shop.id,
                "title": "VAT",
                "rate": 0.2,
                "tax_id": self.vat20.id,
            }
        )
        self.sync()
        sale_order = self.sale_orders()
        self.assertEqual(self.events().state, "done")
        self.assertEqual(sale_order.order_line[0].tax_id, self.vat20)
        self.assertFalse(
            sale_order.order_line[1:].tax_id, "no Shopify tax, no Odoo tax"
        )
        self.assertEqual(
            (sale_order.amount_untaxed, sale_order.amount_tax, sale_order.amount_total),
            (414.95, 18.0, 432.95),
        )

    def test_unmapped_tax_and_shipping_need_mapping_then_saving_releases_once(self):
        self.tax_first_line()
        self.env["shopify.shipping.mapping"].search([]).unlink()
        self.sync()
        event = self.events()
        self.assertEqual(event.state, "needs_mapping")
        self.assertIn("tax 'VAT' at 20.0%", event.error_message)
        self.assertIn("Tax Mappings", event.error_message)
        self.assertIn("shipping 'Generic Shipping'", event.error_message)
        self.assertFalse(self.sale_orders(), "nothing partial")
        # Saving one mapping re-queues the order; it still lacks the other one.
        self.env["shopify.tax.mapping"].create(
            {
                "shop_id": self.shop.id,
                "title": "VAT",
                "rate": 0.2,
                "tax_id": self.vat20.id,
            }
        )
        self.assertEqual(event.state, "queued")
        self.assertEqual(len(self.jobs(states=("pending",))), 1)
        self.run_jobs()
        self.assertEqual(event.state, "needs_mapping")
        self.assertNotIn("tax 'VAT'", event.error_message)
        # Saving the last one releases it, exactly once.
        self.env["shopify.shipping.mapping"].create(
            {
                "shop_id": self.shop.id,
                "name": "Generic Shipping",
                "product_id": self.shipping_product.id,
            }
        )
        self.env["shopify.shipping.mapping"].search([]).write(
            {"name": "Generic Shipping"}
        )
        self.assertEqual(len(self.jobs(states=("pending",))), 1, "one job per object")
        self.run_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(len(self.sale_orders()), 1)

    def test_tax_included_mismatch_is_explained(self):
        self.tax_first_line()
        included = self.vat20.copy(
            {"name": "VAT 20% included", "price_include_override": "tax_included"}
        )
        self.env["shopify.tax.mapping"].create(
            {
                "shop_id": self.shop.id,
                "title": "VAT",
                "rate": 0.2,
                "tax_id": included.id,
            }
        )
        self.sync()
        self.assertEqual(self.events().state, "needs_mapping")
        self.assertIn("exclude taxes", self.events().error_message)

    def test_totals_that_differ_wait_for_review_with_both_figures(self):
        self.order()["currentTotalPriceSet"] = money("420.00")
        self.sync()
        event = self.events()
        self.assertEqual(event.state, "needs_review")
        self.assertIn("total Odoo 414.95 / Shopify 420.00", event.error_message)
        self.assertFalse(
            self.sale_orders(), "never silently recomputed or half written"
        )

    def test_more_shipping_lines_than_read_wait_for_review(self):
        shipping = self.order()["shippingLines"]["nodes"]
        shipping += [
            dict(shipping[0], id=f"gid://shopify/ShippingLine/{n}") for n in range(10)
        ]
        self.sync()
        event = self.events()
        self.assertEqual(event.state, "needs_review")
        self.assertIn("more than 10 shipping lines", event.error_message)
        self.assertFalse(self.sale_orders(), "never written without some of them")

    def test_tags_become_sale_order_tags(self):
        self.sync()
        self.assertEqual(
            sorted(self.sale_orders().tag_ids.mapped("name")), ["tag1", "tag2"]
        )

    def test_uneven_discounts_sync_exact_with_per_line_tax(self):
        """$10 off 3 units at 89.99 (taxed 8.25% on the discounted 259.97), and a $10
        order discount allocated unevenly to two lines: Odoo's untaxed, tax and total
        equal Shopify's, with no review (unit prices after discount would drift)."""
        tax = self.env["account.tax"].create(
            {"name": "KY 8.25% (Shopify test)", "amount": 8.25, "type_tax_use": "sale"}
        )
        self.env["shopify.tax.mapping"].create(
            {"shop_id": self.shop.id, "title": "KY", "rate": 0.0825, "tax_id": tax.id}
        )
        lines = self.order()["lineItems"]["nodes"]
        lines[0].update(quantity=3, currentQuantity=3)
        lines[0]["taxLines"] = [
            {"title": "KY", "rate": 0.0825, "priceSet": money("21.45")}
        ]
        for line, discount, after in (
            (0, 10, 259.97),
            (1, 3.33, 16.66),
            (2, 6.67, 18.32),
        ):
            lines[line]["discountAllocations"] = [
                {"allocatedAmountSet": money(discount)}
            ]
            lines[line]["priceAfterAllDiscountsBeforeTaxesSet"] = money(after)
            quantity = lines[line]["quantity"]
            lines[line]["discountedUnitPriceAfterAllDiscountsSet"] = money(
                round(after / quantity, 2)
            )
        self.order()["currentTotalTaxSet"] = money("21.45")
        self.order()["currentTotalPriceSet"] = money("596.38")
        self.sync()
        self.assertEqual(self.events().state, "done", self.events().error_message)
        sale_order = self.sale_orders()
        self.assertEqual(
            (sale_order.amount_untaxed, sale_order.amount_tax, sale_order.amount_total),
            (574.93, 21.45, 596.38),
        )
        first = sale_order.order_line[0]
        self.assertEqual((first.price_unit, first.product_uom_qty), (89.99, 3))
        self.assertEqual(first.price_subtotal, 259.97)
        self.assertAlmostEqual(first.price_tax, 21.45, places=2)
        # The same order fetched again writes nothing.
        before = sale_order.order_line.mapped("write_date")
        self.sync("orders/updated")
        self.assertEqual(sale_order.order_line.mapped("write_date"), before)
        self.assertEqual(set(self.events().mapped("state")), {"done"})

    def test_uneven_discount_on_prices_that_include_taxes_syncs_exact(self):
        """Prices include 20% VAT: $10 off 3 units at 89.99 is 259.97 with 43.33 of
        VAT in it, Shopify's amounts and Odoo's agree."""
        included = self.vat20.copy(
            {"name": "VAT 20% included", "price_include_override": "tax_included"}
        )
        self.env["shopify.tax.mapping"].create(
            {"shop_id": self.shop.id, "title": "VAT", "rate": 0.2}
            | {"tax_id": included.id}
        )
        self.order()["taxesIncluded"] = True
        line = self.order()["lineItems"]["nodes"][0]
        line.update(quantity=3, currentQuantity=3)
        line["discountAllocations"] = [{"allocatedAmountSet": money("10.00")}]
        line["taxLines"] = [{"title": "VAT", "rate": 0.2, "priceSet": money("43.33")}]
        self.order()["currentTotalTaxSet"] = money("43.33")
        self.order()["currentTotalPriceSet"] = money("584.93")
        self.sync()
        self.assertEqual(self.events().state, "done", self.events().error_message)
        sale_order = self.sale_orders()
        self.assertEqual(
            (sale_order.amount_untaxed, sale_order.amount_tax, sale_order.amount_total),
            (541.60, 43.33, 584.93),
        )

    def paid_in_euros(self, rate=1.0837):
        """The customer paid in EUR (the fixture's amounts); each shop-currency (USD)
        amount is converted on its own, as Shopify does, so USD sums drift."""

        def convert(node):
            if isinstance(node, dict):
                if "shopMoney" in node:
                    amount = node["shopMoney"]["amount"]
                    node["presentmentMoney"] = {"amount": amount, "currencyCode": "EUR"}
                    node["shopMoney"] = {
                        "amount": f"{float(amount) * rate:.2f}",
                        "currencyCode": "USD",
                    }
                for value in node.values():
                    convert(value)
            elif isinstance(node, list):
                for value in node:
                    convert(value)

        convert(self.order())
        self.order()["presentmentCurrencyCode"] = "EUR"

    def test_foreign_currency_needs_a_pricelist_and_creating_it_releases_the_order(
        self,
    ):
        self.paid_in_euros()
        usd_lines = sum(
            float(line["originalUnitPriceSet"]["shopMoney"]["amount"])
            for line in self.order()["lineItems"]["nodes"]
        )
        usd_total = float(self.order()["currentTotalPriceSet"]["shopMoney"]["amount"])
        self.assertNotAlmostEqual(usd_lines, usd_total, places=2, msg="USD drifts")
        self.sync()
        event = self.events()
        self.assertEqual(event.state, "needs_mapping")
        self.assertIn("no active pricelist in EUR", event.error_message)
        euro = self.env.ref("base.EUR")
        euro.active = True
        self.env["product.pricelist"].create(
            {"name": "Shopify EUR", "currency_id": euro.id}
        )
        self.assertEqual(event.state, "queued", "saving the pricelist re-queues")
        self.run_jobs()
        self.assertEqual(event.state, "done", event.error_message)
        sale_order = self.sale_orders()
        self.assertEqual(sale_order.currency_id, euro)
        self.assertEqual(
            (sale_order.amount_untaxed, sale_order.amount_tax, sale_order.amount_total),
            (414.95, 0.0, 414.95),
        )
