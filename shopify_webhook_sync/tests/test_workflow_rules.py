"""Workflows enforced: the retry rule reaches the flow's jobs (queue_job's own Job
code performs and postpones them); the required mappings and the subscriptions show
their live status; sign-offs notice a later change; the note prints."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from odoo.addons.queue_job.exception import FailedJobError, RetryableJobError
from odoo.addons.queue_job.job import Job

from ..models.shopify_workflow import backoff
from .common import ORDER_GID, ShopifyCase


def money(amount):
    return {"shopMoney": {"amount": str(amount), "currencyCode": "USD"}}


class TestWorkflowRules(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vat20 = cls.env["account.tax"].create(
            {"name": "VAT 20% (workflow test)", "amount": 20, "type_tax_use": "sale"}
        )
        cls.signers = {
            role: new_test_user(
                cls.env,
                f"wf_{role}",
                groups="base.group_user,shopify_webhook_sync.group_shopify_user",
            )
            for role in ("owner", "finance", "operations", "support")
        }

    def workflow(self, flow):
        self.env.invalidate_all()  # live figures: read them again
        return self.shop.workflow_ids.filtered(lambda w: w.flow == flow)

    def requirement(self, flow, kind):
        return self.workflow(flow).requirement_ids.filtered(lambda r: r.kind == kind)

    def tax_first_line(self):
        """Shopify charged 20% VAT on the first line (89.99): 18.00."""
        order = self.fake.objects[ORDER_GID]
        order["lineItems"]["nodes"][0]["taxLines"] = [
            {"title": "VAT", "rate": 0.2, "priceSet": money("18.0")}
        ]
        order["currentTotalTaxSet"] = money("18.0")
        order["currentTotalPriceSet"] = money("432.95")

    def sign(self, role, flow="orders", comment="checked"):
        return (
            self.env["shopify.workflow.signoff"]
            .with_user(self.signers[role])
            .create(
                {
                    "workflow_id": self.workflow(flow).id,
                    "role": role,
                    "comment": comment,
                }
            )
        )

    def map_vat(self, tax=None):
        return self.env["shopify.tax.mapping"].create(
            {
                "shop_id": self.shop.id,
                "title": "VAT",
                "rate": 0.2,
                "tax_id": (tax or self.vat20).id,
            }
        )

    def test_backoff_doubles_up_to_the_longest_wait(self):
        self.assertEqual(backoff(1, 10, 3600), (7, 10))
        self.assertEqual(backoff(2, 10, 3600), (15, 20))
        self.assertEqual(backoff(4, 10, 3600), (60, 80))
        self.assertEqual(backoff(30, 10, 3600), (2700, 3600))

    def test_the_flows_retry_rule_reaches_its_jobs(self):
        self.workflow("orders").write(
            {"retry_max": 3, "retry_delay": 60, "retry_delay_max": 100}
        )
        self.workflow("customers").retry_max = 5
        self.assertEqual(self.deliver().status_code, 200)
        record = self.jobs(states=("pending",))
        self.assertEqual(record.max_retries, 3, "the orders workflow's attempts")
        self.fake.fail_next("503", count=10)  # Shopify is down
        job = Job.load(self.env, record.uuid)
        for seconds in ((45, 60), (75, 100)):  # 60 s, then doubled but at most 100
            with self.assertRaises(RetryableJobError) as caught:
                job.perform()
            self.assertEqual(caught.exception.seconds, seconds)
            before = job.eta or record.date_created
            job.postpone(seconds=caught.exception.seconds)
            job.set_pending(reset_retry=False)
            job.store()
            record.invalidate_recordset()
            self.assertEqual(record.retry, job.retry)
            self.assertTrue(record.eta, "postponed by the back-off")
            self.assertNotEqual(record.eta, before)
        with self.assertRaisesRegex(FailedJobError, r"Max\. retries \(3\) reached"):
            job.perform()
        self.assertEqual(self.events().state, "queued")
        # another flow's jobs follow their own workflow
        self.assertEqual(self.deliver("customers/create").status_code, 200)
        customer_job = self.jobs(states=("pending",)) - record
        self.assertEqual(customer_job.max_retries, 5)
        # a retry asked for by a person gets the rule in force then
        job.set_failed(exc_info="Shopify was down")
        job.store()
        self.workflow("orders").retry_max = 4
        event = self.events().filtered(lambda e: e.object_kind == "order")
        event.sudo().state = "failed"
        event.action_retry()
        retried = self.env["queue.job"].search([("uuid", "=", event.job_uuid)])
        self.assertNotEqual(retried, record)
        self.assertEqual(retried.max_retries, 4)

    def test_required_mappings_follow_the_mappings(self):
        self.assertEqual(
            self.workflow("orders").requirement_ids.mapped("kind"),
            ["product", "tax", "shipping"],
        )
        self.assertEqual(self.workflow("orders").mapping_state, "complete")
        self.assertEqual(self.workflow("customers").mapping_state, "none")
        location = self.requirement("stock", "location")
        self.assertEqual(location.state, "missing")
        self.assertIn("No Shopify location", location.missing)
        # an order with a tax nobody mapped waits: its workflow says what is missing
        self.tax_first_line()
        self.assertEqual(self.deliver().status_code, 200)
        self.run_jobs()
        self.assertEqual(self.events().state, "needs_mapping")
        tax = self.requirement("orders", "tax")
        self.assertEqual((tax.state, tax.missing), ("missing", "VAT 20.0%"))
        self.assertEqual(self.workflow("orders").mapping_state, "missing")
        self.assertEqual(self.requirement("orders", "shipping").state, "complete")
        self.assertEqual(self.requirement("orders", "shipping").configured_count, 1)
        waiting = tax.action_open_waiting()
        Event = self.env["shopify.webhook.event"]
        self.assertEqual(Event.search(waiting["domain"]), self.events())
        self.assertFalse(
            Event.search(
                self.requirement("orders", "shipping").action_open_waiting()["domain"]
            )
        )
        fix = tax.action_open()
        self.assertEqual(fix["res_model"], "shopify.tax.mapping")
        self.assertEqual(fix["context"]["default_shop_id"], self.shop.id)
        # mapping the tax: the order syncs and the workflow is complete again
        self.map_vat()
        self.run_jobs()
        self.assertEqual(self.events().state, "done")
        self.assertEqual(self.requirement("orders", "tax").state, "complete")
        self.assertEqual(self.requirement("orders", "tax").configured_count, 1)
        self.assertEqual(self.workflow("orders").mapping_state, "complete")
        # a Shopify variant no Odoo product is chosen for
        variant = self.env["shopify.product.binding"].create(
            {"shop_id": self.shop.id, "shopify_id": "4040", "sku": "NOPE-1"}
        )
        products = self.requirement("products", "product")
        self.assertEqual((products.state, products.missing), ("missing", "NOPE-1"))
        variant.product_id = self.products[0]
        self.assertEqual(self.requirement("products", "product").state, "complete")

    def test_the_topics_say_whether_shopify_has_them(self):
        orders = self.workflow("orders")
        self.assertEqual(orders.topics_state, "unchecked")
        self.assertIn("orders/create: not checked yet", orders.topic_status)
        self.shop._shopify_check_webhooks()  # Shopify has none yet
        self.assertEqual(self.workflow("orders").topics_state, "problem")
        self.assertIn("orders/paid: missing", self.workflow("orders").topic_status)
        self.shop._shopify_register_webhooks()
        orders = self.workflow("orders")
        self.assertEqual(orders.topics_state, "registered")
        self.assertIn("orders/paid: registered", orders.topic_status)
        privacy = self.workflow("privacy")
        self.assertIn("app/uninstalled: registered", privacy.topic_status)
        self.assertIn("shop/redact: compliance webhook", privacy.topic_status)
        self.assertEqual(self.workflow("stock").topics_state, "none")
        self.assertFalse(self.workflow("fulfillments").topics, "Odoo fulfils")
        self.shop.fulfilled_by = "shopify"
        fulfillments = self.workflow("fulfillments")
        self.assertEqual(fulfillments.topics_state, "problem", "not registered yet")
        self.assertIn("fulfillments/create: missing", fulfillments.topic_status)

    def test_a_change_after_sign_off_is_flagged(self):
        orders = self.workflow("orders")
        self.assertEqual(orders.signoff_state, "none")
        finance = self.sign("finance", comment="taxes checked against the VAT return")
        self.assertEqual(finance.user_id, self.signers["finance"])
        self.assertEqual(self.workflow("orders").signoff_state, "partial")
        self.assertIn(
            "taxes checked against the VAT return",
            self.workflow("orders").message_ids[0].body,
        )
        for role in ("owner", "operations", "support"):
            self.sign(role)
        orders = self.workflow("orders")
        self.assertEqual(orders.signoff_state, "signed")
        self.assertFalse(orders.changed_since_signoff)
        # a changed tax mapping after finance signed
        mapping = self.map_vat()
        self.assertTrue(self.workflow("orders").changed_since_signoff)
        self.assertEqual(self.workflow("orders").signoff_state, "changed")
        self.sign("finance")
        self.assertTrue(self.workflow("orders").changed_since_signoff, "3 roles left")
        for role in ("owner", "operations", "support"):
            self.sign(role)
        self.assertEqual(self.workflow("orders").signoff_state, "signed")
        other_tax = self.vat20.copy({"name": "VAT 20% (other)"})
        mapping.tax_id = other_tax
        self.assertEqual(self.workflow("orders").signoff_state, "changed")
        # a rule, too; and another flow's mappings are not this flow's
        refunds_signoff = self.sign("finance", flow="refunds")
        mapping.tax_id = self.vat20
        self.assertFalse(refunds_signoff.changed)
        self.workflow("refunds").retry_max = 7
        self.assertTrue(self.workflow("refunds").changed_since_signoff)
        # a sign-off is a record of what happened: nobody edits it
        with self.assertRaises(AccessError):
            finance.with_user(self.signers["finance"]).comment = "nothing checked"

    def test_sign_off_schedules_the_owners_quarterly_review(self):
        owner = self.signers["owner"]
        orders = self.workflow("orders")
        orders.owner_id = owner
        self.sign("owner")
        self.sign("finance")
        review_type = self.env.ref(
            "shopify_webhook_sync.mail_activity_type_shopify_workflow_review"
        )
        [review] = orders.activity_ids.filtered(
            lambda a: a.activity_type_id == review_type
        )
        self.assertEqual(review.user_id, owner)
        in_3_months = fields.Date.today() + timedelta(days=92)
        self.assertAlmostEqual(review.date_deadline, in_3_months, delta=timedelta(4))
        review.with_user(owner).action_feedback(feedback="Reviewed, unchanged")
        [next_review] = self.workflow("orders").activity_ids.filtered(
            lambda a: a.activity_type_id == review_type
        )
        self.assertNotEqual(next_review, review)
        self.assertEqual(next_review.user_id, owner)

    def test_recovery_plan_examples_and_the_printed_note(self):
        orders = self.workflow("orders")
        self.assertEqual(orders.queue_reviewer_id, self.shop.owner_orders_id)
        self.assertIn("8 times over 4 hours", orders.plan_day)
        self.assertTrue(orders.plan_hour and orders.plan_weekend)
        self.assertEqual(self.deliver().status_code, 200)
        self.run_jobs()
        orders.action_pick_examples()
        self.assertEqual(orders.example_1, self.sale_orders())
        self.assertFalse(orders.example_2)
        self.sign("finance", comment="Signed for the launch")
        self.map_vat()  # changed since finance signed
        workflows = self.shop.workflow_ids
        # a Shopify user, and a reviewer, read every field and print the note
        reviewer = new_test_user(
            self.env,
            "wf_reader",
            groups="base.group_user,shopify_webhook_sync.group_shopify_reviewer",
        )
        for user in (reviewer, self.signers["support"]):
            self.assertTrue(workflows.with_user(user).read())
            html = (
                self.env["ir.actions.report"]
                .with_user(user)
                ._render_qweb_html(
                    "shopify_webhook_sync.action_report_shopify_workflow",
                    workflows.ids,
                )[0]
                .decode()
            )
            self.assertEqual(html.count('class="page"'), len(workflows), "a page each")
            for text in (
                "Variant SKU → Internal Reference",
                self.sale_orders().display_name,
                "Signed for the launch",
                "Changed since sign-off",
                "orders/create: not checked yet",
                "After a weekend",
                "Manual review",
                "Test cases passed",
            ):
                self.assertIn(text, html)
