"""Launch rehearsal of the orders workflow: a normal order, the edge case the merchant
picked (a discounted order of several lines) and a controlled failure (a SKU no product
has), each a Shopify test order created through the Admin API and synced by the real
job; each recorded with its outcome, date, who ran it and the event it became; the
rehearsal order is then removed (in Shopify and in Odoo) or kept.

The refunds workflow's: the test order, once synced, invoiced and paid through the
gateway's journal, then refunded in Shopify (refundCreate); the refund's real sync job
makes the credit note (normal: a line with its money; edge: part of a line, or no
restock; failure: a gateway no journal is mapped to)."""

from decimal import Decimal

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

from ..models.shopify_workflow_rehearsal import MISSING_GATEWAY, MISSING_SKU
from .common import ShopifyCase
from .shopify_order_model import Line, Order, cents

FIRST_NUMBER = 5001
FIRST_REFUND = 7001


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
            "transactions": [
                {
                    "id": f"gid://shopify/OrderTransaction/{order.number}{n}",
                    "gateway": transaction.get("gateway") or "manual",
                    "kind": transaction.get("kind") or "SALE",
                }
                for n, transaction in enumerate(data.get("transactions") or [])
            ],
        },
        "userErrors": [],
    }


def _refund_create(fake, args):
    """Shopify's refundCreate, by the independent order model: the refunded units
    leave the order's current quantities and totals; the refund pays back through
    the gateway asked."""
    data = args["input"]
    order = next(o for o in fake.created_orders if o.gid == data["orderId"])
    lines = {order.line_gid(line): line for line in order.lines}
    refund = order.refund(
        FIRST_REFUND + len(fake.refunds),
        [
            (lines[item["lineItemId"]], item["quantity"], item["restockType"])
            for item in data["refundLineItems"]
        ],
    )
    refund.gateway = data["transactions"][0]["gateway"]
    fake.refunds.append(data)
    fake.add(order.order_dict())
    rendered = fake.add(order.refund_dict(refund))
    return {
        "refund": {
            "id": rendered["id"],
            "legacyResourceId": rendered["legacyResourceId"],
        },
        "userErrors": [],
    }


def _order_delete(fake, args):
    fake.objects.pop(args["orderId"], None)
    return {"deletedId": args["orderId"], "userErrors": []}


def run_rehearsal_jobs(case, keep_failed=False):
    """Every pending job (the rehearsals', then the syncs and pushes they enqueue, a
    step waiting for an earlier one), each in its own cursor through queue_job's
    runner code, until none is left. ``keep_failed``: a failed job stays failed, its
    reason and on_fail recorded, as the runner leaves it (else the test fails);
    returns the failed jobs' uuids."""
    failed = []
    for _round in range(6):
        case.env.flush_all()
        uuids = (
            case.env["queue.job"]
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
        if not uuids:
            return failed
        for job_uuid in uuids:
            with case.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                job = Job.load(env, job_uuid)
                job.set_started()
                job.store()
                if not keep_failed:
                    RunJobController._runjob(env, job)
                    continue
                try:
                    with mute_logger("odoo.addons.queue_job.controllers.main"):
                        RunJobController._runjob(env, job)
                except Exception:  # recorded failed by _runjob
                    failed.append(job_uuid)
        case.env.invalidate_all()
    case.fail("jobs still pending after 6 rounds")


def note_html(workflow) -> str:
    """The workflow's printed note, as HTML."""
    report = workflow.env["ir.actions.report"]
    return report._render_qweb_html(
        "shopify_webhook_sync.action_report_shopify_workflow", workflow.ids
    )[0].decode()


def assert_refused(case, rehearsal, scope):
    """Shopify refused what ``rehearsal`` asked it to make: the run failed saying
    why (the scope the app needs, Shopify's own message) and recorded no event."""
    case.assertEqual(rehearsal.outcome, "failed")
    case.assertIn(scope, rehearsal.error)
    case.assertIn("Access denied", rehearsal.error)
    case.assertFalse(rehearsal.event_id)


class RehearsalCase(ShopifyCase):
    """A workflow whose rehearsals run against the fake Shopify's orderCreate,
    orderDelete and refundCreate (priced by the independent order model)."""

    flow = "orders"

    def setUp(self):
        super().setUp()
        self.fake.created_orders = []
        self.fake.refunds = []
        self.fake.mutation_handlers["orderCreate"] = _order_create
        self.fake.mutation_handlers["orderDelete"] = _order_delete
        self.fake.mutation_handlers["refundCreate"] = _refund_create
        self.workflow = self.shop.workflow_ids.filtered(lambda w: w.flow == self.flow)
        self.product = self.products[0]
        self.product.lst_price = 30.0
        self.workflow.rehearsal_product_id = self.product

    def run_all_jobs(self):
        run_rehearsal_jobs(self)


@tagged("post_install", "-at_install")
class TestRehearsal(RehearsalCase):
    def setUp(self):
        super().setUp()
        self.workflow.rehearsal_edge_case = "discount_multi"

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
        failure.action_keep()
        self.run_all_jobs()
        # the caught failure leaves the To Fix queue, the rehearsal still passed
        self.assertEqual(failure.event_id.state, "ignored")
        self.assertIn("controlled failure", failure.event_id.resolution_note)
        self.assertEqual(failure.outcome, "passed")
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
        assert_refused(self, rehearsal, "write_orders")
        self.assertEqual(self.workflow.test_cases_passed, "none yet")


@tagged("post_install", "-at_install")
class TestRefundRehearsal(RehearsalCase):
    flow = "refunds"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bank = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.env["shopify.gateway.mapping"].create(
            {"shop_id": cls.shop.id, "gateway": "bogus", "journal_id": cls.bank.id}
        )

    def refund_binding(self, rehearsal):
        return self.env["shopify.refund.binding"].search(
            [("shopify_id", "=", rehearsal.shopify_refund_gid.split("/")[-1])]
        )

    def sale_order(self, rehearsal):
        return self.env["sale.order"].browse(rehearsal.order_event_id.res_id)

    def refund_payments(self, move):
        return move.matched_payment_ids | move._get_reconciled_payments()

    def test_the_refund_scenarios_are_recorded_with_their_outcomes(self):
        self.assertEqual(self.workflow.rehearsal_edge_case, "refund_partial")
        self.assertEqual(self.workflow.test_cases_passed, "none yet")
        self.workflow.action_rehearse_normal()
        self.workflow.action_rehearse_edge()
        self.workflow.action_rehearse_failure()
        self.workflow.rehearsal_edge_case = "refund_no_restock"
        self.workflow.action_rehearse_edge()
        self.run_all_jobs()
        rehearsals = self.workflow.rehearsal_ids
        self.assertEqual(
            rehearsals.mapped("outcome"), ["passed"] * 4, rehearsals.mapped("error")
        )
        for rehearsal in rehearsals:
            self.assertEqual(rehearsal.user_id, self.env.user)
            self.assertEqual(rehearsal.event_id.source, "rehearsal")
            self.assertEqual(rehearsal.event_id.topic, "refunds/create")
            self.assertEqual(rehearsal.order_event_id.topic, "orders/create")
            self.assertEqual(rehearsal.order_event_id.state, "done")
        self.assertEqual(
            self.workflow.test_cases_passed,
            "Normal record, Edge case, Controlled failure",
        )
        normal, partial, failure, no_restock = rehearsals.sorted("id")
        # Refunded with an idempotency key, once per rehearsal.
        keys = [
            request["variables"]["key"]
            for request in self.fake.requests
            if "RehearsalRefundCreate" in (request.get("query") or "")
        ]
        self.assertEqual(sorted(keys), sorted(rehearsals.mapped("refund_key")))
        asked = {data["orderId"]: data for data in self.fake.refunds}
        transaction = asked[normal.shopify_order_gid]["transactions"][0]
        self.assertEqual(transaction["kind"], "REFUND")
        self.assertEqual(transaction["gateway"], "bogus")
        self.assertEqual(transaction["parentId"], normal.shopify_payment_gid)
        self.assertTrue(normal.shopify_payment_gid)
        # normal: the line refunded with its money, through the gateway's journal
        move = self.refund_binding(normal).move_id
        self.assertEqual(normal.event_id.state, "done")
        self.assertEqual((move.move_type, move.state), ("out_refund", "posted"))
        self.assertEqual(move.amount_total, 30.0)
        self.assertEqual(move.reversed_entry_id, normal.invoice_id)
        self.assertIn(normal.invoice_id.payment_state, ("in_payment", "paid"))
        self.assertIn(move.payment_state, ("in_payment", "paid"))
        self.assertEqual(self.refund_payments(move).journal_id, self.bank)
        self.assertEqual(self.sale_order(normal).order_line.product_uom_qty, 0)
        # edge: one of two units refunded, the order keeps the other
        self.assertEqual(partial.edge_case, "refund_partial")
        self.assertEqual(self.refund_binding(partial).move_id.amount_total, 30.0)
        self.assertEqual(self.sale_order(partial).amount_total, 30.0)
        self.assertEqual(no_restock.edge_case, "refund_no_restock")
        self.assertEqual(
            asked[no_restock.shopify_order_gid]["refundLineItems"][0]["restockType"],
            "NO_RESTOCK",
        )
        self.assertEqual(self.refund_binding(no_restock).move_id.amount_total, 30.0)
        # failure: the refund stopped on the unmapped gateway, no credit note
        self.assertEqual(failure.event_id.state, "needs_mapping")
        self.assertIn(MISSING_GATEWAY, failure.event_id.error_message)
        self.assertFalse(self.refund_binding(failure))
        # the note prints the runs
        html = note_html(self.workflow)
        for text in (
            "Test cases passed",
            "Normal record, Edge case, Controlled failure",
            "Refund without restock",
            "Stops with a missing gateway mapping",
            self.refund_binding(normal).move_id.name,
        ):
            self.assertIn(text, html)
        # afterwards: the normal one removed (Shopify and Odoo), the edge one kept
        sale_order = self.sale_order(normal)
        normal.action_remove()
        partial.action_keep()
        self.run_all_jobs()
        self.assertEqual(normal.cleanup, "removed")
        self.assertNotIn(normal.shopify_order_gid, self.fake.objects)
        self.assertFalse(sale_order.exists())
        self.assertEqual((move.state, normal.invoice_id.state), ("cancel", "cancel"))
        self.assertEqual(set(self.refund_payments(move).mapped("state")), {"canceled"})
        self.assertEqual(normal.outcome, "passed", "the record of it stays")
        self.assertEqual(partial.cleanup, "kept")
        self.assertEqual(self.refund_binding(partial).move_id.state, "posted")
        self.assertIn(partial.shopify_order_gid, self.fake.objects)

    def test_a_refused_refund_is_a_failed_rehearsal_saying_why(self):
        self.fake.mutation_handlers["refundCreate"] = lambda fake, args: {
            "refund": None,
            "userErrors": [{"field": ["transactions"], "message": "Access denied"}],
        }
        self.workflow.action_rehearse_normal()
        self.run_all_jobs()
        rehearsal = self.workflow.rehearsal_ids
        self.assertEqual(rehearsal.order_event_id.state, "done")
        assert_refused(self, rehearsal, "write_orders")
        self.assertEqual(self.workflow.test_cases_passed, "none yet")

    def test_a_refund_rehearsal_needs_a_mapped_gateway_and_its_own_edge_case(self):
        self.env["shopify.gateway.mapping"].search([]).unlink()
        with self.assertRaisesRegex(UserError, "Map a payment gateway"):
            self.workflow.action_rehearse_normal()
        self.workflow.rehearsal_edge_case = "discount_multi"
        with self.assertRaisesRegex(UserError, "edge case of the refunds workflow"):
            self.workflow.action_rehearse_edge()
        self.assertFalse(self.workflow.rehearsal_ids)
