"""Launch rehearsal of the stock workflow: the real push job sets the rehearsal
product's available quantity in Shopify, then a job reads it back from Shopify and
compares it with Odoo's free quantity (normal: the first mapped location; edge: stock
reserved for a delivery, or every mapped location with its own warehouse's figure;
failure: a location no warehouse is mapped to, where the push must stop and say so on
the variant). Nothing in Odoo's stock is created or moved by a rehearsal."""

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

from ..models.shopify_workflow_rehearsal_stock import MISSING_LOCATION
from .common import ShopifyCase
from .test_workflow_rehearsal import note_html, run_rehearsal_jobs

ITEM = "gid://shopify/InventoryItem/49148385"
MAIN = "gid://shopify/Location/655441491"
POPUP = "gid://shopify/Location/655441492"


def _set_quantities(fake, args):
    """inventorySetQuantities as Shopify does it (2026-10: at any location of the
    shop, stocked there before or not); a location the shop does not have is
    refused, and nothing is set."""
    data = args["input"]
    assert data["name"] == "available"
    for number, change in enumerate(data["quantities"]):
        if change["locationId"] not in fake.locations:
            return {
                "inventoryAdjustmentGroup": None,
                "userErrors": [
                    {
                        "field": ["input", "quantities", str(number), "locationId"],
                        "message": "The specified location could not be found.",
                        "code": "INVALID_LOCATION",
                    }
                ],
            }
    for change in data["quantities"]:
        key = (change["inventoryItemId"], change["locationId"])
        fake.levels[key] = change["quantity"]
    return {
        "inventoryAdjustmentGroup": {"id": "gid://shopify/InventoryAdjustmentGroup/1"},
        "userErrors": [],
    }


def _inventory_item(fake, item_gid):
    """The InventoryItem: its inventoryLevel(locationId:) answers from what
    inventorySetQuantities set (null where the item is not stocked)."""

    def level(locationId, **_args):
        if (item_gid, locationId) not in fake.levels:
            return None
        quantity = fake.levels[(item_gid, locationId)]
        return {"quantities": [{"name": "available", "quantity": quantity}]}

    return {"id": item_gid, "inventoryLevel": level}


def pending_jobs(case, method=None):
    """The pending jobs of the shops and rehearsals (of ``method`` if given)."""
    case.env.flush_all()
    domain = [
        ("state", "=", "pending"),
        ("model_name", "in", ("shopify.shop", "shopify.workflow.rehearsal")),
    ]
    if method:
        domain.append(("method_name", "=", method))
    return case.env["queue.job"].search(domain)


def run_job(case, job_uuid):
    """Run one job in its own cursor through queue_job's runner code. A failed job
    stays failed, its reason and on_fail recorded, as the runner leaves it; a
    postponed one is pending again. Returns whether it did not fail."""
    done = True
    with case.registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        job = Job.load(env, job_uuid)
        job.set_started()
        job.store()
        try:
            with mute_logger("odoo.addons.queue_job.controllers.main"):
                RunJobController._runjob(env, job)
        except Exception:  # recorded failed by _runjob
            done = False
    case.env.invalidate_all()
    return done


@tagged("post_install", "-at_install")
class TestStockRehearsal(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.shop.company_id
        cls.main = cls.env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1
        )
        cls.popup = cls.env["stock.warehouse"].create(
            {"name": "Pop-up", "code": "POP", "company_id": company.id}
        )
        cls.shirt = cls.env["product.product"].create(
            {
                "name": "Rehearsal T-Shirt",
                "default_code": "RH-TS",
                "is_storable": True,
                "sale_ok": True,
            }
        )
        cls.binding = cls.env["shopify.product.binding"].create(
            {
                "shop_id": cls.shop.id,
                "shopify_id": "642667041472713922",
                "product_gid": "gid://shopify/Product/788032119674292922",
                "product_title": "Example T-Shirt",
                "variant_title": "Small",
                "sku": "RH-TS",
                "inventory_item_gid": ITEM,
                "product_id": cls.shirt.id,
            }
        )
        Quant = cls.env["stock.quant"]
        Quant._update_available_quantity(cls.shirt, cls.main.lot_stock_id, 10)
        Quant._update_reserved_quantity(cls.shirt, cls.main.lot_stock_id, 3)
        Quant._update_available_quantity(cls.shirt, cls.popup.lot_stock_id, 4)
        cls.workflow = cls.shop.workflow_ids.filtered(lambda w: w.flow == "stock")
        cls.workflow.rehearsal_product_id = cls.shirt

    def setUp(self):
        super().setUp()
        self.fake.locations = {MAIN, POPUP}
        self.fake.levels = {}
        self.fake.mutation_handlers["inventorySetQuantities"] = _set_quantities
        self.main_mapping = self.map_location("Main store", MAIN, self.main)
        run_rehearsal_jobs(self, keep_failed=True)  # what mapping the location pushed
        self.assertFalse(self.binding.last_stock_error)
        # Counts changed in Shopify since: the rehearsal's push must set Odoo's again.
        self.fake.levels = {(ITEM, MAIN): 99, (ITEM, POPUP): 98}
        self.fake.add(_inventory_item(self.fake, ITEM))
        self.fake.reset()

    def map_location(self, name, location_gid, warehouse):
        return self.env["shopify.location.mapping"].create(
            {
                "shop_id": self.shop.id,
                "name": name,
                "location_gid": location_gid,
                "warehouse_id": warehouse.id,
            }
        )

    def rehearsals(self):
        return {r.scenario: r for r in self.workflow.rehearsal_ids}

    def pushed(self):
        return [
            change
            for name, args in self.fake.mutations
            if name == "inventorySetQuantities"
            for change in args["input"]["quantities"]
        ]

    def test_the_three_scenarios_are_recorded_with_their_outcomes(self):
        self.assertTrue(self.workflow.can_rehearse)
        self.assertEqual(self.workflow.rehearsal_edge_case, "stock_reserved")
        self.workflow.action_rehearse_normal()
        self.workflow.action_rehearse_edge()
        self.workflow.action_rehearse_failure()
        self.assertEqual(self.workflow.rehearsal_ids.mapped("outcome"), ["running"] * 3)
        run_rehearsal_jobs(self, keep_failed=True)
        by_scenario = self.rehearsals()
        self.assertEqual(
            {s: r.outcome for s, r in by_scenario.items()},
            {"normal": "passed", "edge": "passed", "failure": "passed"},
            [r.error for r in by_scenario.values()],
        )
        self.assertEqual(
            self.workflow.test_cases_passed,
            "Normal record, Edge case, Controlled failure",
        )
        for rehearsal in by_scenario.values():
            self.assertEqual(rehearsal.user_id, self.env.user)
            self.assertEqual(rehearsal.inventory_item_gid, ITEM)
            self.assertEqual(rehearsal.shopify_name, "Example T-Shirt / Small")
        # normal and edge: Shopify holds the free quantity (10 on hand - 3 reserved)
        # at the main store, read back from Shopify; the pop-up is not mapped.
        normal, edge = by_scenario["normal"], by_scenario["edge"]
        self.assertEqual(self.fake.levels, {(ITEM, MAIN): 7, (ITEM, POPUP): 98})
        for rehearsal in (normal, edge):
            self.assertEqual(rehearsal.stock_state, "matched")
            self.assertEqual(
                rehearsal.stock_figures,
                "Main store (" + self.main.name + "): Odoo 7 free (10 on hand, 3 "
                "reserved), Shopify 7 available",
            )
        self.assertEqual(edge.edge_case, "stock_reserved")
        reads = [
            r for r in self.fake.requests if "InventoryAvailable" in (r["query"] or "")
        ]
        self.assertEqual(len(reads), 2, "each passing scenario read Shopify back")
        # failure: the push stopped before Shopify, saying why on the variant
        failure = by_scenario["failure"]
        self.assertEqual(failure.stock_state, "stopped")
        self.assertIn(MISSING_LOCATION, failure.error)
        self.assertIn("No Odoo warehouse is mapped", failure.error)
        self.assertIn("No Odoo warehouse is mapped", self.binding.last_stock_error)
        self.assertNotIn(
            MISSING_LOCATION, [change["locationId"] for change in self.pushed()]
        )
        self.assertFalse(
            self.env["queue.job"].search([("state", "=", "failed")]),
            "a missing mapping is a business outcome: the push job ends",
        )
        # Odoo's stock is as it was: nothing created, moved or reserved.
        self.assertEqual(self.shirt.with_context(warehouse_id=self.main.id).free_qty, 7)
        self.assertEqual(
            self.shirt.with_context(warehouse_id=self.main.id).qty_available, 10
        )
        # the note prints the runs, with the figures they compared
        html = note_html(self.workflow)
        for text in (
            "Normal record, Edge case, Controlled failure",
            "Stock reserved for a delivery",
            "Example T-Shirt / Small",
            "Odoo 7 free (10 on hand, 3 reserved), Shopify 7 available",
            "No Odoo warehouse is mapped",
        ):
            self.assertIn(text, html)
        # Remove: nothing put back in Shopify; the failure's reason leaves the variant.
        self.fake.reset()
        failure.action_remove()
        normal.action_remove()
        edge.action_keep()
        run_rehearsal_jobs(self, keep_failed=True)
        self.assertEqual((failure.cleanup, normal.cleanup), ("removed", "removed"))
        self.assertEqual(edge.cleanup, "kept")
        self.assertFalse(self.binding.last_stock_error)
        self.assertEqual(self.fake.mutations, [])
        self.assertEqual(self.fake.levels[(ITEM, MAIN)], 7)
        self.assertEqual(failure.outcome, "passed", "the record of it stays")

    def test_each_mapped_location_gets_its_own_warehouses_quantity(self):
        self.map_location("Pop-up store", POPUP, self.popup)
        run_rehearsal_jobs(self, keep_failed=True)
        self.fake.levels = {(ITEM, MAIN): 99, (ITEM, POPUP): 98}
        self.workflow.rehearsal_edge_case = "stock_locations"
        self.workflow.action_rehearse_edge()
        run_rehearsal_jobs(self, keep_failed=True)
        rehearsal = self.workflow.rehearsal_ids
        self.assertEqual(rehearsal.outcome, "passed", rehearsal.error)
        self.assertEqual(self.fake.levels, {(ITEM, MAIN): 7, (ITEM, POPUP): 4})
        self.assertIn("Pop-up store (Pop-up): Odoo 4 free", rehearsal.stock_figures)

    def test_a_later_push_of_the_item_is_waited_for(self):
        """Stock changes after the rehearsal's push: its check waits for the new
        push, then compares Shopify with Odoo's latest quantity."""
        self.workflow.action_rehearse_normal()
        run_job(self, pending_jobs(self, "_shopify_run").uuid)
        run_job(self, pending_jobs(self, "_shopify_push_stock").uuid)
        self.assertEqual(self.fake.levels[(ITEM, MAIN)], 7)
        self.env["stock.quant"]._update_available_quantity(
            self.shirt, self.main.lot_stock_id, 2
        )
        check = pending_jobs(self, "_shopify_verify_stock")
        run_job(self, check.uuid)
        rehearsal = self.workflow.rehearsal_ids
        self.assertEqual(check.state, "pending", "postponed")
        self.assertEqual(rehearsal.outcome, "running")
        run_rehearsal_jobs(self, keep_failed=True)
        self.assertEqual(rehearsal.outcome, "passed", rehearsal.error)
        self.assertIn("Odoo 9 free", rehearsal.stock_figures)
        self.assertEqual(self.fake.levels[(ITEM, MAIN)], 9)

    def test_a_refused_read_fails_the_rehearsal_saying_why(self):
        self.workflow.action_rehearse_normal()
        run_job(self, pending_jobs(self, "_shopify_run").uuid)
        run_job(self, pending_jobs(self, "_shopify_push_stock").uuid)
        self.fake.fail_next(
            "graphql_error",
            message="Access denied for inventoryItem field. Required access: "
            "`read_inventory` access scope.",
        )
        run_rehearsal_jobs(self, keep_failed=True)
        rehearsal = self.workflow.rehearsal_ids
        self.assertEqual((rehearsal.stock_state, rehearsal.outcome), (False, "failed"))
        self.assertIn("Access denied for inventoryItem", rehearsal.error)
        self.assertEqual(self.fake.levels[(ITEM, MAIN)], 7, "the push itself ran")

    def test_a_figure_shopify_does_not_hold_fails_the_rehearsal(self):
        """A sale at Shopify's point of sale lands between the push and the read:
        Shopify no longer holds Odoo's quantity, and the rehearsal says so."""

        def set_then_sold(fake, args):
            answer = _set_quantities(fake, args)
            fake.levels[(ITEM, MAIN)] -= 1
            return answer

        self.fake.mutation_handlers["inventorySetQuantities"] = set_then_sold
        self.workflow.action_rehearse_normal()
        run_rehearsal_jobs(self, keep_failed=True)
        rehearsal = self.workflow.rehearsal_ids
        self.assertEqual(
            (rehearsal.stock_state, rehearsal.outcome), ("differs", "failed")
        )
        self.assertIn("Odoo 7 free", rehearsal.stock_figures)
        self.assertIn("Shopify 6 available", rehearsal.stock_figures)

    def test_a_push_shopify_refuses_fails_the_rehearsal_saying_why(self):
        self.fake.locations = {POPUP}  # the main store was deleted in Shopify
        self.workflow.action_rehearse_normal()
        run_rehearsal_jobs(self, keep_failed=True)
        rehearsal = self.workflow.rehearsal_ids
        push = self.env["queue.job"].search(
            [("method_name", "=", "_shopify_push_stock"), ("state", "=", "failed")]
        )
        self.assertEqual(len(push), 1)
        self.assertEqual(rehearsal.error, push.exc_message)
        self.assertEqual(
            (rehearsal.stock_state, rehearsal.outcome), ("stopped", "failed")
        )
        self.assertIn("location could not be found", rehearsal.error)
        self.assertIn("location could not be found", self.binding.last_stock_error)

    def test_the_check_says_what_is_missing_and_where_to_fix_it(self):
        self.binding.inventory_item_gid = False
        with self.assertRaisesRegex(UserError, "inventory item"):
            self.workflow.action_rehearse_normal()
        self.binding.inventory_item_gid = ITEM
        self.workflow.rehearsal_edge_case = "stock_locations"
        with self.assertRaisesRegex(UserError, "two Shopify locations mapped"):
            self.workflow.action_rehearse_edge()
        self.env["stock.quant"]._update_reserved_quantity(
            self.shirt, self.main.lot_stock_id, -3
        )
        self.workflow.rehearsal_edge_case = "stock_reserved"
        with self.assertRaisesRegex(UserError, "no stock reserved for a delivery"):
            self.workflow.action_rehearse_edge()
        self.main_mapping.unlink()
        with self.assertRaisesRegex(UserError, "Configuration > Locations"):
            self.workflow.action_rehearse_failure()
        self.workflow.rehearsal_product_id = self.env["product.product"].create(
            {"name": "Gift card", "default_code": "RH-GIFT", "type": "consu"}
        )
        with self.assertRaisesRegex(UserError, "does not track the stock"):
            self.workflow.action_rehearse_normal()
        self.assertFalse(self.workflow.rehearsal_ids)
