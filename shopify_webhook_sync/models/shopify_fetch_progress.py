"""What a long Shopify read has fetched so far, kept across a throttled retry.

A large order is read page by page; when Shopify's rate limit stops the read, the job is
retried later in a new transaction (maybe in another worker process) and the job's own
transaction is rolled back. The pages already read are written here through a cursor of
their own, so the retry goes on from the next page instead of starting again. A read
that completes removes its row; rows nobody came back for are vacuumed after a day.
"""

import json

from odoo import api, fields, models

STALE_AFTER = "1 day"


class ShopifyFetchProgress(models.Model):
    _name = "shopify.fetch.progress"
    _description = "Shopify Read in Progress"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True
    )
    key = fields.Char(required=True, help="The read: GraphQL operation and variables.")
    progress = fields.Json(help="The object, its nodes read, the next page's cursor.")

    _sql_constraints = [
        ("key_uniq", "UNIQUE(shop_id, key)", "One read in progress per object."),
    ]

    @api.autovacuum
    def _gc_stale(self):
        self.env.cr.execute(
            "DELETE FROM shopify_fetch_progress WHERE write_date < "
            "(now() at time zone 'UTC') - interval %s",
            [STALE_AFTER],
        )


class FetchProgressStore:
    """The client's progress store (``lib.client.ProgressStore``) for one shop."""

    def __init__(self, shop):
        self.shop = shop

    def load(self, key: str) -> dict | None:
        self.shop.env.cr.execute(
            "SELECT progress FROM shopify_fetch_progress"
            " WHERE shop_id = %s AND key = %s"
            " AND write_date >= (now() at time zone 'UTC') - interval %s",
            [self.shop.id, key, STALE_AFTER],
        )
        row = self.shop.env.cr.fetchone()
        return row[0] if row else None

    def save(self, key: str, progress: dict) -> None:
        """Committed at once, in a transaction of its own: the job's is rolled back."""
        with self.shop.env.registry.cursor() as cr:
            cr.execute(
                """
                INSERT INTO shopify_fetch_progress
                    (shop_id, key, progress, create_uid, write_uid, create_date,
                     write_date)
                VALUES (%s, %s, %s::jsonb, %s, %s, now() at time zone 'UTC',
                        now() at time zone 'UTC')
                ON CONFLICT (shop_id, key) DO UPDATE
                    SET progress = EXCLUDED.progress, write_date = EXCLUDED.write_date
                """,
                [
                    self.shop.id,
                    key,
                    json.dumps(progress),
                    self.shop.env.uid,
                    self.shop.env.uid,
                ],
            )

    def clear(self, key: str) -> None:
        """In the job's transaction: the read is over once the job's work commits."""
        self.shop.env.cr.execute(
            "DELETE FROM shopify_fetch_progress WHERE shop_id = %s AND key = %s",
            [self.shop.id, key],
        )
