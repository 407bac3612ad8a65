"""Fulfillments made in Shopify validate the Odoo delivery, where the shop says Shopify
fulfils; nothing is sent back."""

from odoo.tests import tagged

from .common import ORDER_GID, ShopifyCase


@tagged("post_install", "-at_install")
class TestFulfillmentsMadeInShopify(ShopifyCase):
    def setUp(self):
        super().setUp()
        self.shop.fulfilled_by = "shopify"
        self.deliver("orders/create")
        self.run_jobs()
        self.sale = self.sale_orders()
        self.picking = self.sale.picking_ids
        self.assertEqual(self.picking.state, "assigned")

    def fulfil(self, lines):
        """Shopify's order now has one successful fulfillment of ``lines``."""
        self.fake.objects[ORDER_GID]["fulfillments"] = [
            {
                "id": "gid://shopify/Fulfillment/255858046",
                "status": "SUCCESS",
                "createdAt": "2026-11-30T10:00:00Z",
                "trackingInfo": [{"number": "1Z2345", "company": "UPS"}],
                "fulfillmentLineItems": {
                    "nodes": [
                        {"quantity": line["quantity"], "lineItem": {"id": line["id"]}}
                        for line in lines
                    ]
                },
            }
        ]
        self.assertEqual(self.deliver("orders/fulfilled").status_code, 200)
        self.run_jobs()
        return self.events().filtered(lambda e: e.topic == "orders/fulfilled")

    def line_items(self):
        return self.fake.objects[ORDER_GID]["lineItems"]["nodes"]

    def test_shopify_fulfillment_validates_the_delivery_with_tracking(self):
        event = self.fulfil(self.line_items())
        self.assertEqual(event.state, "done")
        self.assertEqual(self.picking.state, "done")
        self.assertEqual(self.picking.carrier_tracking_ref, "1Z2345")
        self.assertEqual(
            set(
                self.sale.order_line.filtered("shopify_line_gid").mapped(
                    lambda line: (
                        line.qty_delivered == line.product_uom_qty
                        or line.product_id.type != "consu"
                    )
                )
            ),
            {True},
        )
        self.run_jobs()
        mutations = [name for name, _args in self.fake.mutations]
        self.assertNotIn("fulfillmentCreate", mutations, "nothing is sent back")
        self.assertFalse(
            self.jobs().filtered(lambda j: j.method_name == "_shopify_push_fulfillment")
        )

    def test_partial_fulfillment_waits_for_review(self):
        event = self.fulfil(self.line_items()[:2])
        self.assertEqual(event.state, "needs_review")
        self.assertIn("fulfilled part of", event.error_message)
        self.assertEqual(self.picking.state, "assigned", "nothing guessed")

    def test_a_line_odoo_cannot_deliver_waits_for_review(self):
        event = self.fulfil([{"id": "gid://shopify/LineItem/1", "quantity": 1}])
        self.assertEqual(event.state, "needs_review")
        self.assertIn("no product to deliver", event.error_message)

    def test_where_odoo_fulfils_shopify_fulfillments_are_ignored(self):
        self.shop.fulfilled_by = "odoo"
        event = self.fulfil(self.line_items())
        self.assertEqual(event.state, "ignored")
        self.assertEqual(self.picking.state, "assigned")

    def test_more_fulfillments_than_read_wait_for_review(self):
        """Six fulfillments: the query reads five. What was not read is never taken
        as not shipped (the delivery validated short, or the event of the sixth
        fulfillment done with nothing delivered)."""
        self.fake.objects[ORDER_GID]["fulfillments"] = [
            {
                "id": f"gid://shopify/Fulfillment/{n}",
                "status": "SUCCESS",
                "createdAt": "2026-11-30T10:00:00Z",
                "trackingInfo": [],
                "fulfillmentLineItems": {
                    "nodes": [{"quantity": 1, "lineItem": {"id": line["id"]}}]
                },
            }
            for n, line in enumerate([*self.line_items(), self.line_items()[0]])
        ]
        self.assertEqual(self.deliver("orders/fulfilled").status_code, 200)
        self.run_jobs()
        event = self.events().filtered(lambda e: e.topic == "orders/fulfilled")
        self.assertEqual(event.state, "needs_review")
        self.assertIn("more than 5 fulfillments", event.error_message)
        self.assertEqual(self.picking.state, "assigned", "nothing guessed")

    def test_a_fulfillment_of_more_lines_than_read_waits_for_review(self):
        line = self.line_items()[0]
        event = self.fulfil([dict(line, quantity=1)] * 51)
        self.assertEqual(event.state, "needs_review")
        self.assertIn("one of more than 50 lines", event.error_message)
        self.assertEqual(self.picking.state, "assigned")
