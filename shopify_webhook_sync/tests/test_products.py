"""Products by mapping: Shopify variants bound to Odoo products by SKU, then barcode;
what cannot be matched waits in Variants to map, and mapping it re-queues the event."""

import copy

from odoo.tests import tagged

from .common import ShopifyCase, fixture

PRODUCT_ID = "788032119674292922"
PRODUCT_GID = f"gid://shopify/Product/{PRODUCT_ID}"
SMALL, MEDIUM = "642667041472713922", "757650484644203962"


@tagged("post_install", "-at_install")
class TestProducts(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_data = fixture(f"graphql/product_{PRODUCT_ID}.json")
        cls.tshirt_s, cls.tshirt_m = cls.env["product.product"].create(
            [
                {"name": "T-Shirt S", "default_code": "TS-S", "type": "consu"},
                {"name": "T-Shirt M", "barcode": "4006381333931", "type": "consu"},
            ]
        )

    def setUp(self):
        super().setUp()
        self.fake.add(copy.deepcopy(self.product_data))

    def variants(self):
        return self.fake.objects[PRODUCT_GID]["variants"]["nodes"]

    def sync(self, topic="products/create"):
        self.assertEqual(self.deliver(topic).status_code, 200)
        return self.run_jobs()

    def bindings(self, **extra):
        Binding = self.env["shopify.product.binding"].with_context(**extra)
        return Binding.search([("shop_id", "=", self.shop.id)])

    def product_events(self):
        return self.events().filtered(lambda e: e.object_kind == "product")

    def test_published_product_without_skus_waits_for_mapping(self):
        """The published example has no SKU nor barcode: nothing is guessed, both
        variants are bound without a product and the event says what to do."""
        products_before = self.env["product.product"].search_count([])
        job = self.sync()
        self.assertEqual(job.state, "done", "a business outcome does not fail the job")
        bindings = self.bindings()
        self.assertRecordValues(
            bindings,
            [
                {
                    "shopify_id": SMALL,
                    "product_title": "Example T-Shirt",
                    "variant_title": "Small",
                    "product_id": False,
                    "needs_mapping": True,
                    "inventory_item_gid": "gid://shopify/InventoryItem/49148385",
                },
                {
                    "shopify_id": MEDIUM,
                    "product_title": "Example T-Shirt",
                    "variant_title": "Medium",
                    "product_id": False,
                    "needs_mapping": True,
                    "inventory_item_gid": "gid://shopify/InventoryItem/49148386",
                },
            ],
        )
        event = self.product_events()
        self.assertEqual(event.state, "needs_mapping")
        self.assertIn(
            "'Example T-Shirt / Small' (SKU none, barcode none)", event.error_message
        )
        self.assertIn("'Example T-Shirt / Medium'", event.error_message)
        self.assertIn("Variants to map", event.error_message)
        self.assertEqual(self.env["product.product"].search_count([]), products_before)
        to_map = self.env["shopify.product.binding"].search(
            [("needs_mapping", "=", True), ("shop_id", "=", self.shop.id)]
        )
        self.assertEqual(to_map, bindings)

    def test_matched_by_sku_then_barcode(self):
        self.variants()[0]["sku"] = "TS-S"
        self.variants()[1]["barcode"] = "4006381333931"
        self.sync()
        self.assertEqual(
            self.bindings().mapped("product_id"), self.tshirt_s | self.tshirt_m
        )
        self.assertEqual(self.product_events().state, "done")
        Binding = self.env["shopify.product.binding"]
        self.assertEqual(
            Binding._shopify_product_for_variant(
                self.shop, f"gid://shopify/ProductVariant/{MEDIUM}"
            ),
            self.tshirt_m,
        )
        self.assertFalse(
            Binding._shopify_product_for_variant(
                self.shop, "gid://shopify/ProductVariant/1"
            )
        )

    def test_several_products_with_the_sku_are_not_guessed(self):
        self.env["product.product"].create(
            {"name": "Another T-Shirt S", "default_code": "TS-S", "type": "consu"}
        )
        self.variants()[0]["sku"] = "TS-S"
        self.sync()
        small = self.bindings().filtered(lambda b: b.shopify_id == SMALL)
        self.assertFalse(small.product_id)
        event = self.product_events()
        self.assertEqual(event.state, "needs_mapping")
        self.assertIn("several Odoo products", event.error_message)

    def test_operator_mapping_requeues_and_settles_the_event(self):
        self.sync()
        event = self.product_events()
        small, medium = self.bindings()
        small.product_id = self.tshirt_s
        self.assertEqual(event.state, "queued", "mapping a variant re-queues the event")
        self.run_jobs()
        self.assertEqual(event.state, "needs_mapping", "Medium still has no product")
        self.assertNotIn("Small", event.error_message)
        medium.product_id = self.tshirt_m
        self.assertEqual(len(self.jobs(states=("pending",))), 1, "one job per object")
        self.run_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(small.product_id, self.tshirt_s, "a mapping is never undone")

    def test_giving_a_product_the_sku_requeues(self):
        self.variants()[0]["sku"] = "TS-NEW-S"
        self.variants()[1]["sku"] = "TS-NEW-M"
        self.sync()
        event = self.product_events()
        self.tshirt_s.default_code = "TS-NEW-S"
        self.env["product.product"].create(
            {"name": "T-Shirt M (new)", "default_code": "TS-NEW-M", "type": "consu"}
        )
        self.assertEqual(event.state, "queued")
        self.run_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(
            self.bindings().mapped("product_id.default_code"), ["TS-NEW-S", "TS-NEW-M"]
        )

    def test_create_products_rule(self):
        self.shop.create_products = True
        self.variants()[0]["sku"] = "TS-S"  # matches: not created
        self.variants()[1]["sku"] = "EX-TS-M"
        self.variants()[1]["barcode"] = "5901234123457"
        self.sync()
        self.assertEqual(self.product_events().state, "done")
        small, medium = self.bindings()
        self.assertEqual(small.product_id, self.tshirt_s)
        self.assertRecordValues(
            medium.product_id,
            [
                {
                    "name": "Example T-Shirt / Medium",
                    "default_code": "EX-TS-M",
                    "barcode": "5901234123457",
                    "list_price": 19.99,
                    "type": "consu",
                }
            ],
        )

    def test_update_rebinds_renamed_and_removed_variants(self):
        self.variants()[0]["sku"] = "TS-S"
        self.variants()[1]["barcode"] = "4006381333931"
        self.sync()
        self.variants()[0]["title"] = "S"
        del self.variants()[1]
        self.sync("products/update")
        bindings = self.bindings(active_test=False)
        self.assertEqual(len(bindings), 2, "one binding per variant, never a second")
        self.assertRecordValues(
            bindings,
            [
                {"variant_title": "S", "active": True},
                {"variant_title": "Medium", "active": False},
            ],
        )

    def test_delete_archives_bindings_never_the_products(self):
        self.variants()[0]["sku"] = "TS-S"
        self.variants()[1]["barcode"] = "4006381333931"
        self.sync()
        del self.fake.objects[PRODUCT_GID]  # Shopify no longer has it
        self.sync("products/delete")
        self.assertFalse(self.bindings())
        self.assertEqual(len(self.bindings(active_test=False)), 2)
        self.assertTrue(self.tshirt_s.active and self.tshirt_m.active)
        self.assertEqual(set(self.product_events().mapped("state")), {"done"})

    def test_every_variant_page_is_bound(self):
        """A product can have more variants than one page (250) holds."""
        template = self.variants()[0]
        self.fake.objects[PRODUCT_GID]["variants"]["nodes"] = [
            dict(
                template,
                id=f"gid://shopify/ProductVariant/{9000 + i}",
                legacyResourceId=str(9000 + i),
                title=f"Size {i}",
                inventoryItem={"id": f"gid://shopify/InventoryItem/{7000 + i}"},
            )
            for i in range(260)
        ]
        self.sync()
        self.assertEqual(len(self.bindings()), 260)
        self.assertEqual(len(self.fake.requests), 2)
