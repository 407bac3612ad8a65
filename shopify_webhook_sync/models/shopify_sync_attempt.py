"""One run of the sync job on one Shopify object: when, how long, and how it ended.

Attempts are the object's history: a retry or a new delivery never erases what an
earlier attempt said. The job writes them; those that end with the job's transaction
rolled back (a retry, a failure) are written in a cursor of their own, so they
survive."""

import logging
import time

import psycopg2

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

OUTCOMES = [
    ("done", "Done"),
    ("needs_mapping", "Needs Mapping"),
    ("needs_review", "Needs Review"),
    ("to_approve", "To Approve"),
    ("failed", "Failed"),
    ("ignored", "Ignored"),
    ("retry", "Retried Later"),
]
ERROR_KINDS = [
    ("transient", "Shopify unavailable or throttled"),
    ("concurrency", "Concurrent change"),
    ("credentials", "Credentials refused"),
    ("mapping", "Missing mapping"),
    ("review", "Needs a person"),
    ("business", "Refused"),
    ("error", "Unexpected error"),
]
# SyncBlocked state -> error kind
BLOCKED_KINDS = {
    "needs_mapping": "mapping",
    "needs_review": "review",
    "failed": "business",
}


class ShopifySyncAttempt(models.Model):
    _name = "shopify.sync.attempt"
    _description = "Shopify Sync Attempt"
    _order = "started_at desc, id desc"
    _rec_name = "started_at"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True
    )
    object_kind = fields.Char(required=True)
    object_id = fields.Char(string="Shopify ID", required=True)
    started_at = fields.Datetime(required=True)
    duration = fields.Float(string="Duration (s)", digits=(16, 3))
    outcome = fields.Selection(OUTCOMES, required=True)
    error_kind = fields.Selection(ERROR_KINDS)
    message = fields.Text()
    job_uuid = fields.Char(string="Job UUID")

    def init(self):
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS shopify_sync_attempt_object_idx ON "
            "shopify_sync_attempt (shop_id, object_kind, object_id, started_at)"
        )

    @api.model
    def _shopify_log(self, shop, kind, shopify_id, events, outcome, **values):
        """Record one attempt and count it on the object's open ``events``.

        ``values``: ``started_at`` (when the attempt began), ``started``
        (time.monotonic() then, for the duration), ``error_kind``, ``message``."""
        started = values.pop("started", None)
        now = fields.Datetime.now()
        started_at = values.pop("started_at", None) or now
        duration = (
            time.monotonic() - started
            if started is not None
            else (now - started_at).total_seconds()
        )
        attempt = self.sudo().create(
            {
                "shop_id": shop.id,
                "object_kind": kind,
                "object_id": shopify_id,
                "started_at": started_at,
                "duration": duration,
                "outcome": outcome,
                "job_uuid": self.env.context.get("job_uuid")
                or events[:1].job_uuid
                or False,
                **values,
            }
        )
        if events:
            self.env.cr.execute(
                "UPDATE shopify_webhook_event "
                "SET attempt_count = COALESCE(attempt_count, 0) + 1 WHERE id IN %s",
                [tuple(events.ids)],
            )
            events.invalidate_recordset(["attempt_count"])
        return attempt

    @api.model
    def _shopify_retry_of_this_try(self, job):
        """The attempt the job's current try recorded as retried later, if any: it
        began when the job started (``date_started``, which keeps microseconds where
        attempts are dated to the second); an earlier try ended before its retry
        was due."""
        if not job.date_started:
            return self.browse()
        return self.sudo().search(
            [
                ("job_uuid", "=", job.uuid),
                ("outcome", "=", "retry"),
                ("started_at", ">=", job.date_started.replace(microsecond=0)),
            ],
            order="id desc",
            limit=1,
        )

    @api.model
    def _shopify_log_apart(self, shop, kind, shopify_id, outcome, **values):
        """Record an attempt whose job is about to be rolled back (a retry), in its
        own committed cursor. An event row locked elsewhere is not waited for: the
        count is skipped, the attempt is still kept."""
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr)
            cr.execute("SET LOCAL lock_timeout = '2s'")
            shop = shop.with_env(env)
            Attempt = env[self._name]
            events = env["shopify.webhook.event"]._shopify_open_events(
                shop, kind, shopify_id
            )
            try:
                with cr.savepoint():
                    Attempt._shopify_log(
                        shop, kind, shopify_id, events, outcome, **values
                    )
            except psycopg2.errors.LockNotAvailable:
                _logger.warning("%s %s: attempt not counted (locked)", kind, shopify_id)
                Attempt._shopify_log(
                    shop, kind, shopify_id, events.browse(), outcome, **values
                )
