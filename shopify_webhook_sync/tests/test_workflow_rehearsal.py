"""Launch rehearsal of the orders workflow: a normal order, the edge case the merchant
picked (a discounted order of several lines) and a controlled failure (a SKU no product
has), each a Shopify test order created through the Admin API and synced by the real
job; each recorded with its outcome, date, who ran it and the event it became; the
rehearsal order is then removed (in Shopify and in Odoo) or kept."""

from decimal import Decimal

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

from ..models.shopify_workflow_rehearsal import MISSING_SKU
from .common import ShopifyCase
from .shopify_order_model import Line, Order, cents

FIRST_NUMBER = 5001


def _order_create(fake, args):
    """Shopify's orderCreate, priced by the independent order model: a test order of
    custom lines (SKU, price, quantity) and an item percentage discount code."""
    data = args["order"]
    assert data["test"] is True, "a rehearsal order is a test order"
    percentage = Decimal(
        str(
            (
                (data.get("discountCode") or {}).get("itemPercentageDiscountCode") or {}
            ).get("percentage", 0)
        )
    )
    lines = []
    for number, item in enumerate(data["lineItems"], start=1):
        unit = Decimal(item["priceSet"]["shopMoney"]["amount"])
        quantity = item["quantity"]
        lines.append(
            Line(
                number,
                item.get("sku") or "",
                unit,
                quantity,
                line_discount=cents(unit * quantity * percentage / 100),
            )
        )
    order = Order(FIRST_NUMBER + len(fake.created_orders), lines)
    fake.created_orders.append(order)
    rendered = fake.add(order.order_dict())
    return {
        "order": {
            "id": rendered["id"],
            "legacyResourceId": rendered["legacyResourceId"],
            "name": rendered["name"],
        },
        "userErrors": [],
    }


def _order_delete(fake, args):
    fake.objects.pop(args["orderId"], None)
    return {"deletedId": args["orderId"], "userErrors": []}


@tagged("post_install", "-at_install")
class TestRehearsal(ShopifyCase):
    def setUp(self):
        super().setUp()
        self.fake.created_orders = []
        self.fake.mutation_handlers["orderCreate"] = _order_create
        self.fake.mutation_handlers["orderDelete"] = _order_delete
        self.workflow = self.shop.workflow_ids.filtered(lambda w: w.flow == "orders")
        self.product = self.products[0]
        self.product.lst_price = 30.0
        self.workflow.write(
            {
                "rehearsal_product_id": self.product.id,
                "rehearsal_edge_case": "discount_multi",
            }
        )

    def run_all_jobs(self):
        """Every pending job (the rehearsals', then the syncs they enqueue), each in
        its own cursor through queue_job's runner code."""
        for _round in range(3):
            self.env.flush_all()
            uuids = (
                self.env["queue.job"]
                .search(
                    [
                        ("state", "=", "pending"),
                        (
                            "model_name",
                            "in",
                            ("shopify.shop", "shopify.workflow.rehearsal"),
                        ),
                    ]
                )
                .mapped("uuid")
            )
            for job_uuid in uuids:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    job = Job.load(env, job_uuid)
                    job.set_started()
                    job.store()
                    RunJobController._runjob(env, job)
            self.env.invalidate_all()

    def test_the_three_scenarios_are_recorded_with_their_outcomes(self):
        self.assertEqual(self.workflow.test_cases_passed, "none yet")
        self.workflow.action_rehearse_normal()
        self.workflow.action_rehearse_edge()
        self.workflow.action_rehearse_failure()
        self.assertEqual(self.workflow.rehearsal_ids.mapped("outcome"), ["running"] * 3)
        self.run_all_jobs()
        by_scenario = {r.scenario: r for r in self.workflow.rehearsal_ids}
        self.assertEqual(
            {s: r.outcome for s, r in by_scenario.items()},
            {"normal": "passed", "edge": "passed", "failure": "passed"},
        )
        for rehearsal in by_scenario.values():
            self.assertEqual(rehearsal.user_id, self.env.user)
            self.assertTrue(rehearsal.date)
            self.assertEqual(rehearsal.event_id.source, "rehearsal")
            self.assertEqual(rehearsal.event_id.topic, "orders/create")
        self.assertEqual(
            self.workflow.test_cases_passed,
            "Normal record, Edge case, Controlled failure",
        )
        # normal: one line at the product's price, a sale order with Shopify's total
        normal = by_scenario["normal"]
        self.assertEqual(normal.event_id.state, "done")
        sale_order = self.env["sale.order"].browse(normal.event_id.res_id)
        self.assertEqual(sale_order.amount_total, 30.0)
        self.assertEqual(sale_order.order_line.product_id, self.product)
        # edge: 3 units less 10 % on two lines, to the cent
        edge = by_scenario["edge"]
        edge_order = self.env["sale.order"].browse(edge.event_id.res_id)
        self.assertEqual(edge.edge_case, "discount_multi")
        self.assertEqual(len(edge_order.order_line), 2)
        self.assertEqual(edge_order.amount_total, 81.0)
        # failure: stopped with the missing product named, no sale order
        failure = by_scenario["failure"]
        self.assertEqual(failure.event_id.state, "needs_mapping")
        self.assertIn(MISSING_SKU, failure.event_id.error_message)
        self.assertFalse(failure.event_id.res_id)
        # afterwards: the normal order removed (Shopify and Odoo), the edge one kept
        normal.action_remove()
        edge.action_keep()
        self.run_all_jobs()
        self.assertEqual(normal.cleanup, "removed")
        self.assertNotIn(normal.shopify_order_gid, self.fake.objects)
        self.assertFalse(sale_order.exists())
        self.assertEqual(normal.outcome, "passed", "the record of it stays")
        self.assertEqual(edge.cleanup, "kept")
        self.assertTrue(edge_order.exists())
        self.assertIn(edge.shopify_order_gid, self.fake.objects)

    def test_a_refused_test_order_is_a_failed_rehearsal_saying_why(self):
        self.fake.mutation_handlers["orderCreate"] = lambda fake, args: {
            "order": None,
            "userErrors": [{"field": ["order"], "message": "Access denied"}],
        }
        self.workflow.action_rehearse_normal()
        self.run_all_jobs()
        rehearsal = self.workflow.rehearsal_ids
        self.assertEqual(rehearsal.outcome, "failed")
        self.assertIn("write_orders", rehearsal.error)
        self.assertIn("Access denied", rehearsal.error)
        self.assertFalse(rehearsal.event_id)
        self.assertEqual(self.workflow.test_cases_passed, "none yet")
