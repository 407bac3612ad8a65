"""Fulfillments made in Shopify (a 3PL, the Shopify admin) validate the Odoo delivery.

A shop says who fulfils. Odoo (the default): a validated delivery becomes a Shopify
fulfillment (models/shopify_fulfillment.py). Shopify: ``orders/fulfilled``,
``fulfillments/create`` and ``fulfillments/update`` sync the order's fulfillments, and
the open delivery is validated for what Shopify shipped, with its tracking number;
nothing is sent back. A partial fulfillment, or one of a line Odoo cannot deliver,
waits for review with the reason: nothing is guessed.
"""

from collections import defaultdict

from odoo import api, fields, models

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.queries import FULFILLMENTS_READ, ORDER_FULFILLMENTS
from ..lib.webhook import to_gid
from .shopify_shop import SyncBlocked


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    fulfilled_by = fields.Selection(
        [("odoo", "Odoo"), ("shopify", "Shopify")],
        required=True,
        default="odoo",
        help="Odoo: a validated delivery becomes a Shopify fulfillment. Shopify (a 3PL "
        "or the Shopify admin): Shopify's fulfillments validate the Odoo delivery, "
        "and nothing is sent back. Register the webhooks again after changing it.",
    )


class ShopifyFulfillmentIn(models.AbstractModel):
    _name = "shopify.fulfillment.in"
    _description = "Shopify Fulfillments Made in Shopify"

    @api.model
    def _shopify_import(self, shop, order_id: str):
        if shop.fulfilled_by != "shopify":
            raise SyncBlocked(
                "ignored",
                self.env._(
                    "Ignored: Odoo fulfils the orders of %(shop)s (shop setting "
                    "Fulfilled By), so Shopify's fulfillments are not applied.",
                    shop=shop.shop_domain,
                ),
            )
        binding = self.env["shopify.order.binding"].search(
            [("shop_id", "=", shop.id), ("shopify_id", "=", order_id)]
        )
        if not binding.sale_order_id:
            raise RetryableJobError(
                f"order {order_id} is not synced yet; its fulfillment waits",
                seconds=(30, 90),
            )
        data = shop._shopify_client().query(
            ORDER_FULFILLMENTS, {"id": to_gid("order", order_id)}
        )
        order = data.get("order") or {}
        self._shopify_check_read_whole(order, binding.sale_order_id)
        fulfilled, tracking = _fulfilled(order)
        return self._shopify_deliver(binding.sale_order_id, fulfilled, tracking)

    @api.model
    def _shopify_check_read_whole(self, order: dict, sale):
        """An order with more fulfillments, or a fulfillment with more lines, than
        one query reads waits for review: what was not read is never taken as not
        shipped."""
        fulfillments = order.get("fulfillments") or []
        if len(fulfillments) <= FULFILLMENTS_READ and not any(
            f["fulfillmentLineItems"]["pageInfo"]["hasNextPage"] for f in fulfillments
        ):
            return
        raise SyncBlocked(
            "needs_review",
            self.env._(
                "Shopify order %(order)s has more than %(count)s fulfillments, or one "
                "of more than 50 lines: they are not read in full, so %(so)s is not "
                "delivered from them. Validate its deliveries by hand as Shopify "
                "shows them, then resolve this event.",
                order=order.get("name"),
                count=FULFILLMENTS_READ,
                so=sale.name,
            ),
        )

    @api.model
    def _shopify_deliver(self, sale, fulfilled: dict, tracking: dict | None):
        """Validate the open delivery of ``sale`` for what Shopify shipped beyond what
        Odoo delivered already; anything that does not fit waits for review."""
        lines = {line.shopify_line_gid: line for line in sale.order_line}
        to_ship, problems = {}, []
        for line_gid, quantity in fulfilled.items():
            line = lines.get(line_gid)
            if not line or line.product_id.type != "consu":
                problems.append(
                    self.env._(
                        "Shopify fulfilled %(qty)s of line %(line)s, which has no "
                        "product to deliver in %(order)s",
                        qty=quantity,
                        line=line_gid,
                        order=sale.name,
                    )
                )
            elif quantity > line.qty_delivered:
                to_ship[line] = quantity - line.qty_delivered
        if problems:
            raise SyncBlocked("needs_review", "; ".join(problems))
        if not to_ship:
            return sale
        picking = sale.picking_ids.filtered(
            lambda p: (
                p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
            )
        )[:1]
        moves = picking.move_ids
        remaining = {move.sale_line_id: move.product_uom_qty for move in moves}
        if not picking or remaining != to_ship:
            raise SyncBlocked(
                "needs_review",
                self.env._(
                    "Shopify fulfilled part of %(order)s (%(shipped)s) where the open "
                    "delivery %(picking)s holds %(open)s: validate the delivery by "
                    "hand for what was shipped (with a backorder), then Retry.",
                    order=sale.name,
                    shipped=_describe(to_ship),
                    picking=picking.name or "-",
                    open=_describe(remaining),
                ),
            )
        return self._shopify_validate(picking, tracking)

    @api.model
    def _shopify_validate(self, picking, tracking: dict | None):
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        if tracking and tracking.get("number"):
            picking.carrier_tracking_ref = tracking["number"]
        picking.with_context(skip_sms=True, cancel_backorder=True)._action_done()
        return picking


def _fulfilled(order: dict) -> tuple[dict, dict | None]:
    """Line item gid -> units shipped by the successful fulfillments; the last
    tracking given."""
    fulfilled, tracking = defaultdict(int), None
    for fulfillment in order.get("fulfillments") or []:
        if fulfillment.get("status") != "SUCCESS":
            continue
        for item in fulfillment["fulfillmentLineItems"]["nodes"]:
            fulfilled[item["lineItem"]["id"]] += int(item["quantity"])
        tracking = (fulfillment.get("trackingInfo") or [None])[0] or tracking
    return dict(fulfilled), tracking


def _describe(quantities: dict) -> str:
    return ", ".join(
        f"{qty:g} {line.product_id.display_name}" for line, qty in quantities.items()
    )
