"""Launch rehearsal of the fulfillments workflow, in the direction the shop says
(``fulfilled_by``): each scenario starts with the orders rehearsal's Shopify test order
(a line that needs shipping) and its recorded ``orders/create`` delivery; once that
order is synced, a second job acts on its delivery.

Odoo fulfils: the second job validates the sale order's delivery as a warehouse person
does (quantities done, the rest backordered), which enqueues the real fulfillment push
(``_shopify_push_fulfillment``: ``fulfillmentCreate`` against the order's fulfillment
orders). A third job waits for that push, then reads the order's fulfillments back
from Shopify: the scenario passes when Shopify holds the fulfillment the push recorded
(with the tracking number given), fails with the push's refusal or what is missing.

Shopify fulfils: the second job creates the fulfillment in Shopify
(``fulfillmentCreate`` through the Admin API, as a 3PL would) and records the signed
``fulfillments/create`` delivery; the real job validates the Odoo delivery, and the
outcome follows its event.

The controlled failure is what really stops a fulfillment before it starts: a line
whose SKU no product has holds the order *Needs Mapping* (the SKU named), so there is no
delivery to fulfil from, nor one for Shopify's fulfillment to validate; that event is
the outcome.

Remove: a validated delivery cannot be cancelled in Odoo, so its goods are returned to
stock by a validated return (no stock left moved on the merchant's product); then the
orders rehearsal's removal (the Shopify test order deleted, the sale order cancelled
and deleted). The deliveries and their return stay, as records.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.client import ShopifyTransientError
from ..lib.queries import FULFILLMENT_CREATE, ORDER_FULFILLMENTS
from .shopify_fulfillment import _allocate
from .shopify_shop import retryable
from .shopify_workflow_rehearsal import (
    MISSING_SKU,
    ORDER_WAIT_SECONDS,
    ORDER_WAIT_TRIES,
)

# The tracking number the tracking edge case ships with (the rehearsal's id follows).
TRACKING_PREFIX = "ODOO-REHEARSAL-"
# The states of a push job still to run or running.
JOB_RUNNING = ("wait_dependencies", "pending", "enqueued", "started")


class ShopifyWorkflowRehearsal(models.Model):
    _inherit = "shopify.workflow.rehearsal"  # pylint: disable=consider-merging-classes-inherited

    fulfilled_by = fields.Selection(
        [("odoo", "Odoo"), ("shopify", "Shopify")],
        readonly=True,
        help="Fulfillments: the direction rehearsed (the shop's Fulfilled By when it "
        "ran).",
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Rehearsal Delivery",
        readonly=True,
        check_company=True,
        help="Fulfillments: the delivery the rehearsal validated (Odoo fulfils) or "
        "Shopify's fulfillment validated (Shopify fulfils).",
    )
    shopify_fulfillment_gid = fields.Char(
        string="Shopify Fulfillment",
        readonly=True,
        help="Fulfillments: the fulfillment(s) Shopify holds for the rehearsal order "
        "(made by the rehearsal where Shopify fulfils; read back from Shopify after "
        "the push where Odoo fulfils).",
    )

    def _shopify_expectations(self) -> dict:
        _ = self.env._
        return super()._shopify_expectations() | {
            "fulfillments": (
                _(
                    "Odoo fulfils: the validated delivery becomes a Shopify "
                    "fulfillment; Shopify fulfils: Shopify's fulfillment validates "
                    "the delivery"
                ),
                _(
                    "Stops with a missing product mapping: no delivery, nothing "
                    "fulfilled"
                ),
            ),
        }

    @api.depends("shopify_fulfillment_gid", "picking_id.shopify_fulfillment_gid")
    def _compute_shopify_name(self):
        result = super()._compute_shopify_name()
        for rehearsal in self.filtered(lambda r: r.flow == "fulfillments"):
            fulfillment = (
                rehearsal.shopify_fulfillment_gid
                or rehearsal.picking_id.shopify_fulfillment_gid
            )
            if fulfillment and rehearsal.shopify_order_name:
                rehearsal.shopify_name = self.env._(
                    "%(order)s, fulfillment %(fulfillment)s",
                    order=rehearsal.shopify_order_name,
                    fulfillment=fulfillment.split("/")[-1],
                )
        return result

    @api.depends("fulfilled_by", "shopify_fulfillment_gid")
    def _compute_outcome(self):
        """Odoo fulfils: passed once the fulfillment the push job recorded was read
        back from Shopify, failed with the push's refusal or what the read-back
        found. Otherwise (Shopify fulfils, the failure) it follows the event, as for
        orders."""
        pushed = self.filtered(
            lambda r: (
                r.flow == "fulfillments"
                and r.fulfilled_by == "odoo"
                and r.scenario != "failure"
            )
        )
        result = super(ShopifyWorkflowRehearsal, self - pushed)._compute_outcome()
        for rehearsal in pushed:
            if rehearsal.shopify_fulfillment_gid:
                rehearsal.outcome = "passed"
            elif rehearsal.error:
                rehearsal.outcome = "failed"
            else:
                rehearsal.outcome = "running"
        return result

    # -- running (jobs) --

    def _shopify_run_fulfillments(self):
        """The test order first; its delivery is acted on once the order is synced.
        The failure's order is held Needs Mapping: that event is the outcome."""
        self.fulfilled_by = self.shop_id.fulfilled_by
        order, event = self._shopify_order_delivered()
        if not order:
            return self.error
        self.order_event_id = event
        if self.scenario == "failure":
            self.event_id = event
            return f"rehearsal order {order['name']}: event {event.id}"
        self.with_delay(
            max_retries=ORDER_WAIT_TRIES,
            description=f"Shopify: fulfil rehearsal order {order['name']}",
        )._shopify_fulfil()
        return f"rehearsal order {order['name']}: fulfilled once synced"

    def _shopify_build_fulfillments(self, order: dict, product, price: float):
        """Lines that need shipping (a fulfillment order to fulfil). Partial edge: two
        units of one line. Failure: a line whose SKU no product has."""
        if self.scenario == "edge" and self.edge_case == "fulfil_partial":
            order["lineItems"][0]["quantity"] = 2
        elif self.scenario == "failure":
            order["lineItems"].append(
                self._shopify_line(
                    self.env._("Rehearsal: unknown SKU"), MISSING_SKU, 5.0
                )
            )
        for item in order["lineItems"]:
            item["requiresShipping"] = True

    def _shopify_fulfil(self):
        """Job: once the rehearsal order is synced, validate its delivery (Odoo
        fulfils; the push job follows) or fulfil it in Shopify (Shopify fulfils)."""
        self.ensure_one()
        if self.picking_id or self.event_id or self.error or self.cleanup:
            return "nothing to do"
        sale_order = self._shopify_synced_order()
        if not sale_order:
            return self.error
        picking = sale_order.picking_ids.filtered(
            lambda p: (
                p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
            )
        )[:1]
        if not picking:
            self.error = self.env._(
                "The rehearsal order %(order)s has no delivery to fulfil (state "
                "%(state)s): is the Rehearsal Product a good, and the order confirmed?",
                order=sale_order.name,
                state=sale_order.state,
            )
            return self.error
        self.picking_id = picking
        if self.fulfilled_by == "odoo":
            return self._shopify_validate_delivery(picking)
        return self._shopify_fulfil_in_shopify()

    def _shopify_validate_delivery(self, picking):
        """Validate the delivery as a warehouse person does: quantities done (the
        partial edge: one unit, the rest backordered), tracking number given (the
        tracking edge). Validating enqueues the real fulfillment push."""
        picking = picking.sudo()
        partial = self.edge_case == "fulfil_partial"
        try:
            with self.env.cr.savepoint():
                for move in picking.move_ids:
                    move.quantity = 1 if partial else move.product_uom_qty
                    move.picked = True
                if self.edge_case == "fulfil_tracking":
                    picking.carrier_tracking_ref = f"{TRACKING_PREFIX}{self.id}"
                picking.with_context(
                    skip_backorder=True, skip_sms=True
                ).button_validate()
        except UserError as exc:
            self.error = self.env._(
                "The delivery %(picking)s could not be validated: %(error)s",
                picking=picking.name,
                error=exc.args[0],
            )
            return self.error
        self.with_delay(
            max_retries=ORDER_WAIT_TRIES,
            description=f"Shopify: read back the fulfillment of {picking.name}",
        )._shopify_read_back()
        return f"delivery {picking.name} validated: its fulfillment job pushes it"

    def _shopify_read_back(self):
        """Job (Odoo fulfils): once the push job of the delivery ended, read the
        order's fulfillments back from Shopify; the rehearsal passes when Shopify
        holds what the push recorded (and the tracking number given)."""
        self.ensure_one()
        if self.shopify_fulfillment_gid or self.error or self.cleanup:
            return "nothing to do"
        picking = self.picking_id.sudo()
        push = (
            self.env["queue.job"]
            .sudo()
            .search_count(
                [
                    (
                        "identity_key",
                        "=",
                        f"{self.shop_id.id}:fulfillment:{picking.id}",
                    ),
                    ("state", "in", JOB_RUNNING),
                ]
            )
        )
        if push and not picking.shopify_fulfillment_error:
            raise RetryableJobError(
                self.env._("Waiting for the fulfillment job of %s.", picking.name),
                seconds=ORDER_WAIT_SECONDS,
            )
        self.error = self._shopify_fulfillment_missing(picking)
        if not self.error:
            self.shopify_fulfillment_gid = picking.shopify_fulfillment_gid
        return self.error or self.shopify_fulfillment_gid

    def _shopify_fulfillment_missing(self, picking) -> str | None:
        """Why Shopify does not hold the delivery's fulfillment (None: it does)."""
        _ = self.env._
        if picking.shopify_fulfillment_error:
            return _(
                "The fulfillment of %(picking)s did not reach Shopify: %(error)s",
                picking=picking.name,
                error=picking.shopify_fulfillment_error,
            )
        if not picking.shopify_fulfillment_gid:
            return _(
                "The fulfillment job of %(picking)s found nothing open to fulfil in "
                "Shopify's order %(order)s (its fulfillment orders are closed, on "
                "hold or with a fulfillment service): nothing was fulfilled.",
                picking=picking.name,
                order=self.shopify_order_name,
            )
        try:
            data = (
                self.shop_id.sudo()
                ._shopify_client()
                .query(ORDER_FULFILLMENTS, {"id": self.shopify_order_gid})
            )
        except ShopifyTransientError as exc:
            raise retryable(exc) from exc
        held = {
            f["id"]: f
            for f in (data.get("order") or {}).get("fulfillments") or []
            if f["status"] == "SUCCESS"
        }
        gids = picking.shopify_fulfillment_gid.split(",")
        if not all(gid in held for gid in gids):
            return _(
                "Shopify's order %(order)s does not hold the fulfillment %(gid)s the "
                "job recorded for %(picking)s.",
                order=self.shopify_order_name,
                gid=picking.shopify_fulfillment_gid,
                picking=picking.name,
            )
        numbers = {t["number"] for gid in gids for t in held[gid]["trackingInfo"]}
        if picking.carrier_tracking_ref and picking.carrier_tracking_ref not in numbers:
            return _(
                "Shopify's fulfillment of %(picking)s has no tracking number "
                "%(number)s.",
                picking=picking.name,
                number=picking.carrier_tracking_ref,
            )
        return None

    def _shopify_fulfil_in_shopify(self):
        """Fulfil the whole order in Shopify, as a 3PL would (one fulfillment per
        location), and record each one's signed fulfillments/create delivery; the
        fulfillment's job validates the delivery."""
        order_id = self.shopify_order_gid.split("/")[-1]
        try:
            orders = self.shop_id.sudo()._shopify_fulfillment_orders(order_id)
        except ShopifyTransientError as exc:
            raise retryable(exc) from exc
        remaining = {
            item["lineItem"]["id"]: item["remainingQuantity"]
            for order in orders
            for item in order["lineItems"]["nodes"]
        }
        fulfillments = [
            self._shopify_create_fulfillment(group)
            for group in _allocate(orders, remaining)
        ]
        if not fulfillments or not all(fulfillments):
            self.error = self.error or self.env._(
                "Shopify has nothing to fulfil in the test order %s.",
                self.shopify_order_name,
            )
            return self.error
        self.shopify_fulfillment_gid = ",".join(fulfillments)
        for fulfillment in fulfillments:
            self.event_id = self._shopify_deliver(
                "fulfillments/create",
                {"id": int(fulfillment.split("/")[-1]), "order_id": int(order_id)},
                ("order_fulfillment", order_id),
            )
        return f"fulfillment {self.shopify_fulfillment_gid}: event {self.event_id.id}"

    def _shopify_create_fulfillment(self, group: list[dict]) -> str | None:
        """One fulfillment in Shopify (its gid; None: refused, the reason recorded);
        the tracking edge ships with a tracking number."""
        fulfillment = {"lineItemsByFulfillmentOrder": group, "notifyCustomer": False}
        if self.edge_case == "fulfil_tracking":
            fulfillment["trackingInfo"] = {"number": f"{TRACKING_PREFIX}{self.id}"}
        payload = self._shopify_mutate(
            FULFILLMENT_CREATE,
            {"fulfillment": fulfillment, "message": self.display_name},
            "fulfillmentCreate",
            lambda error: self.env._(
                "Shopify refused the fulfillment of the test order %(order)s (the "
                "app needs the write_merchant_managed_fulfillment_orders scope to "
                "rehearse): %(error)s",
                order=self.shopify_order_name,
                error=error,
            ),
        )
        return payload and payload["fulfillment"]["id"]

    # -- afterwards --

    def _shopify_remove_fulfillments(self):
        """Return the goods of the validated deliveries to stock (a done delivery
        cannot be cancelled), then remove the order as the orders rehearsal does."""
        binding = self.env["shopify.order.binding"]
        if self.shopify_order_gid:
            binding = binding.sudo()._shopify_find(
                self.shop_id, self.shopify_order_gid.split("/")[-1]
            )
        delivered = binding.sale_order_id.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state == "done"
        )
        for picking in delivered:
            self._shopify_return(picking)
        self._shopify_remove_orders()

    def _shopify_return(self, picking):
        """A validated return of everything ``picking`` delivered."""
        wizard = (
            self.env["stock.return.picking"]
            .sudo()
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({})
        )
        action = wizard.action_create_returns_all()
        returned = self.env["stock.picking"].sudo().browse(action["res_id"])
        for move in returned.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        returned.with_context(skip_backorder=True, skip_sms=True).button_validate()


class ShopifyWorkflow(models.Model):
    _inherit = "shopify.workflow"  # pylint: disable=consider-merging-classes-inherited

    def _shopify_check_rehearsal_fulfillments(self, scenario: str):
        """A product that is delivered (a good); a partial fulfillment made in
        Shopify is not rehearsed: the code holds it for review by design."""
        product = self._shopify_rehearsal_product()
        if product.type != "consu":
            raise UserError(
                self.env._(
                    "Choose a Rehearsal Product that is a good (%(product)s is not "
                    "delivered, so there is nothing to fulfil).",
                    product=product.display_name,
                )
            )
        partial = scenario == "edge" and self.rehearsal_edge_case == "fulfil_partial"
        if partial and self.shop_id.fulfilled_by == "shopify":
            raise UserError(
                self.env._(
                    "Shopify fulfils this shop's orders: a partial fulfillment made "
                    "in Shopify waits for review by design (nothing is guessed). "
                    "Rehearse the tracking number instead."
                )
            )
