from odoo import fields, models

from .shopify_access import check_moved


class ShopifyBinding(models.AbstractModel):
    """Links one Shopify object of a shop to one Odoo record (connector's binding
    pattern).

    ``shopify_id`` is the numeric id as text: Shopify ids outgrow a 32-bit integer.
    ``shopify_updated_at`` is Shopify's ``updatedAt`` of the version last applied, so an
    older (out-of-order) fetch never overwrites a newer one.
    """

    _name = "shopify.binding"
    _description = "Shopify Binding"
    # The bound record belongs to the shop's company (or to none): never another's.
    _check_company_auto = True

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="restrict", index=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True)
    shopify_id = fields.Char(string="Shopify ID", required=True, index=True)
    shopify_updated_at = fields.Datetime()

    _sql_constraints = [
        (
            "shopify_uniq",
            "UNIQUE(shop_id, shopify_id)",
            "This Shopify object is already bound.",
        ),
    ]

    def write(self, vals):
        result = super().write(vals)
        if "shop_id" in vals:
            check_moved(self)
        return result

    def _shopify_find(self, shop, shopify_id: str):
        return self.search(
            [("shop_id", "=", shop.id), ("shopify_id", "=", shopify_id)], limit=1
        )

    def _shopify_is_uptodate(self, updated_at) -> bool:
        return bool(
            self.shopify_updated_at
            and updated_at
            and self.shopify_updated_at >= updated_at
        )
