"""refunds/create -> a credit note posted against the invoice and paid back through the
gateway's journal (none when the order is not invoiced); returned items back in stock;
the order equal to Shopify's current state whatever order the deliveries arrive in."""

import copy

from odoo.tests import tagged

from .common import ORDER_GID, ShopifyCase, fixture

REFUND_ID = "890088186047892319"
REFUND_GID = f"gid://shopify/Refund/{REFUND_ID}"


class RefundCase(ShopifyCase):
    """Shopify's published refund of the example order, a bank journal mapped to its
    gateway, and the moves Shopify makes when it refunds (test_refund_review.py
    reuses them)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.refund_data = fixture(f"graphql/refund_{REFUND_ID}.json")
        cls.bank = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.env["shopify.gateway.mapping"].create(
            {"shop_id": cls.shop.id, "gateway": "bogus", "journal_id": cls.bank.id}
        )

    def setUp(self):
        super().setUp()
        self.fake.add(copy.deepcopy(self.refund_data))

    def refund(self):
        return self.fake.objects[REFUND_GID]

    def order(self):
        return self.fake.objects[ORDER_GID]

    def shopify_refunds(self, updated_at="2022-01-02T00:00:00Z"):
        """Shopify's side of the refund: each refunded line's current quantity
        lowered, the order's current totals and updatedAt moved with it."""
        lines = {line["id"]: line for line in self.order()["lineItems"]["nodes"]}
        for refunded in self.refund()["refundLineItems"]["nodes"]:
            lines[refunded["lineItem"]["id"]]["currentQuantity"] -= refunded["quantity"]
        self.set_totals(updated_at)

    def set_totals(self, updated_at):
        order = self.order()
        price = "discountedUnitPriceAfterAllDiscountsSet"
        for line in order["lineItems"]["nodes"]:
            amount = line["currentQuantity"] * float(line[price]["shopMoney"]["amount"])
            line["priceAfterAllDiscountsBeforeTaxesSet"]["shopMoney"]["amount"] = (
                f"{amount:.2f}"
            )
        total = sum(
            float(line["priceAfterAllDiscountsBeforeTaxesSet"]["shopMoney"]["amount"])
            for line in order["lineItems"]["nodes"]
        )
        for name in ("currentSubtotalPriceSet", "currentTotalPriceSet"):
            order[name]["shopMoney"]["amount"] = f"{total:.2f}"
        order["updatedAt"] = updated_at

    def refund_only_first_line(self, restock, quantity=1):
        refund = self.refund()
        refund["refundLineItems"]["nodes"] = refund["refundLineItems"]["nodes"][:1]
        refund["refundLineItems"]["nodes"][0].update(
            quantity=quantity, restockType=restock
        )
        refund["transactions"]["nodes"] = refund["transactions"]["nodes"][:1]
        refund["transactions"]["nodes"][0]["amountSet"]["shopMoney"]["amount"] = (
            f"{89.99 * quantity:.2f}"
        )

    def sync_order(self):
        self.assertEqual(self.deliver("orders/create").status_code, 200)
        self.run_jobs()
        return self.sale_orders()

    def sync_refund(self):
        self.assertEqual(self.deliver("refunds/create").status_code, 200)
        self.run_jobs()
        return self.events().filtered(lambda e: e.topic == "refunds/create")

    def credit_notes(self):
        return self.env["shopify.refund.binding"].search([]).move_id

    def invoice(self, sale_order):
        invoice = sale_order._create_invoices()
        invoice.action_post()
        return invoice

    def deliver_all(self, sale_order):
        picking = sale_order.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")

    def assert_equal_to_shopify(self, sale_order):
        order = self.order()
        total = float(order["currentTotalPriceSet"]["shopMoney"]["amount"])
        tax = float(order["currentTotalTaxSet"]["shopMoney"]["amount"])
        self.assertEqual(sale_order.state, "sale")
        self.assertAlmostEqual(sale_order.amount_untaxed, total - tax, places=2)
        self.assertAlmostEqual(sale_order.amount_tax, tax, places=2)
        self.assertAlmostEqual(sale_order.amount_total, total, places=2)
        current = {
            line["id"]: line["currentQuantity"] for line in order["lineItems"]["nodes"]
        }
        self.assertEqual(
            {
                sol.shopify_line_gid: sol.product_uom_qty
                for sol in sale_order.order_line.filtered("product_id.default_code")
            },
            current,
        )


@tagged("post_install", "-at_install")
class TestRefunds(RefundCase):
    def test_refund_of_an_uninvoiced_order_makes_no_credit_note(self):
        """The order's current quantities carry the refund: no credit note (a
        draft of the full amount would be money Odoo believes it owes)."""
        sale_order = self.sync_order()
        self.shopify_refunds()
        event = self.sync_refund()
        self.assertEqual(event.state, "done")
        self.assertEqual((event.res_model, event.res_id), ("sale.order", sale_order.id))
        self.assertFalse(self.credit_notes())
        self.assertFalse(
            self.env["account.move"].search([("move_type", "=", "out_refund")])
        )
        self.assertEqual(len(self.env["shopify.refund.binding"].search([])), 1)
        self.assert_equal_to_shopify(sale_order)
        self.assertEqual(sale_order.amount_total, 0)

    def _updated_before_refund(self, restock, delivered=False, invoiced=False):
        """Shopify refunds 1 of 2 units; Odoo gets orders/updated (already showing
        the refunded quantity) before refunds/create, then orders/updated again
        with the same updatedAt. The order ends equal to Shopify's."""
        line = self.order()["lineItems"]["nodes"][0]
        line["quantity"] = line["currentQuantity"] = 2
        self.set_totals("2022-01-01T00:00:00Z")
        sale_order = self.sync_order()
        self.assertEqual(sale_order.amount_total, 414.95 + 89.99)
        if delivered:
            self.deliver_all(sale_order)
        if invoiced:
            self.invoice(sale_order)
        self.refund_only_first_line(restock)
        self.shopify_refunds()
        for topic in ("orders/updated", "refunds/create", "orders/updated"):
            self.assertEqual(self.deliver(topic).status_code, 200)
            self.run_jobs()
        self.assert_equal_to_shopify(sale_order)
        self.assertEqual(set(self.events().mapped("state")), {"done"})
        self.assertEqual(len(self.env["shopify.refund.binding"].search([])), 1)
        return sale_order

    def test_updated_before_refund_cancel_restock_converges(self):
        self._updated_before_refund("CANCEL")
        self.assertFalse(self.credit_notes())

    def test_updated_before_refund_of_an_invoiced_order_converges(self):
        sale_order = self._updated_before_refund("CANCEL", invoiced=True)
        move = self.credit_notes()
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.amount_total, 89.99)
        sol = sale_order.order_line.filtered(
            lambda s: s.shopify_line_gid == self.order()["lineItems"]["nodes"][0]["id"]
        )
        self.assertEqual((sol.product_uom_qty, sol.qty_invoiced), (1, 1))

    def test_updated_before_refund_return_restock_converges(self):
        """A delivered line cannot go below what was delivered: the first
        orders/updated waits for review with both figures; the refund returns the
        item, the order follows and every event ends done."""
        line = self.order()["lineItems"]["nodes"][0]
        line["quantity"] = line["currentQuantity"] = 2
        self.set_totals("2022-01-01T00:00:00Z")
        sale_order = self.sync_order()
        self.deliver_all(sale_order)
        self.refund_only_first_line("RETURN")
        self.shopify_refunds()
        self.deliver("orders/updated")
        self.run_jobs()
        waiting = self.events().filtered(lambda e: e.state == "needs_review")
        self.assertEqual(waiting.topic, "orders/updated")
        self.assertIn("Shopify 1", waiting.error_message)
        self.assertIn("delivered in Odoo 2", waiting.error_message)
        self.assertEqual(sale_order.amount_total, 414.95 + 89.99, "nothing written")
        self.sync_refund()
        self.deliver("orders/updated")
        self.run_jobs()
        self.assert_equal_to_shopify(sale_order)
        self.assertEqual(set(self.events().mapped("state")), {"done"})
        returned = sale_order.picking_ids.filtered(
            lambda p: p.picking_type_code == "incoming"
        )
        self.assertEqual(returned.state, "done")
        self.assertEqual(returned.move_ids.quantity, 1)
        self.assertFalse(self.credit_notes())

    def _kept_by_the_customer(self, topics, invoiced=True):
        """Shopify refunds 1 of 2 delivered units without restock (NO_RESTOCK): the
        money goes back, the item stays with the customer. ``topics`` arrive in
        that order."""
        line = self.order()["lineItems"]["nodes"][0]
        line["quantity"] = line["currentQuantity"] = 2
        self.set_totals("2022-01-01T00:00:00Z")
        sale_order = self.sync_order()
        self.deliver_all(sale_order)
        invoice = self.invoice(sale_order) if invoiced else None
        self.refund_only_first_line("NO_RESTOCK")
        self.shopify_refunds()
        for topic in topics:
            self.assertEqual(self.deliver(topic).status_code, 200)
            self.run_jobs()
        sol = sale_order.order_line.filtered(lambda s: s.shopify_line_gid == line["id"])
        return sale_order, invoice, sol

    def assert_kept(self, sale_order, invoice, sol):
        """A credit note pays the unit back; no return; the order keeps the
        delivered and invoiced quantity (nothing to invoice again); Odoo's order less
        the credit note is Shopify's order."""
        self.assertEqual(set(self.events().mapped("state")), {"done"})
        move = self.credit_notes()
        self.assertEqual(len(move), 1)
        self.assertEqual(
            self.env["account.move"].search([("move_type", "=", "out_refund")]), move
        )
        self.assertEqual((move.state, move.reversed_entry_id), ("posted", invoice))
        self.assertEqual(move.amount_total, 89.99)
        self.assertFalse(move.invoice_line_ids.sale_line_ids, "not to invoice again")
        self.assertFalse(
            sale_order.picking_ids.filtered(
                lambda p: p.picking_type_code == "incoming"
            ),
            "the goods stay with the customer",
        )
        self.assertEqual(
            (sol.product_uom_qty, sol.qty_delivered, sol.qty_invoiced), (2, 2, 2)
        )
        self.assertEqual(sale_order.invoice_status, "invoiced")
        shopify_total = float(
            self.order()["currentTotalPriceSet"]["shopMoney"]["amount"]
        )
        self.assertAlmostEqual(
            sale_order.amount_total - move.amount_total, shopify_total, places=2
        )
        self.assertEqual(sale_order.amount_total, 414.95 + 89.99)

    def test_refund_without_restock_of_a_delivered_item_refund_first(self):
        self.assert_kept(
            *self._kept_by_the_customer(
                ("refunds/create", "orders/updated", "refunds/create")
            )
        )

    def test_refund_without_restock_of_a_delivered_item_updated_first(self):
        """orders/updated (Shopify 1, delivered 2) waits for review until the refund
        arrives and settles it; a later orders/updated changes nothing."""
        self.assert_kept(
            *self._kept_by_the_customer(
                ("orders/updated", "refunds/create", "orders/updated")
            )
        )

    def test_refund_without_restock_of_a_delivered_item_not_invoiced_waits(self):
        """No invoice, so no credit note can pay the kept unit back: the refund
        waits for review with the figures; invoiced, its retry ends exact."""
        sale_order, _invoice, sol = self._kept_by_the_customer(
            ("refunds/create",), invoiced=False
        )
        event = self.events().filtered(lambda e: e.topic == "refunds/create")
        self.assertEqual(event.state, "needs_review")
        self.assertIn("without restocking them", event.error_message)
        self.assertIn(
            "1 kept, refunded 89.99 (delivered in Odoo 2)", event.error_message
        )
        self.assertIn(f"Invoice {sale_order.name} as delivered", event.error_message)
        self.assertFalse(self.env["shopify.refund.binding"].search([]))
        self.assertEqual(sale_order.amount_total, 414.95 + 89.99, "nothing written")
        invoice = self.invoice(sale_order)
        event.action_retry()
        self.run_jobs()
        self.assert_kept(sale_order, invoice, sol)

    def test_refund_against_the_invoice_is_posted_and_paid_through_the_gateway_journal(
        self,
    ):
        sale_order = self.sync_order()
        invoice = self.invoice(sale_order)
        self.shopify_refunds()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": self.bank.id})._create_payments()
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        self.sync_refund()
        move = self.credit_notes()
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.reversed_entry_id, invoice)
        payments = self.env["account.payment"].search(
            [("payment_type", "=", "outbound")]
        )
        self.assertEqual(sorted(payments.mapped("amount")), [10.0, 75.0])
        self.assertEqual(payments.journal_id, self.bank)
        self.assertEqual(move.amount_residual, 414.95 - 85.0)
        self.assertEqual(move.amount_total, 414.95)
        self.assertEqual(move.invoice_origin, sale_order.name)
        self.assertEqual(
            move.invoice_line_ids.sale_line_ids,
            sale_order.order_line.filtered("product_id.default_code"),
        )
        self.assert_equal_to_shopify(sale_order)

    def test_refund_of_an_unpaid_invoice_offsets_it_without_payments(self):
        sale_order = self.sync_order()
        invoice = self.invoice(sale_order)
        self.shopify_refunds()
        self.sync_refund()
        move = self.credit_notes()
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.reversed_entry_id, invoice)
        self.assertTrue(move.currency_id.is_zero(move.amount_residual))
        self.assertFalse(self.env["account.payment"].search([]))

    def test_unmapped_gateway_needs_mapping_and_saving_it_releases_the_refund(self):
        self.invoice(self.sync_order())
        self.shopify_refunds()
        self.env["shopify.gateway.mapping"].search([]).unlink()
        event = self.sync_refund()
        self.assertEqual(event.state, "needs_mapping")
        self.assertIn("bogus", event.error_message)
        self.assertFalse(self.credit_notes(), "nothing partial")
        self.env["shopify.gateway.mapping"].create(
            {"shop_id": self.shop.id, "gateway": "bogus", "journal_id": self.bank.id}
        )
        self.run_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(len(self.credit_notes()), 1)

    def test_more_refund_transactions_than_read_wait_for_review(self):
        """21 transactions: the query reads 20, so the money paid back would be
        short; no credit note is made from part of them."""
        self.invoice(self.sync_order())
        self.shopify_refunds()
        transactions = self.refund()["transactions"]["nodes"]
        transactions += [
            dict(transactions[0], id=f"gid://shopify/OrderTransaction/9{n:02d}")
            for n in range(21 - len(transactions))
        ]
        event = self.sync_refund()
        self.assertEqual(event.state, "needs_review")
        self.assertIn("more than 20 transactions", event.error_message)
        self.assertFalse(self.credit_notes())
        self.assertFalse(
            self.env["account.move"].search([("move_type", "=", "out_refund")])
        )

    def test_second_delivery_of_the_refund_changes_nothing(self):
        self.invoice(self.sync_order())
        self.shopify_refunds()
        self.sync_refund()
        self.sync_refund()
        self.assertEqual(len(self.credit_notes()), 1)
        self.assertEqual(
            len(self.env["account.move"].search([("move_type", "=", "out_refund")])), 1
        )

    def test_cancel_restock_lowers_what_the_order_still_asks_for(self):
        sale_order = self.sync_order()
        for line in self.refund()["refundLineItems"]["nodes"]:
            line["restockType"] = "CANCEL"
        self.shopify_refunds()
        self.sync_refund()
        items = sale_order.order_line.filtered("product_id.default_code")
        self.assertEqual(set(items.mapped("product_uom_qty")), {0.0})

    def test_return_restock_brings_the_items_back_in_stock(self):
        sale_order = self.sync_order()
        self.deliver_all(sale_order)
        self.refund_only_first_line("RETURN")
        self.shopify_refunds()
        self.sync_refund()
        self.sync_refund()
        returned = sale_order.picking_ids.filtered(
            lambda p: p.picking_type_code == "incoming"
        )
        self.assertEqual(returned.state, "done")
        self.assertEqual(returned.move_ids.product_id.default_code, "SKU2006-001")
        self.assertEqual(returned.move_ids.quantity, 1)
        self.assert_equal_to_shopify(sale_order)

    def test_refund_before_its_order_waits(self):
        self.shopify_refunds()
        event = self.sync_refund()
        self.assertEqual(event.state, "queued")
        self.assertFalse(self.credit_notes())
        self.sync_order()
        self.run_jobs()
        self.assertEqual(event.state, "done")

    # -- an order cancelled after invoicing: its refund is the credit note, once --

    def _cancelled_after_invoicing(self, topics):
        """Shopify cancels the invoiced order and refunds it whole (every line's
        current quantity 0, restock CANCEL); the deliveries arrive in ``topics``'
        order, the first one twice. One credit note of the invoice's amount, the
        order's quantities at Shopify's 0, every event done."""
        sale_order = self.sync_order()
        invoice = self.invoice(sale_order)
        for line in self.refund()["refundLineItems"]["nodes"]:
            line["restockType"] = "CANCEL"
        self.shopify_refunds()
        self.order()["cancelledAt"] = "2022-01-02T00:00:00Z"
        self.order()["cancelReason"] = "CUSTOMER"
        for topic in (*topics, topics[0], "orders/updated"):
            self.assertEqual(self.deliver(topic).status_code, 200)
            self.run_jobs()
        self.assertEqual(set(self.events().mapped("state")), {"done"})
        credit_notes = self.env["account.move"].search(
            [("move_type", "=", "out_refund")]
        )
        self.assertEqual(len(credit_notes), 1, "the refund made one credit note")
        self.assertEqual(credit_notes, self.credit_notes())
        self.assertEqual(credit_notes.state, "posted")
        self.assertEqual(credit_notes.reversed_entry_id, invoice)
        self.assertEqual(credit_notes.amount_total, invoice.amount_total)
        items = sale_order.order_line.filtered("product_id.default_code")
        self.assertEqual(set(items.mapped("product_uom_qty")), {0.0})
        self.assertEqual(set(items.mapped("qty_invoiced")), {0.0})
        self.assertEqual(
            set(sale_order.order_line.mapped("qty_to_invoice")),
            {0.0},
            "nothing left to invoice, nor to credit",
        )
        self.assertEqual(sale_order.amount_total, 0)

    def test_cancelled_after_invoicing_cancel_then_refund_one_credit_note(self):
        self._cancelled_after_invoicing(("orders/cancelled", "refunds/create"))

    def test_cancelled_after_invoicing_refund_then_cancel_one_credit_note(self):
        self._cancelled_after_invoicing(("refunds/create", "orders/cancelled"))
