"""Manual review, temporary by design: with the orders workflow in review, a delivered
order is a quotation waiting To Approve with Shopify's figures beside Odoo's; approving
(one or many) confirms it with Shopify's order date; rejecting says why and counts as a
manual correction; review ends at its date, after N clean approvals, or in one click."""

from datetime import datetime, timedelta

from freezegun import freeze_time
from lxml import etree

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import ShopifyCase
from .test_operate import OperatorCase, money
from .test_workflow_rehearsal import _order_create, run_rehearsal_jobs

WORKFLOWS_URL = "/odoo/action-shopify_webhook_sync.action_shopify_workflow"
SECOND_ORDER = b'{"id": 1, "name": "#1001"}'


@tagged("post_install", "-at_install")
class TestManualReview(OperatorCase):
    def setUp(self):
        super().setUp()
        self.workflow = self.shop.workflow_ids.filtered(lambda w: w.flow == "orders")
        self.workflow.write({"review_until": False, "review_clean_target": 20})
        self.workflow.action_review_start()

    def held(self, body=None):
        """Deliver an order and run its job: it waits for approval."""
        self.assertEqual(self.deliver(body=body).status_code, 200)
        self.run_jobs()
        events = self.events().filtered(lambda e: e.state == "to_approve")
        self.assertTrue(events)
        return events[:1]

    def add_second_order(self):
        self.fake.add(
            dict(
                self.order_data,
                id="gid://shopify/Order/1",
                legacyResourceId="1",
                name="#1001",
            )
        )

    def approve(self, events):
        self.as_operator()
        return self.call_button(events, "action_approve")

    def notes(self, record):
        return record.message_ids.filtered(lambda m: m.message_type == "comment")

    def test_review_holds_a_quotation_that_later_changes_do_not_confirm(self):
        event = self.held()
        sale_order = self.sale_orders()
        self.assertEqual(sale_order.state, "draft", "a quotation, not confirmed")
        self.assertEqual((event.res_model, event.res_id), ("sale.order", sale_order.id))
        self.assertIn("total Shopify 414.95 / Odoo 414.95", event.error_message)
        self.assertEqual(event.review_shopify_total, 414.95)
        self.assertEqual(event.review_odoo_total, 414.95)
        self.assertEqual(self.workflow.review_waiting_count, 1)
        # the order changes in Shopify: the quotation follows, nothing is confirmed
        self.order()["note"] = "Gift wrap, please"
        self.assertEqual(self.deliver("orders/updated").status_code, 200)
        self.run_jobs()
        self.assertEqual(sale_order.state, "draft")
        self.assertIn("Gift wrap", sale_order.note)
        self.assertEqual(self.events().mapped("state"), ["to_approve", "to_approve"])
        self.assertEqual(
            self.events().attempt_ids[:1].outcome, "to_approve", "the history says so"
        )
        # approving the newest event approves the order: every event of it is done
        result = self.approve(self.events()[:1])
        self.assertEqual(result["params"]["message"], "1 approved")
        self.assertEqual(sale_order.state, "sale")
        self.assertEqual(
            sale_order.date_order,
            datetime(2022, 1, 1),
            "Shopify's processedAt, not the approval time",
        )
        self.assertEqual(self.events().mapped("state"), ["done", "done"])
        self.assertEqual(self.workflow.review_clean_count, 1)
        self.assertEqual(self.notes(event).author_id, self.operator.partner_id)
        self.assertIn("Approved", self.notes(event).body)
        # approved: its next change is an ordinary update of a confirmed order
        self.order()["note"] = "Leave at the door"
        self.assertEqual(self.deliver("orders/updated").status_code, 200)
        self.run_jobs()
        self.assertEqual(self.events()[:1].state, "done")

    def test_bulk_approval_confirms_each_and_ends_review_after_n_clean(self):
        self.workflow.review_clean_target = 2
        self.add_second_order()
        first = self.held()
        second = self.held(SECOND_ORDER)
        self.assertEqual(self.sale_orders().mapped("state"), ["draft", "draft"])
        result = self.approve(first | second)
        self.assertEqual(result["params"]["message"], "2 approved")
        self.assertEqual(self.sale_orders().mapped("state"), ["sale", "sale"])
        self.assertEqual((first | second).mapped("state"), ["done", "done"])
        self.assertEqual(self.workflow.review_clean_count, 2)
        self.assertFalse(self.workflow.review_active, "2 clean approvals: it ended")
        self.assertIn(
            "2 orders in a row approved unchanged", self.notes(self.workflow)[0].body
        )
        # review over: the next order is confirmed at once
        self.fake.add(
            dict(
                self.order_data,
                id="gid://shopify/Order/2",
                legacyResourceId="2",
                name="#1002",
            )
        )
        self.assertEqual(
            self.deliver(body=b'{"id": 2, "name": "#1002"}').status_code, 200
        )
        self.run_jobs()
        self.assertEqual(self.events()[:1].state, "done")
        self.assertEqual(self.sale_orders().mapped("state"), ["sale"] * 3)

    def test_review_ends_by_itself_after_its_date(self):
        yesterday = fields.Date.today() - timedelta(days=1)
        self.workflow.review_until = yesterday
        self.assertEqual(self.deliver().status_code, 200)
        self.run_jobs()
        self.assertEqual(self.events().state, "done")
        self.assertEqual(self.sale_orders().state, "sale")
        self.assertFalse(self.workflow.review_active)
        self.assertIn("date", self.notes(self.workflow)[0].body)
        # the daily cron ends a review whose day passed without any order
        self.workflow.write({"review_until": fields.Date.today()})
        self.workflow.action_review_start()
        self.env["shopify.workflow"]._cron_end_reviews()
        self.assertTrue(self.workflow.review_active, "on until the end of its day")
        self.workflow.review_until = yesterday
        self.env["shopify.workflow"]._cron_end_reviews()
        self.assertFalse(self.workflow.review_active)
        with self.assertRaises(UserError):
            self.workflow.action_review_start()

    def test_the_overview_counts_the_orders_to_approve_and_lists_them(self):
        """The Overview's shop card: what waits To Approve is counted apart from To
        Fix, and its button lists those events (approved: the count falls to 0)."""
        event = self.held()
        self.assertEqual(self.shop.event_to_approve_count, 1)
        self.assertEqual(self.shop.event_problem_count, 0, "not an error to fix")
        dashboard = self.env.ref(
            "shopify_webhook_sync.view_shopify_shop_kanban_dashboard"
        )
        arch = etree.fromstring(self.shop.get_view(dashboard.id, "kanban")["arch"])
        [button] = arch.xpath(
            "//button[@name='action_open_events'][field/@name='event_to_approve_count']"
        )
        action = self.shop.with_context(
            **safe_eval(button.get("context"))
        ).action_open_events()
        Event = self.env["shopify.webhook.event"]
        search = etree.fromstring(Event.get_view(False, "search")["arch"])
        filters = [
            safe_eval(search.xpath(f"//filter[@name='{name[15:]}']")[0].get("domain"))
            for name in action["context"]
            if name.startswith("search_default_")
        ]
        self.assertEqual(filters, [[("state", "=", "to_approve")]])
        self.assertEqual(Event.search(action["domain"] + filters[0]), event)
        self.approve(event)
        self.assertEqual(self.shop.event_to_approve_count, 0)

    def test_changing_how_review_ends_is_a_change_since_sign_off_ending_is_not(self):
        """The signers signed how review ends (its date, its clean approvals);
        review ending by itself, or started again, changes nothing they signed."""

        def changed():
            self.env.invalidate_all()
            return self.workflow.changed_since_signoff

        def sign():
            self.env["shopify.workflow.signoff"].with_user(self.operator).create(
                {"workflow_id": self.workflow.id, "role": "finance"}
            )
            self.assertFalse(changed())

        today = fields.Date.today()
        self.workflow.write(
            {"review_until": today + timedelta(days=7), "review_clean_target": 1}
        )
        sign()
        self.approve(self.held())
        self.assertFalse(self.workflow.review_active, "one clean approval ended it")
        self.assertFalse(changed())
        self.workflow.action_review_start()
        with freeze_time(today + timedelta(days=8)):
            self.env["shopify.workflow"]._cron_end_reviews()
        self.assertFalse(self.workflow.review_active, "its date passed: it ended")
        self.assertFalse(changed())
        # a person changes how review ends: the signers must read it again
        self.workflow.review_until = today + timedelta(days=30)
        self.assertTrue(changed())
        sign()
        self.workflow.review_clean_target = 50
        self.assertTrue(changed())
        sign()
        self.workflow.review_until = False
        self.assertTrue(changed())

    def test_rejecting_says_why_and_counts_as_a_manual_correction(self):
        self.add_second_order()
        approved = self.held()
        self.approve(approved)
        self.assertEqual(self.workflow.review_clean_count, 1)
        event = self.held(SECOND_ORDER)
        self.as_operator()
        error = self.rpc_error(
            "/web/dataset/call_button", event._name, "action_reject", [event.ids, ""]
        )
        self.assertIn("Say why", error["message"])
        action = self.call_button(event, "action_open_reject_wizard")
        self.assertEqual(action["res_model"], "shopify.event.reject.wizard")
        wizard_id = self.call_kw(
            action["res_model"],
            "create",
            [{"note": "The discount on line 2 is wrong"}],
            {"context": action["context"]},
        )
        result = self.call_button(
            self.env[action["res_model"]].browse(wizard_id), "action_confirm"
        )
        self.assertEqual(result["params"]["message"], "1 rejected")
        event.invalidate_recordset()
        self.assertEqual(event.state, "resolved")
        self.assertEqual(event.resolution, "rejected")
        self.assertEqual(event.resolved_by_id, self.operator)
        self.assertIn("discount on line 2", self.notes(event).body)
        quotation = self.env["sale.order"].browse(event.res_id)
        self.assertEqual(quotation.state, "draft", "left for a person to correct")
        self.assertEqual(self.workflow.review_clean_count, 0, "the streak restarts")
        self.assertTrue(self.workflow.review_active)
        self.env.flush_all()
        [today] = self.env["shopify.event.overview"].search(
            [("shop_id", "=", self.shop.id), ("period", "=", "today")]
        )
        self.assertEqual(today.corrected, 1)
        self.assertEqual(
            self.env["shopify.webhook.event"].search(
                today.with_context(figure="corrected").action_open_figure()["domain"]
            ),
            event,
        )

    def test_an_order_changed_until_totals_differ_is_not_approved(self):
        event = self.held()
        quotation = self.sale_orders()
        quotation.order_line[:1].price_unit += 10
        result = self.approve(event)
        self.assertIn("0 approved; not approved", result["params"]["message"])
        self.assertEqual(event.state, "to_approve")
        self.assertEqual(quotation.state, "draft")
        # back to Shopify's figures: approved as built
        quotation.order_line[:1].price_unit -= 10
        self.approve(event)
        self.assertEqual(event.state, "done")
        self.assertEqual(quotation.state, "sale")

    def test_ending_review_is_one_click_logged_and_waiting_orders_still_wait(self):
        event = self.held()
        self.workflow.action_review_end()
        self.assertFalse(self.workflow.review_active)
        [note] = self.notes(self.workflow)[:1]
        self.assertIn("Manual review ended", note.body)
        tracked = self.workflow.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "review_active"
        )
        self.assertTrue(tracked)
        # a later change of the waiting order does not confirm it behind the reviewer
        self.order()["currentTotalPriceSet"] = money("414.95")
        self.assertEqual(self.deliver("orders/updated").status_code, 200)
        self.run_jobs()
        self.assertEqual(event.state, "to_approve")
        self.assertEqual(self.sale_orders().state, "draft")
        self.approve(event)
        self.assertEqual(self.sale_orders().state, "sale")


@tagged("post_install", "-at_install")
class TestReviewTour(ShopifyCase):
    def test_turn_review_on_approve_an_order_and_read_the_note_in_the_browser(self):
        workflow = self.shop.workflow_ids.filtered(lambda w: w.flow == "orders")
        # the launch rehearsal's controlled failure passed: a test case of the note
        self.fake.created_orders = []
        self.fake.mutation_handlers["orderCreate"] = _order_create
        workflow.action_rehearse_failure()
        run_rehearsal_jobs(self)
        self.assertEqual(workflow.test_cases_passed, "Controlled failure")
        rehearsal_event = workflow.rehearsal_ids.event_id
        self.start_tour(WORKFLOWS_URL, "shopify_review_start_tour", login="admin")
        self.assertTrue(workflow.review_active)
        self.assertEqual(self.deliver().status_code, 200)
        self.run_jobs()
        order_event = self.events() - rehearsal_event
        self.assertEqual(order_event.state, "to_approve")
        # approve it, then read the workflow's note (rules, review, test cases)
        self.start_tour(WORKFLOWS_URL, "shopify_review_approve_tour", login="admin")
        self.assertEqual(order_event.state, "done")
        self.assertEqual(self.sale_orders().state, "sale")
        self.assertEqual(workflow.review_clean_count, 1)
