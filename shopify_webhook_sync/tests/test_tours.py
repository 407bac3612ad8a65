"""The operator's way through the web client, in a real browser (Chromium, driven by
Odoo's HttpCase.start_tour): tours in static/tests/tours/."""

import threading
from unittest.mock import patch

from odoo import sql_db
from odoo.tests import tagged

from odoo.addons.bus.models import bus
from odoo.addons.bus.websocket import WebsocketConnectionHandler

from .common import ShopifyCase, run_pending_jobs

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

    def test_an_order_in_review_is_resolved_by_hand_from_the_overview(self):
        order = self.fake.objects[next(iter(self.fake.objects))]
        order["currentTotalPriceSet"] = {
            "shopMoney": {"amount": "420.00", "currencyCode": "USD"}
        }
        self.assertEqual(self.deliver().status_code, 200)
        self.run_jobs()
        event = self.events()
        self.assertEqual(event.state, "needs_review")

        tour = "shopify_needs_review_resolved_tour"
        self.start_tour(OVERVIEW_URL, tour, login="admin")
        self.env.invalidate_all()
        self.assertEqual(event.state, "resolved")
        self.assertEqual(event.resolution, "fixed", "counted as a manual correction")
        self.assertEqual(event.resolved_by_id, self.env.ref("base.user_admin"))
        self.assertIn("by hand", event.resolution_note)
        self.assertTrue(
            any("by hand" in message.body for message in event.message_ids),
            "who resolved it and how, in the chatter",
        )


def _commit_and_notify_the_bus(cursor, _commit=sql_db.TestCursor.commit):
    """TestCursor.commit, then the bus's post-commit NOTIFY (a test cursor drops its
    post-commit hooks): the web client's websocket hears of what was committed."""
    postcommit = cursor.postcommit
    channels = postcommit.data.get("bus.bus.channels")
    hooks = [f for f in postcommit._funcs if f.__module__ == bus.__name__]
    _commit(cursor)
    if channels:
        postcommit.data["bus.bus.channels"] = channels
        for hook in hooks:
            hook()


@tagged("post_install", "-at_install")
class TestLiveTours(ShopifyCase):
    """The web client as in production: connected to the bus (its websocket, which
    tests refuse by default), while the job runner works in the background."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(
            patch.object(
                WebsocketConnectionHandler, "websocket_allowed", return_value=True
            )
        )
        cls.startClassPatcher(
            patch.object(sql_db.TestCursor, "commit", _commit_and_notify_the_bus)
        )

    def run_jobs_once_shown(self, state):
        """Run the jobs in the background (a thread, each job in its own cursor as
        the runner does) once the web client has read an event in ``state``;
        returns a function that stops it."""
        shown, stop = threading.Event(), threading.Event()
        Event = type(self.env["shopify.webhook.event"])
        web_read = Event.web_read

        def spy(records, *args, **kwargs):
            result = web_read(records, *args, **kwargs)
            if any(row.get("state") == state for row in result):
                shown.set()
            return result

        def runner():
            while not stop.is_set():
                # a second for the browser to show it, as a real runner would take
                if shown.wait(0.2) and not stop.wait(1.0):
                    # the test's own environment is left alone: this runs
                    # beside the browser's requests (each cursor takes the test lock)
                    run_pending_jobs(self.registry)
                    shown.clear()

        self.startPatcher(patch.object(Event, "web_read", spy))
        thread = threading.Thread(target=runner, name="shopify-test-job-runner")
        thread.start()

        def stop_runner():
            stop.set()
            thread.join()

        return stop_runner

    def test_the_fix_from_the_reason_is_followed_live_to_done(self):
        # The order's fourth line (SKU2006-020) has no product in Odoo.
        self.products.filtered(lambda p: p.default_code == "SKU2006-020").unlink()
        self.assertEqual(self.deliver().status_code, 200)
        self.run_jobs()
        event = self.events()
        self.assertEqual(event.state, "needs_mapping")
        stop_runner = self.run_jobs_once_shown("queued")
        try:
            url = f"{EVENTS_URL}/{event.id}"
            self.start_tour(url, "shopify_fix_followed_live_tour", login="admin")
        finally:
            stop_runner()
        self.env.invalidate_all()
        self.assertEqual(event.state, "done")
        product = self.env["product.product"].search(
            [("default_code", "=", "SKU2006-020")]
        )
        self.assertIn(product, self.sale_orders().order_line.product_id)
