"""Stock and fulfillment out: Odoo's stock and deliveries, pushed to Shopify by jobs."""

from contextlib import closing

from odoo import sql_db
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.client import ShopifyPermanentError
from .common import ORDER_GID, ShopifyCase

ITEM = "gid://shopify/InventoryItem/49148385"
LOCATION = "gid://shopify/Location/655441491"


def set_quantities_ok(fake, args):
    return {
        "inventoryAdjustmentGroup": {"id": "gid://shopify/InventoryAdjustmentGroup/1"},
        "userErrors": [],
    }


@tagged("post_install", "-at_install")
class TestStockOut(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.shop.company_id.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.shirt = cls.env["product.product"].create(
            {"name": "T-Shirt S", "default_code": "TS-S", "is_storable": True}
        )
        cls.binding = cls.env["shopify.product.binding"].create(
            {
                "shop_id": cls.shop.id,
                "shopify_id": "642667041472713922",
                "product_gid": "gid://shopify/Product/788032119674292922",
                "product_title": "Example T-Shirt",
                "variant_title": "Small",
                "sku": "TS-S",
                "inventory_item_gid": ITEM,
                "product_id": cls.shirt.id,
            }
        )
        cls.mapping = cls.env["shopify.location.mapping"].create(
            {
                "shop_id": cls.shop.id,
                "name": "Main warehouse",
                "location_gid": "655441491",
                "warehouse_id": cls.warehouse.id,
            }
        )

    def setUp(self):
        super().setUp()
        self.fake.mutation_handlers["inventorySetQuantities"] = set_quantities_ok
        self.run_jobs()  # the push enqueued when the location was mapped
        self.fake.reset()

    def stock_jobs(self):
        return self.jobs(states=("pending",)).filtered(
            lambda j: j.method_name == "_shopify_push_stock"
        )

    def add_stock(self, quantity):
        self.env["stock.quant"]._update_available_quantity(
            self.shirt, self.stock_location, quantity
        )

    def test_location_gid_is_normalized(self):
        self.assertEqual(self.mapping.location_gid, LOCATION)

    def test_a_push_waits_while_another_pushes_the_same_item(self):
        """Two pushes of one item and location never overlap: the later one (which
        reads the later quantity) retries until the running one is done."""
        item = "gid://shopify/InventoryItem/49148386"
        self.binding.copy(
            {"shopify_id": "642667041472713923", "inventory_item_gid": item}
        )
        key = f"shopify:{self.shop.id}:stock:49148386:655441491"
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as running:
            running.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [key])
            with self.assertRaisesRegex(RetryableJobError, "another job"):
                self.shop._shopify_push_stock(item, LOCATION)
            running.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])
        self.assertEqual(self.fake.mutations, [])
        self.shop._shopify_push_stock(item, LOCATION)
        self.assertEqual(len(self.fake.mutations), 1)

    def test_burst_of_changes_is_one_job_and_one_mutation_with_final_quantity(self):
        for _i in range(10):
            self.add_stock(3)
        self.add_stock(-2)
        self.assertEqual(len(self.stock_jobs()), 1)
        self.run_jobs()
        self.assertEqual(len(self.fake.mutations), 1)
        name, args = self.fake.mutations[0]
        self.assertEqual(name, "inventorySetQuantities")
        self.assertEqual(args["input"]["name"], "available")
        self.assertEqual(args["input"]["reason"], "correction")
        self.assertEqual(
            args["input"]["quantities"],
            [
                {
                    "inventoryItemId": ITEM,
                    "locationId": LOCATION,
                    "quantity": 28,
                    "changeFromQuantity": None,
                }
            ],
        )
        self.assertTrue(self.fake.requests[0]["variables"]["key"], "idempotency key")
        self.assertRecordValues(
            self.binding, [{"last_stock_quantity": 28, "last_stock_error": False}]
        )

    def test_reserved_stock_is_not_available(self):
        self.add_stock(5)
        self.env["stock.quant"]._update_reserved_quantity(
            self.shirt, self.stock_location, 2
        )
        self.run_jobs()
        self.assertEqual(
            self.fake.mutations[-1][1]["input"]["quantities"][0]["quantity"], 3
        )

    def test_unmapped_warehouse_pushes_nothing(self):
        other = self.env["stock.warehouse"].create(
            {"name": "Other", "code": "OTH", "company_id": self.shop.company_id.id}
        )
        self.env["stock.quant"]._update_available_quantity(
            self.shirt, other.lot_stock_id, 4
        )
        self.assertFalse(self.stock_jobs())

    def test_refusal_fails_the_job_and_shows_on_the_variant(self):
        def refuse(fake, args):
            return {
                "inventoryAdjustmentGroup": None,
                "userErrors": [
                    {
                        "field": ["input", "quantities", "0", "locationId"],
                        "message": "The specified location could not be found.",
                        "code": "INVALID_LOCATION",
                    }
                ],
            }

        self.fake.mutation_handlers["inventorySetQuantities"] = refuse
        self.add_stock(1)
        job = self.stock_jobs()
        self.assertEqual(job.job_function_id.on_fail_method, "_shopify_on_stock_failed")
        self.assertEqual(job.channel, "root.shopify")
        shop = self.shop.with_context(**job.records.env.context)
        with self.assertRaisesRegex(ShopifyPermanentError, "could not be found"):
            shop._shopify_push_stock(ITEM, LOCATION)
        shop._shopify_on_stock_failed(exc_message="Shopify refused the change")
        self.assertIn("Shopify refused the change", self.binding.last_stock_error)


def fulfil(fake, args):
    """fulfillmentCreate as Shopify does it: the fulfilled quantities leave the
    fulfillment order lines' remaining quantity."""
    items = {}
    for order in fake.objects[ORDER_GID]["fulfillmentOrders"]["nodes"]:
        items.update({item["id"]: item for item in order["lineItems"]["nodes"]})
    for group in args["fulfillment"]["lineItemsByFulfillmentOrder"]:
        for line in group["fulfillmentOrderLineItems"]:
            items[line["id"]]["remainingQuantity"] -= line["quantity"]
    number = len(fake.mutations)
    return {
        "fulfillment": {
            "id": f"gid://shopify/Fulfillment/{number}",
            "status": "SUCCESS",
        },
        "userErrors": [],
    }


@tagged("post_install", "-at_install")
class TestFulfillmentOut(ShopifyCase):
    def setUp(self):
        super().setUp()
        order = self.fake.objects[ORDER_GID]
        order["fulfillmentOrders"] = {
            "nodes": [
                {
                    "id": "gid://shopify/FulfillmentOrder/1",
                    "status": "OPEN",
                    "assignedLocation": {"location": {"id": LOCATION}},
                    "lineItems": {
                        "nodes": [
                            {
                                "id": f"gid://shopify/FulfillmentOrderLineItem/{i}",
                                "remainingQuantity": line["currentQuantity"],
                                "lineItem": {"id": line["id"]},
                            }
                            for i, line in enumerate(order["lineItems"]["nodes"], 1)
                        ]
                    },
                }
            ]
        }
        self.fake.mutation_handlers["fulfillmentCreate"] = fulfil
        self.assertEqual(self.deliver("orders/create").status_code, 200)
        self.run_jobs()
        self.picking = self.sale_orders().picking_ids
        self.assertEqual(len(self.picking), 1)

    def validate(self, picking, quantities: dict):
        """Deliver ``quantities`` (SKU -> qty) and keep the rest as a backorder."""
        for move in picking.move_ids:
            move.quantity = quantities.get(move.product_id.default_code, 0)
            move.picked = True
        action = picking.button_validate()
        if isinstance(action, dict):
            wizard = self.env[action["res_model"]].with_context(**action["context"])
            wizard.create({}).process()

    def test_partial_delivery_fulfils_only_delivered_lines_once(self):
        self.validate(self.picking, {"SKU2006-001": 1})
        self.assertEqual(self.picking.state, "done")
        self.run_jobs()
        self.assertEqual(len(self.fake.mutations), 1)
        name, args = self.fake.mutations[0]
        self.assertEqual(name, "fulfillmentCreate")
        self.assertEqual(
            args["fulfillment"]["lineItemsByFulfillmentOrder"],
            [
                {
                    "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1",
                    "fulfillmentOrderLineItems": [
                        {
                            "id": "gid://shopify/FulfillmentOrderLineItem/1",
                            "quantity": 1,
                        }
                    ],
                }
            ],
        )
        self.assertEqual(
            self.picking.shopify_fulfillment_gid, "gid://shopify/Fulfillment/1"
        )
        self.shop._shopify_push_fulfillment(self.picking.id)  # run again: no-op
        self.assertEqual(len(self.fake.mutations), 1, "never fulfilled twice")

    def test_a_delivery_shopify_holds_says_so_on_the_delivery(self):
        fulfillment_order = self.fake.objects[ORDER_GID]["fulfillmentOrders"]["nodes"]
        fulfillment_order[0]["status"] = "ON_HOLD"
        self.validate(self.picking, {"SKU2006-001": 1})
        self.run_jobs()
        self.assertFalse(self.fake.mutations, "Shopify takes no fulfillment of it")
        self.assertFalse(self.picking.shopify_fulfillment_gid)
        self.assertIn("ON_HOLD", self.picking.shopify_fulfillment_error)
        self.assertIn(
            "Release the fulfillment order", self.picking.shopify_fulfillment_error
        )
        # already fulfilled in Shopify (nothing left, nothing held): no error
        fulfillment_order[0]["status"] = "CLOSED"
        self.picking.shopify_fulfillment_error = False
        self.shop._shopify_push_fulfillment(self.picking.id)
        self.assertFalse(self.picking.shopify_fulfillment_error)

    def test_tracking_number_and_carrier_go_with_the_fulfillment(self):
        carrier = self.env["delivery.carrier"].create(
            {
                "name": "UPS Ground",
                "product_id": self.shipping_product.id,
                "delivery_type": "fixed",
            }
        )
        self.picking.write(
            {"carrier_id": carrier.id, "carrier_tracking_ref": "1Z999AA1"}
        )
        self.validate(self.picking, {"SKU2006-001": 1})
        self.run_jobs()
        _name, args = self.fake.mutations[0]
        self.assertEqual(
            args["fulfillment"]["trackingInfo"],
            {"number": "1Z999AA1", "company": "UPS Ground"},
        )

    def test_backorder_fulfils_the_rest(self):
        self.validate(self.picking, {"SKU2006-001": 1})
        self.run_jobs()
        backorder = self.sale_orders().picking_ids - self.picking
        self.validate(
            backorder, {m.product_id.default_code: 1 for m in backorder.move_ids}
        )
        self.run_jobs()
        self.assertEqual(len(self.fake.mutations), 2)
        fulfilled = self.fake.mutations[1][1]["fulfillment"][
            "lineItemsByFulfillmentOrder"
        ]
        self.assertEqual(
            [item["id"] for item in fulfilled[0]["fulfillmentOrderLineItems"]],
            [f"gid://shopify/FulfillmentOrderLineItem/{i}" for i in range(2, 6)],
        )
        self.assertEqual(
            backorder.shopify_fulfillment_gid, "gid://shopify/Fulfillment/2"
        )

    def test_refusal_fails_the_job_and_shows_on_the_delivery(self):
        self.fake.mutation_handlers["fulfillmentCreate"] = lambda fake, args: {
            "fulfillment": None,
            "userErrors": [{"field": ["fulfillment"], "message": "Order is on hold."}],
        }
        self.validate(self.picking, {"SKU2006-001": 1})
        job = self.jobs(states=("pending",))
        self.assertEqual(
            job.job_function_id.on_fail_method, "_shopify_on_fulfillment_failed"
        )
        shop = self.shop.with_context(**job.records.env.context)
        with self.assertRaisesRegex(ShopifyPermanentError, "on hold"):
            shop._shopify_push_fulfillment(self.picking.id)
        self.assertFalse(self.picking.shopify_fulfillment_gid)
        shop._shopify_on_fulfillment_failed(exc_message="Shopify refused the change")
        self.assertEqual(
            self.picking.shopify_fulfillment_error, "Shopify refused the change"
        )

    def test_every_fulfillment_order_line_page_is_read(self):
        """A fulfillment order can hold more lines than one page (250)."""
        order = self.fake.objects[ORDER_GID]["fulfillmentOrders"]["nodes"][0]
        item = order["lineItems"]["nodes"][0]
        order["lineItems"]["nodes"] = [
            dict(item, id=f"gid://shopify/FulfillmentOrderLineItem/{n}")
            for n in range(1, 301)
        ]
        self.fake.add(order)  # Shopify answers fulfillmentOrder(id:) too
        self.fake.reset()
        orders = self.shop._shopify_fulfillment_orders(ORDER_GID.rsplit("/", 1)[1])
        self.assertEqual(
            [n["id"] for n in orders[0]["lineItems"]["nodes"]],
            [f"gid://shopify/FulfillmentOrderLineItem/{n}" for n in range(1, 301)],
        )
        self.assertEqual(len(self.fake.requests), 3, "25 lines, then 250, then 25")
