"""Launch rehearsal of a workflow: three scenarios run through the real pipeline — a
normal record, an edge case the merchant picks, a controlled failure (a missing
mapping) — each recorded with its date, outcome, who ran it and the event and record
it became. The workflow's "test cases passed" is this list.

Each scenario is built per flow (``_shopify_build_<flow>``) and starts with a Shopify
*test order* (``orderCreate`` with ``test: true``: no payment, no fulfilment, no
receipt) made through the Admin API, whose signed ``orders/create`` delivery is
recorded the way the webhook controller does (``_shopify_receive``: dedupe, event, one
job per object). The sync job then fetches the order fresh from Shopify and builds (or
refuses) the sale order under the workflow's rules, exactly as for a customer's order.

Orders: the rehearsal's outcome follows that event. Refunds: once the order is synced,
a second job invoices it in Odoo (the way a credit note has something to credit) and
refunds it in Shopify (``refundCreate``, money paid back through the order's gateway),
then records the signed ``refunds/create`` delivery; the refund's own sync job builds
the credit note and its payment, and the outcome follows that event. The controlled
failure pays through a gateway no journal is mapped to: the refund stops "needs
mapping", as when a merchant adds a payment method in Shopify and forgets its journal.

What it proves: the Admin API access, the mappings, the sync rules and the job runner.
The network path from Shopify to Odoo (proxy, URL, signature) is what the shop's
*Rehearse* button proves. Afterwards the merchant keeps the rehearsal's records, or
removes them: the Shopify test order is deleted, the rehearsal's invoice, credit note
and payments cancelled (accounting keeps numbered entries) and the sale order cancelled
and deleted; the events stay, as the record of the rehearsal.
"""

import json
import uuid

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.client import ShopifyError, ShopifyTransientError, user_errors
from ..lib.queries import (
    REHEARSAL_ORDER_CREATE,
    REHEARSAL_ORDER_DELETE,
    REHEARSAL_REFUND_CREATE,
)
from .shopify_shop import retryable

SCENARIOS = [
    ("normal", "Normal record"),
    ("edge", "Edge case"),
    ("failure", "Controlled failure"),
]
# The edge cases a merchant picks from, per flow that rehearses (the first one is the
# workflow's default).
EDGE_CASES_BY_FLOW = {
    "orders": [
        ("discount_multi", "Discounted order with several lines"),
        ("custom_item", "Custom item (a line without a product)"),
    ],
    "refunds": [
        ("refund_partial", "Part of a line's quantity refunded"),
        ("refund_no_restock", "Refund without restock (the customer keeps it)"),
    ],
    "products": [
        ("product_two_variants", "Two variants, each a different Odoo product"),
        ("product_barcode", "A variant without SKU, matched by its barcode"),
    ],
    "stock": [
        (
            "stock_reserved",
            "Stock reserved for a delivery (Shopify gets the free quantity)",
        ),
        ("stock_locations", "Each mapped location gets its own warehouse's quantity"),
    ],
    "fulfillments": [
        ("fulfil_partial", "One of two units delivered, the rest backordered"),
        ("fulfil_tracking", "Tracking number carried over"),
    ],
    "customers": [
        ("customer_foreign_address", "Default address abroad, with its province"),
        ("customer_email_match", "Matched by email to the existing contact"),
    ],
    "privacy": [("privacy_redact", "Customer erased (customers/redact)")],
}
EDGE_CASES = [case for cases in EDGE_CASES_BY_FLOW.values() for case in cases]
REHEARSED_FLOWS = tuple(EDGE_CASES_BY_FLOW)
# A SKU no Odoo product has: the orders' controlled failure (a missing mapping).
MISSING_SKU = "ODOO-REHEARSAL-NO-PRODUCT"
# A payment gateway no journal is mapped to: the refunds' controlled failure.
MISSING_GATEWAY = "odoo-rehearsal-unmapped-gateway"
REHEARSAL_TAG = "odoo-rehearsal"
# The event states a normal or edge scenario passes in / a controlled failure is
# caught in.
PASSED_STATES = ("done", "to_approve")
FAILURE_CAUGHT = ("needs_mapping",)
# The refund waits for its order's sync: a retry every WAIT seconds, at most TRIES.
ORDER_WAIT_SECONDS = 15
ORDER_WAIT_TRIES = 40


class ShopifyWorkflowRehearsal(models.Model):
    _name = "shopify.workflow.rehearsal"
    _description = "Shopify Workflow Rehearsal"
    _order = "create_date desc, id desc"
    _rec_name = "scenario"
    _check_company_auto = True

    workflow_id = fields.Many2one(
        "shopify.workflow",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    shop_id = fields.Many2one(related="workflow_id.shop_id", store=True)
    company_id = fields.Many2one(related="workflow_id.company_id", store=True)
    flow = fields.Selection(related="workflow_id.flow")
    scenario = fields.Selection(SCENARIOS, required=True, readonly=True)
    edge_case = fields.Selection(EDGE_CASES, readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="Run By",
        required=True,
        readonly=True,
        default=lambda self: self.env.user,
    )
    date = fields.Datetime(
        string="Run On", required=True, readonly=True, default=fields.Datetime.now
    )
    expected = fields.Char(compute="_compute_expected")
    shopify_order_gid = fields.Char(string="Shopify Test Order", readonly=True)
    shopify_order_name = fields.Char(string="Shopify Order", readonly=True)
    shopify_name = fields.Char(
        string="In Shopify",
        compute="_compute_shopify_name",
        help="What the rehearsal made in Shopify: its test order (or the flow's own "
        "record).",
    )
    shopify_refund_gid = fields.Char(string="Shopify Refund", readonly=True)
    gateway = fields.Char(
        readonly=True, help="Refunds: the payment gateway the test order was paid with."
    )
    shopify_payment_gid = fields.Char(
        readonly=True,
        help="Refunds: the test order's payment, which the refund refunds.",
    )
    refund_key = fields.Char(
        readonly=True,
        default=lambda self: uuid.uuid4().hex,
        help="The refund's idempotency key: a retried job refunds once.",
    )
    order_event_id = fields.Many2one(
        "shopify.webhook.event",
        string="Order Event",
        readonly=True,
        help="Refunds: the rehearsal order's orders/create event; the refund is made "
        "once it is synced.",
    )
    invoice_id = fields.Many2one(
        "account.move",
        string="Rehearsal Invoice",
        readonly=True,
        check_company=True,
        help="Refunds: the invoice the rehearsal posted for its order, which the "
        "refund's credit note credits.",
    )
    error = fields.Text(readonly=True)
    event_id = fields.Many2one("shopify.webhook.event", readonly=True)
    event_state = fields.Selection(related="event_id.state", string="Event State")
    record_name = fields.Char(related="event_id.record_name", string="Odoo Record")
    outcome = fields.Selection(
        [("running", "Running"), ("passed", "Passed"), ("failed", "Failed")],
        compute="_compute_outcome",
        store=True,
    )
    failure_closed = fields.Boolean(
        readonly=True,
        help="The controlled failure was caught, and its event was closed as ignored "
        "once the rehearsal was kept or removed (it left the To Fix queue).",
    )
    cleanup = fields.Selection(
        [("kept", "Kept"), ("removed", "Removed")],
        readonly=True,
        help="Kept: the rehearsal's records stay in Shopify and Odoo. Removed: the "
        "Shopify test order was deleted, the rehearsal's invoice, credit note and "
        "payments cancelled, and the Odoo sale order cancelled and deleted.",
    )

    def _shopify_expectations(self) -> dict:
        """flow -> (what a normal or edge scenario makes, how the controlled failure
        stops); a flow's own file adds its entry."""
        _ = self.env._
        return {
            "orders": (
                _("A sale order with Shopify's totals"),
                _("Stops with a missing mapping, nothing confirmed"),
            ),
            "refunds": (
                _(
                    "A credit note paid back through the gateway's journal, the "
                    "order equal to Shopify's"
                ),
                _("Stops with a missing gateway mapping, no credit note written"),
            ),
        }

    @api.depends("scenario", "flow")
    def _compute_expected(self):
        expectations = self._shopify_expectations()
        for rehearsal in self:
            passes, fails = expectations.get(rehearsal.flow, (False, False))
            rehearsal.expected = fails if rehearsal.scenario == "failure" else passes

    @api.depends("shopify_order_name")
    def _compute_shopify_name(self):
        for rehearsal in self:
            rehearsal.shopify_name = rehearsal.shopify_order_name

    @api.depends("error", "event_id.state", "failure_closed")
    def _compute_outcome(self):
        for rehearsal in self:
            state = rehearsal.event_id.state
            if rehearsal.error and not rehearsal.event_id:
                rehearsal.outcome = "failed"
            elif not state or state == "queued":
                rehearsal.outcome = "running"
            elif rehearsal.scenario == "failure":
                caught = state in FAILURE_CAUGHT or rehearsal.failure_closed
                rehearsal.outcome = "passed" if caught else "failed"
            else:
                rehearsal.outcome = "passed" if state in PASSED_STATES else "failed"

    # -- running (jobs) --

    def _shopify_run(self):
        """Job: run the scenario (``_shopify_run_<flow>``)."""
        self.ensure_one()
        return getattr(self, f"_shopify_run_{self.flow}")()

    def _shopify_run_orders(self):
        """Create the Shopify test order, then record its delivery (the sync job it
        enqueues builds the record)."""
        order, event = self._shopify_order_delivered()
        if not order:
            return self.error
        self.event_id = event
        return f"rehearsal order {order['name']}: event {event.id}"

    def _shopify_run_refunds(self):
        """The test order first; the refund goes on once the order is synced."""
        order, event = self._shopify_order_delivered()
        if not order:
            return self.error
        self.order_event_id = event
        self.with_delay(
            max_retries=ORDER_WAIT_TRIES,
            description=f"Shopify: refund rehearsal order {order['name']}",
        )._shopify_refund()
        return f"rehearsal order {order['name']}: refunded once synced"

    def _shopify_order_delivered(self):
        """The Shopify test order and the event of its orders/create delivery;
        (None, None) when Shopify refused the order (the reason recorded)."""
        order = self._shopify_create_order()
        if not order:
            return None, None
        event = self._shopify_deliver(
            "orders/create",
            {"id": int(order["legacyResourceId"]), "name": order["name"], "test": True},
            ("order", order["legacyResourceId"]),
        )
        return order, event

    def _shopify_mutate(self, document: str, variables: dict, field: str, refused):
        """Run a Shopify mutation: its payload, or None once Shopify refused it (the
        error recorded: ``refused(error)``); a transient failure retries the job."""
        try:
            data = self.shop_id.sudo()._shopify_client().query(document, variables)
            payload = data.get(field) or {}
            user_errors(payload)
        except ShopifyTransientError as exc:
            raise retryable(exc) from exc
        except ShopifyError as exc:
            self.error = refused(exc)
            return None
        return payload

    def _shopify_create_order(self) -> dict | None:
        """The Shopify test order (None: refused, the reason recorded)."""
        payload = self._shopify_mutate(
            REHEARSAL_ORDER_CREATE,
            {
                "order": self._shopify_order_input(),
                "options": {
                    "sendReceipt": False,
                    "sendFulfillmentReceipt": False,
                    "inventoryBehaviour": "BYPASS",
                },
            },
            "orderCreate",
            lambda error: self.env._(
                "Shopify refused the test order (the app needs the write_orders "
                "scope to rehearse): %(error)s",
                error=error,
            ),
        )
        if payload is None:
            return None
        order = payload["order"]
        payments = [
            t["id"] for t in order.get("transactions") or [] if t["kind"] == "SALE"
        ]
        self.write(
            {
                "shopify_order_gid": order["id"],
                "shopify_order_name": order["name"],
                "shopify_payment_gid": payments[0] if payments else False,
            }
        )
        return order

    def _shopify_order_input(self) -> dict:
        """The test order: one line of the rehearsal product, then what the flow's
        scenario builder (``_shopify_build_<flow>``) makes of it."""
        product = self.workflow_id._shopify_rehearsal_product()
        price = product.lst_price or 10.0
        order = {
            "test": True,
            "currency": self.company_id.currency_id.name,
            "tags": [REHEARSAL_TAG],
            "note": self.env._("Launch rehearsal from Odoo: %s", self.display_name),
            "lineItems": [
                self._shopify_line(product.name, product.default_code, price)
            ],
        }
        getattr(self, f"_shopify_build_{self.flow}")(order, product, price)
        return order

    def _shopify_line(self, title, sku, price, quantity=1) -> dict:
        currency = self.company_id.currency_id.name
        item = {
            "title": title,
            "quantity": quantity,
            "priceSet": {
                "shopMoney": {"amount": f"{price:.2f}", "currencyCode": currency}
            },
        }
        if sku:
            item["sku"] = sku
        return item

    def _shopify_build_orders(self, order: dict, product, price: float):
        """Edge: a discounted order of several lines, or a custom item; failure: a
        line whose SKU no product has."""
        if self.scenario == "edge" and self.edge_case == "discount_multi":
            order["lineItems"] = [
                self._shopify_line(product.name, product.default_code, price, 2),
                self._shopify_line(product.name, product.default_code, price),
            ]
            order["discountCode"] = {
                "itemPercentageDiscountCode": {"code": "REHEARSAL10", "percentage": 10}
            }
        elif self.scenario == "edge":
            line = self._shopify_line(self.env._("Rehearsal custom item"), None, 5.0)
            order["lineItems"].append(line)
        elif self.scenario == "failure":
            line = self._shopify_line(
                self.env._("Rehearsal: unknown SKU"), MISSING_SKU, 5.0
            )
            order["lineItems"].append(line)

    def _shopify_build_refunds(self, order: dict, product, price: float):
        """An order paid through the workflow's rehearsal gateway (failure: one no
        journal is mapped to); the partial refund's line has two units."""
        if self.scenario == "edge" and self.edge_case == "refund_partial":
            order["lineItems"][0]["quantity"] = 2
        total = sum(
            item["quantity"] * float(item["priceSet"]["shopMoney"]["amount"])
            for item in order["lineItems"]
        )
        self.gateway = (
            MISSING_GATEWAY
            if self.scenario == "failure"
            else self.workflow_id._shopify_rehearsal_gateway()
        )
        order["transactions"] = [
            {
                "kind": "SALE",
                "status": "SUCCESS",
                "gateway": self.gateway,
                "test": True,
                "amountSet": {
                    "shopMoney": {
                        "amount": f"{total:.2f}",
                        "currencyCode": order["currency"],
                    }
                },
            }
        ]

    def _shopify_refund(self):
        """Job (refunds): once the rehearsal order is synced, invoice it and refund
        its first line in Shopify, then record the refunds/create delivery (the
        refund's sync job builds the credit note). The job is one transaction: a
        retry starts again from the invoice, and the idempotency key makes Shopify
        refund once."""
        self.ensure_one()
        if self.event_id or self.error or self.cleanup:
            return "nothing to do"
        sale_order = self._shopify_synced_order()
        if not sale_order:
            return self.error
        self._shopify_invoice(sale_order)
        refund = self._shopify_create_refund(sale_order)
        if not refund:
            return self.error
        self.shopify_refund_gid = refund["id"]
        self.event_id = self._shopify_deliver(
            "refunds/create",
            {
                "id": int(refund["legacyResourceId"]),
                "order_id": int(self.shopify_order_gid.split("/")[-1]),
            },
            ("refund", refund["legacyResourceId"]),
        )
        return f"refund {refund['id']}: event {self.event_id.id}"

    def _shopify_synced_order(self):
        """The rehearsal order's sale order once its sync ended; a retry while it
        runs; None (the reason recorded) when it did not become a sale order."""
        event = self.order_event_id
        if event.state == "queued":
            raise RetryableJobError(
                self.env._(
                    "Waiting for the rehearsal order %s to be synced.",
                    self.shopify_order_name,
                ),
                seconds=ORDER_WAIT_SECONDS,
            )
        sale_order = self.env["sale.order"].sudo()
        if event.res_model == "sale.order":
            sale_order = sale_order.browse(event.res_id).exists()
        if event.state in PASSED_STATES and sale_order:
            return sale_order
        self.error = self.env._(
            "The rehearsal order %(order)s did not sync (%(state)s), so nothing was "
            "refunded: %(reason)s",
            order=self.shopify_order_name,
            state=event.state,
            reason=event.error_message or "",
        )
        return None

    def _shopify_invoice(self, sale_order):
        """Invoice the confirmed rehearsal order and record the customer's payment
        through the gateway's journal, as the team does: the refund then becomes a
        credit note paid back through that journal (an order not invoiced has its
        quantities lowered instead). The failure's gateway has no journal: its
        invoice stays unpaid."""
        sale_order = sale_order.sudo()
        if sale_order.state != "sale" or sale_order.invoice_status != "to invoice":
            return
        invoice = sale_order._create_invoices()
        invoice.action_post()
        self.invoice_id = invoice
        mapping = self.env["shopify.gateway.mapping"].search(
            [("shop_id", "=", self.shop_id.id), ("gateway", "=", self.gateway)],
            limit=1,
        )
        if mapping:
            self.env["account.payment.register"].sudo().with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"journal_id": mapping.journal_id.id})._create_payments()

    def _shopify_create_refund(self, sale_order) -> dict | None:
        """Refund the order's first line in Shopify with its money (None: refused,
        the reason recorded)."""
        payload = self._shopify_mutate(
            REHEARSAL_REFUND_CREATE,
            {"input": self._shopify_refund_input(sale_order), "key": self.refund_key},
            "refundCreate",
            lambda error: self.env._(
                "Shopify refused the refund of the test order %(order)s (the app "
                "needs the write_orders scope to rehearse): %(error)s",
                order=self.shopify_order_name,
                error=error,
            ),
        )
        return payload and payload["refund"]

    def _shopify_refund_input(self, sale_order) -> dict:
        """Normal: the first line, all of it; edge: one of its two units, or no
        restock; the money goes back through the gateway the order was paid with."""
        line = sale_order.order_line.filtered("shopify_line_gid")[:1]
        quantity = 1 if self.edge_case == "refund_partial" else line.product_uom_qty
        amount = round(line.price_total * quantity / line.product_uom_qty, 2)
        restock = "NO_RESTOCK" if self.edge_case == "refund_no_restock" else "CANCEL"
        return {
            "orderId": self.shopify_order_gid,
            "note": self.env._("Launch rehearsal from Odoo: %s", self.display_name),
            "notify": False,
            "refundLineItems": [
                {
                    "lineItemId": line.shopify_line_gid,
                    "quantity": int(quantity),
                    "restockType": restock,
                }
            ],
            "transactions": [
                {
                    "orderId": self.shopify_order_gid,
                    "gateway": self.gateway,
                    "kind": "REFUND",
                    "amount": f"{amount:.2f}",
                    "parentId": self.shopify_payment_gid or None,
                }
            ],
        }

    def _shopify_deliver(self, topic: str, payload: dict, obj: tuple):
        """Record a signed delivery of ``topic`` about ``obj`` through the webhook's
        own receiving code; the event is marked as a rehearsal."""
        shop = self.shop_id.sudo()
        webhook_id = f"rehearsal-{uuid.uuid4().hex}"
        headers = {
            "topic": topic,
            "webhook_id": webhook_id,
            "event_id": webhook_id,
            "triggered_at": fields.Datetime.now().isoformat() + "Z",
            "api_version": shop.api_version,
        }
        Event = self.env["shopify.webhook.event"].sudo()
        Event._shopify_receive(
            shop, headers, json.dumps(payload).encode(), payload, obj
        )
        event = Event.search(
            [("shop_id", "=", shop.id), ("webhook_id", "=", webhook_id)], limit=1
        )
        event.source = "rehearsal"
        return event

    # -- afterwards: keep or remove --

    def action_keep(self):
        kept = self.filtered(lambda r: not r.cleanup)
        kept.write({"cleanup": "kept"})
        kept._shopify_close_failure()
        return True

    def action_remove(self):
        """Delete the rehearsal's records: in Shopify (a job: the request never calls
        Shopify), and in Odoo."""
        done = self.filtered(lambda r: not r.cleanup and r.outcome != "running")
        for rehearsal in done:
            rehearsal.with_delay(
                max_retries=5,
                description=f"Shopify: remove rehearsal "
                f"{rehearsal.shopify_name or rehearsal.id}",
            )._shopify_remove()
        return True

    def _shopify_remove(self):
        """Job: remove what the rehearsal made (``_shopify_remove_<flow>``)."""
        self.ensure_one()
        getattr(self, f"_shopify_remove_{self.flow}")()
        self.cleanup = "removed"
        self._shopify_close_failure()
        return "removed"

    def _shopify_close_failure(self):
        """A caught controlled failure's event was the point of it: once the
        rehearsal is kept or removed, the event leaves the To Fix queue, closed as
        ignored (the rehearsal keeps its outcome)."""
        caught = self.filtered(
            lambda r: r.scenario == "failure" and r.outcome == "passed"
        )
        if not caught:
            return
        caught.failure_closed = True
        caught.event_id.action_ignore(
            self.env._(
                "The launch rehearsal's controlled failure: caught as expected, "
                "nothing to fix."
            )
        )

    def _shopify_remove_refunds(self):
        self._shopify_remove_orders()

    def _shopify_remove_orders(self):
        """Delete the Shopify test order, cancel the rehearsal's invoice, credit note
        and payments, then cancel and delete its sale order."""
        if self.shopify_order_gid:
            self._shopify_mutate(
                REHEARSAL_ORDER_DELETE,
                {"orderId": self.shopify_order_gid},
                "orderDelete",
                lambda error: self.env._(
                    "The Shopify test order %(order)s could not be deleted (delete "
                    "it in Shopify): %(error)s",
                    order=self.shopify_order_name,
                    error=error,
                ),
            )
        self._shopify_cancel_moves()
        binding = (
            self.env["shopify.order.binding"]
            .sudo()
            ._shopify_find(self.shop_id, (self.shopify_order_gid or "").split("/")[-1])
            if self.shopify_order_gid
            else self.env["shopify.order.binding"]
        )
        sale_order = binding.sale_order_id
        if sale_order:
            sale_order._action_cancel()
            sale_order.unlink()  # the bindings go with it

    def _shopify_cancel_moves(self):
        """The rehearsal refund's credit note and the invoice the rehearsal posted,
        with their payments, cancelled: accounting keeps numbered entries."""
        refund = self.env["shopify.refund.binding"]
        if self.shopify_refund_gid:
            refund = refund.sudo()._shopify_find(
                self.shop_id, self.shopify_refund_gid.split("/")[-1]
            )
        moves = (refund.move_id | self.invoice_id).sudo()
        payments = moves.matched_payment_ids | moves._get_reconciled_payments()
        # Cancelled, not reset to draft: a draft payment's entry would be deleted,
        # which Odoo refuses for a numbered entry that is not the last one.
        payments.filtered(lambda p: p.state != "canceled").action_cancel()
        moves.filtered(lambda m: m.state != "cancel").button_cancel()


class ShopifyWorkflow(models.Model):
    _inherit = "shopify.workflow"  # pylint: disable=consider-merging-classes-inherited

    rehearsal_ids = fields.One2many(
        "shopify.workflow.rehearsal",
        "workflow_id",
        string="Test Cases",
        help="The launch rehearsal: each scenario run, its outcome and who ran it.",
    )
    rehearsal_edge_case = fields.Selection(
        EDGE_CASES,
        string="Edge Case to Rehearse",
        compute="_compute_rehearsal_edge_case",
        store=True,
        readonly=False,
        help="The edge case the next edge rehearsal runs, one of the workflow's "
        "flow (e.g. orders: a discounted order or a custom item; refunds: a partial "
        "refund or one without restock).",
    )
    rehearsal_product_id = fields.Many2one(
        "product.product",
        string="Rehearsal Product",
        check_company=True,
        help="The product the workflow's rehearsals use: the test orders sell it (its "
        "Internal Reference as a Shopify line's SKU), the products rehearsal binds a "
        "variant to it, the stock rehearsal pushes its quantity. Empty: a saleable "
        "product with an Internal Reference.",
    )
    test_cases_passed = fields.Char(compute="_compute_test_cases_passed")
    can_rehearse = fields.Boolean(
        compute="_compute_can_rehearse",
        help="The flow has a launch rehearsal.",
    )

    @api.depends("flow")
    def _compute_can_rehearse(self):
        for workflow in self:
            workflow.can_rehearse = workflow.flow in REHEARSED_FLOWS

    @api.depends("flow")
    def _compute_rehearsal_edge_case(self):
        for workflow in self:
            cases = [key for key, _label in EDGE_CASES_BY_FLOW.get(workflow.flow, [])]
            if workflow.rehearsal_edge_case not in cases:
                workflow.rehearsal_edge_case = cases[0] if cases else False

    @api.depends("rehearsal_ids.outcome", "rehearsal_ids.scenario")
    def _compute_test_cases_passed(self):
        Rehearsal = self.env["shopify.workflow.rehearsal"]
        labels = dict(Rehearsal._fields["scenario"]._description_selection(self.env))
        for workflow in self:
            passed = workflow.rehearsal_ids.filtered(lambda r: r.outcome == "passed")
            names = [
                labels[key]
                for key, _label in SCENARIOS
                if key in passed.mapped("scenario")
            ]
            workflow.test_cases_passed = ", ".join(names) or self.env._("none yet")

    def _shopify_rehearsal_product(self):
        self.ensure_one()
        product = self.rehearsal_product_id or self.env["product.product"].search(
            [
                ("default_code", "!=", False),
                ("sale_ok", "=", True),
                ("company_id", "in", (False, self.company_id.id)),
            ],
            limit=1,
        )
        if not product:
            raise UserError(
                self.env._(
                    "Choose the Rehearsal Product: a product with an Internal "
                    "Reference that the rehearsal orders can sell."
                )
            )
        return product

    def _shopify_rehearsal_gateway(self) -> str:
        """The payment gateway the refunds' rehearsal orders are paid through: the
        shop's first mapped one (its journal pays the credit note back)."""
        self.ensure_one()
        mapping = self.env["shopify.gateway.mapping"].search(
            [("shop_id", "=", self.shop_id.id)], order="id", limit=1
        )
        if not mapping:
            raise UserError(
                self.env._(
                    "Map a payment gateway to a journal first (Shopify > "
                    "Configuration > Payment Gateway Mappings): the rehearsal "
                    "refunds are paid back through it."
                )
            )
        return mapping.gateway

    def _shopify_check_rehearsal(self, scenario: str):
        """What the flow's rehearsal needs, checked before anything is made."""
        self.ensure_one()
        if self.flow not in REHEARSED_FLOWS:
            raise UserError(
                self.env._(
                    "Rehearsals run on the %(flows)s workflows.",
                    flows=", ".join(REHEARSED_FLOWS),
                )
            )
        cases = dict(EDGE_CASES_BY_FLOW[self.flow])
        if scenario == "edge" and self.rehearsal_edge_case not in cases:
            raise UserError(
                self.env._(
                    "Choose an edge case of the %(flow)s workflow: %(cases)s.",
                    flow=self.flow,
                    cases=", ".join(cases.values()),
                )
            )
        check = getattr(self, f"_shopify_check_rehearsal_{self.flow}", None)
        if check:
            check(scenario)

    def _shopify_check_rehearsal_orders(self, scenario: str):
        self._shopify_rehearsal_product()

    def _shopify_check_rehearsal_refunds(self, scenario: str):
        self._shopify_rehearsal_product()
        if scenario != "failure":
            self._shopify_rehearsal_gateway()

    def _shopify_rehearse(self, scenario: str):
        self.ensure_one()
        self.check_access("write")
        self._shopify_check_rehearsal(scenario)
        rehearsal = self.env["shopify.workflow.rehearsal"].create(
            {
                "workflow_id": self.id,
                "scenario": scenario,
                "edge_case": self.rehearsal_edge_case if scenario == "edge" else False,
            }
        )
        rehearsal.with_delay(
            max_retries=5,
            description=f"Shopify {self.shop_id.shop_domain}: rehearse {scenario}",
        )._shopify_run()
        return rehearsal

    def action_rehearse_normal(self):
        self._shopify_rehearse("normal")
        return True

    def action_rehearse_edge(self):
        self._shopify_rehearse("edge")
        return True

    def action_rehearse_failure(self):
        self._shopify_rehearse("failure")
        return True
