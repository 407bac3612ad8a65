"""Property test: whatever the order's money and whatever the order in which its
webhooks arrive, Odoo ends equal to Shopify or waiting for review with both figures.

Random orders (lines, quantities, prices, tax-inclusive or not, several rates, line and
order discounts, shipping and its discount, the customer's currency) change in Shopify
(refunds that remove quantities, edits that remove quantities or add lines); every
change's webhooks (orders/create, orders/updated, orders/edited, refunds/create) are
delivered at random moments after it, some twice, interleaved with the syncs they
queue. Shopify's side comes from ``shopify_order_model`` (an independent model of
Shopify's documented money rules) served by the fake Shopify.

Each example is recorded through the webhook model method the controller calls, and its
syncs run through the job function itself (``shopify.shop._shopify_sync``), each in a
savepoint as a job runs in its transaction; the whole example is rolled back. One test
takes the HTTP path (signed deliveries, queue_job's runner code) for the same check.
"""

import collections
import contextlib
import json
import logging
import os
import random
import re
import uuid
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError

from .common import SKUS, ShopifyCase
from .shopify_order_model import Line, Order, Rate, Shipping, allocate, cents

_logger = logging.getLogger(__name__)

EXCLUDED = (
    Rate("VAT", Decimal("0.2")),
    Rate("GST", Decimal("0.05")),
    Rate("Reduced", Decimal("0.055")),
    Rate("PST", Decimal("0.07")),
)
INCLUDED = tuple(Rate(f"{r.title} incl.", r.rate) for r in EXCLUDED)
EUR_PER_USD = Decimal("1.0843")  # presentment EUR -> shop USD
ORDER_NUMBER = 7000000000001
REFUND_NUMBER = 8000000000001

# The shapes the property draws. A shape is switched off only while the sync on main
# does not handle it exactly; the report of the run that switched it off gives the
# minimal failing example hypothesis found.
SHAPES = {
    "taxes_included": True,
    "several_rates": True,
    "line_discounts": True,
    "order_discounts": True,
    "shipping": True,
    "shipping_discounts": True,
    "presentment_currency": True,
    "refunds": True,
    # A refund of every unit left on a line, delivered before the order's first sync.
    # Before the convergence fix (refunds sync their order again) it ended in review
    # without figures; minimal example found: one line 1.27 x 1 at 20% VAT included,
    # refunded 1 of 1 (CANCEL) before orders/create was processed.
    "refund_whole_line": True,
    "edits": True,
}

FIGURES = re.compile(r"Odoo -?[\d,]+\.\d\d / Shopify -?[\d,]+\.\d\d")
REFUND_FIGURES = re.compile(r"-?[\d,]+\.\d\d\D+-?[\d,]+\.\d\d")

prices = st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c) / 100)
percents = st.integers(min_value=1, max_value=60)


def rates_for(draw, taxes_included: bool) -> tuple[Rate, ...]:
    pool = INCLUDED if taxes_included else EXCLUDED
    size = 2 if SHAPES["several_rates"] else 1
    return tuple(draw(st.lists(st.sampled_from(pool), unique=True, max_size=size)))


@st.composite
def orders(draw) -> Order:
    taxes_included = SHAPES["taxes_included"] and draw(st.booleans())
    lines = []
    for number in range(1, draw(st.integers(1, 3)) + 1):
        unit, quantity = draw(prices), draw(st.integers(1, 5))
        line = Line(
            number, SKUS[number - 1], unit, quantity, rates_for(draw, taxes_included)
        )
        if SHAPES["line_discounts"] and draw(st.booleans()):
            line.line_discount = cents(unit * quantity * draw(percents) / 100)
        lines.append(line)
    if SHAPES["order_discounts"] and draw(st.booleans()):
        weights = [line.discounted() for line in lines]
        amount = min(draw(prices), cents(sum(weights) / 2))
        for line, share in zip(lines, allocate(amount, weights), strict=True):
            line.order_discount = share
    shipping = None
    if SHAPES["shipping"] and draw(st.booleans()):
        price = draw(prices)
        discount = Decimal(0)
        if SHAPES["shipping_discounts"] and draw(st.booleans()):
            discount = cents(price * draw(percents) / 100)
        shipping = Shipping(
            "Generic Shipping", price, discount, rates_for(draw, taxes_included)
        )
    currency = "USD"
    if SHAPES["presentment_currency"] and draw(st.booleans()):
        currency = "EUR"
    return Order(
        ORDER_NUMBER,
        lines,
        taxes_included=taxes_included,
        currency=currency,
        rate=EUR_PER_USD if currency == "EUR" else Decimal(1),
        shipping=shipping,
    )


def change_kinds() -> list[str]:
    return [
        kind
        for kind, shape in (
            ("refund", "refunds"),
            ("remove", "edits"),
            ("add", "edits"),
        )
        if SHAPES[shape]
    ]


changes = st.lists(
    st.tuples(
        st.sampled_from(change_kinds() or ["none"]),
        st.integers(0, 3),  # which line
        st.integers(1, 5),  # how many units
        st.sampled_from(["CANCEL", "NO_RESTOCK"]),
        prices,  # an added line's unit price
    ),
    max_size=3 if change_kinds() else 0,
)


class Play:
    """One example: Shopify's changes, the webhooks they send, delivered at random
    moments (some twice) and the syncs they queue, run at random moments."""

    def __init__(self, case, order: Order, rnd: random.Random):
        self.case, self.order, self.rnd = case, order, rnd
        self.deliveries: list[tuple[str, str, str, str]] = []  # not received yet
        self.syncs: list[tuple[str, str]] = []  # queued objects (one job each)
        self.refund_ids: list[str] = []

    def run(self, steps: list) -> None:
        self.publish()
        self.sent("orders/create", "order", str(self.order.number))
        self.sent("orders/updated", "order", str(self.order.number))
        self.shuffle()
        for step in steps:
            self.apply(*step)
            self.shuffle()
        while self.deliveries:
            self.receive()
        for _round in range(4):
            while self.syncs:
                if not self.sync(self.syncs.pop(0)):
                    break

    def shuffle(self) -> None:
        """Some deliveries arrive and some syncs run, in a random order."""
        for _i in range(self.rnd.randint(0, len(self.deliveries) + len(self.syncs))):
            if self.deliveries and (not self.syncs or self.rnd.random() < 0.5):
                self.receive()
            elif self.syncs:
                self.sync(self.syncs.pop(self.rnd.randrange(len(self.syncs))))

    def publish(self) -> None:
        self.case.fake.add(self.order.order_dict())
        for refund in self.order.refunds:
            self.case.fake.add(self.order.refund_dict(refund))

    def apply(self, kind, index, quantity, restock, unit) -> None:
        order, number = self.order, str(self.order.number)
        live = [line for line in order.lines if line.current]
        if kind == "add":
            new = Line(
                len(order.lines) + 1, SKUS[len(order.lines) % len(SKUS)], unit, 1
            )
            new.rates = order.lines[0].rates
            order.add_line(new)
            self.publish()
            self.sent("orders/edited", "order", number, edit=True)
            self.sent("orders/updated", "order", number)
            return
        if kind not in ("refund", "remove") or not live:
            return
        line = live[index % len(live)]
        keep = 0 if kind == "remove" or SHAPES["refund_whole_line"] else 1
        quantity = min(quantity, line.current - keep)
        if quantity < 1:
            return
        if kind == "remove":
            order.remove(line, quantity)
            self.publish()
            self.sent("orders/edited", "order", number, edit=True)
            self.sent("orders/updated", "order", number)
            return
        refund_id = REFUND_NUMBER + len(order.refunds)
        order.refund(refund_id, [(line, quantity, restock)])
        self.refund_ids.append(str(refund_id))
        self.publish()
        self.sent("refunds/create", "refund", str(refund_id))
        self.sent("orders/updated", "order", number)

    def sent(self, topic: str, kind: str, shopify_id: str, edit=False) -> None:
        payload = {"order_edit": {"order_id": int(shopify_id)}} if edit else {}
        payload = payload or {"id": int(shopify_id)}
        if kind == "refund":
            payload["order_id"] = self.order.number
        self.deliveries.append((topic, kind, shopify_id, json.dumps(payload)))

    def receive(self) -> None:
        """A delivery arrives (recorded and queued as the controller does); one in
        four is delivered again later, as Shopify retries do."""
        delivery = self.deliveries.pop(self.rnd.randrange(len(self.deliveries)))
        topic, kind, shopify_id, body = delivery
        headers = {
            "topic": topic,
            "webhook_id": str(uuid.UUID(int=self.rnd.getrandbits(128))),
            "event_id": str(uuid.UUID(int=self.rnd.getrandbits(128))),
            "api_version": "2026-10",
        }
        self.case.env["shopify.webhook.event"].sudo()._shopify_receive(
            self.case.shop, headers, body.encode(), json.loads(body), (kind, shopify_id)
        )
        if (kind, shopify_id) not in self.syncs:
            self.syncs.append((kind, shopify_id))
        if self.rnd.random() < 0.25:
            self.deliveries.append(delivery)

    def sync(self, obj: tuple[str, str]) -> bool:
        """Run the object's job function as the job runner would, in a transaction
        of its own (a savepoint here); a retryable job goes back to the queue."""
        shop = self.case.shop.with_company(self.case.shop.company_id)
        try:
            with self.case.env.cr.savepoint():
                shop.with_context(shopify_object=":".join(obj))._shopify_sync(*obj)
        except RetryableJobError:
            self.syncs.append(obj)
            return False
        return True


@tagged("post_install", "-at_install")
class TestOrderProperty(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.map_money(EXCLUDED + INCLUDED, "property test")

    def setUp(self):
        super().setUp()
        self.fake.reset(objects=True)
        self.reviews = []  # the examples that ended in review, described

    def test_any_order_in_any_delivery_order_ends_exact_or_in_review(self):
        outcomes = collections.Counter()

        @settings(
            # at least 300 in the suite; fewer only by hand, while developing
            max_examples=int(os.environ.get("SWS_PROPERTY_EXAMPLES") or 300),
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(order=orders(), steps=changes, rnd=st.randoms(use_true_random=False))
        def example(order, steps, rnd):
            with contextlib.closing(self.env.cr.savepoint()):
                self.fake.reset(objects=True)
                play = Play(self, order, rnd)
                play.run(steps)
                outcomes[self.assert_exact_or_in_review(order, play.refund_ids)] += 1
                self.assertEqual(self.fake.invalid_documents, [])
            self.env.invalidate_all()

        example()
        _logger.info("order property: %s", dict(outcomes))
        # Every example ends exact: each line carries Shopify's tax amounts. Before
        # that, 289 of these 300 were exact and 11 in review, every one a tax-included
        # order with a partly refunded or removed line (Odoo's tax on what is left of
        # the line against Shopify's tax less the removed part's, a cent apart).
        # What Odoo truly cannot carry is not drawn here; each case waits for review
        # with both figures and has its own test: a Shopify tax mapped to an Odoo tax
        # of another rate and another price on an invoiced line (test_order_exact), a
        # quantity below what Odoo delivered (test_refunds).
        self.assertEqual(
            outcomes["exact"], sum(outcomes.values()), "\n\n".join(self.reviews)
        )

    def test_http_deliveries_end_exact(self):
        """The same property through the HTTP path: signed deliveries, queue_job's
        runner code. A discounted order with two tax rates and shipping, then a refund
        of one unit (refunds/create, then the orders/updated Shopify sends with it)."""
        lines = [
            Line(1, SKUS[0], Decimal("20.00"), 3, (EXCLUDED[0],), Decimal("6.00")),
            Line(2, SKUS[1], Decimal("5.00"), 2, (EXCLUDED[0], EXCLUDED[1])),
        ]
        order = Order(
            ORDER_NUMBER,
            lines,
            shipping=Shipping("Generic Shipping", Decimal("4.90"), Decimal(0)),
        )
        play = Play(self, order, random.Random(1))
        play.publish()
        for topic, body in [("orders/create", {"id": ORDER_NUMBER})]:
            self.deliver(topic, json.dumps(body).encode())
            self.run_jobs()
        order.refund(REFUND_NUMBER, [(lines[0], 1, "CANCEL")])
        play.publish()
        for topic, body in [
            ("refunds/create", {"id": REFUND_NUMBER, "order_id": ORDER_NUMBER}),
            ("orders/updated", {"id": ORDER_NUMBER}),
        ]:
            self.deliver(topic, json.dumps(body).encode())
            self.run_jobs()
        self.assert_exact_or_in_review(order, [str(REFUND_NUMBER)])
        self.assertEqual(set(self.events().mapped("state")), {"done"})

    # -- the property --

    def assert_exact_or_in_review(self, order: Order, refund_ids: list[str]):
        self.env.invalidate_all()
        events = self.events()
        where = self.describe(order, events)
        self.assertFalse(
            events.filtered(lambda e: e.state in ("failed", "needs_mapping")),
            f"an event failed or needs a mapping\n{where}",
        )
        order_events = events.filtered(lambda e: e.object_kind == "order")
        review = order_events.filtered(lambda e: e.state == "needs_review")
        for event in events.filtered(lambda e: e.state == "needs_review"):
            figures = FIGURES if event.object_kind == "order" else REFUND_FIGURES
            self.assertRegex(event.error_message, figures, f"both figures\n{where}")
        if review:
            self.reviews.append(where)
            return "review"  # waiting for review, with both figures
        self.assertEqual(set(order_events.mapped("state")), {"done"}, where)
        binding = self.env["shopify.order.binding"].search(
            [("shop_id", "=", self.shop.id), ("shopify_id", "=", str(order.number))]
        )
        sale_order = binding.sale_order_id
        self.assertEqual(sale_order.state, "sale", where)
        currency = sale_order.currency_id.name
        self.assertIn(currency, (order.currency, "USD"), where)
        expected = order.expected(currency)
        odoo = {
            "untaxed": sale_order.amount_untaxed,
            "tax": sale_order.amount_tax,
            "total": sale_order.amount_total,
        }
        self.assertEqual(
            {k: cents(Decimal(str(v))) for k, v in odoo.items()},
            expected,
            f"a confirmed order differs from Shopify\n{where}",
        )
        self.assert_credit_notes(order, refund_ids, events, currency, where)
        return "exact"

    def assert_credit_notes(self, order, refund_ids, events, currency, where):
        for refund in order.refunds:
            done = events.filtered(
                lambda e, r=refund: (
                    e.object_kind == "refund"
                    and e.object_id == str(r.number)
                    and e.state == "done"
                )
            )
            if not done:
                continue
            binding = self.env["shopify.refund.binding"].search(
                [
                    ("shop_id", "=", self.shop.id),
                    ("shopify_id", "=", str(refund.number)),
                ]
            )
            if not binding.move_id:  # no credit note (an order never invoiced)
                continue
            data = order.refund_dict(refund)["totalRefundedSet"]
            money = data[
                "presentmentMoney" if currency == order.currency else "shopMoney"
            ]
            self.assertEqual(
                cents(Decimal(str(binding.move_id.amount_total))),
                Decimal(money["amount"]),
                f"credit note of refund {refund.number}\n{where}",
            )

    def describe(self, order: Order, events) -> str:
        lines = [
            f"Shopify: {order.expected(order.currency)} in {order.currency}, "
            f"{order.expected('USD')} in USD; taxes included: {order.taxes_included}",
            *(
                f"  line {line.sku} {line.unit} x {line.quantity} (now {line.current})"
                f" rates {[str(r.rate) for r in line.rates]} discounts "
                f"{line.line_discount}+{line.order_discount}"
                for line in order.lines
            ),
            f"  shipping {order.shipping}",
            *(
                f"  refund {r.number}: "
                f"{[(rl.line.sku, rl.quantity, rl.restock) for rl in r.lines]}"
                for r in order.refunds
            ),
            *(
                f"  event {e.topic} {e.object_id}: {e.state} {e.error_message or ''}"
                for e in events
            ),
        ]
        binding = self.env["shopify.order.binding"].search(
            [("shop_id", "=", self.shop.id)]
        )
        for so in binding.sale_order_id:
            lines.append(
                f"  Odoo {so.name} {so.state} {so.currency_id.name}: untaxed "
                f"{so.amount_untaxed} tax {so.amount_tax} total {so.amount_total}; "
                + ", ".join(
                    f"{sol.product_id.default_code} {sol.product_uom_qty} x "
                    f"{sol.price_unit}"
                    for sol in so.order_line
                )
            )
        return "\n".join(lines)
