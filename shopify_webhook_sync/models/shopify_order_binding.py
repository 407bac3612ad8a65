"""Shopify order -> sale.order: fetch fresh, check mappings, then create or update."""

from odoo import api, fields, models

from ..lib.queries import ORDER
from ..lib.webhook import to_gid
from .shopify_shop import SyncBlocked


class ShopifyOrderBinding(models.Model):
    _name = "shopify.order.binding"
    _inherit = "shopify.binding"
    _description = "Shopify Order Binding"

    sale_order_id = fields.Many2one(
        "sale.order", required=True, ondelete="cascade", index=True
    )
    shopify_name = fields.Char(string="Shopify Order")

    _sql_constraints = [
        (
            "sale_order_uniq",
            "UNIQUE(sale_order_id)",
            "This sale order is already bound.",
        ),
    ]

    @api.model
    def _shopify_import(self, shop, shopify_id: str):
        order, lines = self._shopify_fetch(shop, shopify_id)
        binding = self._shopify_find(shop, shopify_id)
        updated_at = _datetime(order["updatedAt"])
        if binding and binding._shopify_is_uptodate(updated_at):
            return binding.sale_order_id
        products = self._shopify_map_lines(shop, order, lines)
        if binding:
            binding._shopify_update(order, lines, products)
        else:
            binding = self._shopify_create(shop, order, lines, products)
        binding.shopify_updated_at = updated_at
        return binding.sale_order_id

    @api.model
    def _shopify_fetch(self, shop, shopify_id: str) -> tuple[dict, list[dict]]:
        """The order and all its line items (paged: an order can have more than 250)."""
        client = shop._shopify_client()
        order, lines = None, []
        for data, connection in client.paginate(
            ORDER, {"id": to_gid("order", shopify_id)}, ("order", "lineItems")
        ):
            order = order or data.get("order")
            lines += connection["nodes"]
        if not order:
            raise SyncBlocked(
                "failed",
                self.env._(
                    "Shopify has no order %(id)s in %(shop)s (deleted, or not visible to the "
                    "app's access token).",
                    id=shopify_id,
                    shop=shop.shop_domain,
                ),
            )
        return order, lines

    @api.model
    def _shopify_map_lines(self, shop, order: dict, lines: list[dict]) -> dict:
        """Shopify line id -> product.product, by variant SKU = Internal Reference.
        Any line that cannot be matched stops the whole order: nothing is guessed."""
        Product = self.env["product.product"].with_company(shop.company_id)
        products, missing = {}, []
        for line in lines:
            sku = (
                (line.get("variant") or {}).get("sku") or line.get("sku") or ""
            ).strip()
            found = sku and Product.search(
                [
                    ("default_code", "=", sku),
                    ("company_id", "in", (False, shop.company_id.id)),
                ],
                limit=2,
            )
            if found and len(found) == 1:
                products[line["id"]] = found
            else:
                missing.append((line, sku, len(found) if found else 0))
        if missing:
            raise SyncBlocked(
                "needs_mapping", self._shopify_mapping_message(order, missing)
            )
        return products

    def _shopify_mapping_message(self, order: dict, missing: list) -> str:
        _ = self.env._
        lines = [
            _(
                "Shopify order %(order)s (%(gid)s) cannot be synced: %(count)s line(s) match no "
                "Odoo product.",
                order=order["name"],
                gid=order["id"],
                count=len(missing),
            )
        ]
        for line, sku, count in missing:
            if not sku:
                lines.append(
                    _(
                        "- '%(line)s' has no SKU in Shopify: give the variant a SKU equal to an "
                        "Odoo product's Internal Reference.",
                        line=line["name"],
                    )
                )
            elif count > 1:
                lines.append(
                    _(
                        "- '%(line)s': SKU '%(sku)s' is the Internal Reference of several Odoo "
                        "products: keep it on one product only.",
                        line=line["name"],
                        sku=sku,
                    )
                )
            else:
                lines.append(
                    _(
                        "- '%(line)s': no Odoo product has the Internal Reference '%(sku)s'. "
                        "Create the product (or set that Internal Reference on the existing "
                        "one), then retry this event.",
                        line=line["name"],
                        sku=sku,
                    )
                )
        return "\n".join(lines)

    @api.model
    def _shopify_create(self, shop, order: dict, lines: list[dict], products: dict):
        Partner = self.env["shopify.customer.binding"]
        partner = Partner._shopify_partner_for_order(shop, order)
        sale_order = (
            self.env["sale.order"]
            .with_company(shop.company_id)
            .create(
                {
                    "partner_id": partner.id,
                    "partner_invoice_id": Partner._shopify_address(
                        partner, order.get("billingAddress"), "invoice"
                    ).id,
                    "partner_shipping_id": Partner._shopify_address(
                        partner, order.get("shippingAddress"), "delivery"
                    ).id,
                    "company_id": shop.company_id.id,
                    "client_order_ref": order["name"],
                    "origin": order["name"],
                    "date_order": _datetime(
                        order.get("processedAt") or order["createdAt"]
                    ),
                    "note": order.get("note") or False,
                    "order_line": [
                        fields.Command.create(_line_vals(line, products[line["id"]]))
                        for line in lines
                        if line["currentQuantity"]
                    ],
                }
            )
        )
        binding = self.create(
            {
                "shop_id": shop.id,
                "shopify_id": order["legacyResourceId"],
                "shopify_name": order["name"],
                "sale_order_id": sale_order.id,
            }
        )
        if order.get("cancelledAt"):
            sale_order._action_cancel()
        elif shop.confirm_orders:
            sale_order.action_confirm()
        return binding

    def _shopify_update(self, order: dict, lines: list[dict], products: dict):
        """Bring the bound sale order to Shopify's current state; an order already
        delivered or invoiced is never rewritten: the event waits for review instead."""
        sale_order = self.sale_order_id
        commands = _line_commands(sale_order, lines, products)
        cancel = bool(order.get("cancelledAt")) and sale_order.state != "cancel"
        if (commands or cancel) and _is_locked(sale_order):
            raise SyncBlocked(
                "needs_review",
                self.env._(
                    "Shopify order %(order)s changed (%(change)s) but %(so)s is already "
                    "delivered or invoiced, so it was not rewritten. Adjust it by hand, then "
                    "mark the event done by retrying it.",
                    order=order["name"],
                    change=self.env._("cancelled") if cancel else self.env._("lines"),
                    so=sale_order.name,
                ),
            )
        vals = {"note": order.get("note") or False}
        if commands:
            vals["order_line"] = commands
        sale_order.write(vals)
        if cancel:
            sale_order._action_cancel()


def _line_vals(line: dict, product) -> dict:
    return {
        "product_id": product.id,
        "name": line["name"],
        "product_uom_qty": line["currentQuantity"],
        "price_unit": float(
            line["discountedUnitPriceAfterAllDiscountsSet"]["shopMoney"]["amount"]
        ),
        "shopify_line_gid": line["id"],
    }


def _line_commands(sale_order, lines: list[dict], products: dict) -> list:
    """Commands that make the order lines equal Shopify's; empty when they already are."""
    existing = {
        sol.shopify_line_gid: sol
        for sol in sale_order.order_line
        if sol.shopify_line_gid
    }
    commands = []
    for line in lines:
        vals = _line_vals(line, products[line["id"]])
        sol = existing.pop(line["id"], None)
        if sol is None:
            if vals["product_uom_qty"]:
                commands.append(fields.Command.create(vals))
            continue
        changed = {
            key: value
            for key, value in vals.items()
            if key in ("product_uom_qty", "price_unit") and sol[key] != value
        }
        if sol.product_id != products[line["id"]]:
            changed["product_id"] = products[line["id"]].id
        if changed:
            commands.append(fields.Command.update(sol.id, changed))
    commands += [
        fields.Command.update(sol.id, {"product_uom_qty": 0})
        for sol in existing.values()
        if sol.product_uom_qty
    ]
    return commands


def _is_locked(sale_order) -> bool:
    delivered = any(p.state == "done" for p in sale_order.picking_ids)
    invoiced = any(m.state == "posted" for m in sale_order.invoice_ids)
    return delivered or invoiced


def _datetime(value: str | None):
    """Shopify's ISO 8601 UTC timestamp ('2026-01-02T03:04:05Z') as a naive UTC datetime."""
    return (
        fields.Datetime.to_datetime(value.replace("T", " ").rstrip("Z")[:19])
        if value
        else False
    )
