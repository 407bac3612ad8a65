"""Manual review of the refunds workflow: with review on, a new refund of an invoiced
order waits To Approve as a draft credit note (nothing paid back), one of an order not
invoiced waits before anything of it is applied; approving (one or many) posts and
pays it, or applies it through its job, exactly once; rejecting says why; review ends
after N clean approvals; neither ending review nor another delivery releases a held
refund."""

import copy
import json

from odoo.tests import new_test_user, tagged

from .common import ORDER_ID
from .test_operate import OperatorCase
from .test_refunds import RefundCase


@tagged("post_install", "-at_install")
class TestRefundReview(RefundCase, OperatorCase):
    def setUp(self):
        super().setUp()
        self.workflow = self.shop.workflow_ids.filtered(lambda w: w.flow == "refunds")
        self.workflow.write({"review_until": False, "review_clean_target": 20})
        self.workflow.action_review_start()

    # -- helpers --

    def approve(self, events):
        self.as_operator()
        return self.call_button(events, "action_approve")

    def refund_events(self):
        return self.events().filtered(lambda e: e.topic == "refunds/create")

    def outbound_payments(self):
        return self.env["account.payment"].search([("payment_type", "=", "outbound")])

    def returns(self, sale_order):
        return sale_order.picking_ids.filtered(
            lambda p: p.picking_type_code == "incoming"
        )

    def notes(self, record):
        return record.message_ids.filtered(lambda m: m.message_type == "comment")

    def add_refund(self, number: int, index: int, updated_at: str):
        """Shopify refunds (restock CANCEL) the unit of the order's line ``index``
        as refund ``number``: the refund, and the order's current quantity and
        totals lowered with it."""
        refund = copy.deepcopy(self.refund_data)
        item = refund["refundLineItems"]["nodes"][index]
        item["restockType"] = "CANCEL"
        transaction = refund["transactions"]["nodes"][0]
        transaction["id"] = f"gid://shopify/OrderTransaction/{number}"
        transaction["amountSet"] = copy.deepcopy(item["subtotalSet"])
        refund.update(
            id=f"gid://shopify/Refund/{number}",
            legacyResourceId=str(number),
            refundLineItems={"nodes": [item]},
            transactions={"nodes": [transaction]},
        )
        self.fake.add(refund)
        for line in self.order()["lineItems"]["nodes"]:
            if line["id"] == item["lineItem"]["id"]:
                line["currentQuantity"] -= item["quantity"]
        self.set_totals(updated_at)

    def deliver_refund(self, number: int):
        body = json.dumps({"id": number, "order_id": int(ORDER_ID)}).encode()
        self.assertEqual(self.deliver("refunds/create", body=body).status_code, 200)
        self.run_jobs()
        return self.refund_events().filtered(lambda e: e.object_id == str(number))

    # -- an invoiced order: the credit note waits as a draft --

    def test_a_credit_note_waits_as_a_draft_and_approving_posts_and_pays_it_once(self):
        sale_order = self.sync_order()
        invoice = self.invoice(sale_order)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": self.bank.id})._create_payments()
        self.shopify_refunds()
        event = self.sync_refund()
        self.assertEqual(event.state, "to_approve")
        move = self.credit_notes()
        self.assertEqual(
            (move.state, move.amount_total, move.reversed_entry_id),
            ("draft", 414.95, invoice),
        )
        self.assertEqual((event.res_model, event.res_id), ("account.move", move.id))
        self.assertIn(
            "a draft of 414.95, Shopify refunded 414.95 and paid back 85.00",
            event.error_message,
        )
        self.assertEqual(
            (event.review_shopify_total, event.review_odoo_total), (414.95, 414.95)
        )
        self.assertFalse(self.outbound_payments(), "nothing paid back yet")
        self.assertEqual(self.workflow.review_waiting_count, 1)
        self.assertEqual(
            self.env["shopify.webhook.event"].search(
                self.workflow.action_open_review_events()["domain"]
            ),
            event,
        )
        orders = self.shop.workflow_ids.filtered(lambda w: w.flow == "orders")
        self.assertEqual(orders.review_waiting_count, 0)
        # another delivery of the refund joins it: still one draft, nothing paid
        self.sync_refund()
        events = self.refund_events()
        self.assertEqual(events.mapped("state"), ["to_approve"] * 2)
        self.assertEqual(move.state, "draft")
        self.assertEqual(
            len(self.env["account.move"].search([("move_type", "=", "out_refund")])), 1
        )
        result = self.approve(events[:1])
        self.assertEqual(result["params"]["message"], "1 approved")
        self.assertEqual(move.state, "posted")
        self.assertEqual(
            sorted(self.outbound_payments().mapped("amount")), [10.0, 75.0]
        )
        self.assertEqual(self.outbound_payments().journal_id, self.bank)
        self.assertEqual(events.mapped("state"), ["done"] * 2)
        self.assertEqual((events.mapped("res_id")), [move.id] * 2)
        self.assertEqual(self.workflow.review_clean_count, 1)
        self.assertIn("Credit note posted as built", self.notes(event).body)
        # exactly once: approving again or a later delivery pays nothing more
        self.approve(events)
        self.sync_refund()
        self.assertEqual(self.refund_events()[:1].state, "done")
        self.assertEqual(len(self.outbound_payments()), 2)
        self.assertEqual(self.credit_notes(), move)
        self.assert_equal_to_shopify(sale_order)

    def test_an_invoiced_order_updated_before_its_refund_the_draft_waits(self):
        """orders/updated (1 of 2 units left) syncs the order; the refund's credit
        note waits as a draft; approved, it is posted and the order is Shopify's."""
        line = self.order()["lineItems"]["nodes"][0]
        line["quantity"] = line["currentQuantity"] = 2
        self.set_totals("2022-01-01T00:00:00Z")
        sale_order = self.sync_order()
        invoice = self.invoice(sale_order)
        self.refund_only_first_line("CANCEL")
        self.shopify_refunds()
        for topic in ("orders/updated", "refunds/create", "orders/updated"):
            self.assertEqual(self.deliver(topic).status_code, 200)
            self.run_jobs()
        event = self.refund_events()
        self.assertEqual(event.state, "to_approve")
        move = self.credit_notes()
        self.assertEqual((move.state, move.amount_total), ("draft", 89.99))
        self.approve(event)
        self.assertEqual(set(self.events().mapped("state")), {"done"})
        self.assertEqual((move.state, move.reversed_entry_id), ("posted", invoice))
        self.assertFalse(self.outbound_payments(), "it offsets the unpaid invoice")
        sol = sale_order.order_line.filtered(lambda s: s.shopify_line_gid == line["id"])
        self.assertEqual((sol.product_uom_qty, sol.qty_invoiced), (1, 1))
        self.assert_equal_to_shopify(sale_order)

    # -- an order not invoiced: nothing applied until approved --

    def _return_held(self, topics):
        """Shopify refunds 1 of 2 delivered units, restocked as returned; the order
        is not invoiced. ``topics`` arrive in that order: the refund waits To
        Approve with nothing applied (no return, the order as it was; the order's
        update waits for the return). Neither ending review nor another delivery of
        the refund releases it; approving applies it once, through its job."""
        line = self.order()["lineItems"]["nodes"][0]
        line["quantity"] = line["currentQuantity"] = 2
        self.set_totals("2022-01-01T00:00:00Z")
        sale_order = self.sync_order()
        self.deliver_all(sale_order)
        self.refund_only_first_line("RETURN")
        self.shopify_refunds()
        for topic in topics:
            self.assertEqual(self.deliver(topic).status_code, 200)
            self.run_jobs()
        event = self.refund_events()
        self.assertEqual(event.state, "to_approve")
        self.assertEqual((event.res_model, event.res_id), ("sale.order", sale_order.id))
        self.assertIn(
            "is not invoiced, so the refund changes the order itself and nothing of "
            "it is applied yet",
            event.error_message,
        )
        self.assertIn("total 414.95, 504.94 in Odoo now", event.error_message)
        self.assertEqual(
            (event.review_shopify_total, event.review_odoo_total), (414.95, 504.94)
        )
        updated = self.events().filtered(lambda e: e.topic == "orders/updated")
        self.assertEqual(updated.state, "needs_review", "it waits for the return")
        self.assertFalse(self.returns(sale_order))
        self.assertEqual(sale_order.amount_total, 504.94)
        self.assertFalse(self.credit_notes())
        self.workflow.action_review_end()
        self.sync_refund()
        self.assertEqual(self.refund_events().mapped("state"), ["to_approve"] * 2)
        self.assertFalse(self.returns(sale_order), "ending review releases nothing")
        result = self.approve(event)
        self.assertEqual(result["params"]["message"], "1 approved")
        self.assertEqual(self.refund_events().mapped("state"), ["queued"] * 2)
        self.run_jobs()
        self.assertEqual(set(self.events().mapped("state")), {"done"})
        self.assert_equal_to_shopify(sale_order)
        self.assertEqual(self.returns(sale_order).move_ids.quantity, 1)
        self.assertEqual(self.returns(sale_order).state, "done")
        self.sync_refund()
        self.assertEqual(len(self.returns(sale_order)), 1, "applied once")
        self.assertEqual(
            self.env["shopify.refund.binding"].search([]).review_state, "approved"
        )
        self.assertEqual(self.workflow.review_clean_count, 1)

    def test_a_refund_of_an_order_not_invoiced_arriving_first_waits_unapplied(self):
        self._return_held(("refunds/create", "orders/updated"))

    def test_a_refund_of_an_order_not_invoiced_arriving_last_waits_unapplied(self):
        self._return_held(("orders/updated", "refunds/create"))

    # -- many at once, the end of review, rejection --

    def test_bulk_approval_posts_each_and_ends_review_after_n_clean(self):
        self.workflow.review_clean_target = 2
        self.invoice(self.sync_order())
        self.add_refund(1, 0, "2022-01-02T00:00:00Z")
        first = self.deliver_refund(1)
        self.add_refund(2, 1, "2022-01-03T00:00:00Z")
        second = self.deliver_refund(2)
        self.assertEqual((first | second).mapped("state"), ["to_approve"] * 2)
        self.assertEqual(self.credit_notes().mapped("state"), ["draft"] * 2)
        self.assertEqual(self.workflow.review_waiting_count, 2)
        result = self.approve(first | second)
        self.assertEqual(result["params"]["message"], "2 approved")
        self.assertEqual(self.credit_notes().mapped("state"), ["posted"] * 2)
        self.assertEqual(
            sorted(self.credit_notes().mapped("amount_total")), [19.99, 89.99]
        )
        self.assertEqual((first | second).mapped("state"), ["done"] * 2)
        self.assertFalse(self.workflow.review_active, "2 clean approvals: it ended")
        self.assertIn(
            "2 refunds in a row approved unchanged", self.notes(self.workflow)[0].body
        )
        # review over: the next refund is posted at once
        self.add_refund(3, 2, "2022-01-04T00:00:00Z")
        third = self.deliver_refund(3)
        self.assertEqual(third.state, "done")
        self.assertEqual(self.credit_notes().mapped("state"), ["posted"] * 3)
        self.assert_equal_to_shopify(self.sale_orders())

    def test_rejecting_says_why_and_a_draft_changed_away_is_not_approved(self):
        self.invoice(self.sync_order())
        self.add_refund(1, 0, "2022-01-02T00:00:00Z")
        self.approve(self.deliver_refund(1))
        self.assertEqual(self.workflow.review_clean_count, 1)
        self.add_refund(2, 1, "2022-01-03T00:00:00Z")
        event = self.deliver_refund(2)
        draft = self.env["account.move"].browse(event.res_id)
        self.assertEqual((draft.state, draft.amount_total), ("draft", 19.99))
        draft.invoice_line_ids.price_unit = 29.99
        result = self.approve(event)
        self.assertIn("0 approved; not approved", result["params"]["message"])
        self.assertEqual((event.state, draft.state), ("to_approve", "draft"))
        action = self.call_button(event, "action_open_reject_wizard")
        wizard_id = self.call_kw(
            action["res_model"],
            "create",
            [{"note": "The customer was refunded twice; I credit it by hand"}],
            {"context": action["context"]},
        )
        result = self.call_button(
            self.env[action["res_model"]].browse(wizard_id), "action_confirm"
        )
        self.assertEqual(result["params"]["message"], "1 rejected")
        self.assertEqual((event.state, event.resolution), ("resolved", "rejected"))
        self.assertEqual(event.resolved_by_id, self.operator)
        self.assertIn("refunded twice", self.notes(event).body)
        self.assertEqual(draft.state, "draft", "left for a person to correct")
        self.assertEqual(self.workflow.review_clean_count, 0, "the streak restarts")
        self.assertTrue(self.workflow.review_active)
        # a rejected refund is never posted by the sync
        self.deliver_refund(2)
        self.assertEqual(draft.state, "draft")

    def test_a_refund_of_an_order_waiting_for_approval_keeps_it_waiting(self):
        """The orders workflow reviews, the refunds workflow does not: the refund
        of an order waiting for approval applies to its quotation, which keeps
        waiting with Shopify's new figures; approving confirms it equal to
        Shopify's."""
        self.workflow.action_review_end()
        orders = self.shop.workflow_ids.filtered(lambda w: w.flow == "orders")
        orders.write({"review_until": False})
        orders.action_review_start()
        line = self.order()["lineItems"]["nodes"][0]
        line["quantity"] = line["currentQuantity"] = 2
        self.set_totals("2022-01-01T00:00:00Z")
        quotation = self.sync_order()
        held = self.events()
        self.assertEqual((held.state, quotation.state), ("to_approve", "draft"))
        self.assertEqual(held.review_shopify_total, 504.94)
        self.refund_only_first_line("CANCEL")
        self.shopify_refunds()
        self.assertEqual(self.sync_refund().state, "done")
        self.assertEqual(held.state, "to_approve", "its approval stays the reviewer's")
        self.assertEqual((quotation.state, quotation.amount_total), ("draft", 414.95))
        self.assertEqual(held.review_shopify_total, 414.95)
        self.assertIn("total Shopify 414.95 / Odoo 414.95", held.error_message)
        result = self.approve(held)
        self.assertEqual(result["params"]["message"], "1 approved")
        self.assert_equal_to_shopify(quotation)
        self.assertEqual(set(self.events().mapped("state")), {"done"})

    def test_only_shopify_users_see_and_press_approve_reviewers_read(self):
        reviewer = new_test_user(
            self.env,
            "refund_reviewer",
            password="refund_reviewer_pw",
            groups="base.group_user,shopify_webhook_sync.group_shopify_reviewer",
        )
        self.invoice(self.sync_order())
        self.shopify_refunds()
        event = self.sync_refund()
        move = self.credit_notes()
        self.assertEqual((event.state, move.state), ("to_approve", "draft"))
        for login, shown in ((reviewer.login, False), ("shopify_operator", True)):
            self.authenticate(login, f"{login}_pw")
            for view_type in ("form", "list"):
                arch = self.call_kw(
                    event._name, "get_views", [[[False, view_type]]], {}
                )["views"][view_type]["arch"]
                with self.subTest(login=login, view=view_type):
                    self.assertEqual('name="action_approve"' in arch, shown, "Approve")
                    self.assertEqual(
                        'name="action_open_reject_wizard"' in arch, shown, "Reject"
                    )
        self.authenticate(reviewer.login, "refund_reviewer_pw")
        [read] = self.call_kw(
            event._name, "read", [event.ids, ["state", "review_shopify_total"]]
        )
        self.assertEqual(
            (read["state"], read["review_shopify_total"]), ("to_approve", 414.95)
        )
        for method, args in (("action_approve", []), ("action_reject", ["no"])):
            error = self.rpc_error(
                "/web/dataset/call_button", event._name, method, [event.ids, *args]
            )
            self.assertIn("Only Shopify users", error["message"])
        self.assertEqual((event.state, move.state), ("to_approve", "draft"))
