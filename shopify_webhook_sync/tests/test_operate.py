"""An operator's day with the events, as a Shopify user (not a manager): every problem
can be closed (resolved by hand, ignored with a reason, retried), one or many at once;
every attempt of an object's sync is kept; who did what is in the chatter."""

import json

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import ShopifyCase


def money(amount):
    return {"shopMoney": {"amount": str(amount), "currencyCode": "USD"}}


class OperatorCase(ShopifyCase):
    """A Shopify user (not a manager) clicking through the web client's routes."""

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
        result = self.make_jsonrpc_request(
            "/web/dataset/call_button",
            {
                "model": records._name,
                "method": method,
                "args": [records.ids, *args],
                "kwargs": {"context": context or {}},
            },
        )
        self.env.invalidate_all()  # the request wrote through its own environment
        return result

    def call_kw(self, model, method, args, kwargs=None):
        result = self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )
        self.env.invalidate_all()
        return result

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


@tagged("post_install", "-at_install")
class TestOperate(OperatorCase):
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
        self.assertEqual(self.deliver(body=self.add_order(1)).status_code, 200)
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

    def test_an_event_is_named_by_its_shopify_object_and_found_by_it(self):
        self.assertEqual(self.deliver().status_code, 200)
        self.run_jobs()
        event = self.events()
        self.assertEqual(event.display_name, "Order #9999 (John Smith)")
        self.assertEqual(event.record_name, self.sale_orders().name)
        self.as_operator()
        for query in ("#9999", "LENS-PROTECT-2YR", "jon@example.com"):
            with self.subTest(query=query):
                found = self.call_kw(event._name, "name_search", [query])
                self.assertEqual([row[0] for row in found], event.ids)

    def test_a_delivery_naming_nothing_takes_its_records_name(self):
        """orders/edited carries only the order's id: once synced, the event is
        named after the order it became."""
        self.assertEqual(self.deliver("orders/edited").status_code, 200)
        event = self.events()
        self.assertFalse(event.object_name)
        self.run_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(event.display_name, "Order #9999")

    def test_the_overview_opens_the_shops_metrics(self):
        self.assertEqual(self.deliver().status_code, 200)
        self.run_jobs()
        self.as_operator()
        action = self.call_button(self.shop, "action_open_metrics")
        rows = self.call_kw(
            action["res_model"],
            "search_read",
            [action["domain"] + [("period", "=", "today")]],
            {"fields": ["topic", "completed", "p50"]},
        )
        self.assertEqual(len(rows), 1)
        self.assertEqual((rows[0]["topic"], rows[0]["completed"]), ("orders/create", 1))
        self.assertIsNot(rows[0]["p50"], False, "a median of one done event")

    def test_one_activity_per_object_for_its_owner_closed_when_it_syncs(self):
        self.shop.owner_orders_id = self.operator
        self.products[1].default_code = "RENAMED"
        self.assertEqual(self.deliver().status_code, 200)
        self.run_jobs()
        self.assertEqual(self.events().state, "needs_mapping")
        # Another delivery of the order and a retry: still one activity.
        self.assertEqual(self.deliver("orders/updated").status_code, 200)
        self.run_jobs()
        self.events().action_retry()
        self.run_jobs()
        events = self.events()
        self.assertEqual(set(events.mapped("state")), {"needs_mapping"})
        activity = events.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.operator)
        self.assertIn("#9999", activity.summary)
        self.assertIn("LENS-PROTECT-2YR", str(activity.note))
        # "My Problems", as the owner.
        self.as_operator()
        mine = self.call_kw(
            events._name, "search", [[("activity_user_id", "=", self.operator.id)]]
        )
        self.assertEqual(mine, activity.res_id and [activity.res_id])
        # Fixed: the order syncs and the activity is done by itself.
        self.products[1].default_code = "LENS-PROTECT-2YR"
        events.action_retry()
        self.run_jobs()
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertFalse(events.activity_ids)
        self.assertTrue(activity.exists() and not activity.active, "kept as done")

    def test_no_owner_no_activity_and_a_person_closing_closes_it(self):
        event = self.needs_review()
        [activity] = event.activity_ids
        self.assertEqual(activity.user_id, self.shop.owner_orders_id)
        event.action_resolve("Adjusted the order by hand")
        self.assertFalse(event.activity_ids)
        self.shop.owner_orders_id = False
        self.order()["currentTotalPriceSet"] = money("421.00")
        self.order()["updatedAt"] = "2030-01-01T00:00:00Z"
        self.assertEqual(self.deliver("orders/updated").status_code, 200)
        self.run_jobs()
        self.assertEqual(self.events().mapped("state"), ["needs_review", "resolved"])
        self.assertFalse(self.events().activity_ids)

    def test_sale_order_and_customer_open_their_shopify_events(self):
        new_test_user(
            self.env,
            "shopify_seller",
            password="shopify_seller_pw",
            groups="shopify_webhook_sync.group_shopify_user,"
            "sales_team.group_sale_salesman_all_leads",
        )
        self.assertEqual(self.deliver().status_code, 200)
        self.run_jobs()
        sale_order = self.sale_orders()
        partner = self.operator.partner_id
        other = self.env["sale.order"].create({"partner_id": partner.id})
        self.authenticate("shopify_seller", "shopify_seller_pw")
        [read] = self.call_kw(
            "sale.order", "read", [sale_order.ids, ["shopify_event_count"]]
        )
        self.assertEqual(read["shopify_event_count"], 1)
        for record in (sale_order, sale_order.partner_id):
            with self.subTest(model=record._name):
                action = self.call_button(record, "action_open_shopify_events")
                found = self.call_kw(action["res_model"], "search", [action["domain"]])
                self.assertEqual(found, self.events().ids)
        # Sales > Orders > "From Shopify"
        from_shopify = self.call_kw(
            "sale.order", "search", [[("shopify_binding_ids", "!=", False)]]
        )
        self.assertIn(sale_order.id, from_shopify)
        self.assertNotIn(other.id, from_shopify)
