"""The fix is one click from the reason, for a Shopify user (not a manager): the event
says what is missing (structured, not parsed from its message), each button opens the
fix prefilled with what Shopify sent (or creates the missing product at once), and
saving it re-queues the event, which syncs."""

import copy

from odoo.tests import tagged

from .common import fixture
from .test_operate import OperatorCase, money

PRODUCT_ID = "788032119674292922"


@tagged("post_install", "-at_install")
class TestFix(OperatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vat20 = cls.env["account.tax"].create(
            {"name": "VAT 20% (fix test)", "amount": 20, "type_tax_use": "sale"}
        )

    def sync(self, topic="orders/create"):
        self.assertEqual(self.deliver(topic).status_code, 200)
        self.run_jobs()
        return self.events().filtered(lambda e: e.topic == topic)

    def save(self, action, vals):
        """Save the dialog a button opened, as the web client does."""
        return self.call_kw(
            action["res_model"], "create", [vals], {"context": action["context"]}
        )

    def test_create_the_missing_product_from_the_reason(self):
        self.products[1].default_code = "RENAMED"
        event = self.sync()
        self.assertEqual(event.state, "needs_mapping")
        self.assertEqual(event.fix_sku, "LENS-PROTECT-2YR")
        [need] = event.missing_data
        self.assertEqual(need["kind"], "product")
        self.as_operator()
        action = self.call_button(event, "action_fix_create_product")
        self.assertEqual(action["res_model"], "product.product")
        product = self.env["product.product"].browse(action["res_id"])
        self.assertEqual(product.default_code, "LENS-PROTECT-2YR")
        self.assertEqual(product.name, "Lens Protection Plan (2 Year)", "as sold")
        self.assertEqual(product.create_uid, self.operator, "who created it")
        self.assertEqual(event.state, "queued", "creating it re-queued the event")
        self.call_kw(product._name, "web_read", [product.ids], {"specification": {}})
        self.run_jobs()
        self.assertEqual(event.state, "done")
        self.assertIn(product, self.sale_orders().order_line.product_id)

    def test_map_the_tax_shopify_charged(self):
        self.order()["lineItems"]["nodes"][0]["taxLines"] = [
            {"title": "VAT", "rate": 0.2, "priceSet": money("18.0")}
        ]
        self.order()["currentTotalTaxSet"] = money("18.0")
        self.order()["currentTotalPriceSet"] = money("432.95")
        event = self.sync()
        self.assertEqual(event.state, "needs_mapping")
        self.assertEqual(event.fix_tax, "VAT 20.0%")
        self.assertFalse(event.fix_sku)
        self.as_operator()
        action = self.call_button(event, "action_fix_tax_mapping")
        mapping = self.env["shopify.tax.mapping"].browse(
            self.save(action, {"tax_id": self.vat20.id})
        )
        self.assertEqual(
            (mapping.shop_id, mapping.title, mapping.rate), (self.shop, "VAT", 0.2)
        )
        self.assertEqual(event.state, "queued")
        self.run_jobs()
        self.assertEqual(event.state, "done")

    def test_map_the_shipping_method_shopify_sent(self):
        self.env["shopify.shipping.mapping"].search([]).unlink()
        event = self.sync()
        self.assertEqual(event.fix_shipping, "Generic Shipping")
        self.as_operator()
        action = self.call_button(event, "action_fix_shipping_mapping")
        self.save(action, {"product_id": self.shipping_product.id})
        self.run_jobs()
        self.assertEqual(event.state, "done")

    def test_map_the_variant_where_it_waits(self):
        self.fake.add(copy.deepcopy(fixture(f"graphql/product_{PRODUCT_ID}.json")))
        event = self.sync("products/create")
        self.assertEqual(event.state, "needs_mapping")
        variant = event.fix_variant_id
        self.assertEqual(variant.shopify_id, event.missing_data[0]["variant"])
        self.as_operator()
        action = self.call_button(event, "action_fix_map_variant")
        self.assertEqual(action["res_model"], "shopify.product.binding")
        self.assertEqual(action["domain"], [["id", "=", variant.id]])
        for binding in event.missing_data:
            found = self.env["shopify.product.binding"].search(
                [("shopify_id", "=", binding["variant"])]
            )
            self.call_kw(
                found._name, "write", [found.ids, {"product_id": self.products[0].id}]
            )
        self.run_jobs()
        self.assertEqual(event.state, "done")
