"""An operator's day with the events, as a Shopify user (not a manager): every problem
can be closed (resolved by hand, ignored with a reason, retried), one or many at once;
every attempt of an object's sync is kept; who did what is in the chatter."""

import json

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import ShopifyCase


def money(amount):
    return {"shopMoney": {"amount": str(amount), "currencyCode": "USD"}}


@tagged("post_install", "-at_install")
class TestOperate(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.operator = new_test_user(
            cls.env,
            "shopify_operator",
            password="shopify_operator_pw",
            groups="base.group_user,shopify_webhook_sync.group_shopify_user",
            name="Olga Operator",
        )

    def order(self):
        return self.fake.objects[next(iter(self.fake.objects))]

    def needs_review(self):
        """An order whose totals differ from Odoo's: it waits for a person."""
        self.order()["currentTotalPriceSet"] = money("420.00")
        self.assertEqual(self.deliver().status_code, 200)
        self.run_jobs()
        event = self.events()
        self.assertEqual(event.state, "needs_review")
        return event

    def as_operator(self):
        self.authenticate("shopify_operator", "shopify_operator_pw")

    def call_button(self, records, method, *args, context=None):
        """What the web client sends when the operator clicks a button."""
        return self.make_jsonrpc_request(
            "/web/dataset/call_button",
            {
                "model": records._name,
                "method": method,
                "args": [records.ids, *args],
                "kwargs": {"context": context or {}},
            },
        )

    def call_kw(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def rpc_error(self, route, model, method, args):
        """The error a refused call answers with (logged by odoo.http: muted)."""
        payload = {"model": model, "method": method, "args": args, "kwargs": {}}
        with mute_logger("odoo.http"):
            response = self.url_open(
                route,
                data=json.dumps({"params": payload}),
                headers={"Content-Type": "application/json"},
            )
        return response.json()["error"]["data"]

    def notes(self, event):
        return event.message_ids.filtered(lambda m: m.message_type == "comment")

    def test_needs_review_order_resolved_by_hand_in_two_clicks(self):
        event = self.needs_review()
        self.as_operator()
        # Click 1: Resolve opens the dialog (How / Why prefilled by default).
        action = self.call_button(
            event, "action_open_close_wizard", context={"default_action": "resolve"}
        )
        self.assertEqual(action["res_model"], "shopify.event.close.wizard")
        wizard_id = self.call_kw(
            "shopify.event.close.wizard",
            "create",
            [{}],
            {"context": action["context"]},
        )
        # Click 2: Confirm.
        result = self.call_button(
            self.env["shopify.event.close.wizard"].browse(wizard_id), "action_confirm"
        )
        self.assertEqual(result["params"]["message"], "1 closed")
        event.invalidate_recordset()
        self.assertEqual(event.state, "resolved")
        self.assertEqual(event.resolution, "fixed")
        self.assertEqual(event.resolved_by_id, self.operator)
        self.assertTrue(event.resolved_at)
        self.assertIn("by hand", event.resolution_note)
        [note] = self.notes(event)
        self.assertEqual(note.author_id, self.operator.partner_id)
        self.assertIn("Resolved by hand", note.body)
        tracked = event.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "state"
        )
        self.assertIn("Resolved by Hand", tracked.mapped("new_value_char"))

    def test_ignore_needs_a_reason_which_the_chatter_keeps(self):
        event = self.needs_review()
        self.as_operator()
        error = self.rpc_error(
            "/web/dataset/call_button", event._name, "action_ignore", [event.ids, ""]
        )
        self.assertIn("Say why", error["message"])
        self.call_button(event, "action_ignore", "test order, deleted in Shopify")
        event.invalidate_recordset()
        self.assertEqual(event.state, "ignored")
        self.assertEqual(event.resolution, "ignored")
        self.assertIn("test order", self.notes(event).body)

    def test_bulk_retry_says_what_was_requeued_and_what_was_skipped(self):
        waiting = self.needs_review()
        self.order()["currentTotalPriceSet"] = money("414.95")
        self.fake.add(
            dict(
                self.order_data,
                id="gid://shopify/Order/1",
                legacyResourceId="1",
                name="#1001",
            )
        )
        self.assertEqual(
            self.deliver(body=b'{"id": 1, "name": "#1001"}').status_code, 200
        )
        self.run_jobs()
        done = self.events() - waiting
        self.assertEqual(done.state, "done")
        self.as_operator()
        result = self.call_button(waiting | done, "action_retry")
        self.assertEqual(
            result["params"]["message"],
            "1 re-queued, 1 skipped because they wait for no fix: 1 Done",
        )
        self.assertEqual(waiting.state, "queued")
        self.assertIn("Retry requested", self.notes(waiting).body)
        self.assertEqual(self.notes(waiting).author_id, self.operator.partner_id)
        self.run_jobs()
        self.assertEqual(waiting.state, "done")

    def test_every_attempt_is_kept_and_counted(self):
        event = self.needs_review()
        self.order()["currentTotalPriceSet"] = money("414.95")
        event.action_retry()
        self.run_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(event.attempt_count, 2)
        outcomes = event.attempt_ids.mapped("outcome")
        self.assertEqual(outcomes, ["done", "needs_review"], "newest first")
        review = event.attempt_ids[1]
        self.assertEqual(review.error_kind, "review")
        self.assertIn("Shopify 420.00", review.message)
        self.assertTrue(review.job_uuid)
        self.assertGreaterEqual(review.duration, 0)
        self.assertTrue(event.done_at)
        self.assertAlmostEqual(
            event.sync_seconds,
            (event.done_at - event.received_at).total_seconds(),
            places=3,
        )

    def test_users_change_events_only_through_the_methods(self):
        event = self.needs_review()
        self.as_operator()
        error = self.rpc_error(
            "/web/dataset/call_kw", event._name, "write", [event.ids, {"state": "done"}]
        )
        self.assertIn("AccessError", error["name"])
        self.assertEqual(event.state, "needs_review")
