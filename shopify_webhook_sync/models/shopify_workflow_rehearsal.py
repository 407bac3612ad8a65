"""Launch rehearsal of a workflow: three scenarios run through the real pipeline — a
normal record, an edge case the merchant picks, a controlled failure (a missing
mapping) — each recorded with its date, outcome, who ran it and the event and record
it became. The workflow's "test cases passed" is this list.

For orders, each scenario creates a Shopify *test order* (``orderCreate`` with
``test: true``: no payment, no fulfilment, no receipt) through the Admin API, then
records a signed ``orders/create`` delivery of it the way the webhook controller does
(``_shopify_receive``: dedupe, event, one job per object). The sync job then fetches
the order fresh from Shopify and builds (or refuses) the sale order under the
workflow's rules, exactly as for a customer's order; the rehearsal's outcome follows
its event. What it proves: the Admin API access, the mappings, the sync rules and the
job runner. The network path from Shopify to Odoo (proxy, URL, signature) is what the
shop's *Rehearse* button proves. Afterwards the merchant keeps the rehearsal order, or
removes it: the Shopify test order is deleted and the Odoo sale order cancelled and
deleted; the event stays, as the record of the rehearsal.
"""

import json
import uuid

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib.client import ShopifyError, ShopifyTransientError, user_errors
from ..lib.queries import REHEARSAL_ORDER_CREATE, REHEARSAL_ORDER_DELETE
from .shopify_shop import retryable

SCENARIOS = [
    ("normal", "Normal record"),
    ("edge", "Edge case"),
    ("failure", "Controlled failure"),
]
EDGE_CASES = [
    ("discount_multi", "Discounted order with several lines"),
    ("custom_item", "Custom item (a line without a product)"),
]
# A SKU no Odoo product has: the controlled failure's missing mapping.
MISSING_SKU = "ODOO-REHEARSAL-NO-PRODUCT"
REHEARSAL_TAG = "odoo-rehearsal"
# event state -> did the scenario pass (normal and edge cases / controlled failure)
PASSED_STATES = {"normal": ("done", "to_approve"), "edge": ("done", "to_approve")}
FAILURE_CAUGHT = ("needs_mapping",)


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
    error = fields.Text(readonly=True)
    event_id = fields.Many2one("shopify.webhook.event", readonly=True)
    event_state = fields.Selection(related="event_id.state", string="Event State")
    record_name = fields.Char(related="event_id.record_name", string="Odoo Record")
    outcome = fields.Selection(
        [("running", "Running"), ("passed", "Passed"), ("failed", "Failed")],
        compute="_compute_outcome",
        store=True,
    )
    cleanup = fields.Selection(
        [("kept", "Kept"), ("removed", "Removed")],
        readonly=True,
        help="Kept: the rehearsal order stays in Shopify and Odoo. Removed: the "
        "Shopify test order was deleted and the Odoo sale order cancelled and deleted.",
    )

    @api.depends("scenario")
    def _compute_expected(self):
        for rehearsal in self:
            rehearsal.expected = (
                self.env._("Stops with a missing mapping, nothing confirmed")
                if rehearsal.scenario == "failure"
                else self.env._("A sale order with Shopify's totals")
            )

    @api.depends("error", "event_id.state")
    def _compute_outcome(self):
        for rehearsal in self:
            state = rehearsal.event_id.state
            if rehearsal.error and not rehearsal.event_id:
                rehearsal.outcome = "failed"
            elif not state or state == "queued":
                rehearsal.outcome = "running"
            elif rehearsal.scenario == "failure":
                rehearsal.outcome = "passed" if state in FAILURE_CAUGHT else "failed"
            else:
                passed = state in PASSED_STATES[rehearsal.scenario]
                rehearsal.outcome = "passed" if passed else "failed"

    # -- running (job) --

    def _shopify_run(self):
        """Job: create the Shopify test order, then record its delivery (the sync job
        it enqueues builds the record)."""
        self.ensure_one()
        shop = self.shop_id.sudo()
        try:
            data = shop._shopify_client().query(
                REHEARSAL_ORDER_CREATE,
                {
                    "order": self._shopify_order_input(),
                    "options": {
                        "sendReceipt": False,
                        "sendFulfillmentReceipt": False,
                        "inventoryBehaviour": "BYPASS",
                    },
                },
            )
            payload = data.get("orderCreate") or {}
            user_errors(payload)
        except ShopifyTransientError as exc:
            raise retryable(exc) from exc
        except ShopifyError as exc:
            self.error = self.env._(
                "Shopify refused the test order (the app needs the write_orders "
                "scope to rehearse): %(error)s",
                error=exc,
            )
            return self.error
        order = payload["order"]
        self.write(
            {"shopify_order_gid": order["id"], "shopify_order_name": order["name"]}
        )
        self.event_id = self._shopify_deliver(order)
        return f"rehearsal order {order['name']}: event {self.event_id.id}"

    def _shopify_order_input(self) -> dict:
        workflow = self.workflow_id
        product = workflow._shopify_rehearsal_product()
        currency = self.company_id.currency_id.name

        def line(title, sku, price, quantity=1):
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

        price = product.lst_price or 10.0
        lines = [line(product.name, product.default_code, price)]
        order = {
            "test": True,
            "currency": currency,
            "tags": [REHEARSAL_TAG],
            "note": self.env._("Launch rehearsal from Odoo: %s", self.display_name),
        }
        if self.scenario == "edge" and self.edge_case == "discount_multi":
            lines = [
                line(product.name, product.default_code, price, 2),
                line(product.name, product.default_code, price),
            ]
            order["discountCode"] = {
                "itemPercentageDiscountCode": {"code": "REHEARSAL10", "percentage": 10}
            }
        elif self.scenario == "edge":
            lines.append(line(self.env._("Rehearsal custom item"), None, 5.0))
        elif self.scenario == "failure":
            lines.append(line(self.env._("Rehearsal: unknown SKU"), MISSING_SKU, 5.0))
        order["lineItems"] = lines
        return order

    def _shopify_deliver(self, order: dict):
        """Record a signed orders/create delivery of the test order through the
        webhook's own receiving code; the event is marked as a rehearsal."""
        shop = self.shop_id.sudo()
        webhook_id = f"rehearsal-{uuid.uuid4().hex}"
        payload = {
            "id": int(order["legacyResourceId"]),
            "name": order["name"],
            "test": True,
        }
        headers = {
            "topic": "orders/create",
            "webhook_id": webhook_id,
            "event_id": webhook_id,
            "triggered_at": fields.Datetime.now().isoformat() + "Z",
            "api_version": shop.api_version,
        }
        Event = self.env["shopify.webhook.event"].sudo()
        Event._shopify_receive(
            shop,
            headers,
            json.dumps(payload).encode(),
            payload,
            ("order", order["legacyResourceId"]),
        )
        event = Event.search(
            [("shop_id", "=", shop.id), ("webhook_id", "=", webhook_id)], limit=1
        )
        event.source = "rehearsal"
        return event

    # -- afterwards: keep or remove --

    def action_keep(self):
        self.filtered(lambda r: not r.cleanup).write({"cleanup": "kept"})
        return True

    def action_remove(self):
        """Delete the rehearsal order: in Shopify (a job: the request never calls
        Shopify), and its Odoo sale order."""
        done = self.filtered(lambda r: not r.cleanup and r.outcome != "running")
        for rehearsal in done:
            rehearsal.with_delay(
                max_retries=5,
                description=f"Shopify: remove rehearsal order "
                f"{rehearsal.shopify_order_name or rehearsal.id}",
            )._shopify_remove()
        return True

    def _shopify_remove(self):
        """Job: delete the Shopify test order, then cancel and delete its sale
        order."""
        self.ensure_one()
        if self.shopify_order_gid:
            try:
                data = (
                    self.shop_id.sudo()
                    ._shopify_client()
                    .query(REHEARSAL_ORDER_DELETE, {"orderId": self.shopify_order_gid})
                )
                user_errors(data.get("orderDelete") or {})
            except ShopifyTransientError as exc:
                raise retryable(exc) from exc
            except ShopifyError as exc:
                self.error = self.env._(
                    "The Shopify test order %(order)s could not be deleted (delete "
                    "it in Shopify): %(error)s",
                    order=self.shopify_order_name,
                    error=exc,
                )
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
            sale_order.unlink()  # the binding goes with it
        self.cleanup = "removed"
        return "removed"


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
        default="discount_multi",
    )
    rehearsal_product_id = fields.Many2one(
        "product.product",
        string="Rehearsal Product",
        check_company=True,
        help="The product the rehearsal orders sell (by its Internal Reference, as a "
        "Shopify line's SKU). Empty: a saleable product with an Internal Reference.",
    )
    test_cases_passed = fields.Char(compute="_compute_test_cases_passed")

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

    def _shopify_rehearse(self, scenario: str):
        self.ensure_one()
        if self.flow != "orders":
            raise UserError(self.env._("Rehearsals run on the orders workflow."))
        self.check_access("write")
        self._shopify_rehearsal_product()
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
