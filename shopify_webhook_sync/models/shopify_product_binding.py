"""Shopify product variants -> Odoo products, by mapping.

One binding per Shopify *variant*. A product webhook fetches the product fresh with all
its variants and binds each one to the Odoo product with the same Internal Reference
(SKU), else the same barcode, only when exactly one product matches. A variant that
matches nothing stays bound without a product and is listed under Shopify > Variants to
map; products are created in Odoo only when the shop's rule says so. Whatever maps a
variant (an operator picking the product, or a product getting the SKU or barcode) re-
queues the shop's objects that waited for a mapping.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..lib.queries import PRODUCT
from ..lib.webhook import gid_id, to_gid
from .shopify_access import MANAGER_GROUP, check_operator
from .shopify_shop import FIXES, NO_REQUEUE, SyncBlocked


class ShopifyProductBinding(models.Model):
    _name = "shopify.product.binding"
    _inherit = "shopify.binding"
    _description = "Shopify Product Variant"
    _order = "product_title, variant_position, id"

    product_id = fields.Many2one(
        "product.product",
        string="Odoo Product",
        ondelete="set null",
        index=True,
        check_company=True,
        help="The Odoo product this Shopify variant is sold as. Empty: the variant "
        "waits for a mapping, and so do the orders that sell it.",
    )
    active = fields.Boolean(default=True)
    product_gid = fields.Char(string="Shopify Product", index=True, readonly=True)
    product_title = fields.Char(readonly=True)
    variant_title = fields.Char(readonly=True)
    variant_position = fields.Integer(readonly=True)
    sku = fields.Char(string="SKU", readonly=True)
    barcode = fields.Char(readonly=True)
    price = fields.Float(readonly=True, digits="Product Price")
    inventory_item_gid = fields.Char(
        string="Shopify Inventory Item", index=True, readonly=True
    )
    needs_mapping = fields.Boolean(
        compute="_compute_needs_mapping", store=True, index=True
    )
    last_stock_error = fields.Text(
        readonly=True,
        help="Why the last stock update of this variant was refused by Shopify, or "
        "not sent (a Shopify location no warehouse is mapped to).",
    )
    last_stock_quantity = fields.Integer(readonly=True)
    last_stock_date = fields.Datetime(string="Last Stock Update", readonly=True)

    @api.depends("product_id", "active")
    def _compute_needs_mapping(self):
        for binding in self:
            binding.needs_mapping = binding.active and not binding.product_id

    @api.depends("product_title", "variant_title")
    def _compute_display_name(self):
        for binding in self:
            binding.display_name = _variant_label(binding)

    def write(self, vals):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            # Variants to map saving a user's pick: the one change a Shopify user may
            # make to a binding, through the method that checks it.
            if set(vals) != {"product_id"}:
                raise AccessError(
                    self.env._("Shopify users change only a variant's Odoo product.")
                )
            return self.action_map_product(vals["product_id"])
        result = super().write(vals)
        if vals.get("product_id") and not self.env.context.get(NO_REQUEUE):
            self.shop_id._shopify_requeue_blocked(FIXES["product"])
            self._shopify_enqueue_stock()
        return result

    def action_map_product(self, product_id: int):
        """Map these variants to an Odoo product (what a Shopify user may change on a
        binding): the product must be readable by the caller and belong to the shop's
        company or to none (check_company)."""
        check_operator(self)
        product = self.env["product.product"].browse(product_id)
        product.check_access("read")
        self.sudo().write({"product_id": product.id})
        return True

    # -- lookups other syncs use --

    @api.model
    def _shopify_product_for_variant(self, shop, variant_gid: str):
        """The Odoo product a Shopify variant (gid or numeric id) is mapped to, or an
        empty recordset: the order sync then tries the SKU and the barcode itself."""
        if not variant_gid:
            return self.env["product.product"]
        binding = self.sudo().search(
            [
                ("shop_id", "=", shop.id),
                ("shopify_id", "=", gid_id(str(variant_gid))),
                ("product_id", "!=", False),
            ],
            limit=1,
        )
        return binding.product_id.sudo(False)

    # -- sync (job) --

    @api.model
    def _shopify_import(self, shop, shopify_id: str):
        """Bind every variant of Shopify product ``shopify_id``; a deleted product's
        bindings are archived (never the Odoo products)."""
        binding_model = self.with_context(active_test=False, **{NO_REQUEUE: True})
        product_gid = to_gid("product", shopify_id)
        product, variants = binding_model._shopify_fetch(shop, product_gid)
        known = binding_model.search(
            [("shop_id", "=", shop.id), ("product_gid", "=", product_gid)]
        )
        if not product:
            known.filtered("active").active = False
            return self.browse()
        bindings = binding_model.browse()
        for position, variant in enumerate(variants, 1):
            bindings |= binding_model._shopify_upsert(shop, product, variant, position)
        (known - bindings).filtered("active").active = False
        missing = bindings.filtered(lambda b: not b.product_id)
        if missing:
            raise SyncBlocked(
                "needs_mapping",
                binding_model._shopify_mapping_message(product, missing),
                keep_changes=True,
                needs=[
                    {"kind": "variant", "variant": b.shopify_id, "sku": b.sku}
                    for b in missing
                ],
            )
        return bindings.product_id[:1]

    @api.model
    def _shopify_fetch(self, shop, product_gid: str) -> tuple[dict, list[dict]]:
        """The product and all its variants (paged: 250 a page); ({}, []) when Shopify
        no longer has it."""
        product, variants = shop._shopify_client().fetch_all(
            PRODUCT, {"id": product_gid}, ("product", "variants")
        )
        return product or {}, variants

    @api.model
    def _shopify_upsert(self, shop, product: dict, variant: dict, position: int):
        vals = {
            "active": True,
            "product_gid": product["id"],
            "product_title": product["title"],
            "variant_title": variant["title"],
            "variant_position": position,
            "sku": (variant.get("sku") or "").strip() or False,
            "barcode": (variant.get("barcode") or "").strip() or False,
            "price": float(variant.get("price") or 0.0),
            "inventory_item_gid": (variant.get("inventoryItem") or {}).get("id"),
        }
        binding = self._shopify_find(shop, variant["legacyResourceId"])
        if binding:
            changed = {k: v for k, v in vals.items() if binding[k] != v}
            if changed:
                binding.write(changed)
        else:
            binding = self.create(
                vals | {"shop_id": shop.id, "shopify_id": variant["legacyResourceId"]}
            )
        if not binding.product_id:
            product_id = binding._shopify_match_product()
            if not product_id and shop.create_products:
                product_id = binding._shopify_create_product()
            if product_id:
                binding.product_id = product_id
                binding._shopify_enqueue_stock()
        return binding

    def _shopify_candidates(self) -> dict:
        """{"sku": products, "barcode": products} of the binding's company."""
        Product = self.env["product.product"].with_context(active_test=True)
        company = [("company_id", "in", (False, self.shop_id.company_id.id))]
        return {
            key: self[key]
            and Product.search([(field, "=", self[key]), *company], limit=2)
            or Product
            for key, field in (("sku", "default_code"), ("barcode", "barcode"))
        }

    def _shopify_match_product(self):
        """The one Odoo product with the variant's SKU, else with its barcode; several
        matches are never guessed between."""
        self.ensure_one()
        for products in self._shopify_candidates().values():
            if len(products) == 1:
                return products
        return self.env["product.product"]

    def _shopify_create_product(self):
        """The shop's rule allows it: a storable product for a variant matching none."""
        self.ensure_one()
        return (
            self.env["product.product"]
            .with_company(self.shop_id.company_id)
            .create(
                {
                    "name": _variant_label(self),
                    "type": "consu",
                    "is_storable": True,
                    "default_code": self.sku,
                    "barcode": self.barcode,
                    "list_price": self.price,
                    "company_id": self.shop_id.company_id.id,
                }
            )
        )

    def _shopify_mapping_message(self, product: dict, missing) -> str:
        _ = self.env._
        lines = [
            _(
                "Shopify product '%(title)s' (%(gid)s): %(count)s variant(s) match no "
                "Odoo product.",
                title=product["title"],
                gid=product["id"],
                count=len(missing),
            )
        ]
        lines += [binding._shopify_missing_reason() for binding in missing]
        lines.append(
            _(
                "Fix: pick the Odoo product of each variant in Shopify > Variants to "
                "map, or give the Odoo product that Internal Reference (or barcode). "
                "The waiting events are retried when you save."
            )
        )
        return "\n".join(lines)

    def _shopify_missing_reason(self) -> str:
        _ = self.env._
        label = _("- '%(variant)s' (SKU %(sku)s, barcode %(barcode)s): ") % {
            "variant": _variant_label(self),
            "sku": self.sku or _("none"),
            "barcode": self.barcode or _("none"),
        }
        candidates = self._shopify_candidates()
        if not self.sku and not self.barcode:
            return label + _("no SKU nor barcode in Shopify.")
        if any(len(products) > 1 for products in candidates.values()):
            return label + _(
                "several Odoo products have this Internal Reference or barcode; keep "
                "it on one product only."
            )
        return label + _("no Odoo product has this Internal Reference or barcode.")

    def _shopify_enqueue_stock(self):
        """Odoo owns stock: a newly mapped variant gets Odoo's quantity in Shopify."""
        for binding in self.filtered(lambda b: b.product_id and b.inventory_item_gid):
            for location in binding.shop_id._shopify_location_mappings():
                binding.shop_id._shopify_enqueue_stock(
                    binding.inventory_item_gid, location.location_gid
                )


class ProductProduct(models.Model):
    _inherit = "product.product"

    @api.model_create_multi
    def create(self, vals_list):
        products = super().create(vals_list)
        # Read from the records: a SKU can come from a default (the event's Create
        # the Product button), not only from the values.
        if any(product.default_code or product.barcode for product in products):
            products._shopify_requeue_needs_mapping()
        return products

    def write(self, vals):
        result = super().write(vals)
        if vals.get("default_code") or vals.get("barcode"):
            self._shopify_requeue_needs_mapping()
        return result

    @api.model
    def _shopify_create_missing(self, company, need: dict):
        """The product an order line waits for (missing kind ``product``), as Shopify
        sold it: its title, the SKU as Internal Reference, its barcode and price, in
        ``company``. Refused when a product of that company, or a shared one, already
        has the SKU: the event only needs a retry then."""
        sku = need.get("sku")
        if not sku:
            raise UserError(self.env._("Shopify sent no SKU for this product."))
        if self.search_count(
            [("default_code", "=", sku), ("company_id", "in", (False, company.id))],
            limit=1,
        ):
            raise UserError(
                self.env._(
                    "A product with the Internal Reference %(sku)s exists already: "
                    "retry the event.",
                    sku=sku,
                )
            )
        return self.with_company(company).create(
            {
                "name": need.get("name") or sku,
                "default_code": sku,
                "barcode": need.get("barcode") or False,
                "list_price": need.get("price") or 0.0,
                "type": "consu",
                "sale_ok": True,
                "company_id": company.id,
            }
        )

    def _shopify_requeue_needs_mapping(self):
        """A product got the SKU or barcode a Shopify variant or order may wait for."""
        if self.env.context.get(NO_REQUEUE):
            return
        domain = []  # a product shared between companies concerns every shop
        if all(product.company_id for product in self):
            domain = [("company_id", "in", self.company_id.ids)]
        self.env["shopify.shop"].sudo().search(domain)._shopify_requeue_blocked(
            FIXES["product"]
        )


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    create_products = fields.Boolean(
        string="Create Missing Products",
        help="A Shopify variant that matches no Odoo product (by SKU, then barcode) "
        "creates one. Off (recommended): it waits in Variants to map.",
    )


def _variant_label(binding) -> str:
    title = binding.product_title or ""
    if binding.variant_title and binding.variant_title != "Default Title":
        title = f"{title} / {binding.variant_title}" if title else binding.variant_title
    return title or binding.shopify_id or ""
