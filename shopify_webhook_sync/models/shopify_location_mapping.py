from odoo import api, fields, models

from .shopify_access import check_moved


class ShopifyLocationMapping(models.Model):
    """A Shopify location -> the Odoo warehouse whose stock it sells.

    Stock is pushed only for mapped locations: Odoo's quantity in the warehouse becomes
    the location's "available" quantity in Shopify.
    """

    _name = "shopify.location.mapping"
    _description = "Shopify Location Mapping"
    _check_company_auto = True
    _order = "shop_id, name"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True)
    name = fields.Char(string="Shopify Location", required=True)
    location_gid = fields.Char(
        string="Shopify Location ID",
        required=True,
        help="The location's global id, e.g. gid://shopify/Location/123456789 (the "
        "number is at the end of the location's address in Shopify's admin).",
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Odoo Warehouse",
        required=True,
        ondelete="restrict",
        check_company=True,
        domain="[('company_id', '=', company_id)]",
    )

    _sql_constraints = [
        (
            "location_uniq",
            "UNIQUE(shop_id, location_gid)",
            "This Shopify location is already mapped.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals["location_gid"] = _location_gid(vals.get("location_gid"))
        mappings = super().create(vals_list)
        mappings._shopify_push_all_stock()
        return mappings

    def write(self, vals):
        if "location_gid" in vals:
            vals["location_gid"] = _location_gid(vals["location_gid"])
        result = super().write(vals)
        if "shop_id" in vals:
            check_moved(self)
        if {"location_gid", "warehouse_id"} & set(vals):
            self._shopify_push_all_stock()
        return result

    def _shopify_push_all_stock(self):
        """A location was (re)mapped: each mapped variant gets the warehouse's stock."""
        Binding = self.env["shopify.product.binding"].sudo()
        for mapping in self:
            bindings = Binding.search(
                [
                    ("shop_id", "=", mapping.shop_id.id),
                    ("product_id", "!=", False),
                    ("inventory_item_gid", "!=", False),
                ]
            )
            for item_gid in set(bindings.mapped("inventory_item_gid")):
                mapping.shop_id.sudo()._shopify_enqueue_stock(
                    item_gid, mapping.location_gid
                )


def _location_gid(value):
    """Accept the bare number shown in Shopify's admin as well as the global id."""
    value = (value or "").strip()
    return f"gid://shopify/Location/{value}" if value.isdigit() else value
