from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    shopify_binding_ids = fields.One2many(
        "shopify.order.binding",
        "sale_order_id",
        readonly=True,
        groups="shopify_webhook_sync.group_shopify_user",
    )
    shopify_admin_url = fields.Char(
        string="Shopify Order Page",
        compute="_compute_shopify_admin_url",
        compute_sudo=True,
    )

    @api.depends(
        "shopify_binding_ids.shopify_id", "shopify_binding_ids.shop_id.shop_domain"
    )
    def _compute_shopify_admin_url(self):
        for order in self:
            binding = order.shopify_binding_ids[:1]
            order.shopify_admin_url = binding and (
                f"https://admin.shopify.com/store/{binding.shop_id.shop_domain.split('.')[0]}"
                f"/orders/{binding.shopify_id}"
            )


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    shopify_line_gid = fields.Char(
        string="Shopify Line Item", copy=False, index="btree_not_null"
    )
