"""One webhook delivery Shopify made, verified: what arrived, what it became, or why
not."""

import functools
import json

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.sql import create_index

from ..lib.describe import describe
from ..lib.webhook import gid_id
from .shopify_access import MANAGER_GROUP, check_operator

STATES = [
    ("queued", "Queued"),
    ("done", "Done"),
    ("needs_mapping", "Needs Mapping"),
    ("needs_review", "Needs Review"),
    ("to_approve", "To Approve"),
    ("failed", "Failed"),
    ("resolved", "Resolved by Hand"),
    ("ignored", "Ignored"),
]
RESOLUTIONS = [
    ("fixed", "Fixed by hand"),
    ("ignored", "Ignored"),
    ("rejected", "Rejected in review"),
]
# An event in one of these states waits for its object's next sync (an order waiting
# for approval too: a later change updates its quotation, which stays To Approve).
OPEN_STATES = ("queued", "needs_mapping", "needs_review", "to_approve", "failed")
PROBLEM_STATES = ("needs_mapping", "needs_review", "failed")
# the bus notification that refreshes the events shown (static/src/views)
EVENT_STATE_NOTIFICATION = "shopify_webhook_sync/event_state"


class ShopifyWebhookEvent(models.Model):
    _name = "shopify.webhook.event"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Shopify Webhook Event"
    # Users read events and act through the methods below (retry, resolve, ignore);
    # they write nothing directly, yet log notes and own activities.
    _mail_post_access = "read"
    _order = "received_at desc, id desc"
    _rec_name = "topic"
    # "#1004", a SKU or a customer's email finds the event
    _rec_names_search = ["object_name", "customer_email", "object_skus", "object_id"]

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True
    )
    topic = fields.Char(required=True, index=True)
    source = fields.Selection(
        [
            ("webhook", "Webhook"),
            ("reconcile", "Reconciliation"),
            ("rehearsal", "Rehearsal"),
        ],
        required=True,
        default="webhook",
        index=True,
        help="Webhook: a delivery from Shopify. Reconciliation: an object version that "
        "no webhook brought, found by asking Shopify what changed. Rehearsal: a test "
        "delivery sent by the shop's Rehearse button (no business record).",
    )
    webhook_id = fields.Char(
        string="Webhook ID", required=True, help="X-Shopify-Webhook-Id"
    )
    event_id = fields.Char(
        string="Event ID",
        help="X-Shopify-Event-Id: shared by all deliveries of one action",
    )
    triggered_at = fields.Datetime(help="X-Shopify-Triggered-At")
    received_at = fields.Datetime(
        required=True, default=fields.Datetime.now, index=True
    )
    api_version = fields.Char(string="API Version", help="X-Shopify-API-Version")
    object_kind = fields.Char(index=True)
    object_id = fields.Char(string="Shopify ID", index=True)
    object_gid = fields.Char(string="Shopify Object")
    object_name = fields.Char(
        string="Shopify Record",
        help="The order's name, the customer, the product's title: read from the "
        "delivery when it arrived.",
    )
    customer_email = fields.Char()
    object_skus = fields.Char(string="SKUs")
    record_name = fields.Char(
        string="Odoo Record",
        compute="_compute_record_name",
        compute_sudo=True,
    )
    record_readable = fields.Boolean(
        compute="_compute_record_readable",
        help="The Odoo record exists and the current user may open it.",
    )
    state = fields.Selection(
        STATES, required=True, default="queued", index=True, tracking=True
    )
    error_message = fields.Text(string="Reason")
    missing_data = fields.Json(
        readonly=True,
        copy=False,
        help="What the sync waits for, as Shopify sent it: [{kind, values}].",
    )
    fix_sku = fields.Char(
        string="Missing SKU", compute="_compute_fix", compute_sudo=True
    )
    fix_variant_id = fields.Many2one(
        "shopify.product.binding",
        string="Variant to Map",
        compute="_compute_fix",
        compute_sudo=True,
    )
    fix_tax = fields.Char(
        string="Missing Tax Mapping", compute="_compute_fix", compute_sudo=True
    )
    fix_shipping = fields.Char(
        string="Missing Shipping Mapping", compute="_compute_fix", compute_sudo=True
    )
    fix_gateway = fields.Char(
        string="Missing Gateway Mapping", compute="_compute_fix", compute_sudo=True
    )
    done_at = fields.Datetime(readonly=True, copy=False)
    sync_seconds = fields.Float(
        string="Event to Record (s)",
        compute="_compute_sync_seconds",
        store=True,
        digits=(16, 3),
        aggregator="avg",
        help="Seconds from the delivery's arrival to its Odoo record being done.",
    )
    attempt_count = fields.Integer(
        string="Attempts",
        readonly=True,
        default=0,
        aggregator="sum",
        help="Sync attempts of this event's object since it arrived (retries "
        "included).",
    )
    attempt_ids = fields.One2many(
        "shopify.sync.attempt",
        compute="_compute_attempt_ids",
        string="History",
    )
    resolution = fields.Selection(RESOLUTIONS, readonly=True, copy=False)
    resolution_note = fields.Text(string="How / Why", readonly=True, copy=False)
    resolved_by_id = fields.Many2one("res.users", string="Resolved By", readonly=True)
    resolved_at = fields.Datetime(readonly=True, copy=False)
    res_model = fields.Char(string="Odoo Model")
    res_id = fields.Many2oneReference(string="Odoo Record ID", model_field="res_model")
    # Customers' personal data: Shopify managers only (jobs read it as superuser).
    payload = fields.Text(
        help="The delivery's body, as Shopify sent it.", groups=MANAGER_GROUP
    )
    payload_pretty = fields.Text(
        string="Payload (formatted)",
        compute="_compute_payload_pretty",
        groups=MANAGER_GROUP,
    )
    job_uuid = fields.Char(string="Job UUID", copy=False)
    job_state = fields.Char(compute="_compute_job")
    job_info = fields.Text(compute="_compute_job", string="Job Result")
    duplicate_count = fields.Integer(
        compute="_compute_duplicate_count",
        help="Deliveries of the same webhook (or of the same Shopify action on this "
        "topic) received again and ignored.",
    )

    _sql_constraints = [
        (
            "webhook_unique",
            "UNIQUE(shop_id, webhook_id)",
            "This delivery was already received.",
        ),
        (
            "event_topic_unique",
            "UNIQUE(shop_id, topic, event_id)",
            "This Shopify event was already received for this topic.",
        ),
    ]

    def init(self):
        """The open events per shop and state, for the Overview's and the shop's
        counts: a few rows among millions of done ones, read from this small index
        alone (the state index alone made PostgreSQL visit each open row's page: 160
        ms with 40,000 open events among 1,000,000, 4 ms with this one)."""
        states = ", ".join(f"'{state}'" for state in OPEN_STATES)
        create_index(
            self.env.cr,
            "shopify_webhook_event_open_idx",
            self._table,
            ["shop_id", "state"],
            where=f"state IN ({states})",
        )

    def write(self, vals):
        result = super().write(vals)
        if "state" in vals:
            self._shopify_notify_state()
        return result

    def _shopify_notify_state(self):
        """The forms and lists showing these events refresh (static/src/views): a
        bus notification to the Shopify users, sent when this transaction commits."""
        # every group reading events implies the reviewer group, once it exists
        group = self.env.ref(
            "shopify_webhook_sync.group_shopify_reviewer", raise_if_not_found=False
        ) or self.env.ref(
            "shopify_webhook_sync.group_shopify_user", raise_if_not_found=False
        )
        if group and self:
            self.env["bus.bus"]._sendone(
                group, EVENT_STATE_NOTIFICATION, {"ids": self.ids}
            )

    @api.depends("topic", "object_id", "object_name")
    def _compute_display_name(self):
        for event in self:
            event.display_name = (
                event.object_name or f"{event.topic} {event.object_id or ''}".strip()
            )

    @api.depends("res_model", "res_id")
    def _compute_record_name(self):
        for event in self:
            record = (
                event.res_model in self.env
                and event.res_id
                and self.env[event.res_model].browse(event.res_id).exists()
            )
            event.record_name = record.display_name if record else False

    @api.depends("res_model", "res_id")
    @api.depends_context("uid")
    def _compute_record_readable(self):
        """The Odoo Record button shows only to whom may open it: a reviewer without
        sales rights sees the record's name, not a button ending in an access error."""
        for event in self:
            record = (
                event.res_model in self.env
                and event.res_id
                and self.env[event.res_model].browse(event.res_id).exists()
            )
            event.record_readable = bool(record) and record.has_access("read")

    @api.depends("received_at", "done_at")
    def _compute_sync_seconds(self):
        for event in self:
            event.sync_seconds = (
                (event.done_at - event.received_at).total_seconds()
                if event.done_at and event.received_at
                else False
            )

    def _compute_attempt_ids(self):
        Attempt = self.env["shopify.sync.attempt"]
        for event in self:
            event.attempt_ids = (
                Attempt.search(
                    [
                        ("shop_id", "=", event.shop_id.id),
                        ("object_kind", "=", event.object_kind),
                        ("object_id", "=", event.object_id),
                    ],
                    limit=100,
                )
                if event.object_kind
                else Attempt
            )

    @api.depends("missing_data", "state")
    def _compute_fix(self):
        """The first missing thing of each kind, for the reason's buttons."""
        for event in self:
            needs = event.state == "needs_mapping" and event.missing_data or []
            first = {}
            for need in needs:
                first.setdefault(need.get("kind"), need)
            product = first.get("product") or {}
            variant = first.get("variant") or product or first.get("ambiguous") or {}
            tax = first.get("tax") or {}
            event.fix_sku = product.get("sku") or False
            binding = event._shopify_variant_binding(variant.get("variant"))
            event.fix_variant_id = binding
            event.fix_tax = (
                f"{tax['title']} {round(tax['rate'] * 100, 3)}%" if tax else False
            )
            event.fix_shipping = (first.get("shipping") or {}).get("title") or False
            event.fix_gateway = (first.get("gateway") or {}).get("gateway") or False

    def _shopify_variant_binding(self, variant):
        Binding = self.env["shopify.product.binding"]
        if not variant:
            return Binding
        return Binding.with_context(active_test=False).search(
            [
                ("shop_id", "=", self.shop_id.id),
                ("shopify_id", "=", gid_id(str(variant))),
            ],
            limit=1,
        )

    def _shopify_need(self, kind: str) -> dict:
        return next((n for n in self.missing_data or [] if n.get("kind") == kind), {})

    # -- the reason's buttons: each opens the fix, prefilled with what Shopify sent
    # (the missing product is created at once); saving it re-queues the events that
    # waited for it --

    def _shopify_fix_action(self, model: str, context: dict):
        self.ensure_one()
        check_operator(self)
        return {
            "type": "ir.actions.act_window",
            "res_model": model,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": context,
        }

    def action_fix_create_product(self):
        """Create the product the order waits for as Shopify sold it (see
        ``_shopify_create_missing``), then show it. A Shopify user needs no Sales or
        Inventory rights on products for this one product: the caller is checked here,
        the product created with sudo. Creating it re-queues the events waiting for
        its SKU."""
        self.ensure_one()
        check_operator(self)
        if not self.fix_sku:  # retried or fixed meanwhile (a form not reloaded yet)
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "message": self.env._("This event waits for no product now."),
                    "type": "warning",
                    "next": {"type": "ir.actions.client", "tag": "soft_reload"},
                },
            }
        product_sudo = (
            self.env["product.product"]
            .sudo()
            ._shopify_create_missing(
                self.shop_id.company_id, self._shopify_need("product")
            )
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "product.product",
            "res_id": product_sudo.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def action_fix_map_variant(self):
        """Variants to map, on this variant: pick its Odoo product there."""
        self.ensure_one()
        check_operator(self)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_webhook_sync.action_shopify_product_binding_to_map"
        )
        action["domain"] = [("id", "=", self.fix_variant_id.id)]
        action["context"] = {}
        return action

    def action_fix_tax_mapping(self):
        need = self._shopify_need("tax")
        return self._shopify_fix_action(
            "shopify.tax.mapping",
            {
                "default_shop_id": self.shop_id.id,
                "default_title": need.get("title"),
                "default_rate": need.get("rate"),
            },
        )

    def action_fix_shipping_mapping(self):
        need = self._shopify_need("shipping")
        return self._shopify_fix_action(
            "shopify.shipping.mapping",
            {"default_shop_id": self.shop_id.id, "default_name": need.get("title")},
        )

    def action_fix_gateway_mapping(self):
        need = self._shopify_need("gateway")
        return self._shopify_fix_action(
            "shopify.gateway.mapping",
            {
                "default_shop_id": self.shop_id.id,
                "default_gateway": need.get("gateway"),
            },
        )

    @api.depends("payload")
    def _compute_payload_pretty(self):
        for event in self:
            try:
                event.payload_pretty = json.dumps(json.loads(event.payload), indent=2)
            except (TypeError, ValueError):
                event.payload_pretty = event.payload

    def _compute_job(self):
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search([("uuid", "in", self.mapped("job_uuid"))])
        )
        by_uuid = {job.uuid: job for job in jobs}
        for event in self:
            job = by_uuid.get(event.job_uuid)
            event.job_state = job.state if job else False
            event.job_info = (job.exc_message or job.result) if job else False

    def _compute_duplicate_count(self):
        """Two grouped counts for the whole list, not one query per event: a duplicate
        row names the delivery it repeats by webhook id, or the action by topic and
        event id (its ``reason``), and so belongs to exactly one event."""
        Duplicate = self.env["shopify.webhook.duplicate"]
        shops = self.shop_id.ids
        by_webhook = {
            (shop.id, webhook_id): count
            for shop, webhook_id, count in Duplicate._read_group(
                [
                    ("shop_id", "in", shops),
                    ("reason", "=", "webhook_id"),
                    ("webhook_id", "in", self.mapped("webhook_id")),
                ],
                ["shop_id", "webhook_id"],
                ["__count"],
            )
        }
        by_action = {
            (shop.id, topic, event_id): count
            for shop, topic, event_id, count in Duplicate._read_group(
                [
                    ("shop_id", "in", shops),
                    ("reason", "=", "event_id"),
                    ("event_id", "in", [e for e in self.mapped("event_id") if e]),
                ],
                ["shop_id", "topic", "event_id"],
                ["__count"],
            )
        }
        for event in self:
            shop_id = event.shop_id.id
            event.duplicate_count = by_webhook.get(
                (shop_id, event.webhook_id), 0
            ) + by_action.get((shop_id, event.topic, event.event_id), 0)

    # -- receiving (HTTP request) --

    @api.model
    def _shopify_receive(self, shop, headers: dict, body: bytes, payload: dict, obj):
        """Record one verified delivery; enqueue its object's sync in the same
        transaction.

        ``obj`` is (kind, shopify id), or None for a topic this addon does not handle.
        Returns the outcome: "queued", "ignored" or "duplicate".
        """
        kind, shopify_id = obj or (None, None)
        described = describe(kind, payload)
        vals = {
            "shop_id": shop.id,
            "topic": headers["topic"],
            "webhook_id": headers["webhook_id"],
            "event_id": headers.get("event_id") or None,
            "triggered_at": _header_datetime(headers.get("triggered_at")),
            "api_version": headers.get("api_version") or None,
            "object_kind": kind,
            "object_id": shopify_id,
            "object_gid": shop._shopify_gid(kind, shopify_id) if obj else None,
            "state": "queued" if obj else "ignored",
            "payload": body.decode("utf-8", "replace"),
            "object_name": described.name,
            "customer_email": described.email,
            "object_skus": described.skus,
        }
        job_row = shop._shopify_sync_job_row(kind, shopify_id) if obj else None
        event, duplicate_of = self._shopify_insert(vals, job_row and job_row[1])
        if not event:
            self.env["shopify.webhook.duplicate"].create(
                {
                    key: vals[key]
                    for key in ("shop_id", "topic", "webhook_id", "event_id")
                }
                | {"reason": duplicate_of}
            )
            return "duplicate"
        if obj and not job_row:  # queue_job runs jobs at once: its own way
            job = shop._shopify_enqueue_sync(kind, shopify_id)
            event.job_uuid = job.uuid
        return vals["state"]

    @api.model
    def _shopify_insert(self, vals: dict, job_row: dict | None = None):
        """INSERT the event and, given ``job_row`` (``shopify.shop.
        _shopify_sync_job_row``), its job, in ONE statement; on a unique violation
        insert nothing and return (empty, "webhook_id" or "event_id").

        The unique constraints of the event are the dedupe guarantee: two concurrent
        deliveries of the same webhook both try, the second waits for the first and
        then violates. The statement opens with a savepoint (same round trip), so that
        a violation leaves the request's transaction usable and is not logged as an
        error; with a job, the commit releases it. (``INSERT ... ON CONFLICT DO
        NOTHING`` would save the savepoint, but at Odoo's REPEATABLE READ it fails
        with a serialization error whenever the conflicting row was committed after
        the request's snapshot, which is the case of every concurrent duplicate: Odoo
        would replay the request after a random sleep.)

        The job row is inserted only if no job of the same identity key is pending,
        which is the check queue_job's ``identity_key`` makes (it coalesces pending
        jobs; it guarantees nothing under concurrency); the event then points at the
        pending job.
        """
        now = fields.Datetime.now()
        uid = self.env.uid
        vals = (
            {"source": "webhook"}
            | vals
            | {
                "received_at": now,
                "create_date": now,
                "write_date": now,
                "create_uid": uid,
                "write_uid": uid,
            }
        )
        if job_row:
            query = _event_and_job_insert(vals, job_row)
        else:
            query = SQL(
                "INSERT INTO shopify_webhook_event (%s) VALUES %s RETURNING id",
                SQL(", ").join(SQL.identifier(col) for col in vals),
                tuple(vals.values()),
            )
        cr = self.env.cr
        try:
            cr.execute(
                SQL("SAVEPOINT %s; %s", SQL.identifier(ACK_SAVEPOINT), query),
                log_exceptions=False,
            )
        except psycopg2.errors.UniqueViolation as exc:
            cr.execute(SQL("ROLLBACK TO SAVEPOINT %s", SQL.identifier(ACK_SAVEPOINT)))
            reason = (
                "event_id"
                if "event_topic" in (exc.diag.constraint_name or "")
                else "webhook_id"
            )
            return self.browse(), reason
        event = self.browse(cr.fetchone()[0])
        if not job_row:
            # A caller inserting many events in one transaction (reconciliation)
            # must not nest a savepoint per event; the ack (one event and its job
            # per request) leaves it to the commit, and saves the round trip.
            cr.execute(SQL("RELEASE SAVEPOINT %s", SQL.identifier(ACK_SAVEPOINT)))
        return event, None

    # -- outcomes (job) --

    @api.model
    def _shopify_open_events(self, shop, kind: str, shopify_id: str):
        return self.search(
            [
                ("shop_id", "=", shop.id),
                ("object_kind", "=", kind),
                ("object_id", "=", shopify_id),
                ("state", "in", OPEN_STATES),
            ]
        )

    def _shopify_set_outcome(
        self, state: str, message: str | None = None, record=None, needs=None
    ):
        vals = {
            "state": state,
            "error_message": message or False,
            "missing_data": needs or False,
        }
        if state == "done":
            vals["done_at"] = fields.Datetime.now()
        if record is not None:
            vals |= {"res_model": record._name, "res_id": record.id}
        self.write(vals)
        if record:  # a delivery whose payload named nothing takes its record's name
            self.filtered(lambda e: not e.object_name).write(
                {"object_name": _record_label(record)}
            )
        if state in PROBLEM_STATES:
            self._shopify_schedule_owner(message)
        else:
            self._shopify_close_activities(message or self.env._("Synced"))

    def _shopify_schedule_owner(self, message: str | None):
        """One activity per object for its owner, however many retries and deliveries
        it takes: none is added while one of the object's events holds one."""
        events = self.sudo()
        if not events or events.activity_ids.filtered(
            lambda a: a.activity_type_id == self._shopify_activity_type()
        ):
            return
        event = events[:1]
        owner = event.shop_id._shopify_owner(event.object_kind)
        if not owner:
            return
        event.activity_schedule(
            act_type_xmlid="shopify_webhook_sync.mail_activity_type_shopify_problem",
            summary=self.env._(
                "%(object)s: %(state)s",
                object=event.display_name,
                state=dict(STATES)[event.state],
            ),
            note=message,
            user_id=owner.id,
        )

    def _shopify_close_activities(self, feedback: str):
        activities = self.sudo().activity_ids.filtered(
            lambda a: a.activity_type_id == self._shopify_activity_type()
        )
        if activities:
            activities.action_feedback(feedback=feedback)

    def _shopify_activity_type(self):
        return self.env.ref(
            "shopify_webhook_sync.mail_activity_type_shopify_problem",
            raise_if_not_found=False,
        )

    # -- operator actions (users write nothing directly: these methods do, as sudo) --

    def action_retry(self, reason: str | None = None):
        """Queue the sync of these events' objects again (once per object); the
        operator and the reason go into each event's chatter. Returns a notification
        saying what was re-queued and what was skipped, and why."""
        check_operator(self)
        retried = self.filtered(lambda e: e.state in PROBLEM_STATES and e.object_kind)
        retried.sudo()._shopify_requeue()
        retried._shopify_log_action(self.env._("Retry requested"), reason)
        return self._shopify_notify(
            self.env._("%(count)s re-queued", count=len(retried)), self - retried
        )

    def action_resolve(self, note: str | None = None):
        """The operator fixed the Odoo side by hand: the event is closed as a manual
        correction (who, when, how)."""
        return self._shopify_close(
            "resolved",
            "fixed",
            note or self.env._("Fixed the Odoo record by hand."),
            self.env._("Resolved by hand"),
        )

    def action_ignore(self, reason: str):
        """Nothing to do for this event, for ``reason`` (required)."""
        if not (reason or "").strip():
            raise UserError(self.env._("Say why these events are ignored."))
        return self._shopify_close("ignored", "ignored", reason, self.env._("Ignored"))

    def action_open_close_wizard(self):
        """The Resolve / Ignore dialog for these events (``default_action`` in the
        context says which)."""
        check_operator(self)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Close events"),
            "res_model": "shopify.event.close.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_event_ids": self.ids,
                "default_action": self.env.context.get("default_action", "resolve"),
            },
        }

    def _shopify_close(self, state, resolution, note, title):
        check_operator(self)
        closed = self.filtered(lambda e: e.state in PROBLEM_STATES)
        closed.sudo().write(
            {
                "state": state,
                "resolution": resolution,
                "resolution_note": note,
                "resolved_by_id": self.env.uid,
                "resolved_at": fields.Datetime.now(),
            }
        )
        closed._shopify_log_action(title, note)
        closed._shopify_close_activities(f"{title}: {note}")
        return self._shopify_notify(
            self.env._("%(count)s closed", count=len(closed)), self - closed
        )

    def _shopify_log_action(self, title: str, reason: str | None):
        for event in self.sudo():
            event.message_post(
                body=Markup("<p><b>%s</b></p><p>%s</p>")
                % (title, reason or self.env._("(no reason given)")),
                author_id=self.env.user.partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )

    def _shopify_notify(self, done_text: str, skipped):
        """A notification "N re-queued, M skipped because …", then the view reloads."""
        message = done_text
        if skipped:
            states = dict(self._fields["state"]._description_selection(self.env))
            by_state = {}
            for event in skipped:
                label = (
                    states[event.state]
                    if event.object_kind or event.state != "ignored"
                    else self.env._("unsupported topic")
                )
                by_state[label] = by_state.get(label, 0) + 1
            skipped_states = ", ".join(f"{n} {label}" for label, n in by_state.items())
            message += self.env._(
                ", %(count)s skipped because they wait for no fix: %(states)s",
                count=len(skipped),
                states=skipped_states,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": "warning" if skipped else "success",
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _cron_requeue_stalled(self, minutes: int = 5):
        """Safety net: a queued event whose job is gone, or ended without seeing it (the
        event committed just after its job took its snapshot), gets its object
        re-queued."""
        stalled = self.search(
            [
                ("state", "=", "queued"),
                ("object_kind", "!=", False),
                (
                    "received_at",
                    "<",
                    fields.Datetime.subtract(fields.Datetime.now(), minutes=minutes),
                ),
            ]
        )
        live = (
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("uuid", "in", stalled.mapped("job_uuid")),
                    (
                        "state",
                        "in",
                        ("wait_dependencies", "pending", "enqueued", "started"),
                    ),
                ]
            )
        )
        stalled.filtered(
            lambda e: e.job_uuid not in set(live.mapped("uuid"))
        )._shopify_requeue()

    @api.model
    def _shopify_waiting_for(self, shops, kinds=None) -> list[int]:
        """Ids of the events of ``shops`` that wait for one of ``kinds`` (see
        ShopifyShop._shopify_requeue_blocked), read in SQL from what they list."""
        self.flush_model(["shop_id", "state", "missing_data"])
        waits = SQL("state = 'needs_mapping'")
        if kinds is not None:
            waits = SQL(
                """CASE WHEN jsonb_typeof(missing_data) = 'array'
                             AND jsonb_array_length(missing_data) > 0
                        THEN EXISTS (
                            SELECT 1 FROM jsonb_array_elements(missing_data) need
                             WHERE need->>'kind' = ANY(%s))
                        ELSE state = 'needs_mapping' END""",
                list(kinds),
            )
        self.env.cr.execute(
            SQL(
                "SELECT id FROM shopify_webhook_event"
                " WHERE shop_id = ANY(%s) AND state IN %s AND %s",
                shops.ids,
                PROBLEM_STATES,
                waits,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _shopify_requeue(self):
        """Enqueue the sync of these events' objects (once per object); they wait
        queued."""
        jobs = {}
        for event in self.filtered("object_kind"):
            key = (event.shop_id, event.object_kind, event.object_id)
            if key not in jobs:
                jobs[key] = event.shop_id.sudo()._shopify_enqueue_sync(*key[1:])
            event.write(
                {
                    "state": "queued",
                    "error_message": False,
                    "job_uuid": jobs[key].uuid,
                    "done_at": False,
                    "missing_data": False,
                }
            )

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }


def _record_label(record) -> str:
    """An event's name taken from the Odoo record it became (an order edit, a
    reconciliation: their payloads name nothing)."""
    record = record.sudo()
    if record._name == "sale.order":
        return f"Order {record.client_order_ref or record.name}"
    if record._name == "res.partner" and record.email:
        return f"{record.name} <{record.email}>"
    return record.display_name


def _header_datetime(value: str | None):
    """X-Shopify-Triggered-At (ISO 8601, UTC) as a naive UTC datetime, or None."""
    if not value:
        return None
    try:
        return fields.Datetime.to_datetime(value.replace("T", " ")[:19])
    except ValueError:
        return None


ACK_SAVEPOINT = "shopify_webhook_ack"


def _event_and_job_insert(vals: dict, job_row: dict) -> SQL:
    """One statement: the event, pointing at the pending job of the same identity key
    if there is one, else at a new job inserted from ``job_row``. The code is made
    once per set of columns and the values are its parameters: composing some fifty
    identifiers and values for every delivery was a visible part of the ack's time."""
    return SQL(
        _event_and_job_code(tuple(vals), tuple(job_row)),
        job_row["identity_key"],
        *vals.values(),
        job_row["uuid"],
        *job_row.values(),
        job_row["uuid"],
    )


@functools.cache
def _event_and_job_code(columns: tuple, job_columns: tuple) -> str:
    """The code of ``_event_and_job_insert`` for these columns, one ``%s`` a value."""
    return f"""
        WITH pending AS (
            SELECT uuid FROM queue_job
             WHERE identity_key = %s
               AND state IN ('wait_dependencies', 'pending', 'enqueued')
             ORDER BY date_created DESC
             LIMIT 1
        ), event AS (
            INSERT INTO shopify_webhook_event ({_identifiers(columns)}, job_uuid)
            VALUES ({_markers(columns)}, COALESCE((SELECT uuid FROM pending), %s))
            RETURNING id, job_uuid
        ), job AS (
            INSERT INTO queue_job ({_identifiers(job_columns)})
            SELECT {_markers(job_columns)} FROM event WHERE event.job_uuid = %s
        )
        SELECT id FROM event
        """


def _identifiers(columns: tuple) -> str:
    return ", ".join(SQL.identifier(column).code for column in columns)


def _markers(columns: tuple) -> str:
    return ", ".join("%s" for _column in columns)
