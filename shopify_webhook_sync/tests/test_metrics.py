"""The Metrics figures come from a daily rollup kept by the database: they must equal
what the events themselves say, for today, 7 and 30 days, whether the recent changes
are still deltas or already folded into daily rows, and after an old event changes."""

from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from odoo import fields
from odoo.tests import tagged

from .common import ShopifyCase

DAYS = {"today": 0, "7d": 6, "30d": 29}


def seconds_key(seconds: float) -> Decimal:
    """The rollup's time key: to the hundredth of a second, three significant digits
    from 100 s (PostgreSQL's round: halves away from zero)."""
    value = Decimal(str(seconds))
    if value < 100:
        return value.quantize(Decimal("0.01"), ROUND_HALF_UP)
    exponent = value.adjusted() - 2
    return value.quantize(Decimal(f"1E{exponent}"), ROUND_HALF_UP)


def percentile(values, q):
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    values = sorted(values)
    position = q * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return float(values[low] + (values[high] - values[low]) * Decimal(position - low))


@tagged("post_install", "-at_install")
class TestMetricsRollup(ShopifyCase):
    def setUp(self):
        super().setUp()
        self.Event = self.env["shopify.webhook.event"].sudo()
        self.today = datetime.combine(fields.Date.today(), time(0, 0))
        self.serial = 0

    def event(self, days_ago, state="done", seconds=None, **vals):
        """An event received ``days_ago`` (done ``seconds`` after it arrived)."""
        self.serial += 1
        received = self.today - timedelta(days=days_ago, minutes=-self.serial)
        values = {
            "shop_id": self.shop.id,
            "topic": "orders/create",
            "webhook_id": f"metrics-{self.serial}",
            "received_at": received,
            "state": state,
            **vals,
        }
        if seconds is not None:
            values["done_at"] = received + timedelta(seconds=seconds)
        return self.Event.create(values)

    def duplicate(self, days_ago, topic="orders/create"):
        self.serial += 1
        return (
            self.env["shopify.webhook.duplicate"]
            .sudo()
            .create(
                {
                    "shop_id": self.shop.id,
                    "topic": topic,
                    "webhook_id": f"dup-{self.serial}",
                    "reason": "webhook_id",
                    "received_at": self.today - timedelta(days=days_ago),
                }
            )
        )

    def expected(self):
        """The figures, computed from the events and duplicates themselves."""
        events = self.Event.search([("shop_id", "=", self.shop.id)])
        duplicates = self.env["shopify.webhook.duplicate"].search(
            [("shop_id", "=", self.shop.id)]
        )
        figures = {}
        for period, days in DAYS.items():
            first = self.today - timedelta(days=days)
            for topic in set(events.mapped("topic")) | set(duplicates.mapped("topic")):
                mine = events.filtered(
                    lambda e, t=topic, f=first: e.topic == t and e.received_at >= f
                )
                done = mine.filtered(lambda e: e.state == "done")
                times = [seconds_key(e.sync_seconds) for e in done if e.done_at]
                row = {
                    "received": len(mine),
                    "completed": len(done),
                    "failed": len(mine.filtered(lambda e: e.state == "failed")),
                    "retried": len(mine.filtered(lambda e: e.attempt_count > 1)),
                    "corrected": len(mine.filtered(lambda e: e.resolution == "fixed")),
                    "duplicates": len(
                        duplicates.filtered(
                            lambda d, t=topic, f=first: (
                                d.topic == t and d.received_at >= f
                            )
                        )
                    ),
                    "p50": percentile(times, 0.5) if times else False,
                    "p95": percentile(times, 0.95) if times else False,
                }
                if row["received"] or row["duplicates"]:
                    figures[period, topic] = row
        return figures

    def figures(self):
        self.env.flush_all()
        self.env.invalidate_all()
        rows = self.env["shopify.event.overview"].search_read(
            [("shop_id", "=", self.shop.id)],
            ["period", "topic", "period_start", *self.expected_keys],
        )
        for row in rows:
            days = DAYS[row["period"]]
            self.assertEqual(row["period_start"], self.today - timedelta(days=days))
        return {
            (row["period"], row["topic"]): {key: row[key] for key in self.expected_keys}
            for row in rows
        }

    expected_keys = (
        "received",
        "completed",
        "failed",
        "retried",
        "corrected",
        "duplicates",
        "p50",
        "p95",
    )

    def assertFigures(self):
        expected, actual = self.expected(), self.figures()
        self.assertEqual(set(actual), set(expected))
        for key, row in expected.items():
            for figure in ("p50", "p95"):
                if row[figure] is not False:
                    self.assertAlmostEqual(actual[key][figure], row[figure], 6)
                    actual[key][figure] = row[figure]
            self.assertEqual(actual[key], row, key)

    def fold(self):
        self.env.flush_all()
        self.env["shopify.event.overview"]._fold_deltas()
        self.env.cr.execute("SELECT count(*) FROM shopify_event_daily_delta")
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_the_figures_equal_the_events_before_and_after_folding(self):
        for days_ago, seconds in [
            (0, 0.2),
            (0, 1.234),
            (0, 1.235),
            (0, 7.5),
            (2, 0.31),
            (2, 250.4),
            (5, 3600.9),
            (10, 0.8),
            (10, 12.0),
            (29, 2.0),
            (30, 5.0),
            (45, 9.0),
        ]:
            self.event(days_ago, seconds=seconds)
        self.event(0, "failed", attempt_count=3)
        self.event(3, "needs_review", attempt_count=1)
        self.event(8, "resolved", resolution="fixed", attempt_count=2)
        self.event(20, "ignored", resolution="ignored")
        self.event(1, "done", seconds=4.0, topic="customers/update", attempt_count=2)
        self.duplicate(0)
        self.duplicate(6)
        self.duplicate(12, topic="products/update")
        self.assertFigures()
        self.assertShopTotals()
        ids = self.row_ids()
        self.fold()
        self.assertFigures()
        self.assertShopTotals()
        self.assertEqual(self.row_ids(), ids, "a row keeps its id once folded")

    def assertShopTotals(self):
        """The Overview's shop card: every event and duplicate ever received."""
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(
            (self.shop.event_count, self.shop.duplicate_count),
            (
                self.Event.search_count([("shop_id", "=", self.shop.id)]),
                self.env["shopify.webhook.duplicate"].search_count(
                    [("shop_id", "=", self.shop.id)]
                ),
            ),
        )

    def row_ids(self):
        rows = self.env["shopify.event.overview"].search_read(
            [("shop_id", "=", self.shop.id)], ["period", "topic"]
        )
        return {(row["period"], row["topic"]): row["id"] for row in rows}

    def test_an_old_event_changing_moves_its_days_figures(self):
        old = self.event(9, "failed", attempt_count=1)
        self.event(9, seconds=2.0)
        self.fold()
        self.assertFigures()
        # Retried and done today: its day of arrival counts it as done and retried.
        old.write(
            {
                "state": "done",
                "attempt_count": 2,
                "done_at": fields.Datetime.now(),
            }
        )
        self.assertFigures()
        self.fold()
        self.assertFigures()
        old.unlink()
        self.assertFigures()
        self.fold()
        self.assertFigures()
