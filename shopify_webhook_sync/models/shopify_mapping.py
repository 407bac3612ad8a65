"""Mappings an operator maintains: Shopify taxes, payment gateways and shipping methods
to their Odoo counterparts. Nothing is guessed: an order that needs a mapping that does
not exist stops with a reason, and saving the mapping re-queues it."""

from odoo import api, fields, models

from .shopify_access import check_moved
from .shopify_shop import FIXES


class ShopifyMappingMixin(models.AbstractModel):
    _name = "shopify.mapping.mixin"
    _description = "Shopify Mapping"
    # What a mapping points at belongs to the shop's company (or to none).
    _check_company_auto = True

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True)
    # The key in FIXES of what saving a mapping of this model may settle.
    _shopify_fix = None

    @api.model_create_multi
    def create(self, vals_list):
        mappings = super().create(vals_list)
        mappings.shop_id._shopify_requeue_blocked(FIXES[self._shopify_fix])
        return mappings

    def write(self, vals):
        result = super().write(vals)
        if "shop_id" in vals:
            check_moved(self)
        self.shop_id._shopify_requeue_blocked(FIXES[self._shopify_fix])
        return result


class ShopifyTaxMapping(models.Model):
    """A Shopify tax line (its title and rate, e.g. "VAT" 0.2) -> an Odoo sales tax."""

    _name = "shopify.tax.mapping"
    _inherit = "shopify.mapping.mixin"
    _description = "Shopify Tax Mapping"
    _shopify_fix = "tax_mapping"
    _order = "shop_id, title, rate"

    title = fields.Char(
        required=True, help="The tax line's title in Shopify, e.g. 'VAT'."
    )
    rate = fields.Float(
        required=True, digits=(6, 5), help="The rate as Shopify gives it: 0.2 for 20%."
    )
    tax_id = fields.Many2one(
        "account.tax",
        string="Odoo Tax",
        required=True,
        check_company=True,
        domain="[('type_tax_use', '=', 'sale'), ('company_id', '=', company_id)]",
    )

    _sql_constraints = [
        (
            "tax_uniq",
            "UNIQUE(shop_id, title, rate)",
            "This Shopify tax is already mapped.",
        ),
    ]

    @api.model
    def _shopify_taxes(self, shop, tax_lines: list[dict], taxes_included: bool):
        """(account.tax records, [missing (title, rate)]) for a line's Shopify tax
        lines."""
        taxes, missing = self.env["account.tax"], []
        for tax_line in tax_lines:
            mapping = self.search(
                [
                    ("shop_id", "=", shop.id),
                    ("title", "=", tax_line["title"]),
                    ("rate", "=", round(float(tax_line.get("rate") or 0), 5)),
                ],
                limit=1,
            )
            tax = mapping.tax_id
            if not tax or tax.price_include != bool(taxes_included):
                missing.append((tax_line["title"], tax_line.get("rate"), tax))
            else:
                taxes |= tax
        return taxes, missing


class ShopifyGatewayMapping(models.Model):
    """A Shopify payment gateway (e.g. 'shopify_payments', 'paypal') -> an Odoo
    journal."""

    _name = "shopify.gateway.mapping"
    _inherit = "shopify.mapping.mixin"
    _description = "Shopify Payment Gateway Mapping"
    _shopify_fix = "gateway"
    _order = "shop_id, gateway"

    gateway = fields.Char(required=True)
    journal_id = fields.Many2one(
        "account.journal",
        required=True,
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
    )

    _sql_constraints = [
        ("gateway_uniq", "UNIQUE(shop_id, gateway)", "This gateway is already mapped."),
    ]


class ShopifyShippingMapping(models.Model):
    """A Shopify shipping method (by code, else title) -> the product of the shipping
    line on the sale order, and optionally a delivery carrier."""

    _name = "shopify.shipping.mapping"
    _inherit = "shopify.mapping.mixin"
    _description = "Shopify Shipping Mapping"
    _shopify_fix = "shipping"
    _order = "shop_id, name"

    name = fields.Char(
        string="Shipping Method",
        required=True,
        help="The shipping line's code in Shopify, or its title when it has no code.",
    )
    product_id = fields.Many2one(
        "product.product",
        string="Shipping Product",
        required=True,
        check_company=True,
        domain="[('type', '=', 'service')]",
    )

    _sql_constraints = [
        (
            "shipping_uniq",
            "UNIQUE(shop_id, name)",
            "This shipping method is already mapped.",
        ),
    ]

    @api.model
    def _shopify_product(self, shop, shipping_line: dict):
        keys = [k for k in (shipping_line.get("code"), shipping_line.get("title")) if k]
        mappings = self.search([("shop_id", "=", shop.id), ("name", "in", keys)])
        for key in keys:
            mapping = mappings.filtered(lambda m, key=key: m.name == key)[:1]
            if mapping:
                return mapping.product_id
        return self.env["product.product"]


class AccountTax(models.Model):
    _inherit = "account.tax"

    def write(self, vals):
        result = super().write(vals)
        if set(vals) & TAX_COMPUTATION_FIELDS:
            mappings = (
                self.env["shopify.tax.mapping"]
                .sudo()
                .search([("tax_id", "in", self.ids)])
            )
            mappings.shop_id._shopify_requeue_blocked(FIXES["tax"])
        return result


# What a tax computes with: changing one may settle an order that waited for its taxes
# (a tax included in the price or not, a total that differed).
TAX_COMPUTATION_FIELDS = {
    "amount",
    "amount_type",
    "price_include_override",
    "include_base_amount",
    "is_base_affected",
    "children_tax_ids",
    "active",
}
