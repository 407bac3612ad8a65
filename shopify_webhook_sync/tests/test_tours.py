"""The operator's way through the web client, in a real browser (Chromium, driven by
Odoo's HttpCase.start_tour): tours in static/tests/tours/."""

from odoo.tests import tagged

from .common import ShopifyCase

EVENTS_URL = "/odoo/action-shopify_webhook_sync.action_shopify_webhook_event"
OVERVIEW_URL = "/odoo/action-shopify_webhook_sync.action_shopify_dashboard"


@tagged("post_install", "-at_install")
class TestTours(ShopifyCase):
    def test_missing_product_found_from_the_overview_created_and_synced(self):
        # The order's fourth line (SKU2006-020) has no product in Odoo.
        self.products.filtered(lambda p: p.default_code == "SKU2006-020").unlink()
        self.assertEqual(self.deliver().status_code, 200)
        self.run_jobs()
        event = self.events()
        self.assertEqual(event.state, "needs_mapping")

        self.start_tour(OVERVIEW_URL, "shopify_needs_mapping_tour", login="admin")
        product = self.env["product.product"].search(
            [("default_code", "=", "SKU2006-020")]
        )
        self.assertEqual(product.name, "Mid-century lounger")
        self.assertEqual(event.state, "queued")

        self.run_jobs()
        self.assertEqual(event.state, "done")
        self.assertIn(product, self.sale_orders().order_line.product_id)
        self.start_tour(EVENTS_URL, "shopify_event_done_tour", login="admin")
