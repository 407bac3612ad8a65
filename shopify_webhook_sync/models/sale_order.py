from odoo import api, fields, models

from .shopify_shop import FIXES, NO_REQUEUE


class ShopifyEventsMixin(models.AbstractModel):
    """The *Shopify* smart button of a record Shopify's deliveries are about (a sale
    order, a contact): how many events, and the list of them. A model using it says
    which events are its own (``_shopify_events_domain``)."""

    _name = "shopify.events.mixin"
    _description = "Shopify Events of a Record"

    shopify_event_count = fields.Integer(
        string="Shopify Events",
        compute="_compute_shopify_event_count",
        groups="shopify_webhook_sync.group_shopify_reviewer",
    )

    def _shopify_events_domain(self):
        raise NotImplementedError

    def _compute_shopify_event_count(self):
        Event = self.env["shopify.webhook.event"]
        for record in self:
            record.shopify_event_count = (
                Event.search_count(record._shopify_events_domain()) if record.id else 0
            )

    def action_open_shopify_events(self):
        """The Shopify deliveries about this record, and what became of them."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_webhook_sync.action_shopify_webhook_event"
        )
        action["domain"] = self._shopify_events_domain()
        action["context"] = {}
        return action


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "shopify.events.mixin"]

    shopify_binding_ids = fields.One2many(
        "shopify.order.binding",
        "sale_order_id",
        readonly=True,
        groups="shopify_webhook_sync.group_shopify_reviewer",
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

    @api.depends("order_line.shopify_tax_amounts")
    def _compute_amounts(self):
        return super()._compute_amounts()

    @api.depends("order_line.shopify_tax_amounts")
    def _compute_tax_totals(self):
        return super()._compute_tax_totals()

    def _shopify_events_domain(self):
        """The order's deliveries (none without a binding: no query then)."""
        bindings = self.sudo().shopify_binding_ids
        return [
            ("shop_id", "in", bindings.shop_id.ids),
            ("object_kind", "=", "order"),
            ("object_id", "in", bindings.mapped("shopify_id")),
        ]


# Decimals of an order line's discount: enough for the original unit price and the
# discount to give Shopify's discounted line total to the cent on any line up to
# 1,000,000 (the error of a 6-decimal percentage is at most 5e-9 of the line).
DISCOUNT_DIGITS = 6


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    shopify_line_gid = fields.Char(
        string="Shopify Line Item", copy=False, index="btree_not_null"
    )
    # Shopify's tax amounts for the line as synced: {"amount": the line's amount,
    # "taxes": {tax id: amount}}, in the order's currency. Odoo carries them instead
    # of computing its own while the line keeps that amount and those taxes.
    shopify_tax_amounts = fields.Json(copy=False, readonly=True)

    @api.depends("shopify_tax_amounts")
    def _compute_amount(self):
        return super()._compute_amount()

    def _prepare_base_line_for_taxes_computation(self, **kwargs):
        manual = self._shopify_manual_tax_amounts()
        if manual and kwargs.get("manual_tax_amounts") is None:
            kwargs["manual_tax_amounts"] = manual
        return super()._prepare_base_line_for_taxes_computation(**kwargs)

    def _shopify_manual_tax_amounts(self) -> dict | None:
        """Shopify's tax amounts as Odoo's taxes computation takes them, while the line
        is what was synced (its amount and taxes); None once someone changed it."""
        carried = self.shopify_tax_amounts
        if not carried or self.display_type:
            return None
        currency = self.order_id.currency_id or self.company_id.currency_id
        amount = self.price_unit * (1 - (self.discount or 0.0) / 100.0)
        amount *= self.product_uom_qty
        taxes = carried.get("taxes") or {}
        if currency.compare_amounts(amount, carried.get("amount") or 0.0) or not {
            int(tax_id) for tax_id in taxes
        } <= set(self.tax_id.ids):
            return None
        return {
            tax_id: {"tax_amount_currency": tax_amount}
            for tax_id, tax_amount in taxes.items()
        }

    @api.model
    def _shopify_ensure_discount_digits(self):
        precision = self.env.ref("product.decimal_discount")
        if precision.digits < DISCOUNT_DIGITS:
            precision.digits = DISCOUNT_DIGITS


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    @api.model_create_multi
    def create(self, vals_list):
        pricelists = super().create(vals_list)
        pricelists._shopify_requeue_needs_mapping()
        return pricelists

    def write(self, vals):
        result = super().write(vals)
        if {"currency_id", "company_id", "active"} & set(vals):
            self._shopify_requeue_needs_mapping()
        return result

    def _shopify_requeue_needs_mapping(self):
        """A pricelist in a currency an order may wait for: the shops of its company
        (every shop for a pricelist shared between companies) re-queue what waits."""
        if self.env.context.get(NO_REQUEUE):
            return
        domain = []
        if all(pricelist.company_id for pricelist in self):
            domain = [("company_id", "in", self.company_id.ids)]
        self.env["shopify.shop"].sudo().search(domain)._shopify_requeue_blocked(
            FIXES["currency"]
        )


MANAGER = "shopify_webhook_sync.group_shopify_manager"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    shopify_shop_id = fields.Many2one(
        "shopify.shop",
        string="Shopify Shop",
        default=lambda self: (
            self.env["shopify.shop"]
            .sudo()
            .search([("company_id", "=", self.env.company.id)], limit=1)
        ),
        domain="[('company_id', '=', company_id)]",
        groups=MANAGER,
    )
    shopify_tip_product_id = fields.Many2one(
        related="shopify_shop_id.tip_product_id", readonly=False, groups=MANAGER
    )
    shopify_custom_item_product_id = fields.Many2one(
        related="shopify_shop_id.custom_item_product_id", readonly=False, groups=MANAGER
    )
    shopify_gift_card_product_id = fields.Many2one(
        related="shopify_shop_id.gift_card_product_id", readonly=False, groups=MANAGER
    )
    shopify_duty_product_id = fields.Many2one(
        related="shopify_shop_id.duty_product_id", readonly=False, groups=MANAGER
    )
    shopify_fee_product_id = fields.Many2one(
        related="shopify_shop_id.fee_product_id", readonly=False, groups=MANAGER
    )


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "shopify.events.mixin"]

    def _shopify_events_domain(self):
        """The customer's own deliveries and those of its orders."""
        partners = self.with_context(active_test=False).search(
            [("id", "child_of", self.ids)]
        )
        customers = (
            self.env["shopify.customer.binding"]
            .sudo()
            .with_context(active_test=False)
            .search([("partner_id", "in", partners.ids)])
        )
        orders = (
            self.env["shopify.order.binding"]
            .sudo()
            .search([("sale_order_id.partner_id", "in", partners.ids)])
        )
        return [
            "|",
            "&",
            ("object_kind", "=", "customer"),
            ("object_id", "in", customers.mapped("shopify_id")),
            "&",
            ("object_kind", "=", "order"),
            ("object_id", "in", orders.mapped("shopify_id")),
        ]
