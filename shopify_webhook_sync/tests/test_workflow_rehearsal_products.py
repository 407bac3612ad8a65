"""Launch rehearsal of the products workflow: a draft Shopify product (productSet)
whose variants' SKUs are Odoo Internal References, its products/create delivery
recorded and synced by the real product job: normal (one variant bound to the
rehearsal product), edge (two variants bound to two products, or a variant without
SKU bound by its barcode), controlled failure (a SKU no product has: needs mapping,
nothing created in Odoo); Remove deletes the Shopify product and the bindings, never
the Odoo products."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.shopify_workflow_rehearsal import MISSING_SKU, REHEARSAL_TAG
from .test_workflow_rehearsal import RehearsalCase, assert_refused, note_html

FIRST_PRODUCT = 9001


def _product_set(fake, args):
    """Shopify's productSet (synchronous): the product with its variants, each with
    its own inventory item; the SKU and barcode as the variant input gives them."""
    assert args.get("synchronous") is True, "the product comes back in the answer"
    data = args["input"]
    number = FIRST_PRODUCT + len(fake.created_products)
    options = {
        o["name"]: [v["name"] for v in o["values"]] for o in data["productOptions"]
    }
    nodes = []
    for position, variant in enumerate(data["variants"], start=1):
        (value,) = variant["optionValues"]
        assert value["name"] in options[value["optionName"]], "an option's value"
        variant_id = number * 100 + position
        nodes.append(
            {
                "id": f"gid://shopify/ProductVariant/{variant_id}",
                "legacyResourceId": str(variant_id),
                "title": value["name"],
                "sku": variant.get("sku"),
                "barcode": variant.get("barcode"),
                "price": variant["price"],
                "inventoryItem": {"id": f"gid://shopify/InventoryItem/{variant_id}"},
            }
        )
    product = fake.add(
        {
            "id": f"gid://shopify/Product/{number}",
            "legacyResourceId": str(number),
            "title": data["title"],
            "status": data["status"],
            "tags": data["tags"],
            "updatedAt": "2026-11-30T10:00:00Z",
            "variants": {"nodes": nodes},
        }
    )
    fake.created_products.append(product)
    return {"product": product, "userErrors": []}


def _product_delete(fake, args):
    fake.objects.pop(args["input"]["id"], None)
    return {"deletedProductId": args["input"]["id"], "userErrors": []}


@tagged("post_install", "-at_install")
class TestProductRehearsal(RehearsalCase):
    flow = "products"

    def setUp(self):
        super().setUp()
        self.fake.created_products = []
        self.fake.mutation_handlers["productSet"] = _product_set
        self.fake.mutation_handlers["productDelete"] = _product_delete

    def bindings(self, rehearsal):
        return self.env["shopify.product.binding"].search(
            [("product_gid", "=", rehearsal.shopify_product_gid)],
            order="variant_position",
        )

    def test_the_product_scenarios_are_recorded_with_their_outcomes(self):
        self.assertTrue(self.workflow.can_rehearse)
        self.assertEqual(self.workflow.rehearsal_edge_case, "product_two_variants")
        products_before = self.env["product.product"].search_count([])
        self.workflow.action_rehearse_normal()
        self.workflow.action_rehearse_edge()
        self.workflow.action_rehearse_failure()
        self.run_all_jobs()
        normal, edge, failure = self.workflow.rehearsal_ids.sorted("id")
        self.assertEqual(
            [normal.outcome, edge.outcome, failure.outcome],
            ["passed"] * 3,
            self.workflow.rehearsal_ids.mapped("error"),
        )
        self.assertEqual(
            self.workflow.test_cases_passed,
            "Normal record, Edge case, Controlled failure",
        )
        for rehearsal in normal | edge | failure:
            self.assertEqual(rehearsal.user_id, self.env.user)
            self.assertEqual(rehearsal.event_id.source, "rehearsal")
            self.assertEqual(rehearsal.event_id.topic, "products/create")
            # a draft product, tagged: never shown to customers
            shopify = self.fake.objects[rehearsal.shopify_product_gid]
            self.assertEqual(
                (shopify["status"], shopify["tags"]), ("DRAFT", [REHEARSAL_TAG])
            )
            self.assertEqual(rehearsal.shopify_name, shopify["title"])
        # normal: its one variant, the product's Internal Reference, bound to it
        self.assertEqual(normal.event_id.state, "done")
        self.assertRecordValues(
            self.bindings(normal),
            [{"sku": self.product.default_code, "product_id": self.product.id}],
        )
        # edge: two variants, each bound to the Odoo product of its SKU
        second = edge.variant_product_ids - self.product
        self.assertEqual(len(second), 1)
        self.assertNotEqual(second.default_code, self.product.default_code)
        self.assertEqual(edge.event_id.state, "done")
        self.assertRecordValues(
            self.bindings(edge),
            [
                {"sku": self.product.default_code, "product_id": self.product.id},
                {"sku": second.default_code, "product_id": second.id},
            ],
        )
        # failure: stopped with the variant named, nothing created in Odoo
        self.assertEqual(failure.event_id.state, "needs_mapping")
        self.assertIn(MISSING_SKU, failure.event_id.error_message)
        self.assertIn("Variants to map", failure.event_id.error_message)
        self.assertRecordValues(
            self.bindings(failure),
            [{"sku": MISSING_SKU, "product_id": False, "needs_mapping": True}],
        )
        self.assertEqual(self.env["product.product"].search_count([]), products_before)
        # the note prints the runs
        html = note_html(self.workflow)
        self.assertIn("Two variants, each a different Odoo product", html)
        self.assertIn("Stops with the variant to map", html)
        # afterwards: normal and failure removed (Shopify and bindings), edge kept;
        # the Odoo products are never touched
        reference = self.product.default_code
        (normal | failure).action_remove()
        edge.action_keep()
        self.run_all_jobs()
        for rehearsal in normal | failure:
            self.assertEqual(rehearsal.cleanup, "removed")
            self.assertNotIn(rehearsal.shopify_product_gid, self.fake.objects)
            self.assertFalse(self.bindings(rehearsal))
        self.assertEqual(normal.outcome, "passed", "the record of it stays")
        self.assertTrue(self.product.exists())
        self.assertTrue(self.product.active)
        self.assertEqual(self.product.default_code, reference)
        self.assertEqual(self.env["product.product"].search_count([]), products_before)
        self.assertEqual(edge.cleanup, "kept")
        self.assertIn(edge.shopify_product_gid, self.fake.objects)
        self.assertEqual(self.bindings(edge).product_id, self.product | second)

    def test_a_variant_without_sku_is_bound_by_its_barcode(self):
        self.workflow.rehearsal_edge_case = "product_barcode"
        with self.assertRaisesRegex(UserError, "a barcode"):
            self.workflow.action_rehearse_edge()
        self.product.barcode = "4006381333931"
        self.workflow.action_rehearse_edge()
        self.run_all_jobs()
        rehearsal = self.workflow.rehearsal_ids
        self.assertEqual(rehearsal.outcome, "passed", rehearsal.error)
        self.assertRecordValues(
            self.bindings(rehearsal),
            [{"sku": False, "barcode": "4006381333931", "product_id": self.product.id}],
        )

    def test_a_reference_on_two_products_fails_the_normal_run_saying_why(self):
        """Two Odoo products with the SKU are never guessed between: the variant
        waits for a mapping and the normal run fails with the reason."""
        self.env["product.product"].create(
            {"name": "Same reference", "default_code": self.product.default_code}
        )
        self.workflow.action_rehearse_normal()
        self.run_all_jobs()
        rehearsal = self.workflow.rehearsal_ids
        self.assertEqual(rehearsal.event_id.state, "needs_mapping")
        self.assertIn("several Odoo products", rehearsal.event_id.error_message)
        self.assertEqual(rehearsal.outcome, "failed")
        self.assertFalse(self.bindings(rehearsal).product_id)

    def test_a_done_event_with_the_variant_bound_elsewhere_fails(self):
        """The event alone does not pass a run: with the rehearsal product archived
        once the run is queued (the sync matches active products only) and the shop
        creating missing products, the event is done but the variant is bound to a
        product the sync created, not to the rehearsal product."""
        self.shop.create_products = True
        self.product.active = False
        with self.assertRaisesRegex(UserError, "is archived"):
            self.workflow.action_rehearse_normal()
        self.product.active = True
        self.workflow.action_rehearse_normal()
        self.product.active = False
        self.run_all_jobs()
        rehearsal = self.workflow.rehearsal_ids
        self.assertEqual(rehearsal.event_id.state, "done")
        binding = self.bindings(rehearsal)
        self.assertTrue(binding.product_id)
        self.assertNotEqual(binding.product_id, self.product)
        self.assertEqual(rehearsal.outcome, "failed")

    def test_a_refused_product_is_a_failed_rehearsal_saying_why(self):
        self.fake.mutation_handlers["productSet"] = lambda fake, args: {
            "product": None,
            "userErrors": [
                {"field": ["input"], "message": "Access denied", "code": None}
            ],
        }
        self.workflow.action_rehearse_normal()
        self.run_all_jobs()
        rehearsal = self.workflow.rehearsal_ids
        assert_refused(self, rehearsal, "write_products")
        self.assertEqual(self.workflow.test_cases_passed, "none yet")

    def test_the_failure_is_refused_while_the_shop_creates_missing_products(self):
        self.shop.create_products = True
        with self.assertRaisesRegex(UserError, "Create Missing Products"):
            self.workflow.action_rehearse_failure()
        self.assertFalse(self.workflow.rehearsal_ids)
        self.assertFalse(self.fake.created_products, "nothing made in Shopify")
