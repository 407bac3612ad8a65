"""Fulfillment out: a validated delivery of a Shopify order becomes its fulfillment.

The job fetches the order's fulfillment orders fresh (paged), fulfils what the delivery
shipped (never more than a line's remaining quantity), and records the fulfillment's
gid on the delivery: a delivery is fulfilled in Shopify once, however often its job
runs.
"""

from collections import defaultdict

from odoo import fields, models

from ..lib.client import ShopifyPermanentError, ShopifyTransientError, user_errors
from ..lib.queries import (
    FULFILLMENT_CREATE,
    FULFILLMENT_ORDER_LINES,
    FULFILLMENT_ORDERS,
)
from ..lib.webhook import to_gid
from .shopify_shop import retryable

FULFILLABLE = ("OPEN", "IN_PROGRESS")
# A fulfillment order in one of these states still has its items to ship, but Shopify
# takes no fulfillment of it until a person releases it.
HELD = ("ON_HOLD", "SCHEDULED")


class StockPicking(models.Model):
    _inherit = "stock.picking"

    shopify_fulfillment_gid = fields.Char(
        string="Shopify Fulfillment",
        copy=False,
        readonly=True,
        help="The fulfillment(s) this delivery created in Shopify (comma-separated).",
    )
    shopify_fulfillment_error = fields.Text(copy=False, readonly=True)

    def _action_done(self):
        result = super()._action_done()
        for picking in self:
            binding = picking._shopify_order_binding()
            # Where Shopify fulfils, its fulfillments validate deliveries: none is
            # ever sent back.
            fulfils = binding.shop_id.fulfilled_by == "odoo"
            if binding and picking.state == "done" and fulfils:
                binding.shop_id._shopify_enqueue_fulfillment(picking)
        return result

    def _shopify_order_binding(self):
        self.ensure_one()
        if self.picking_type_code != "outgoing" or self.shopify_fulfillment_gid:
            return self.env["shopify.order.binding"]
        return self.sudo().sale_id.shopify_binding_ids[:1]

    def _shopify_delivered(self) -> dict:
        """Shopify line item gid -> whole units this delivery shipped."""
        delivered = defaultdict(int)
        for move in self.move_ids.filtered(lambda m: m.state == "done"):
            line = move.sale_line_id
            if line.shopify_line_gid:
                qty = move.product_uom._compute_quantity(
                    move.quantity, line.product_uom
                )
                delivered[line.shopify_line_gid] += int(qty + 1e-9)
        return delivered

    def _shopify_tracking(self) -> dict | None:
        """The delivery's tracking number and carrier, when it has a number."""
        if not self.carrier_tracking_ref:
            return None
        return {
            "number": self.carrier_tracking_ref,
            "company": self.carrier_id.name or None,
        }


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    def _shopify_enqueue_fulfillment(self, picking):
        self.ensure_one()
        return (
            self.sudo()
            .with_company(self.company_id)
            .with_context(shopify_picking=picking.id)
            .with_delay(
                identity_key=f"{self.id}:fulfillment:{picking.id}",
                max_retries=self._shopify_max_retries("fulfillment"),
                description=f"Shopify {self.shop_domain}: fulfil {picking.name}",
            )
            ._shopify_push_fulfillment(picking.id)
        )

    def _job_prepare_context_before_enqueue_keys(self):
        return (*super()._job_prepare_context_before_enqueue_keys(), "shopify_picking")

    def _shopify_push_fulfillment(self, picking_id: int):
        """Job: create the Shopify fulfillment of one validated delivery (once)."""
        self.ensure_one()
        picking = self.env["stock.picking"].sudo().browse(picking_id).exists()
        if not picking or picking.shopify_fulfillment_gid:
            return "already fulfilled in Shopify" if picking else "delivery deleted"
        binding = picking.sale_id.shopify_binding_ids.filtered(
            lambda b: b.shop_id == self
        )[:1]
        try:
            fulfillment_orders = self._shopify_fulfillment_orders(binding.shopify_id)
            groups = _allocate(fulfillment_orders, picking._shopify_delivered())
            gids = [self._shopify_fulfill(picking, group) for group in groups]
        except ShopifyTransientError as exc:
            raise retryable(exc, self._shopify_retry_seconds("fulfillment")) from exc
        if not gids:
            held = _held(fulfillment_orders, picking._shopify_delivered())
            if not held:
                return "nothing left to fulfil in Shopify"
            # Shipped, but Shopify cannot be told: say so where the delivery shows it.
            picking.shopify_fulfillment_error = self.env._(
                "Shopify holds what %(delivery)s shipped (fulfillment order "
                "%(status)s), so nothing was fulfilled in Shopify and the customer "
                "was not told. Release the fulfillment order in Shopify and mark the "
                "items fulfilled there: Odoo does not send this delivery again.",
                delivery=picking.name,
                status=", ".join(held),
            )
            return picking.shopify_fulfillment_error
        picking.write(
            {
                "shopify_fulfillment_gid": ",".join(gids),
                "shopify_fulfillment_error": False,
            }
        )
        return ",".join(gids)

    def _shopify_fulfillment_orders(self, order_id: str) -> list[dict]:
        """Every fulfillment order of the order with all its line items (paged)."""
        client = self._shopify_client()
        orders = []
        for _data, connection in client.paginate(
            FULFILLMENT_ORDERS,
            {"id": to_gid("order", order_id)},
            ("order", "fulfillmentOrders"),
        ):
            orders += connection["nodes"]
        for order in orders:
            self._shopify_read_remaining_lines(client, order)
        return orders

    def _shopify_read_remaining_lines(self, client, order: dict):
        """Append the line items of ``order`` past its first page."""
        page = order["lineItems"]
        while page["pageInfo"]["hasNextPage"]:
            data = client.query(
                FULFILLMENT_ORDER_LINES,
                {"id": order["id"], "after": page["pageInfo"]["endCursor"]},
            )
            page = (data.get("fulfillmentOrder") or {}).get("lineItems")
            if page is None:
                raise ShopifyPermanentError(
                    f"Shopify did not return fulfillment order {order['id']}"
                )
            order["lineItems"]["nodes"] += page["nodes"]

    def _shopify_fulfill(self, picking, group: list[dict]) -> str:
        fulfillment = {"lineItemsByFulfillmentOrder": group}
        tracking = picking._shopify_tracking()
        if tracking:
            fulfillment["trackingInfo"] = tracking
        data = self._shopify_client().query(
            FULFILLMENT_CREATE, {"fulfillment": fulfillment, "message": picking.name}
        )
        payload = data.get("fulfillmentCreate") or {}
        user_errors(payload)
        return payload["fulfillment"]["id"]

    def _shopify_on_fulfillment_failed(
        self, exc_info=None, exc_name=None, exc_message=None
    ):
        """on_fail of the fulfillment job: the reason goes on the delivery."""
        picking_id = self.env.context.get("shopify_picking")
        if picking_id:
            self.env["stock.picking"].sudo().browse(picking_id).exists().write(
                {"shopify_fulfillment_error": exc_message or exc_name}
            )


def _allocate(fulfillment_orders: list[dict], delivered: dict) -> list[list[dict]]:
    """lineItemsByFulfillmentOrder inputs for the delivered quantities, one list per
    assigned location (a fulfillment covers the fulfillment orders of one location)."""
    left = dict(delivered)
    by_location = defaultdict(list)
    for order in fulfillment_orders:
        if order["status"] not in FULFILLABLE:
            continue
        items = []
        for item in order["lineItems"]["nodes"]:
            qty = min(left.get(item["lineItem"]["id"], 0), item["remainingQuantity"])
            if qty > 0:
                items.append({"id": item["id"], "quantity": qty})
                left[item["lineItem"]["id"]] -= qty
        if items:
            location = (
                (order.get("assignedLocation") or {}).get("location") or {}
            ).get("id")
            by_location[location].append(
                {"fulfillmentOrderId": order["id"], "fulfillmentOrderLineItems": items}
            )
    return list(by_location.values())


def _held(fulfillment_orders: list[dict], delivered: dict) -> list[str]:
    """The states of the held fulfillment orders (``HELD``) that still wait for
    units of the delivered lines."""
    return sorted(
        {
            order["status"]
            for order in fulfillment_orders
            if order["status"] in HELD
            and any(
                item["remainingQuantity"] > 0 and delivered.get(item["lineItem"]["id"])
                for item in order["lineItems"]["nodes"]
            )
        }
    )
