"""Launch rehearsal of the fulfillments workflow, in the shop's direction.

Odoo fulfils: the Shopify test order (a line that needs shipping, so Shopify gives it a
fulfillment order) is synced by the real job; the rehearsal then validates its delivery
as a warehouse person does, and the real push job fulfils it in Shopify
(fulfillmentCreate against the order's fulfillment orders). Normal: the whole line;
edge: one of two units (the rest backordered, Shopify partially fulfilled) or a
tracking number carried over; failure: a line whose SKU no product has holds the order
Needs Mapping (no delivery, nothing fulfilled). Remove returns the goods to stock.

Shopify fulfils: the rehearsal fulfils the order in Shopify and records the signed
fulfillments/create delivery; the real job validates the Odoo delivery."""

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

from ..lib.client import ShopifyPermanentError
from ..models.shopify_workflow_rehearsal import MISSING_SKU
from ..models.shopify_workflow_rehearsal_fulfillments import TRACKING_PREFIX
from .test_workflow_rehearsal import RehearsalCase, _order_create, assert_refused

LOCATION = "gid://shopify/Location/655441491"


def _order_create_shipped(fake, args):
    """orderCreate as Shopify does it for lines that need shipping: the order gets an
    open fulfillment order at the shop's location holding those lines."""
    payload = _order_create(fake, args)
    order = fake.objects[payload["order"]["id"]]
    number = payload["order"]["legacyResourceId"]
    shipped = [
        (line, item)
        for line, item in zip(
            order["lineItems"]["nodes"], args["order"]["lineItems"], strict=True
        )
        if item.get("requiresShipping")
    ]
    order["fulfillments"] = []
    order["fulfillmentOrders"] = {
        "nodes": [
            {
                "id": f"gid://shopify/FulfillmentOrder/{number}",
                "status": "OPEN",
                "assignedLocation": {"location": {"id": LOCATION}},
                "lineItems": {
                    "nodes": [
                        {
                            "id": f"gid://shopify/FulfillmentOrderLineItem/{number}{n}",
                            "remainingQuantity": item["quantity"],
                            "lineItem": {"id": line["id"]},
                        }
                        for n, (line, item) in enumerate(shipped, start=1)
                    ]
                },
            }
        ]
        if shipped
        else []
    }
    return payload


def _fulfillment_create(fake, args):
    """fulfillmentCreate as Shopify does it: the fulfilled units leave the fulfillment
    order lines' remaining quantity, and the order holds a successful fulfillment of
    them with its tracking."""
    data = args["fulfillment"]
    fake.fulfillments.append(data)
    number = len(fake.fulfillments)
    for group in data["lineItemsByFulfillmentOrder"]:
        order = next(
            o
            for o in fake.objects.values()
            if any(
                fo["id"] == group["fulfillmentOrderId"]
                for fo in (o.get("fulfillmentOrders") or {}).get("nodes", [])
            )
        )
        items = {
            item["id"]: item
            for fo in order["fulfillmentOrders"]["nodes"]
            for item in fo["lineItems"]["nodes"]
        }
        lines = []
        for asked in group["fulfillmentOrderLineItems"]:
            item = items[asked["id"]]
            assert asked["quantity"] <= item["remainingQuantity"], "over-fulfilled"
            item["remainingQuantity"] -= asked["quantity"]
            lines.append({"quantity": asked["quantity"], "lineItem": item["lineItem"]})
        tracking = data.get("trackingInfo")
        order["fulfillments"].append(
            {
                "id": f"gid://shopify/Fulfillment/{number}",
                "status": "SUCCESS",
                "createdAt": "2026-11-30T10:00:00Z",
                "trackingInfo": [tracking] if tracking else [],
                "fulfillmentLineItems": {"nodes": lines},
            }
        )
    return {
        "fulfillment": {
            "id": f"gid://shopify/Fulfillment/{number}",
            "status": "SUCCESS",
        },
        "userErrors": [],
    }


class FulfillmentRehearsalCase(RehearsalCase):
    flow = "fulfillments"

    def setUp(self):
        super().setUp()
        self.fake.fulfillments = []
        self.fake.mutation_handlers["orderCreate"] = _order_create_shipped
        self.fake.mutation_handlers["fulfillmentCreate"] = _fulfillment_create
        self.product.is_storable = True
        self.stock = (
            self.env["stock.warehouse"]
            .search([("company_id", "=", self.shop.company_id.id)], limit=1)
            .lot_stock_id
        )
        self.env["stock.quant"]._update_available_quantity(self.product, self.stock, 10)

    def shopify_order(self, rehearsal):
        return self.fake.objects[rehearsal.shopify_order_gid]

    def remaining(self, rehearsal):
        """What Shopify still has to fulfil of the rehearsal order, per line."""
        return [
            item["remainingQuantity"]
            for fo in self.shopify_order(rehearsal)["fulfillmentOrders"]["nodes"]
            for item in fo["lineItems"]["nodes"]
        ]

    def deliveries(self, rehearsal):
        return (
            self.env["sale.order"].browse(rehearsal.order_event_id.res_id).picking_ids
        )


@tagged("post_install", "-at_install")
class TestFulfillmentRehearsalOdooFulfils(FulfillmentRehearsalCase):
    def test_the_fulfillment_scenarios_are_recorded_with_their_outcomes(self):
        self.assertEqual(self.shop.fulfilled_by, "odoo")
        self.assertTrue(self.workflow.can_rehearse)
        self.assertEqual(self.workflow.rehearsal_edge_case, "fulfil_partial")
        self.workflow.action_rehearse_normal()
        self.workflow.action_rehearse_edge()
        self.workflow.action_rehearse_failure()
        self.workflow.rehearsal_edge_case = "fulfil_tracking"
        self.workflow.action_rehearse_edge()
        self.assertEqual(self.workflow.rehearsal_ids.mapped("outcome"), ["running"] * 4)
        self.run_all_jobs()
        rehearsals = self.workflow.rehearsal_ids
        normal, partial, failure, tracking = rehearsals.sorted("id")
        self.assertEqual(
            rehearsals.mapped("outcome"), ["passed"] * 4, rehearsals.mapped("error")
        )
        self.assertEqual(
            self.workflow.test_cases_passed,
            "Normal record, Edge case, Controlled failure",
        )
        self.assertEqual(set(rehearsals.mapped("fulfilled_by")), {"odoo"})
        for rehearsal in rehearsals:
            self.assertEqual(rehearsal.user_id, self.env.user)
            self.assertEqual(rehearsal.order_event_id.topic, "orders/create")
            self.assertEqual(rehearsal.order_event_id.source, "rehearsal")
        # normal: the delivery validated in Odoo, and Shopify holds its fulfillment
        self.assertEqual(normal.picking_id.state, "done")
        self.assertEqual(normal.picking_id.move_ids.quantity, 1)
        fulfillment = self.shopify_order(normal)["fulfillments"]
        self.assertEqual(len(fulfillment), 1)
        self.assertEqual(
            normal.picking_id.shopify_fulfillment_gid, fulfillment[0]["id"]
        )
        self.assertEqual(normal.shopify_fulfillment_gid, fulfillment[0]["id"])
        self.assertEqual(self.fulfillment_reads(), 3, "each read back from Shopify")
        self.assertEqual(self.remaining(normal), [0])
        self.assertIn(fulfillment[0]["id"].split("/")[-1], normal.shopify_name)
        # edge: one of two units shipped, the other backordered; Shopify partially
        # fulfilled (one unit left to fulfil)
        self.assertEqual(partial.edge_case, "fulfil_partial")
        self.assertEqual(partial.picking_id.state, "done")
        self.assertEqual(partial.picking_id.move_ids.quantity, 1)
        backorder = self.deliveries(partial) - partial.picking_id
        self.assertEqual(backorder.backorder_id, partial.picking_id)
        self.assertEqual(backorder.move_ids.product_uom_qty, 1)
        self.assertNotEqual(backorder.state, "done")
        self.assertEqual(self.remaining(partial), [1])
        self.assertEqual(
            self.shopify_order(partial)["fulfillments"][0]["fulfillmentLineItems"],
            {"nodes": [{"quantity": 1, "lineItem": self.shopify_line(partial)}]},
        )
        # edge: the tracking number given in Odoo is the fulfillment's in Shopify
        number = f"{TRACKING_PREFIX}{tracking.id}"
        self.assertEqual(tracking.picking_id.carrier_tracking_ref, number)
        self.assertEqual(
            self.shopify_order(tracking)["fulfillments"][0]["trackingInfo"][0][
                "number"
            ],
            number,
        )
        # failure: the order held on the SKU no product has; no delivery, nothing
        # fulfilled in Shopify
        self.assertEqual(failure.event_id, failure.order_event_id)
        self.assertEqual(failure.event_id.state, "needs_mapping")
        self.assertIn(MISSING_SKU, failure.event_id.error_message)
        self.assertFalse(failure.picking_id)
        self.assertEqual(self.shopify_order(failure)["fulfillments"], [])
        self.assertEqual(len(self.fake.fulfillments), 3)
        # 3 units left the stock (normal 1, partial 1, tracking 1)
        self.assertEqual(self.product.with_context(warehouse_id=False).qty_available, 7)
        # afterwards: normal and partial removed: their goods back in stock, the
        # Shopify order deleted, the sale order gone; the done delivery stays
        normal_picking, partial_picking = normal.picking_id, partial.picking_id
        normal.action_remove()
        partial.action_remove()
        tracking.action_keep()
        self.run_all_jobs()
        self.assertEqual((normal.cleanup, partial.cleanup), ("removed", "removed"))
        self.assertNotIn(normal.shopify_order_gid, self.fake.objects)
        self.assertNotIn(partial.shopify_order_gid, self.fake.objects)
        self.assertEqual(normal_picking.state, "done", "a done delivery stays")
        self.assertFalse(
            normal.order_event_id.res_id
            and self.env["sale.order"].browse(normal.order_event_id.res_id).exists()
        )
        returned = self.env["stock.picking"].search(
            [("return_id", "in", (normal_picking | partial_picking).ids)]
        )
        self.assertEqual(len(returned), 2)
        self.assertEqual(set(returned.mapped("state")), {"done"})
        self.assertEqual(backorder.state, "cancel")
        self.assertEqual(self.product.qty_available, 9, "only the kept one's unit")
        self.assertEqual(normal.outcome, "passed", "the record of it stays")
        self.assertEqual(tracking.cleanup, "kept")
        self.assertIn(tracking.shopify_order_gid, self.fake.objects)

    def fulfillment_reads(self):
        return sum(
            "OrderFulfillments" in (request.get("query") or "")
            for request in self.fake.requests
        )

    def shopify_line(self, rehearsal):
        return {"id": self.shopify_order(rehearsal)["lineItems"]["nodes"][0]["id"]}

    def test_a_refused_fulfillment_is_a_failed_rehearsal_saying_why(self):
        """Shopify refuses the push: the push job fails, its on_fail puts the reason on
        the delivery, and the rehearsal has failed."""
        self.fake.mutation_handlers["fulfillmentCreate"] = lambda fake, args: {
            "fulfillment": None,
            "userErrors": [{"field": ["fulfillment"], "message": "Order is on hold."}],
        }
        self.workflow.action_rehearse_normal()
        rehearsal = self.workflow.rehearsal_ids
        self.run_jobs_but_the_push()
        picking = rehearsal.picking_id
        self.assertEqual(picking.state, "done")
        self.assertEqual(rehearsal.outcome, "running", "the push is to come")
        push = self.env["queue.job"].search(
            [
                ("method_name", "=", "_shopify_push_fulfillment"),
                ("state", "=", "pending"),
            ]
        )
        self.assertEqual(len(push), 1)
        shop = self.shop.with_context(**push.records.env.context)
        with self.assertRaisesRegex(ShopifyPermanentError, "on hold"):
            shop._shopify_push_fulfillment(picking.id)
        shop._shopify_on_fulfillment_failed(exc_message="Order is on hold.")
        push.state = "failed"  # what the runner records (rolled back in a test)
        self.assertEqual(picking.shopify_fulfillment_error, "Order is on hold.")
        self.run_all_jobs()  # the read-back
        self.assertEqual(rehearsal.outcome, "failed")
        self.assertIn("Order is on hold.", rehearsal.error)
        self.assertFalse(rehearsal.shopify_fulfillment_gid)
        self.assertEqual(self.workflow.test_cases_passed, "none yet")

    def test_nothing_open_to_fulfil_in_shopify_is_a_failed_rehearsal(self):
        """The fulfillment order is on hold in Shopify: the push job fulfils nothing
        and says so on the delivery; the rehearsal failed with that reason."""

        def on_hold(fake, args):
            payload = _order_create_shipped(fake, args)
            for fo in fake.objects[payload["order"]["id"]]["fulfillmentOrders"][
                "nodes"
            ]:
                fo["status"] = "ON_HOLD"
            return payload

        self.fake.mutation_handlers["orderCreate"] = on_hold
        self.workflow.action_rehearse_normal()
        self.run_all_jobs()
        rehearsal = self.workflow.rehearsal_ids
        self.assertEqual(rehearsal.picking_id.state, "done")
        self.assertEqual(self.fake.fulfillments, [])
        self.assertEqual(rehearsal.outcome, "failed")
        self.assertIn("fulfillment order ON_HOLD", rehearsal.error)
        self.assertIn(
            "Release the fulfillment order",
            rehearsal.picking_id.shopify_fulfillment_error,
        )

    def test_a_fulfillment_shopify_does_not_hold_is_a_failed_rehearsal(self):
        """Shopify answered with a fulfillment it does not hold when read back: the
        rehearsal does not take the job's word for it."""
        self.fake.mutation_handlers["fulfillmentCreate"] = lambda fake, args: {
            "fulfillment": {"id": "gid://shopify/Fulfillment/999", "status": "SUCCESS"},
            "userErrors": [],
        }
        self.workflow.action_rehearse_normal()
        self.run_all_jobs()
        rehearsal = self.workflow.rehearsal_ids
        self.assertEqual(
            rehearsal.picking_id.shopify_fulfillment_gid,
            "gid://shopify/Fulfillment/999",
        )
        self.assertEqual(rehearsal.outcome, "failed")
        self.assertIn("does not hold the fulfillment", rehearsal.error)

    def run_jobs_but_the_push(self):
        """The rehearsal's jobs and the order's sync, each through queue_job's runner
        code; the push job (run by hand: a failed job's on_fail is rolled back with
        it in a test's runner) and the read-back waiting for it are left pending."""
        for _round in range(6):
            self.env.flush_all()
            jobs = self.env["queue.job"].search(
                [
                    ("state", "=", "pending"),
                    (
                        "method_name",
                        "not in",
                        ("_shopify_push_fulfillment", "_shopify_read_back"),
                    ),
                ]
            )
            if not jobs:
                return
            for job_uuid in jobs.mapped("uuid"):
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    job = Job.load(env, job_uuid)
                    job.set_started()
                    job.store()
                    RunJobController._runjob(env, job)
            self.env.invalidate_all()
        self.fail("jobs still pending after 6 rounds")

    def test_a_fulfillment_rehearsal_needs_a_good_and_its_own_edge_case(self):
        self.product.write({"type": "service", "is_storable": False})
        with self.assertRaisesRegex(UserError, "is a good"):
            self.workflow.action_rehearse_normal()
        self.product.type = "consu"
        self.workflow.rehearsal_edge_case = "refund_partial"
        with self.assertRaisesRegex(UserError, "edge case of the fulfillments"):
            self.workflow.action_rehearse_edge()
        self.shop.fulfilled_by = "shopify"
        self.workflow.rehearsal_edge_case = "fulfil_partial"
        with self.assertRaisesRegex(UserError, "waits for review by design"):
            self.workflow.action_rehearse_edge()
        self.assertFalse(self.workflow.rehearsal_ids)


@tagged("post_install", "-at_install")
class TestFulfillmentRehearsalShopifyFulfils(FulfillmentRehearsalCase):
    def setUp(self):
        super().setUp()
        self.shop.fulfilled_by = "shopify"
        self.workflow.rehearsal_edge_case = "fulfil_tracking"

    def test_shopify_fulfillments_validate_the_rehearsal_delivery(self):
        self.workflow.action_rehearse_normal()
        self.workflow.action_rehearse_edge()
        self.workflow.action_rehearse_failure()
        self.run_all_jobs()
        rehearsals = self.workflow.rehearsal_ids
        normal, tracking, failure = rehearsals.sorted("id")
        self.assertEqual(
            rehearsals.mapped("outcome"), ["passed"] * 3, rehearsals.mapped("error")
        )
        self.assertEqual(set(rehearsals.mapped("fulfilled_by")), {"shopify"})
        for rehearsal in normal | tracking:
            # fulfilled in Shopify through the Admin API, the delivery recorded and
            # its real job validated the Odoo delivery
            self.assertEqual(rehearsal.event_id.topic, "fulfillments/create")
            self.assertEqual(rehearsal.event_id.source, "rehearsal")
            self.assertEqual(rehearsal.event_id.state, "done")
            self.assertEqual(self.remaining(rehearsal), [0])
            self.assertEqual(
                rehearsal.shopify_fulfillment_gid,
                self.shopify_order(rehearsal)["fulfillments"][0]["id"],
            )
            self.assertEqual(rehearsal.picking_id.state, "done")
            self.assertFalse(rehearsal.picking_id.shopify_fulfillment_gid)
        self.assertEqual(
            tracking.picking_id.carrier_tracking_ref, f"{TRACKING_PREFIX}{tracking.id}"
        )
        self.assertFalse(normal.picking_id.carrier_tracking_ref)
        self.assertEqual(failure.event_id.state, "needs_mapping")
        self.assertIn(MISSING_SKU, failure.event_id.error_message)
        self.assertEqual(len(self.fake.fulfillments), 2, "nothing sent back")
        self.assertEqual(self.product.qty_available, 8)
        normal.action_remove()
        self.run_all_jobs()
        self.assertEqual(normal.cleanup, "removed")
        self.assertNotIn(normal.shopify_order_gid, self.fake.objects)
        self.assertEqual(self.product.qty_available, 9)

    def test_a_refused_fulfillment_in_shopify_is_a_failed_rehearsal(self):
        self.fake.mutation_handlers["fulfillmentCreate"] = lambda fake, args: {
            "fulfillment": None,
            "userErrors": [{"field": ["fulfillment"], "message": "Access denied"}],
        }
        self.workflow.action_rehearse_normal()
        self.run_all_jobs()
        rehearsal = self.workflow.rehearsal_ids
        assert_refused(self, rehearsal, "write_merchant_managed_fulfillment_orders")
        self.assertNotEqual(rehearsal.picking_id.state, "done")
