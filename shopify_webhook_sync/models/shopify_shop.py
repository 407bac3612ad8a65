"""A Shopify store connected to this Odoo: its credentials, and the job that syncs one
Shopify object (``_shopify_sync``), which every webhook delivery ends up enqueuing."""

import logging
import time

import psycopg2

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.utils import must_run_without_delay

from ..lib.auth import ShopifyCredentialsError
from ..lib.client import (
    ShopifyThrottledError,
    ShopifyTransientError,
    ShopifyUnauthorizedError,
)
from ..lib.queries import API_VERSION
from ..lib.webhook import GID_TYPES, SHOP_DOMAIN_RE, to_gid, verify
from .shopify_sync_attempt import BLOCKED_KINDS
from .shopify_webhook_event import OPEN_STATES, PROBLEM_STATES

_logger = logging.getLogger(__name__)

# One pattern for the configured domain and X-Shopify-Shop-Domain (lib.webhook).
DOMAIN_RE = SHOP_DOMAIN_RE
WEBHOOK_PATH = "/shopify/webhook"
# Context key: writes made by a sync itself re-queue no blocked events (the job that
# makes them is the one settling those events).
NO_REQUEUE = "shopify_no_requeue"
# What each fix may settle, by the kinds of need an event lists (``SyncBlocked.needs``):
# saving one re-queues the events that wait for one of its kinds.
FIXES = {
    "product": ("product", "variant", "ambiguous"),
    "setting": ("setting", "product", "variant"),  # a custom item may take it
    "tax_mapping": ("tax", "tax_included", "totals"),
    "tax": ("tax_included", "totals"),  # an Odoo tax's computation changed
    "shipping": ("shipping",),
    "gateway": ("gateway",),
    "currency": ("currency",),
}
# Retries on transient errors (outage, 5xx): with the flows' default back-off
# (shopify_workflow.backoff: 10 s doubling, at most an hour), the 30th try comes 16 to
# 21 hours after the first. Shopify's rate limit is no error: its waits never count
# (see retryable()).
MAX_RETRIES = 30


def retryable(exc: ShopifyTransientError, seconds=None) -> RetryableJobError:
    """The job's retry for a transient Shopify error: after the delay Shopify implies
    (bucket refill, Retry-After), else ``seconds`` (the flow's back-off), else the
    retry pattern; a rate limit is a wait, not a failed try, so it does not count
    toward the job's retries."""
    return RetryableJobError(
        str(exc),
        seconds=exc.retry_after or seconds or None,
        ignore_retry=isinstance(exc, ShopifyThrottledError),
    )


# What the webhook ack reads of a shop (cached per worker: see _shopify_for_ack).
ACK_FIELDS = ("shop_domain", "webhook_secret", "webhook_secret_previous", "company_id")


class UnknownShop(Exception):
    """No active shop has this domain (never cached)."""


class SyncBlocked(Exception):
    """A business outcome that stops an object without failing its job: the events take
    ``state`` and ``message`` says what to fix (e.g. a missing product mapping).

    ``keep_changes``: what the import wrote before stopping is kept (e.g. the product
    variants it bound, so that an operator can map those still missing a product).
    ``needs``: what is missing, structured for the buttons that fix it: dicts with a
    ``kind`` (product, variant, tax, shipping, gateway) and the values Shopify sent."""

    def __init__(
        self,
        state: str,
        message: str,
        keep_changes: bool = False,
        needs: list[dict] | None = None,
    ):
        super().__init__(message)
        self.state = state
        self.keep_changes = keep_changes
        self.needs = needs or []


class ShopifyShop(models.Model):
    _name = "shopify.shop"
    _description = "Shopify Shop"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name"

    name = fields.Char(required=True)
    shop_domain = fields.Char(
        required=True,
        help="The store's permanent domain, e.g. my-store.myshopify.com "
        "(Shopify sends it in X-Shopify-Shop-Domain).",
    )
    api_version = fields.Char(string="API Version", required=True, default=API_VERSION)
    client_id = fields.Char(
        string="Client ID",
        help="The Client ID of the app created in Shopify's Dev Dashboard: with the "
        "Client secret, it obtains the Admin API tokens (client credentials grant).",
        groups="shopify_webhook_sync.group_shopify_manager",
        copy=False,
    )
    access_token = fields.Char(
        string="Static Access Token",
        help="Only for a legacy custom app created in the Shopify admin before 2026: "
        "its Admin API access token. Apps of the Dev Dashboard give a Client ID "
        "instead.",
        groups="shopify_webhook_sync.group_shopify_manager",
        copy=False,
    )
    webhook_secret = fields.Char(
        string="Client Secret",
        help="The app's client secret: Shopify signs every webhook with it, and with "
        "the Client ID it obtains the Admin API tokens.",
        groups="shopify_webhook_sync.group_shopify_manager",
        copy=False,
    )
    webhook_secret_previous = fields.Char(
        string="Previous Client Secret",
        help="While rotating the app's secret, deliveries signed with the previous one "
        "are still accepted. Clear it once the rotation is over.",
        groups="shopify_webhook_sync.group_shopify_manager",
        copy=False,
    )
    admin_api_url = fields.Char(
        string="Admin API URL",
        help="Leave empty: derived from the shop domain. Set it only to reach the "
        "Admin API through a proxy (scheme and host, e.g. https://proxy.example.com).",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    active = fields.Boolean(default=True)
    confirm_orders = fields.Boolean(
        default=True,
        help="Confirm the sale orders created from Shopify orders (creates the "
        "deliveries).",
    )
    webhook_url = fields.Char(
        string="Webhook URL",
        compute="_compute_webhook_url",
        help="Paste this URL in Shopify as the webhook endpoint (format JSON).",
    )
    event_ids = fields.One2many("shopify.webhook.event", "shop_id", string="Events")
    event_count = fields.Integer(compute="_compute_event_counts")
    event_problem_count = fields.Integer(compute="_compute_event_counts")
    event_queued_count = fields.Integer(compute="_compute_event_counts")
    event_to_approve_count = fields.Integer(compute="_compute_event_counts")
    duplicate_count = fields.Integer(compute="_compute_event_counts")
    # -- customers, privacy and app lifecycle (models/shopify_privacy.py)
    customer_merge_by_email = fields.Boolean(
        string="Match Customers by Email",
        help="A new Shopify customer whose email is the email of exactly one existing "
        "contact of the company is linked to that contact instead of creating a new "
        "one. Off: every Shopify customer gets its own contact.",
    )
    responsible_user_id = fields.Many2one(
        "res.users",
        string="Privacy Responsible",
        default=lambda self: self.env.user,
        help="Gets a To Do activity when a customer asks Shopify for their data. "
        "Without an active one who can open Shopify records, data requests wait "
        "(Needs Mapping) until one is set.",
    )
    # -- who fixes what goes wrong (an activity per object that waits for a person)
    owner_orders_id = fields.Many2one(
        "res.users",
        string="Orders Owner",
        default=lambda self: self.env.user,
        help="Gets an activity for each order that fails or waits for a mapping or a "
        "review; it is closed when the order syncs.",
    )
    owner_refunds_id = fields.Many2one(
        "res.users", string="Refunds Owner", default=lambda self: self.env.user
    )
    owner_customers_id = fields.Many2one(
        "res.users", string="Customers Owner", default=lambda self: self.env.user
    )
    owner_products_id = fields.Many2one(
        "res.users", string="Products Owner", default=lambda self: self.env.user
    )
    connection_state = fields.Selection(
        [("connected", "Connected"), ("disconnected", "Disconnected")],
        required=True,
        default="connected",
        readonly=True,
        copy=False,
        help="Disconnected when the app is uninstalled from Shopify: nothing is "
        "fetched from Shopify until a new access token is set.",
    )
    access_token_set_at = fields.Datetime(
        readonly=True,
        copy=False,
        help="When the current access token was set: an app/uninstalled delivery "
        "triggered before it is about an earlier installation and is ignored.",
    )

    _sql_constraints = [
        (
            "shop_domain_unique",
            "UNIQUE(shop_domain)",
            "This Shopify store is already configured.",
        ),
    ]

    @api.constrains("shop_domain")
    def _check_shop_domain(self):
        for shop in self:
            if not DOMAIN_RE.match(shop.shop_domain or ""):
                raise ValidationError(
                    self.env._(
                        "The shop domain must be the store's permanent domain, like "
                        "my-store.myshopify.com (got %(domain)s).",
                        domain=shop.shop_domain,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("shop_domain"):
                vals["shop_domain"] = vals["shop_domain"].strip().lower()
            if vals.get("access_token"):
                vals.setdefault("access_token_set_at", fields.Datetime.now())
        self.env.registry.clear_cache()  # a domain the ack did not know may be known
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("shop_domain"):
            vals["shop_domain"] = vals["shop_domain"].strip().lower()
        if vals.get("access_token"):  # the app was (re)installed: a new token
            vals.setdefault("connection_state", "connected")
            vals.setdefault("access_token_set_at", fields.Datetime.now())
        if not vals.keys().isdisjoint((*ACK_FIELDS, "active")):
            self.env.registry.clear_cache()  # what the ack has cached of the shop
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    def _compute_webhook_url(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for shop in self:
            shop.webhook_url = base_url.rstrip("/") + WEBHOOK_PATH

    def _compute_event_counts(self):
        """Open events are counted on the events (a few, by the state index); all
        events and duplicates ever received are read from the Metrics' daily rollup
        (shopify_event_overview.py), not by counting a million rows."""
        Event = self.env["shopify.webhook.event"]
        counts = {
            (shop.id, state): count
            for shop, state, count in Event._read_group(
                [("shop_id", "in", self.ids), ("state", "in", OPEN_STATES)],
                ["shop_id", "state"],
                ["__count"],
            )
        }
        totals = self.env["shopify.event.overview"]._shopify_totals(self.ids)
        for shop in self:
            shop.event_count, shop.duplicate_count = totals.get(shop.id, (0, 0))
            shop.event_problem_count = sum(
                counts.get((shop.id, s), 0) for s in PROBLEM_STATES
            )
            shop.event_queued_count = counts.get((shop.id, "queued"), 0)
            shop.event_to_approve_count = counts.get((shop.id, "to_approve"), 0)

    def _shopify_notify_info(self, message: str, close: bool = False) -> dict:
        """The notification a button shows once it queued its job (``close``: and the
        dialog it was pressed in closes)."""
        params = {"type": "info", "message": message}
        if close:
            params["next"] = {"type": "ir.actions.act_window_close"}
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": params,
        }

    def _shopify_enqueue_per_shop(
        self, method: str, key: str, label: str, max_retries: int
    ):
        """A shop button's job: ``method`` of each shop, run later (the request never
        calls Shopify), at most one waiting per shop and ``key`` (identity key)."""
        for shop in self:
            delayable = shop.with_delay(
                identity_key=f"{shop.id}:{key}",
                max_retries=max_retries,
                description=f"Shopify {shop.shop_domain}: {label}",
            )
            getattr(delayable, method)()

    def action_open_events(self):
        """The shop's events, with the button's search_default_* filters applied."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_webhook_sync.action_shopify_webhook_event"
        )
        action["domain"] = [("shop_id", "in", self.ids)]
        action["context"] = {
            key: value
            for key, value in self.env.context.items()
            if key.startswith("search_default_")
        }
        return action

    # -- webhook side (runs in the HTTP request: no Shopify call, no business record) --

    @api.model
    def _shopify_find_by_domain(self, shop_domain: str):
        """The active shop of ``shop_domain``, read with what verifying and recording a
        delivery needs, in one query (every delivery starts here)."""
        return self.search_fetch(
            [("shop_domain", "=", (shop_domain or "").strip().lower())],
            list(ACK_FIELDS),
            limit=1,
        )

    @api.model
    def _shopify_for_ack(self, shop_domain: str):
        """``_shopify_find_by_domain`` without its query on every delivery: what the
        ack reads of a shop is cached per worker (``_shopify_ack_values``) and put in
        the record's cache. A change of those fields, or of the shops, clears it, and
        Odoo tells the other workers before their next request."""
        try:
            shop_id, values = self._shopify_ack_values(shop_domain)
        except UnknownShop:  # not cached: random domains must not fill the cache
            return self.browse()
        shop = self.browse(shop_id)
        for name, value in zip(ACK_FIELDS, values, strict=True):
            field = self._fields[name]
            if not self.env.cache.contains(shop, field):  # never over a pending write
                self.env.cache.update(shop, field, [value])
        return shop

    @api.model
    @tools.ormcache("shop_domain")
    def _shopify_ack_values(self, shop_domain: str):
        shop = self.sudo()._shopify_find_by_domain(shop_domain)
        if not shop:
            raise UnknownShop(shop_domain)
        return shop.id, tuple(
            shop._fields[name].convert_to_cache(shop[name], shop) for name in ACK_FIELDS
        )

    def _shopify_verify_signature(self, body: bytes, signature: str) -> bool:
        self.ensure_one()
        shop = self.sudo()
        return verify(
            body, signature, (shop.webhook_secret, shop.webhook_secret_previous)
        )

    def _shopify_sync_delayable(self, kind: str, shopify_id: str):
        """queue_job's Delayable of the job that syncs one Shopify object; its identity
        key coalesces the object's pending jobs into one."""
        self.ensure_one()
        return (
            self.with_company(self.company_id)
            .with_context(shopify_object=f"{kind}:{shopify_id}")
            .delayable(
                identity_key=f"{self.id}:{kind}:{shopify_id}",
                max_retries=self._shopify_max_retries(kind),
                description=f"Shopify {self.shop_domain}: sync {kind} {shopify_id}",
            )
            ._shopify_sync(kind, shopify_id)
        )

    def _shopify_enqueue_sync(self, kind: str, shopify_id: str):
        """Enqueue the job that syncs one Shopify object; one pending job per object."""
        delayable = self._shopify_sync_delayable(kind, shopify_id)
        delayable.delay()
        return delayable._generated_job

    def _shopify_sync_job_row(self, kind: str, shopify_id: str):
        """The job ``_shopify_enqueue_sync`` would store, built by queue_job's own code
        but not stored: (the Job, its queue_job row as {column: SQL value}).

        The row holds what ``Job.store()`` writes through ``queue.job.create()``: the
        job's values, the model's defaults, each converted by its field as the ORM's
        INSERT converts it. The webhook ack inserts it in the same statement as its
        event (one round trip); ``None`` when queue_job is set to run jobs at once
        (``queue_job__no_delay``), where only ``_shopify_enqueue_sync`` is right."""
        delayable = self._shopify_sync_delayable(kind, shopify_id)
        if must_run_without_delay(delayable.recordset.env):
            return None
        job = delayable._build_job()
        Job = job.env["queue.job"].sudo()  # as Job.store() does: the job's company
        vals = Job._prepare_create_values([job._store_values(create=True)])[0]
        row = {
            name: Job._fields[name].convert_to_column_insert(value, Job, vals)
            for name, value in vals.items()
            if Job._fields[name].column_type
        }
        return job, row

    def _shopify_requeue_blocked(self, kinds=None):
        """A fix was saved: the objects whose events wait for it are synced again
        (each once: identity keys); those still missing something go back where they
        were. ``kinds``: the needs that fix may settle (FIXES); the events re-queued
        are those in Needs Mapping, Needs Review or Failed that list one of them, and
        those in Needs Mapping that list nothing (what they miss is unknown). None:
        every event in Needs Mapping."""
        if self.env.context.get(NO_REQUEUE) or not self:
            return
        Event = self.env["shopify.webhook.event"].sudo()
        Event.browse(Event._shopify_waiting_for(self, kinds))._shopify_requeue()

    def _job_prepare_context_before_enqueue_keys(self):
        # The object a job syncs travels in its context, so that on_fail (which is only
        # given the job's recordset) knows which events to mark failed.
        return (*super()._job_prepare_context_before_enqueue_keys(), "shopify_object")

    # -- job side --

    def _shopify_sync(self, kind: str, shopify_id: str):
        """Job: fetch one Shopify object fresh and apply it to Odoo.

        Runs under an advisory lock per object, so two jobs never sync the same object
        at once (the second one retries). Every event of the object that this
        transaction can see was received before the fetch: they all end with the
        outcome.
        """
        self.ensure_one()
        self._shopify_lock(kind, shopify_id)
        timing = {"started": time.monotonic(), "started_at": fields.Datetime.now()}
        events = self.env["shopify.webhook.event"]._shopify_open_events(
            self, kind, shopify_id
        )
        Attempt = self.env["shopify.sync.attempt"]
        handler = self.env[SYNC_MODELS[kind]]
        try:
            self._shopify_check_connected(kind)
            record = _import_keeping_changes(handler, self, shopify_id)
        except SyncBlocked as blocked:
            events._shopify_set_outcome(
                blocked.state, str(blocked), needs=blocked.needs
            )
            Attempt._shopify_log(
                self, kind, shopify_id, events, blocked.state,
                **timing, error_kind=BLOCKED_KINDS.get(blocked.state),
                message=str(blocked),
            )  # fmt: skip
            return str(blocked)
        except ShopifyTransientError as exc:
            Attempt._shopify_log_apart(
                self, kind, shopify_id, "retry",
                **timing, error_kind="transient", message=str(exc),
            )  # fmt: skip
            if isinstance(exc, ShopifyThrottledError):
                _logger.info(
                    "Shopify %s: %s %s throttled, retrying in %ss: %s",
                    self.shop_domain,
                    kind,
                    shopify_id,
                    exc.retry_after,
                    exc,
                )
            raise retryable(exc, self._shopify_retry_seconds(kind)) from exc
        except (ShopifyCredentialsError, ShopifyUnauthorizedError) as exc:
            # Waits as failed, and re-runs once the credentials are saved again.
            self._shopify_note_credentials_error(str(exc))
            message = self._shopify_credentials_message(exc)
            events._shopify_set_outcome("failed", message)
            Attempt._shopify_log(
                self, kind, shopify_id, events, "failed",
                **timing, error_kind="credentials", message=message,
            )  # fmt: skip
            return message
        except psycopg2.errors.UniqueViolation as exc:
            # Two jobs created the same record at once (a new customer, a new tag...):
            # this one lost; its retry finds what the other one committed.
            message = (
                f"a concurrent job created the same record "
                f"({exc.diag.constraint_name}); retrying"
            )
            Attempt._shopify_log_apart(
                self, kind, shopify_id, "retry",
                **timing, error_kind="concurrency", message=message,
            )  # fmt: skip
            raise RetryableJobError(message, seconds=(2, 10)) from exc
        events._shopify_set_outcome("done", record=record)
        Attempt._shopify_log(self, kind, shopify_id, events, "done", **timing)
        return f"{record._name},{record.id}" if record else "nothing to do"

    def _shopify_check_connected(self, kind: str):
        """Nothing is asked of Shopify once the app was uninstalled (its token is dead):
        the object's events fail with what to do. Objects whose handler needs no Admin
        API (privacy requests, which arrive after an uninstall) still run."""
        handler = self.env[SYNC_MODELS[kind]]
        if self.connection_state == "connected" or not getattr(
            handler, "_shopify_needs_api", True
        ):
            return
        raise SyncBlocked(
            "failed",
            self.env._(
                "Not synced: the app was uninstalled from Shopify; reinstall it and "
                "set a new access token on the shop %(shop)s (a Dev Dashboard app: "
                "save its Client ID and secret again), then retry this event.",
                shop=self.shop_domain,
            ),
        )

    def _shopify_lock(self, kind: str, shopify_id: str):
        key = f"shopify:{self.id}:{kind}:{shopify_id}"
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))", [key]
        )
        if not self.env.cr.fetchone()[0]:
            raise RetryableJobError(
                f"{kind} {shopify_id} is being synced by another job", seconds=(5, 15)
            )

    def _shopify_on_sync_failed(self, exc_info=None, exc_name=None, exc_message=None):
        """on_fail of the sync job (runs in its own cursor, after the job's rollback):
        the reason goes onto the object's events so it survives the rollback."""
        kind, _sep, shopify_id = (
            self.env.context.get("shopify_object") or ""
        ).partition(":")
        if not shopify_id:
            return
        events = self.env["shopify.webhook.event"]._shopify_open_events(
            self, kind, shopify_id
        )
        message = exc_message or exc_name
        job = (
            self.env["queue.job"]
            .sudo()
            .search([("uuid", "=", events[:1].job_uuid)], limit=1)
        )
        events._shopify_set_outcome("failed", message)
        Attempt = self.env["shopify.sync.attempt"]
        # At the retry limit, the last try already recorded itself as retried later
        # (and was counted): it is that attempt which failed.
        last_try = Attempt._shopify_retry_of_this_try(job)
        if last_try:
            last_try.write({"outcome": "failed", "message": message})
            return
        Attempt._shopify_log(
            self, kind, shopify_id, events, "failed",
            started_at=job.date_started or fields.Datetime.now(),
            error_kind="error", message=message,
        )  # fmt: skip

    def _shopify_max_retries(self, kind: str) -> int:
        """How many tries a job of this kind of object gets (its workflow's retry
        rule, models/shopify_workflow.py)."""
        return MAX_RETRIES

    def _shopify_retry_seconds(self, kind: str):
        """The delay before the running job's next try after a transient error (its
        workflow's back-off); None: the job function's retry pattern."""
        return None

    def _shopify_owner(self, kind: str):
        """The user who fixes this kind of object's problems (privacy requests: the
        privacy responsible)."""
        self.ensure_one()
        field = OWNER_FIELDS.get(kind, "responsible_user_id")
        return self[field]

    def _shopify_gid(self, kind: str, shopify_id: str) -> str | None:
        # A privacy data request is no Admin API object: it has no global id.
        return to_gid(kind, shopify_id) if kind in GID_TYPES else None


def _import_keeping_changes(handler, shop, shopify_id: str):
    """``handler._shopify_import`` in a savepoint: an error rolls its writes back,
    except a SyncBlocked with ``keep_changes``, which leaves the savepoint first."""
    blocked = None
    with shop.env.cr.savepoint():
        try:
            return handler._shopify_import(shop, shopify_id)
        except SyncBlocked as exc:
            if not exc.keep_changes:
                raise
            blocked = exc
    raise blocked


# object kind -> the shop's field naming who owns its problems (else privacy's)
OWNER_FIELDS = {
    "order": "owner_orders_id",
    "order_fulfillment": "owner_orders_id",
    "refund": "owner_refunds_id",
    "customer": "owner_customers_id",
    "product": "owner_products_id",
}

# object kind -> model whose _shopify_import(shop, shopify_id) syncs it
SYNC_MODELS = {
    "order": "shopify.order.binding",
    "order_fulfillment": "shopify.fulfillment.in",
    "refund": "shopify.refund.binding",
    "customer": "shopify.customer.binding",
    "customer_data_request": "shopify.privacy.data.request",
    "customer_redact": "shopify.privacy.customer.redact",
    "shop_redact": "shopify.privacy.shop.redact",
    "app_uninstalled": "shopify.app.uninstalled",
    "product": "shopify.product.binding",
}
