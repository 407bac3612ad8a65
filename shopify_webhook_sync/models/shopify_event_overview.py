"""The figures an operator reads every day, per shop and topic, for the events received
today, in the last 7 days and in the last 30 days: completed, failed, retried, fixed by
hand, duplicate deliveries skipped, and the event-to-record time (median and 95th
percentile). A database view computed by SQL aggregates over the events' covering index;
each figure opens the list it counts."""

from odoo import fields, models, tools
from odoo.tools import SQL

PERIODS = [("today", "Today"), ("7d", "Last 7 Days"), ("30d", "Last 30 Days")]

# figure -> domain on the events counted (received in the period, shop and topic)
FIGURE_DOMAINS = {
    "received": [],
    "completed": [("state", "=", "done")],
    "failed": [("state", "=", "failed")],
    "retried": [("attempt_count", ">", 1)],
    "corrected": [("resolution", "=", "fixed")],
    "p50": [("state", "=", "done")],
    "p95": [("state", "=", "done")],
}

VIEW = """
WITH periods (period, n, period_start) AS (
    VALUES
        ('today', 0, date_trunc('day', timezone('UTC', now()))),
        ('7d', 1, timezone('UTC', now()) - interval '7 days'),
        ('30d', 2, timezone('UTC', now()) - interval '30 days')
),
rows AS (
    SELECT p.period, p.n, p.period_start, e.shop_id, e.topic, e.id AS event_id,
        NULL::integer AS duplicate_id, e.state, e.attempt_count, e.resolution,
        e.sync_seconds
    FROM periods p
    JOIN shopify_webhook_event e ON e.received_at >= p.period_start
    UNION ALL
    SELECT p.period, p.n, p.period_start, d.shop_id, d.topic, NULL, d.id, NULL, NULL,
        NULL, NULL
    FROM periods p
    JOIN shopify_webhook_duplicate d ON d.received_at >= p.period_start
)
SELECT
    -- stable while the group's first event stays in the period: period n, then a
    -- duplicate-only group (no event) above every event id
    (COALESCE(min(event_id), min(duplicate_id) + 1099511627776)::bigint * 4 + n)
        AS id,
    period, period_start, shop_id, topic,
    count(event_id) AS received,
    count(*) FILTER (WHERE state = 'done') AS completed,
    count(*) FILTER (WHERE state = 'failed') AS failed,
    count(*) FILTER (WHERE attempt_count > 1) AS retried,
    count(*) FILTER (WHERE resolution = 'fixed') AS corrected,
    count(duplicate_id) AS duplicates,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY sync_seconds)
        FILTER (WHERE state = 'done') AS p50,
    percentile_cont(0.95) WITHIN GROUP (ORDER BY sync_seconds)
        FILTER (WHERE state = 'done') AS p95
FROM rows
GROUP BY period, n, period_start, shop_id, topic
"""


class ShopifyEventOverview(models.Model):
    _name = "shopify.event.overview"
    _description = "Shopify Sync Metrics"
    _auto = False
    _order = "shop_id, topic"
    _rec_name = "topic"

    period = fields.Selection(PERIODS, readonly=True)
    period_start = fields.Datetime(readonly=True)
    shop_id = fields.Many2one("shopify.shop", readonly=True)
    topic = fields.Char(readonly=True)
    received = fields.Integer(readonly=True)
    completed = fields.Integer(readonly=True)
    failed = fields.Integer(readonly=True)
    retried = fields.Integer(
        readonly=True, help="Events whose object needed more than one attempt."
    )
    corrected = fields.Integer(
        string="Fixed by Hand",
        readonly=True,
        help="Events a person closed as fixed by hand (manual corrections).",
    )
    duplicates = fields.Integer(
        string="Duplicates Skipped",
        readonly=True,
        help="Deliveries received again and ignored.",
    )
    p50 = fields.Float(
        string="Event to Record p50 (s)",
        readonly=True,
        digits=(16, 2),
        aggregator=False,
    )
    p95 = fields.Float(
        string="Event to Record p95 (s)",
        readonly=True,
        digits=(16, 2),
        aggregator=False,
    )

    def init(self):
        # The view reads only this index (an index-only scan of the period's range).
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS shopify_webhook_event_overview_idx ON "
            "shopify_webhook_event (received_at) INCLUDE (shop_id, topic, state, "
            "attempt_count, resolution, sync_seconds)"
        )
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS shopify_webhook_duplicate_received_idx ON "
            "shopify_webhook_duplicate (received_at) INCLUDE (shop_id, topic)"
        )
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                SQL(VIEW),  # a constant of this module
            )
        )

    def action_open_figure(self):
        """The list a figure counts (``figure`` in the context)."""
        self.ensure_one()
        figure = self.env.context.get("figure", "received")
        scope = [
            ("shop_id", "=", self.shop_id.id),
            ("topic", "=", self.topic),
            ("received_at", ">=", fields.Datetime.to_string(self.period_start)),
        ]
        if figure == "duplicates":
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "shopify_webhook_sync.action_shopify_webhook_duplicate"
            )
            action["domain"] = scope
            return action
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_webhook_sync.action_shopify_webhook_event"
        )
        action["domain"] = scope + FIGURE_DOMAINS[figure]
        action["context"] = {}
        return action


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"

    def action_open_metrics(self):
        """The shop's figures (Shopify > Metrics), today's first."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_webhook_sync.action_shopify_event_overview"
        )
        action["domain"] = [("shop_id", "in", self.ids)]
        return action
