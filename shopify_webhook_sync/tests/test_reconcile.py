"""Reconciliation: orders no webhook announced are found by asking Shopify what was
updated since the watermark, and synced by the same jobs as webhooks."""

import copy
from datetime import datetime

from odoo.tests import tagged

from .common import ORDER_ID, ShopifyCase

SINCE = datetime(2026, 11, 30, 8, 0, 0)


@tagged("post_install", "-at_install")
class TestReconcile(ShopifyCase):
    def add_orders(self, count):
        """``count`` new orders in the fake (the published example, new ids), updated a
        minute apart from 09:00 UTC; no webhook sent."""
        ids = []
        for n in range(count):
            order_id = str(7000000000000 + n)
            order = copy.deepcopy(self.order_data)
            order.update(
                id=f"gid://shopify/Order/{order_id}",
                legacyResourceId=order_id,
                name=f"#{2000 + n}",
                updatedAt=f"2026-11-30T09:{n:02d}:00Z",
            )
            self.fake.add(order)
            ids.append(order_id)
        return ids

    def reconcile(self, since=SINCE, page_size=100):
        """One run (every page), then the sync jobs it queued."""
        self.shop._shopify_start_reconcile(since=since, page_size=page_size)
        for _round in range(20):
            if not self.jobs(states=("pending",)):
                return
            self.run_jobs()
        self.fail("the reconciliation did not settle")

    def reconciled_events(self):
        return self.events().filtered(lambda e: e.source == "reconcile")

    def test_thirty_missed_orders_are_created_once(self):
        ids = self.add_orders(30)
        self.reconcile(page_size=10)  # 3 pages of orders
        bound = self.env["shopify.order.binding"].search(
            [("shop_id", "=", self.shop.id), ("shopify_id", "in", ids)]
        )
        self.assertEqual(len(bound), 30)
        self.assertEqual(len(bound.sale_order_id), 30)
        self.assertEqual(set(bound.sale_order_id.mapped("state")), {"sale"})
        self.assertEqual(self.shop.reconcile_last_count, 30)
        events = self.reconciled_events()
        self.assertEqual(len(events), 30)
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertEqual(set(events.mapped("topic")), {"orders/reconcile"})
        self.assertEqual(
            self.shop.reconcile_watermark,
            datetime(2026, 11, 30, 9, 29),
            "the newest version queued",
        )
        queries = [
            r["variables"]
            for r in self.fake.requests
            if "first" in (r["variables"] or {})
        ]
        self.assertIn("updated_at:>='2026-11-30T08:00:00Z'", queries[0]["query"])

        orders_before = self.env["sale.order"].search_count([])
        jobs_before = self.jobs().ids
        self.reconcile()
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)
        self.assertEqual(len(self.reconciled_events()), 30, "no events pile up")
        new_jobs = self.jobs() - self.env["queue.job"].browse(jobs_before)
        self.assertEqual(
            set(new_jobs.mapped("method_name")),
            {"_shopify_reconcile_page"},
            "no object queued again",
        )
        self.assertEqual(self.shop.reconcile_last_count, 0)

    def test_a_late_webhook_coalesces_with_the_reconciled_job(self):
        [order_id] = self.add_orders(1)
        self.shop._shopify_start_reconcile(since=SINCE)
        self.run_jobs()  # the first page: the order is queued, not synced yet
        [queued] = self.jobs(states=("pending",)).filtered(
            lambda job: job.identity_key == f"{self.shop.id}:order:{order_id}"
        )
        body = b'{"id": %s, "admin_graphql_api_id": "gid://shopify/Order/%s"}' % (
            order_id.encode(),
            order_id.encode(),
        )
        self.assertEqual(self.deliver("orders/create", body=body).status_code, 200)
        webhook_event = self.events().filtered(lambda e: e.source == "webhook")
        self.assertEqual(webhook_event.job_uuid, queued.uuid, "one job for both")
        self.reconcile()
        self.assertEqual(set(self.events().mapped("state")), {"done"})
        self.assertEqual(len(self.sale_orders()), 1)

    def test_a_version_a_webhook_synced_is_not_queued_again(self):
        self.fake.objects[f"gid://shopify/Order/{ORDER_ID}"]["updatedAt"] = (
            "2026-11-30T09:30:00Z"
        )
        self.deliver("orders/create")
        self.run_jobs()
        self.reconcile()
        self.assertFalse(self.reconciled_events())
        self.assertEqual(self.shop.reconcile_last_count, 0)

    def test_cron_starts_one_run_per_shop(self):
        self.shop.reconcile_watermark = SINCE
        self.env["shopify.shop"].create(
            {"name": "Not connected yet", "shop_domain": "new-store.myshopify.com"}
        )
        self.env["shopify.shop"]._cron_reconcile()
        self.env["shopify.shop"]._cron_reconcile()
        pages = self.jobs(states=("pending",)).filtered(
            lambda job: job.method_name == "_shopify_reconcile_page"
        )
        self.assertEqual(len(pages), 1, "a run in progress is not started again")
        self.run_jobs()
        query = self.fake.requests[0]["variables"]["query"]
        self.assertEqual(query, "updated_at:>='2026-11-30T07:00:00Z'", "1 h overlap")
