"""The order job end to end: a delivery over HTTP, the job run by queue_job's runner
code, Shopify answered by the fake server from fixtures."""

from odoo import fields
from odoo.tests import tagged

from .common import ORDER_GID, SKUS, ShopifyCase, fixture


@tagged("post_install", "-at_install")
class TestOrderSync(ShopifyCase):
    def sync(self, topic="orders/create"):
        self.assertEqual(self.deliver(topic).status_code, 200)
        return self.run_jobs()

    def order(self):
        return self.fake.objects[ORDER_GID]

    def test_order_create_end_to_end(self):
        job = self.sync()
        self.assertEqual(job.state, "done")
        sale_order = self.sale_orders()
        self.assertEqual(len(sale_order), 1)
        self.assertEqual(sale_order.client_order_ref, "#9999")
        self.assertEqual(sale_order.origin, "#9999")
        self.assertEqual(sale_order.state, "sale")
        self.assertEqual(sale_order.partner_id.name, "John Smith")
        self.assertEqual(sale_order.partner_id.email, "john@example.com")
        self.assertEqual(sale_order.partner_shipping_id.street, "123 Shipping Street")
        self.assertEqual(sale_order.partner_shipping_id.type, "delivery")
        self.assertEqual(sale_order.partner_shipping_id.state_id.code, "KY")
        self.assertEqual(sale_order.partner_invoice_id.type, "invoice")
        items = sale_order.order_line.filtered("product_id.default_code")
        self.assertEqual(items.product_id.mapped("default_code"), SKUS)
        self.assertEqual(
            items.mapped("price_unit"), [89.99, 19.99, 24.99, 159.99, 119.99]
        )
        self.assertEqual(
            (sale_order.order_line - items).product_id, self.shipping_product
        )
        self.assertEqual(sale_order.amount_untaxed, 414.95)
        self.assertTrue(sale_order.picking_ids, "the confirmed order has its delivery")
        self.assertEqual(
            sale_order.date_order,
            fields.Datetime.to_datetime("2022-01-01 00:00:00"),
            "Shopify's processedAt, not the confirmation time",
        )
        self.assertEqual(
            sale_order.shopify_admin_url,
            "https://admin.shopify.com/store/john-smith/orders/820982911946154508",
        )
        event = self.events()
        self.assertRecordValues(
            event,
            [{"state": "done", "res_model": "sale.order", "res_id": sale_order.id}],
        )
        self.assertEqual(len(self.fake.requests), 1)
        self.assertEqual(self.fake.requests[0]["variables"]["id"], ORDER_GID)

    def test_second_run_changes_nothing(self):
        self.order()["note"] = "Leave it at the door"
        self.sync()
        sale_order = self.sale_orders()
        before = (
            sale_order.write_date,
            sale_order.order_line.ids,
            self.env["res.partner"].search_count([]),
        )
        self.sync("orders/updated")  # same updatedAt: up to date, nothing written
        self.order()["updatedAt"] = "2022-01-02T00:00:00Z"  # newer, same content
        self.sync("orders/updated")
        self.assertEqual(self.sale_orders(), sale_order)
        self.assertEqual(sale_order.order_line.ids, before[1])
        self.assertEqual(self.env["res.partner"].search_count([]), before[2])
        self.assertEqual(set(self.events().mapped("state")), {"done"})

    def test_update_applies_fresh_state_not_payload(self):
        self.sync()
        self.order()["updatedAt"] = "2022-01-02T00:00:00Z"
        self.order()["lineItems"]["nodes"][0]["currentQuantity"] = 3
        self.order()["lineItems"]["nodes"][0]["priceAfterAllDiscountsBeforeTaxesSet"][
            "shopMoney"
        ]["amount"] = "269.97"
        self.order()["currentTotalPriceSet"]["shopMoney"]["amount"] = "594.93"
        self.sync("orders/updated")
        self.assertEqual(self.events().mapped("state"), ["done", "done"])
        line = self.sale_orders().order_line.filtered(
            lambda sol: sol.product_id.default_code == SKUS[0]
        )
        self.assertEqual(line.product_uom_qty, 3)

    def test_older_fetch_never_overwrites_newer(self):
        self.order()["updatedAt"] = "2022-01-05T00:00:00Z"
        self.sync()
        self.order()["updatedAt"] = "2022-01-03T00:00:00Z"
        self.order()["lineItems"]["nodes"][0]["currentQuantity"] = 7
        self.sync("orders/updated")
        self.assertNotIn(7, self.sale_orders().order_line.mapped("product_uom_qty"))

    def test_create_of_an_order_already_cancelled_in_shopify(self):
        self.order()["cancelledAt"] = "2022-01-01T00:00:00Z"
        self.order()["cancelReason"] = "CUSTOMER"
        self.sync("orders/create")
        sale_order = self.sale_orders()
        self.assertEqual(sale_order.state, "cancel")
        self.assertFalse(sale_order.picking_ids.filtered(lambda p: p.state != "cancel"))

    def test_cancel_after_create_cancels_order_and_pickings(self):
        self.sync()
        self.order()["updatedAt"] = "2022-01-02T00:00:00Z"
        self.order()["cancelledAt"] = "2022-01-02T00:00:00Z"
        self.sync("orders/cancelled")
        sale_order = self.sale_orders()
        self.assertEqual(sale_order.state, "cancel")
        self.assertEqual(set(sale_order.picking_ids.mapped("state")), {"cancel"})

    def test_cancel_before_invoicing_cancels_with_no_credit_note(self):
        """Shopify cancels and refunds an order Odoo never invoiced: the sale order is
        cancelled, and no credit note is made, whatever the deliveries' order."""
        self.env["shopify.gateway.mapping"].create(
            {
                "shop_id": self.shop.id,
                "gateway": "bogus",
                "journal_id": self.env["account.journal"]
                .search([("type", "=", "bank")], limit=1)
                .id,
            }
        )
        self.sync()
        refund = fixture("graphql/refund_890088186047892319.json")
        self.fake.add(refund)
        self.order()["updatedAt"] = "2022-01-02T00:00:00Z"
        self.order()["cancelledAt"] = "2022-01-02T00:00:00Z"
        for line in self.order()["lineItems"]["nodes"]:
            line["currentQuantity"] = 0
        for name in ("currentSubtotalPriceSet", "currentTotalPriceSet"):
            self.order()[name]["shopMoney"]["amount"] = "0.00"
        for topic in ("refunds/create", "orders/cancelled", "orders/updated"):
            self.assertEqual(self.deliver(topic).status_code, 200)
            self.run_jobs()
        sale_order = self.sale_orders()
        self.assertEqual(sale_order.state, "cancel")
        self.assertFalse(
            self.env["account.move"].search([("move_type", "=", "out_refund")])
        )
        self.assertEqual(set(self.events().mapped("state")), {"done"})

    def test_unknown_sku_needs_mapping_and_writes_nothing(self):
        self.products[1].default_code = "RENAMED"
        partners = self.env["res.partner"].search_count([])
        job = self.sync()
        self.assertEqual(job.state, "done", "a business outcome ends the job normally")
        event = self.events()
        self.assertEqual(event.state, "needs_mapping")
        self.assertIn("#9999", event.error_message)
        self.assertIn(ORDER_GID, event.error_message)
        self.assertIn("LENS-PROTECT-2YR", event.error_message)
        self.assertIn("Internal Reference", event.error_message)
        self.assertFalse(self.sale_orders(), "nothing partial")
        self.assertEqual(
            self.env["res.partner"].search_count([]), partners, "nothing partial"
        )
        # The operator fixes the mapping and retries: the order syncs.
        self.products[1].default_code = "LENS-PROTECT-2YR"
        event.action_retry()
        self.assertEqual(event.state, "queued")
        self.run_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(len(self.sale_orders().order_line), 6, "5 items and shipping")

    def test_429_leaves_the_event_queued_until_shopify_answers(self):
        self.fake.fail_next("429", retry_after=7)
        job = self.sync()
        self.assertNotEqual(job.state, "done")
        self.assertEqual(self.events().state, "queued")
        self.assertFalse(self.sale_orders())
        self.run_jobs()
        self.assertEqual(self.events().state, "done")
        self.assertEqual(len(self.sale_orders()), 1)

    def test_503_and_throttled_leave_the_event_queued(self):
        for failure in ("503", "throttled", "internal"):
            with self.subTest(failure=failure):
                self.fake.fail_next(failure)
                job = self.sync()
                self.assertNotEqual(job.state, "done")
                self.assertEqual(set(self.events().mapped("state")), {"queued"})
                self.assertFalse(self.sale_orders())
        self.run_jobs()
        self.assertEqual(set(self.events().mapped("state")), {"done"})

    def test_failed_job_writes_its_reason_on_the_events(self):
        """on_fail of the sync job (queue_job calls it in its own cursor once the job
        failed for good): the object's open events take the reason; a retry syncs
        them."""
        function = self.env.ref("shopify_webhook_sync.job_function_shopify_sync")
        self.assertEqual(function.on_fail_method, "_shopify_on_sync_failed")
        self.assertEqual(self.deliver().status_code, 200)
        job = self.jobs()
        shop = job.records.with_context(**job.records.env.context)
        self.assertEqual(
            shop.env.context.get("shopify_object"), "order:820982911946154508"
        )
        shop._shopify_on_sync_failed(
            exc_message="Shopify answered with an error: Access denied"
        )
        event = self.events()
        self.assertEqual(event.state, "failed")
        self.assertIn("Access denied", event.error_message)
        event.action_retry()
        self.run_jobs()
        self.assertEqual(event.state, "done")

    def test_order_unknown_to_shopify(self):
        del self.fake.objects[ORDER_GID]
        self.sync()
        self.assertEqual(self.events().state, "failed")
        self.assertIn(
            "Shopify has no order 820982911946154508", self.events().error_message
        )

    def test_a_601_line_order_is_read_page_by_page(self):
        template = self.order()["lineItems"]["nodes"][0]
        self.order()["lineItems"]["nodes"] = [
            dict(template, id=f"gid://shopify/LineItem/{n}") for n in range(1, 602)
        ]
        self.order()["currentTotalPriceSet"]["shopMoney"]["amount"] = str(601 * 89.99)
        self.sync()
        self.assertEqual(
            len(self.sale_orders().order_line), 602, "601 items and shipping"
        )
        self.assertEqual(len(self.fake.requests), 13, "pages of 50 line items")

    def test_cron_requeues_an_event_its_job_never_saw(self):
        """An event committed just after its job took its snapshot stays queued with no
        live job: the scheduled action queues its object again, once."""
        self.deliver()
        event, job = self.events(), self.jobs()
        job.state = "done"
        self.env["shopify.webhook.event"]._cron_requeue_stalled()
        self.assertEqual(self.jobs(states=("pending",)), job.browse(), "too recent")
        event.received_at = fields.Datetime.subtract(fields.Datetime.now(), minutes=10)
        self.env["shopify.webhook.event"]._cron_requeue_stalled()
        self.env["shopify.webhook.event"]._cron_requeue_stalled()
        requeued = self.jobs(states=("pending",))
        self.assertEqual(len(requeued), 1)
        self.assertEqual(event.job_uuid, requeued.uuid)
        self.run_jobs()
        self.assertEqual(event.state, "done")
