"""refunds/create -> a credit note (draft, or posted against the invoice and paid back
through the gateway's journal), restocked line by line as Shopify says."""

import copy

from odoo.tests import tagged

from .common import ShopifyCase, fixture

REFUND_ID = "890088186047892319"
REFUND_GID = f"gid://shopify/Refund/{REFUND_ID}"


@tagged("post_install", "-at_install")
class TestRefunds(ShopifyCase):
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

    def test_refund_of_an_uninvoiced_order_is_a_draft_credit_note(self):
        sale_order = self.sync_order()
        event = self.sync_refund()
        move = self.credit_notes()
        self.assertEqual(event.state, "done")
        self.assertEqual((event.res_model, event.res_id), ("account.move", move.id))
        self.assertEqual(move.move_type, "out_refund")
        self.assertEqual(move.state, "draft")
        self.assertEqual(move.amount_total, 414.95)
        self.assertEqual(move.invoice_origin, sale_order.name)
        self.assertEqual(
            move.invoice_line_ids.sale_line_ids,
            sale_order.order_line.filtered("product_id.default_code"),
        )

    def test_refund_against_the_invoice_is_posted_and_paid_through_the_gateway_journal(
        self,
    ):
        sale_order = self.sync_order()
        invoice = sale_order._create_invoices()
        invoice.action_post()
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

    def test_refund_of_an_unpaid_invoice_offsets_it_without_payments(self):
        sale_order = self.sync_order()
        invoice = sale_order._create_invoices()
        invoice.action_post()
        self.sync_refund()
        move = self.credit_notes()
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.reversed_entry_id, invoice)
        self.assertTrue(move.currency_id.is_zero(move.amount_residual))
        self.assertFalse(self.env["account.payment"].search([]))

    def test_unmapped_gateway_needs_mapping_and_saving_it_releases_the_refund(self):
        self.sync_order()
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

    def test_second_delivery_of_the_refund_changes_nothing(self):
        self.sync_order()
        self.sync_refund()
        self.sync_refund()
        self.assertEqual(len(self.credit_notes()), 1)

    def test_cancel_restock_lowers_what_the_order_still_asks_for(self):
        sale_order = self.sync_order()
        for line in self.refund()["refundLineItems"]["nodes"]:
            line["restockType"] = "CANCEL"
        self.sync_refund()
        items = sale_order.order_line.filtered("product_id.default_code")
        self.assertEqual(set(items.mapped("product_uom_qty")), {0.0})

    def test_return_restock_brings_the_items_back_in_stock(self):
        sale_order = self.sync_order()
        picking = sale_order.picking_ids
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        self.refund()["refundLineItems"]["nodes"][0]["restockType"] = "RETURN"
        self.sync_refund()
        returned = sale_order.picking_ids.filtered(
            lambda p: p.picking_type_code == "incoming"
        )
        self.assertEqual(returned.state, "done")
        self.assertEqual(returned.move_ids.product_id.default_code, "SKU2006-001")
        self.assertEqual(returned.move_ids.quantity, 1)

    def test_refund_before_its_order_waits(self):
        event = self.sync_refund()
        self.assertEqual(event.state, "queued")
        self.assertFalse(self.credit_notes())
        self.sync_order()
        self.run_jobs()
        self.assertEqual(event.state, "done")
