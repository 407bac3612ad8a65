"""Stock out: Odoo owns stock, Shopify shows it.

Any change of a quant (a validated transfer, an inventory adjustment, a reservation)
of a product sold on Shopify, in a warehouse mapped to a Shopify location, enqueues one
job per (shop, inventory item, location). The identity key coalesces a burst of changes
into that one pending job, and the job reads Odoo's quantity when it runs: the last
value wins, whatever the order the changes were made in.

The quantity pushed is the warehouse's free quantity (on hand minus reserved). Shopify's
"available" excludes the quantity committed to unfulfilled orders; Odoo reserves that
same quantity on the orders' deliveries, so on hand would count it twice.

A push to a Shopify location no warehouse is mapped to (e.g. its mapping deleted while
the push waited) sets nothing and says so on the variants: Shopify's figure there is no
longer Odoo's.
"""

import math
import uuid

from odoo import api, fields, models

from ..lib.client import ShopifyTransientError, user_errors
from ..lib.queries import INVENTORY_SET_QUANTITIES
from ..lib.webhook import gid_id
from .shopify_shop import retryable

STOCK_CONTEXT = "shopify_stock"  # "<inventory item gid> <location gid>" of a stock job


class ShopifyShop(models.Model):
    # one file per concern (stock, fulfillment, privacy, products), as the bindings
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    location_mapping_ids = fields.One2many(
        "shopify.location.mapping", "shop_id", string="Locations"
    )

    def _shopify_location_mappings(self):
        return (
            self.env["shopify.location.mapping"]
            .sudo()
            .search([("shop_id", "in", self.ids)])
        )

    def _job_prepare_context_before_enqueue_keys(self):
        # on_fail is given the job's recordset only: the context says which variant.
        return (*super()._job_prepare_context_before_enqueue_keys(), STOCK_CONTEXT)

    def _shopify_enqueue_stock(self, item_gid: str, location_gid: str):
        """One pending job per (shop, inventory item, location), however many changes
        come before it runs."""
        self.ensure_one()
        key = f"{self.id}:stock:{gid_id(item_gid)}:{gid_id(location_gid)}"
        return (
            self.with_company(self.company_id)
            .with_context(**{STOCK_CONTEXT: f"{item_gid} {location_gid}"})
            .with_delay(
                identity_key=key,
                max_retries=self._shopify_max_retries("stock"),
                description=f"Shopify {self.shop_domain}: stock of {item_gid} at "
                f"{location_gid}",
            )
            ._shopify_push_stock(item_gid, location_gid)
        )

    def _shopify_push_stock(self, item_gid: str, location_gid: str):
        """Job: set Shopify's available quantity of one item at one location to Odoo's
        current free quantity in the mapped warehouse."""
        self.ensure_one()
        # One push per item and location at a time: a job reading the quantity later
        # always sends it later, so Shopify ends with Odoo's latest quantity.
        self._shopify_lock("stock", f"{gid_id(item_gid)}:{gid_id(location_gid)}")
        bindings, warehouse = self._shopify_stock_targets(item_gid, location_gid)
        if not bindings:
            return "no variant of this item any more: nothing to do"
        if not warehouse:
            # A missing mapping is a business outcome: the job ends, not silently:
            # the reason goes on the variants, where a refusal's goes too.
            reason = self.env._(
                "No Odoo warehouse is mapped to the Shopify location %(location)s, so "
                "its available quantity was not set: map it to a warehouse in Shopify "
                "> Configuration > Locations (mapping it sends Odoo's quantity).",
                location=location_gid,
            )
            bindings.write({"last_stock_error": f"{location_gid}: {reason}"})
            return reason
        quantity = self._shopify_free_quantity(bindings.product_id[:1], warehouse)
        try:
            data = self._shopify_client().query(
                INVENTORY_SET_QUANTITIES,
                {
                    "input": {
                        "name": "available",
                        "reason": "correction",
                        "referenceDocumentUri": f"gid://odoo/StockWarehouse/{warehouse.id}",
                        "quantities": [
                            {
                                "inventoryItemId": item_gid,
                                "locationId": location_gid,
                                "quantity": quantity,
                                "changeFromQuantity": None,
                            }
                        ],
                    },
                    "key": self._shopify_idempotency_key(
                        item_gid, location_gid, quantity
                    ),
                },
            )
        except ShopifyTransientError as exc:
            raise retryable(exc, self._shopify_retry_seconds("stock")) from exc
        user_errors(data.get("inventorySetQuantities") or {})
        bindings.write(
            {
                "last_stock_quantity": quantity,
                "last_stock_date": fields.Datetime.now(),
                "last_stock_error": False,
            }
        )
        return f"{item_gid} at {location_gid}: available = {quantity}"

    def _shopify_stock_targets(self, item_gid: str, location_gid: str):
        bindings = (
            self.env["shopify.product.binding"]
            .sudo()
            .search(
                [
                    ("shop_id", "=", self.id),
                    ("inventory_item_gid", "=", item_gid),
                    ("product_id", "!=", False),
                ]
            )
        )
        mapping = self._shopify_location_mappings().filtered(
            lambda m: m.location_gid == location_gid
        )
        return bindings, mapping.warehouse_id

    @api.model
    def _shopify_free_quantity(self, product, warehouse) -> int:
        """Whole units free to sell; a fraction of a unit cannot be sold."""
        free = product.sudo().with_context(warehouse_id=warehouse.id).free_qty
        return math.floor(free + 1e-9)

    def _shopify_idempotency_key(self, item_gid, location_gid, quantity) -> str:
        """Same job, same quantity: same key, so a request retried after a timeout is
        applied once; a new quantity is a new request."""
        job_uuid = self.env.context.get("job_uuid") or str(uuid.uuid4())
        return str(
            uuid.uuid5(
                uuid.NAMESPACE_URL, f"{job_uuid}|{item_gid}|{location_gid}|{quantity}"
            )
        )

    def _shopify_on_stock_failed(self, exc_info=None, exc_name=None, exc_message=None):
        """on_fail of the stock job (own cursor, after the rollback): the reason goes on
        the variants, where the Variants list shows it."""
        item_gid, _sep, location_gid = (
            self.env.context.get(STOCK_CONTEXT) or ""
        ).partition(" ")
        if not item_gid:
            return
        bindings, _warehouse = self._shopify_stock_targets(item_gid, location_gid)
        bindings.write(
            {"last_stock_error": f"{location_gid}: {exc_message or exc_name}"}
        )


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model_create_multi
    def create(self, vals_list):
        quants = super().create(vals_list)
        quants._shopify_stock_changed()
        return quants

    def write(self, vals):
        result = super().write(vals)
        if {"quantity", "reserved_quantity", "location_id", "product_id"} & set(vals):
            self._shopify_stock_changed()
        return result

    def _shopify_stock_changed(self):
        """Enqueue the stock push of the Shopify variants sold as these quants'
        products, for each Shopify location mapped to the quants' warehouses."""
        warehouses = self.location_id.warehouse_id
        if not warehouses:
            return
        bindings = (
            self.env["shopify.product.binding"]
            .sudo()
            .search(
                [
                    ("product_id", "in", self.product_id.ids),
                    ("inventory_item_gid", "!=", False),
                ]
            )
        )
        if not bindings:
            return
        mappings = bindings.shop_id._shopify_location_mappings().filtered(
            lambda m: m.warehouse_id in warehouses
        )
        for binding in bindings:
            shop = binding.shop_id
            for mapping in mappings:
                if mapping.shop_id == shop:
                    shop._shopify_enqueue_stock(
                        binding.inventory_item_gid, mapping.location_gid
                    )
