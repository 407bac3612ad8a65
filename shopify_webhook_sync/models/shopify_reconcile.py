"""Reconciliation: what webhooks missed is found by asking Shopify.

Shopify documents that deliveries can be delayed or lost and that an app must
reconcile. A run asks Shopify, kind after kind, for the orders, customers and products
updated since the shop's watermark minus an overlap window (``updated_at`` search,
oldest first, one page per job: cost-aware through the client, and progress survives
a retry), and enqueues the same per-object sync job a webhook would (same identity key:
a reconciled object and a late webhook coalesce into one job). Refunds and
cancellations change their order's ``updatedAt``: the order's sync applies them.

Each object version found is recorded as an event with ``source = "reconcile"`` and
a deterministic webhook id (kind, id, updatedAt): running again finds it recorded and
queues nothing. The watermark moves only when a run has gone through every page.
"""

import json
from datetime import datetime, timedelta, timezone

from odoo import api, fields, models

from ..lib.client import ShopifyTransientError
from ..lib.queries import RECONCILE
from .shopify_access import check_manager
from .shopify_shop import retryable

KINDS = ("order", "customer", "product")
PAGE_SIZE = 100
RUNNING_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")
# Bindings that record the Shopify version they applied: an object whose version was
# already synced (by a webhook) is not queued again.
BINDINGS = {"order": "shopify.order.binding", "customer": "shopify.customer.binding"}


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    reconcile_enabled = fields.Boolean(
        string="Reconcile Hourly",
        default=True,
        help="Every hour, ask Shopify for the orders, customers and products updated "
        "since the last reconciliation and sync those no webhook brought.",
    )
    reconcile_watermark = fields.Datetime(
        string="Reconciled Up To",
        readonly=True,
        copy=False,
        help="Every object updated before this date (minus the overlap) was queued by "
        "a webhook or a reconciliation.",
    )
    reconcile_overlap = fields.Integer(
        string="Reconciliation Overlap (minutes)",
        default=60,
        help="Each run looks this far before the watermark again: Shopify's search "
        "index and clock may lag behind the objects' updated_at.",
    )
    reconcile_last_start = fields.Datetime(
        string="Last Reconciliation", readonly=True, copy=False
    )
    reconcile_last_end = fields.Datetime(
        string="Last Reconciliation Finished", readonly=True, copy=False
    )
    reconcile_last_count = fields.Integer(
        string="Objects Queued by the Last Reconciliation", readonly=True, copy=False
    )
    event_reconciled_count = fields.Integer(compute="_compute_event_reconciled_count")

    def _compute_event_reconciled_count(self):
        counts = dict(
            self.env["shopify.webhook.event"]._read_group(
                [("shop_id", "in", self.ids), ("source", "=", "reconcile")],
                ["shop_id"],
                ["__count"],
            )
        )
        for shop in self:
            shop.event_reconciled_count = counts.get(shop, 0)

    @api.model
    def _cron_reconcile(self):
        """Start a reconciliation of every connected shop that has none running."""
        shops = self._shopify_with_credentials().filtered("reconcile_enabled")
        for shop in shops.filtered(lambda s: not s._shopify_reconcile_running()):
            shop._shopify_start_reconcile()

    def _shopify_reconcile_running(self) -> bool:
        return bool(
            self.env["queue.job"]
            .sudo()
            .search_count(
                [
                    ("identity_key", "=like", f"{self.id}:reconcile:%"),
                    ("state", "in", RUNNING_JOB_STATES),
                ],
                limit=1,
            )
        )

    def _shopify_start_reconcile(self, since=None, page_size: int = PAGE_SIZE):
        """Enqueue the first page of a run over what changed since ``since`` (default:
        the watermark minus the overlap, or the shop's creation for its first run)."""
        self.ensure_one()
        if since is None:
            since = (self.reconcile_watermark or self.create_date) - timedelta(
                minutes=self.reconcile_overlap
            )
        started = fields.Datetime.now()
        self.reconcile_last_start = started
        return self._shopify_enqueue_reconcile_page(
            list(KINDS),
            _iso(since),
            page_size,
            state={"started": _iso(started), "mark": _iso(started), "queued": 0},
        )

    def _shopify_enqueue_reconcile_page(
        self, kinds, since, page_size, state, after=None
    ):
        return (
            self.with_company(self.company_id)
            .with_delay(
                identity_key=f"{self.id}:reconcile:{kinds[0]}:{since}:{after or ''}",
                description=f"Shopify {self.shop_domain}: reconcile {kinds[0]}s "
                f"updated since {since}",
            )
            ._shopify_reconcile_page(kinds, since, page_size, state, after)
        )

    def _shopify_reconcile_page(self, kinds, since, page_size, state, after=None):
        """Job: one page of the ``kinds[0]`` objects updated since ``since``; each one
        not yet recorded at its version is queued for sync. Then the next page, the
        next kind, or, after the last one, the watermark.

        ``state``: the run's start, its watermark so far (the oldest of the kinds'
        newest versions seen), the newest version of this kind seen, and the count
        of objects queued."""
        self.ensure_one()
        kind = kinds[0]
        root, document = RECONCILE[kind]
        variables = {
            "query": f"updated_at:>='{since}'",
            "first": page_size,
            "after": after,
        }
        try:
            data = self._shopify_client().query(document, variables)
        except ShopifyTransientError as exc:
            raise retryable(exc) from exc
        connection = data.get(root) or {}
        state = dict(state)
        for node in connection.get("nodes") or []:
            state["queued"] += self._shopify_reconcile_object(kind, node)
            state["newest"] = max(state.get("newest") or "", _iso(node["updatedAt"]))
        page = connection.get("pageInfo") or {}
        if page.get("hasNextPage"):
            next_page = (kinds, since, page_size, state, page["endCursor"])
            self._shopify_enqueue_reconcile_page(*next_page)
            return f"{kind}s: next page"
        state["mark"] = min(state["mark"], state.pop("newest", None) or state["mark"])
        if kinds[1:]:
            self._shopify_enqueue_reconcile_page(kinds[1:], since, page_size, state)
            return f"{kind}s: done"
        return self._shopify_finish_reconcile(state)

    def _shopify_finish_reconcile(self, state):
        mark = _from_iso(state["mark"])
        self.write(
            {
                "reconcile_watermark": max(mark, self.reconcile_watermark or mark),
                "reconcile_last_end": fields.Datetime.now(),
                "reconcile_last_count": state["queued"],
            }
        )
        return f"{state['queued']} objects queued; reconciled up to {state['mark']}"

    def _shopify_reconcile_object(self, kind: str, node: dict) -> int:
        """Queue one object found by reconciliation, unless this version was synced
        or queued already; 1 if queued."""
        shopify_id = str(node["legacyResourceId"])
        updated_at = _from_iso(_iso(node["updatedAt"]))
        binding_model = BINDINGS.get(kind)
        if binding_model and self.env[binding_model].search_count(
            [
                ("shop_id", "=", self.id),
                ("shopify_id", "=", shopify_id),
                ("shopify_updated_at", ">=", updated_at),
            ],
            limit=1,
        ):
            return 0
        Event = self.env["shopify.webhook.event"]
        event, _duplicate = Event._shopify_insert(
            {
                "shop_id": self.id,
                "topic": f"{kind}s/reconcile",
                "webhook_id": f"reconcile:{kind}:{shopify_id}:{node['updatedAt']}",
                "source": "reconcile",
                "triggered_at": updated_at,
                "api_version": self.api_version,
                "object_kind": kind,
                "object_id": shopify_id,
                "object_gid": node["id"],
                "state": "queued",
                "payload": json.dumps(node),
            }
        )
        if not event:
            return 0
        job = self._shopify_enqueue_sync(kind, shopify_id)
        event.job_uuid = job.uuid
        return 1

    def action_open_reconcile_wizard(self):
        self.ensure_one()
        check_manager(self)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reconcile since…"),
            "res_model": "shopify.reconcile.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_shop_id": self.id},
        }


class ShopifyReconcileWizard(models.TransientModel):
    _name = "shopify.reconcile.wizard"
    _description = "Shopify: Reconcile Since a Date"

    shop_id = fields.Many2one("shopify.shop", required=True, ondelete="cascade")
    since = fields.Datetime(
        required=True,
        default=lambda self: fields.Datetime.now() - timedelta(days=1),
        help="Every order, customer and product updated in Shopify since then is "
        "synced again (those already synced at their current version are skipped). "
        "A first import: a date before the store's first order (orders older than 60 "
        "days need the read_all_orders scope).",
    )

    def action_reconcile(self):
        self.ensure_one()
        # The run records events and bindings, which nobody writes by hand: a manager
        # who may configure this shop starts it, the jobs run with sudo.
        check_manager(self.shop_id)
        self.shop_id.sudo()._shopify_start_reconcile(since=self.since)
        return self.shop_id._shopify_notify_info(
            self.env._(
                "Reconciliation started: the shop shows how many objects it queued "
                "when it has gone through Shopify's pages."
            ),
            close=True,
        )


def _iso(value) -> str:
    """A UTC instant as Shopify's search syntax takes it: ``2026-11-30T10:00:00Z``
    (from a naive UTC datetime, or an ISO 8601 string with ``Z`` or an offset)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_iso(value: str) -> datetime:
    """``2026-11-30T10:00:00Z`` -> a naive UTC datetime, as Odoo stores them."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
