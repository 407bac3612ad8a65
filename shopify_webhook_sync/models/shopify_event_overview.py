"""The figures an operator reads every day, per shop and topic, for the events received
today, in the last 7 days and in the last 30 days (UTC calendar days, today included):
completed, failed, retried, fixed by hand, duplicate deliveries skipped, and the
event-to-record time (median and 95th percentile). Each figure opens the list it counts.

The figures are read from a daily rollup, not from the events, so that 30 days of a
busy shop open as fast as today:

* ``shopify_event_daily`` holds, per shop, topic, day of arrival and *time key*, the
  counts of that day's events; the time key is the event-to-record time of the done
  events the row counts (to the hundredth of a second, three significant digits above
  100 s), so the row set is the day's histogram and p50/p95 come out of it exactly at
  that precision.
* Every insert, delete or relevant update of an event or a duplicate appends its
  difference (the old row's counts taken away, the new row's added) to
  ``shopify_event_daily_delta`` by a database trigger: whatever writes an event (the
  ORM, the webhook's INSERT, a job's UPDATE), the rollup follows in the same
  transaction. The delta table is append-only, so concurrent deliveries never wait on
  a counter row.
* The Overview sums both tables: today's figures are live. A cron folds the deltas
  into the daily rows every few minutes.
"""

from odoo import api, fields, models, tools
from odoo.tools import SQL

# resolutions that are manual corrections: fixed by hand, or rejected in review
MANUAL_CORRECTIONS = ("fixed", "rejected")
PERIODS = [("today", "Today"), ("7d", "Last 7 Days"), ("30d", "Last 30 Days")]

# figure -> domain on the events counted (received in the period, shop and topic)
FIGURE_DOMAINS = {
    "received": [],
    "completed": [("state", "=", "done")],
    "failed": [("state", "=", "failed")],
    "retried": [("attempt_count", ">", 1)],
    "corrected": [("resolution", "in", MANUAL_CORRECTIONS)],
    "p50": [("state", "=", "done")],
    "p95": [("state", "=", "done")],
}

COUNTS = ("received", "completed", "failed", "retried", "corrected", "duplicates")

ROLLUP = """
CREATE TABLE IF NOT EXISTS shopify_event_daily (
    shop_id integer NOT NULL REFERENCES shopify_shop (id) ON DELETE CASCADE,
    topic varchar NOT NULL,
    day date NOT NULL,
    seconds numeric,
    received integer NOT NULL DEFAULT 0,
    completed integer NOT NULL DEFAULT 0,
    failed integer NOT NULL DEFAULT 0,
    retried integer NOT NULL DEFAULT 0,
    corrected integer NOT NULL DEFAULT 0,
    duplicates integer NOT NULL DEFAULT 0,
    CONSTRAINT shopify_event_daily_key
        UNIQUE NULLS NOT DISTINCT (shop_id, topic, day, seconds)
);
CREATE INDEX IF NOT EXISTS shopify_event_daily_day_idx ON shopify_event_daily (day);
CREATE TABLE IF NOT EXISTS shopify_event_daily_delta (
    LIKE shopify_event_daily INCLUDING DEFAULTS
);
CREATE INDEX IF NOT EXISTS shopify_event_daily_delta_topic_idx
    ON shopify_event_daily_delta (shop_id, topic, day);

-- every (shop, topic) ever received, numbered: the Overview's rows take their ids
-- from here (stable, and small enough for XML-RPC)
CREATE TABLE IF NOT EXISTS shopify_event_topic (
    id serial PRIMARY KEY,
    shop_id integer NOT NULL REFERENCES shopify_shop (id) ON DELETE CASCADE,
    topic varchar NOT NULL,
    UNIQUE (shop_id, topic)
);
CREATE OR REPLACE FUNCTION shopify_event_topic_register(shop integer, name varchar)
    RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM shopify_event_topic WHERE shop_id = shop AND topic = name
    ) THEN
        -- Concurrent first deliveries of a topic: the one that lost finds the
        -- number committed after its snapshot (REPEATABLE READ refuses it), which
        -- is all this needs; the delivery itself goes on.
        BEGIN
            INSERT INTO shopify_event_topic (shop_id, topic) VALUES (shop, name)
                ON CONFLICT DO NOTHING;
        EXCEPTION WHEN serialization_failure THEN
            NULL;
        END;
    END IF;
END $$;

-- the histogram key of an event-to-record time
CREATE OR REPLACE FUNCTION shopify_sync_seconds_key(s numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN s < 100 THEN round(s, 2)
                ELSE round(s, 2 - floor(log(s))::integer) END
$$;

-- an event's counts, times factor (+1 as it is now, -1 as it was), as a delta
-- (PL/pgSQL: its INSERT's plan is kept from one row to the next)
CREATE OR REPLACE FUNCTION shopify_event_daily_add(
    e shopify_webhook_event, factor integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO shopify_event_daily_delta VALUES (
        e.shop_id, e.topic, e.received_at::date,
        CASE WHEN e.state = 'done' THEN shopify_sync_seconds_key(e.sync_seconds) END,
        factor,
        factor * (e.state = 'done')::integer,
        factor * (e.state = 'failed')::integer,
        factor * (COALESCE(e.attempt_count, 0) > 1)::integer,
        factor * (COALESCE(e.resolution IN ('fixed', 'rejected'), false))::integer,
        0);
END $$;

CREATE OR REPLACE FUNCTION shopify_event_daily_track() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM shopify_event_daily_add(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM shopify_event_topic_register(NEW.shop_id, NEW.topic);
        PERFORM shopify_event_daily_add(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION shopify_duplicate_daily_track() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO shopify_event_daily_delta (shop_id, topic, day, duplicates)
            VALUES (OLD.shop_id, OLD.topic, OLD.received_at::date, -1);
    ELSE
        PERFORM shopify_event_topic_register(NEW.shop_id, NEW.topic);
        INSERT INTO shopify_event_daily_delta (shop_id, topic, day, duplicates)
            VALUES (NEW.shop_id, NEW.topic, NEW.received_at::date, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER shopify_event_daily_insert_delete
    AFTER INSERT OR DELETE ON shopify_webhook_event
    FOR EACH ROW EXECUTE FUNCTION shopify_event_daily_track();
CREATE OR REPLACE TRIGGER shopify_event_daily_update
    AFTER UPDATE OF shop_id, topic, received_at, state, sync_seconds,
        attempt_count, resolution ON shopify_webhook_event
    FOR EACH ROW
    WHEN ((OLD.shop_id, OLD.topic, OLD.received_at, OLD.state, OLD.sync_seconds,
           OLD.attempt_count, OLD.resolution)
          IS DISTINCT FROM
          (NEW.shop_id, NEW.topic, NEW.received_at, NEW.state, NEW.sync_seconds,
           NEW.attempt_count, NEW.resolution))
    EXECUTE FUNCTION shopify_event_daily_track();
CREATE OR REPLACE TRIGGER shopify_duplicate_daily
    AFTER INSERT OR DELETE ON shopify_webhook_duplicate
    FOR EACH ROW EXECUTE FUNCTION shopify_duplicate_daily_track();
"""

# Every event and duplicate stored before the rollup existed, in the delta table
# (the first fold makes them daily rows).
BACKFILL = """
INSERT INTO shopify_event_topic (shop_id, topic)
    SELECT shop_id, topic FROM shopify_webhook_event
    UNION SELECT shop_id, topic FROM shopify_webhook_duplicate
    ORDER BY 1, 2
    ON CONFLICT DO NOTHING;
SELECT count(shopify_event_daily_add(e, 1)) FROM shopify_webhook_event e;
INSERT INTO shopify_event_daily_delta (shop_id, topic, day, duplicates)
    SELECT shop_id, topic, received_at::date, 1 FROM shopify_webhook_duplicate;
"""

# The deltas visible to this transaction become daily rows; rows that count nothing
# any more go. Deltas appended meanwhile by others stay for the next fold.
FOLD = """
WITH moved AS (
    DELETE FROM shopify_event_daily_delta RETURNING *
), summed AS (
    SELECT shop_id, topic, day, seconds,
        sum(received) AS received, sum(completed) AS completed,
        sum(failed) AS failed, sum(retried) AS retried,
        sum(corrected) AS corrected, sum(duplicates) AS duplicates
    FROM moved
    GROUP BY shop_id, topic, day, seconds
)
INSERT INTO shopify_event_daily AS d
    SELECT * FROM summed
ON CONFLICT ON CONSTRAINT shopify_event_daily_key DO UPDATE SET
    received = d.received + excluded.received,
    completed = d.completed + excluded.completed,
    failed = d.failed + excluded.failed,
    retried = d.retried + excluded.retried,
    corrected = d.corrected + excluded.corrected,
    duplicates = d.duplicates + excluded.duplicates;
DELETE FROM shopify_event_daily
    WHERE received = 0 AND completed = 0 AND failed = 0 AND retried = 0
        AND corrected = 0 AND duplicates = 0;
"""

# One row per period, shop and topic: its counts summed over the period's days, and
# p50/p95 from the period's histogram (read for that row only: a LATERAL join on the
# rollup's unique index). percentile_cont over a histogram: the values at the two
# ranks around q * (N - 1), interpolated. One branch per period, each with its first
# day as a constant offset from today: a filter on the period keeps only its branch,
# and the planner estimates the days it reads (no JIT for a few thousand rows).
PERIOD_ROWS = """
SELECT
    -- one id per period, shop and topic, the same from one read to the next
    topic_row.id * 4 + {n} AS id,
    '{period}'::varchar AS period,
    (timezone('UTC', now())::date - {days})::timestamp AS period_start,
    t.shop_id, t.topic,
    t.received, t.completed, t.failed, t.retried, t.corrected, t.duplicates,
    (q.low50 + (q.high50 - q.low50) * (t.rank50 - floor(t.rank50)))::float AS p50,
    (q.low95 + (q.high95 - q.low95) * (t.rank95 - floor(t.rank95)))::float AS p95
FROM (
    SELECT d.shop_id, d.topic,
        sum(d.received)::integer AS received,
        sum(d.completed)::integer AS completed,
        sum(d.failed)::integer AS failed,
        sum(d.retried)::integer AS retried,
        sum(d.corrected)::integer AS corrected,
        sum(d.duplicates)::integer AS duplicates,
        -- the done events that have a time, and the ranks (from 0) of p50 and p95
        sum(d.completed) FILTER (WHERE d.seconds IS NOT NULL) AS timed,
        0.5 * (sum(d.completed) FILTER (WHERE d.seconds IS NOT NULL) - 1) AS rank50,
        0.95 * (sum(d.completed) FILTER (WHERE d.seconds IS NOT NULL) - 1) AS rank95
    FROM days d
    WHERE d.day >= timezone('UTC', now())::date - {days}
    GROUP BY d.shop_id, d.topic
    HAVING sum(d.received) <> 0 OR sum(d.duplicates) <> 0
) t
JOIN shopify_event_topic topic_row
    ON topic_row.shop_id = t.shop_id AND topic_row.topic = t.topic
LEFT JOIN LATERAL (
    SELECT
        min(h.seconds) FILTER (WHERE h.upto > floor(t.rank50)) AS low50,
        min(h.seconds) FILTER (
            WHERE h.upto > least(floor(t.rank50) + 1, t.timed - 1)
        ) AS high50,
        min(h.seconds) FILTER (WHERE h.upto > floor(t.rank95)) AS low95,
        min(h.seconds) FILTER (
            WHERE h.upto > least(floor(t.rank95) + 1, t.timed - 1)
        ) AS high95
    FROM (
        -- the period's histogram: done events up to and including each time key
        SELECT d.seconds, sum(sum(d.completed)) OVER (ORDER BY d.seconds) AS upto
        FROM days d
        WHERE d.shop_id = t.shop_id AND d.topic = t.topic
            AND d.day >= timezone('UTC', now())::date - {days}
            AND d.seconds IS NOT NULL
        GROUP BY d.seconds
    ) h
) q ON t.timed > 0
"""
VIEW = """
WITH days AS NOT MATERIALIZED (
    SELECT * FROM shopify_event_daily
    UNION ALL
    SELECT * FROM shopify_event_daily_delta
)
""" + "UNION ALL".join(
    PERIOD_ROWS.format(period=period, n=n, days=days)
    for n, (period, days) in enumerate((("today", 0), ("7d", 6), ("30d", 29)))
)


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
        help="Events a person closed as fixed by hand, or rejected in review (manual "
        "corrections).",
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
        cr = self.env.cr
        cr.execute("SELECT to_regclass('shopify_event_daily') IS NULL")
        [new_rollup] = cr.fetchone()
        cr.execute(ROLLUP)
        if new_rollup:
            cr.execute(BACKFILL)
            cr.execute(FOLD)
        # The previous, direct view's index: the Overview no longer reads the events.
        cr.execute("DROP INDEX IF EXISTS shopify_webhook_event_overview_idx")
        tools.drop_view_if_exists(cr, self._table)
        cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                SQL(VIEW),  # a constant of this module
            )
        )

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        self._no_jit()
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def _fetch_query(self, query, fields):
        self._no_jit()
        return super()._fetch_query(query, fields)

    def _no_jit(self):
        """The view reads a few thousand rollup rows, yet its planner estimates are
        high enough for PostgreSQL's JIT, whose compiling took 0.3 to 3 s of a
        read of 0.4 s: off for this transaction (reads only)."""
        self.env.cr.execute("SET LOCAL jit = off")

    @api.model
    def _shopify_totals(self, shop_ids) -> dict:
        """shop id -> (events, duplicates) ever received, from the rollup."""
        if not shop_ids:
            return {}
        self.env.cr.execute(
            """
            SELECT shop_id, sum(received), sum(duplicates) FROM (
                SELECT shop_id, received, duplicates FROM shopify_event_daily
                UNION ALL
                SELECT shop_id, received, duplicates FROM shopify_event_daily_delta
            ) d
            WHERE shop_id IN %s GROUP BY shop_id
            """,
            [tuple(shop_ids)],
        )
        return {shop: (int(n), int(dup)) for shop, n, dup in self.env.cr.fetchall()}

    @api.model
    def _fold_deltas(self):
        """Fold the rollup's deltas into its daily rows (the cron, every few
        minutes; the figures are the same before and after). One folder at a
        time: another one running means this one has nothing to do."""
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_xact_lock(hashtext('shopify_event_daily'))")
        if cr.fetchone()[0]:
            cr.execute(FOLD)

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
