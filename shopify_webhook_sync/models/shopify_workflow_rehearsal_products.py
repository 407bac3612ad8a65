"""Launch rehearsal of the products workflow.

Products come by mapping: a Shopify variant is bound to the Odoo product whose
Internal Reference is its SKU (else whose barcode is its barcode); Odoo never creates
products in Shopify, and the sync creates no Odoo product while the shop's *Create
Missing Products* is off. So each scenario creates a *draft* product in Shopify
(``productSet``: never shown to customers, tagged ``odoo-rehearsal``) whose variants
carry the scenario's SKUs, records its signed ``products/create`` delivery through the
webhook's own receiving code, and the real product job fetches it and binds (or does
not bind) its variants. The outcome follows that event and the bindings it left:

- normal: one variant, SKU = the rehearsal product's Internal Reference: bound to it;
- edge: two variants, each the Internal Reference of a different Odoo product (sizes
  sold as separate products), both bound; or a variant without SKU whose barcode is
  the rehearsal product's: bound by its barcode;
- controlled failure: a SKU no Odoo product has: the event stops "needs mapping" with
  the variant named, and nothing is created in Odoo.

Remove deletes the Shopify product and the rehearsal's variant bindings; the Odoo
products themselves are never touched.
"""

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..lib.queries import REHEARSAL_PRODUCT_DELETE, REHEARSAL_PRODUCT_SET
from .shopify_workflow_rehearsal import MISSING_SKU, REHEARSAL_TAG

# The one option of a rehearsal product; each variant's value is its SKU or barcode.
OPTION = "Reference"


class ShopifyWorkflowRehearsal(models.Model):
    _inherit = "shopify.workflow.rehearsal"  # pylint: disable=consider-merging-classes-inherited

    shopify_product_gid = fields.Char(string="Shopify Product", readonly=True)
    shopify_product_title = fields.Char(readonly=True)
    variant_product_ids = fields.Many2many(
        "product.product",
        "shopify_rehearsal_variant_product_rel",
        "rehearsal_id",
        "product_id",
        string="Expected Odoo Products",
        readonly=True,
        help="Products: the Odoo products the rehearsal product's variants must be "
        "bound to (none for the controlled failure).",
    )

    def _shopify_expectations(self) -> dict:
        _ = self.env._
        return super()._shopify_expectations() | {
            "products": (
                _("Each variant bound to the Odoo product of its SKU (or barcode)"),
                _("Stops with the variant to map, no Odoo product created"),
            )
        }

    @api.depends("shopify_order_name", "shopify_product_title")
    def _compute_shopify_name(self):
        result = super()._compute_shopify_name()
        for rehearsal in self.filtered("shopify_product_title"):
            rehearsal.shopify_name = rehearsal.shopify_product_title
        return result

    @api.depends("error", "event_id.state")
    def _compute_outcome(self):
        """Products: the event's state is not enough; a passed run left each variant
        bound to its expected product (the failure: none bound)."""
        result = super()._compute_outcome()
        for rehearsal in self.filtered(
            lambda r: r.flow == "products" and r.outcome == "passed"
        ):
            bindings = rehearsal._shopify_variant_bindings()
            expected = rehearsal.variant_product_ids
            unbound = bindings.filtered(lambda b: not b.product_id)
            if not bindings or bindings.product_id != expected or expected and unbound:
                rehearsal.outcome = "failed"
        return result

    def _shopify_variant_bindings(self):
        """The Odoo bindings of the rehearsal product's variants."""
        Binding = self.env["shopify.product.binding"].sudo()
        if not self.shopify_product_gid:
            return Binding
        return Binding.with_context(active_test=False).search(
            [
                ("shop_id", "=", self.shop_id.id),
                ("product_gid", "=", self.shopify_product_gid),
            ]
        )

    # -- running (job) --

    def _shopify_run_products(self):
        """Create the draft Shopify product, then record its delivery (the product
        job it enqueues binds its variants)."""
        product = self._shopify_create_product()
        if not product:
            return self.error
        variants = product["variants"]["nodes"]
        self.event_id = self._shopify_deliver(
            "products/create",
            {
                "id": int(product["legacyResourceId"]),
                "title": product["title"],
                "status": "draft",
                "tags": REHEARSAL_TAG,
                "variants": [
                    {
                        "id": int(v["legacyResourceId"]),
                        "sku": v["sku"],
                        "barcode": v["barcode"],
                    }
                    for v in variants
                ],
            },
            ("product", product["legacyResourceId"]),
        )
        return f"rehearsal product {product['title']}: event {self.event_id.id}"

    def _shopify_create_product(self) -> dict | None:
        """The draft Shopify product (None: refused, the reason recorded)."""
        variants, expected = self._shopify_product_variants()
        values = [variant["optionValues"][0]["name"] for variant in variants]
        payload = self._shopify_mutate(
            REHEARSAL_PRODUCT_SET,
            {
                "input": {
                    "title": self.env._(
                        "Launch rehearsal from Odoo: %s", self.display_name
                    ),
                    "status": "DRAFT",
                    "tags": [REHEARSAL_TAG],
                    "productOptions": [
                        {"name": OPTION, "values": [{"name": v} for v in values]}
                    ],
                    "variants": variants,
                }
            },
            "productSet",
            lambda error: self.env._(
                "Shopify refused the rehearsal product (the app needs the "
                "write_products scope to rehearse): %(error)s",
                error=error,
            ),
        )
        if payload is None:
            return None
        product = payload["product"]
        self.write(
            {
                "shopify_product_gid": product["id"],
                "shopify_product_title": product["title"],
                "variant_product_ids": [Command.set(expected.ids)],
            }
        )
        return product

    def _shopify_product_variants(self):
        """The scenario's variants and the Odoo products they must be bound to."""
        workflow = self.workflow_id
        product = workflow._shopify_rehearsal_product()
        if self.scenario == "failure":
            return [self._shopify_variant(product, sku=MISSING_SKU)], product.browse()
        if self.scenario == "edge" and self.edge_case == "product_barcode":
            return [self._shopify_variant(product, barcode=product.barcode)], product
        if self.scenario == "edge":
            products = product | workflow._shopify_rehearsal_second_product()
            return [self._shopify_variant(p, sku=p.default_code) for p in products], (
                products
            )
        return [self._shopify_variant(product, sku=product.default_code)], product

    def _shopify_variant(self, product, sku=None, barcode=None) -> dict:
        """A variant at ``product``'s price, its option value its SKU (or barcode)."""
        variant = {
            "optionValues": [{"optionName": OPTION, "name": sku or barcode}],
            "price": f"{product.lst_price or 10.0:.2f}",
        }
        if sku:
            variant["sku"] = sku
        if barcode:
            variant["barcode"] = barcode
        return variant

    # -- afterwards --

    def _shopify_remove_products(self):
        """Delete the Shopify product, then the bindings of its variants; the Odoo
        products they were bound to stay as they are."""
        if self.shopify_product_gid:
            self._shopify_mutate(
                REHEARSAL_PRODUCT_DELETE,
                {"id": self.shopify_product_gid},
                "productDelete",
                lambda error: self.env._(
                    "The Shopify product %(product)s could not be deleted (delete "
                    "it in Shopify): %(error)s",
                    product=self.shopify_product_title,
                    error=error,
                ),
            )
        self._shopify_variant_bindings().unlink()


class ShopifyWorkflow(models.Model):
    _inherit = "shopify.workflow"  # pylint: disable=consider-merging-classes-inherited

    def _shopify_check_rehearsal_products(self, scenario: str):
        """The rehearsal product, active (the sync matches active products only: an
        archived one would leave its variant waiting, or have the shop create a
        product); the edge case's second product or barcode; the failure only while
        the shop creates no missing product (else it would)."""
        product = self._shopify_rehearsal_product()
        if not product.active:
            raise UserError(
                self.env._(
                    "The Rehearsal Product %(product)s is archived: the sync binds "
                    "variants to active products only. Choose an active one.",
                    product=product.display_name,
                )
            )
        if scenario == "failure" and self.shop_id.create_products:
            raise UserError(
                self.env._(
                    "The shop creates the Odoo products that Shopify variants miss "
                    "(Create Missing Products): the controlled failure would create "
                    "one. Turn it off to rehearse the failure."
                )
            )
        if scenario != "edge":
            return
        if self.rehearsal_edge_case == "product_two_variants":
            self._shopify_rehearsal_second_product()
        elif not product.barcode:
            raise UserError(
                self.env._(
                    "Give the Rehearsal Product %(product)s a barcode: the edge case "
                    "matches a variant without SKU by its barcode.",
                    product=product.display_name,
                )
            )

    def _shopify_rehearsal_second_product(self):
        """The two-variant edge case's second product: another product whose
        Internal Reference is its own (the sync never guesses between two products
        of one reference)."""
        self.ensure_one()
        product = self._shopify_rehearsal_product()
        Product = self.env["product.product"]
        company = [("company_id", "in", (False, self.company_id.id))]
        candidates = Product.search(
            [
                ("default_code", "!=", False),
                ("default_code", "!=", product.default_code),
                ("sale_ok", "=", True),
                *company,
            ],
            order="id",
            limit=20,
        )
        for other in candidates:
            code = [("default_code", "=", other.default_code), *company]
            if Product.search_count(code) == 1:
                return other
        raise UserError(
            self.env._(
                "The two-variant edge case needs a second product with an Internal "
                "Reference of its own, besides %(product)s.",
                product=product.display_name,
            )
        )
