"""Workflows: each sync flow's rules, written down in Odoo next to the code that applies
them — which system owns the record (and the guardrail that keeps the other side from
overwriting it), the Odoo record it becomes, the matching key, who owns its errors, the
retry rule, the Shopify topics it listens to (and whether Shopify has them), the
mappings it needs, the recovery plan and example records.

One workflow per shop and flow, created with defaults with the shop (and for the shops
that existed before, when the addon is installed or upgraded). The error owner is not
stored here: it is the shop's owner of that topic group (the one whose activities the
events schedule), read and written through the workflow.
"""

import hashlib
import json

from odoo import Command, api, fields, models, tools

from ..lib.subscriptions import described_states
from .shopify_shop import MAX_RETRIES, OWNER_FIELDS
from .shopify_subscription import FULFILLMENT_TOPICS

FLOWS = [
    ("orders", "Orders"),
    ("refunds", "Refunds"),
    ("customers", "Customers"),
    ("products", "Products"),
    ("stock", "Stock"),
    ("fulfillments", "Fulfillments"),
    ("privacy", "Privacy"),
]
SOURCES = [
    ("shopify", "Shopify → Odoo (Shopify owns it)"),
    ("odoo", "Odoo → Shopify (Odoo owns it)"),
    ("two_way", "Two-way"),
]
# flow -> the object kind of its jobs (``shopify.shop._shopify_owner``): the shop's
# owner of that kind is the flow's error owner.
FLOW_KINDS = {
    "orders": "order",
    "refunds": "refund",
    "customers": "customer",
    "products": "product",
    "stock": "product",
    "fulfillments": "order_fulfillment",
    "privacy": "customer_data_request",
}
# the shop's owner of the kinds OWNER_FIELDS does not name (``_shopify_owner``)
PRIVACY_OWNER = "responsible_user_id"
# flow -> the Shopify webhook topics it listens to (stock is pushed from Odoo: none)
FLOW_TOPICS = {
    "orders": (
        "orders/create",
        "orders/updated",
        "orders/cancelled",
        "orders/paid",
        "orders/edited",
    ),
    "refunds": ("refunds/create",),
    "customers": ("customers/create", "customers/update", "customers/delete"),
    "products": ("products/create", "products/update", "products/delete"),
    "stock": (),
    "fulfillments": FULFILLMENT_TOPICS,
    "privacy": (
        "customers/data_request",
        "customers/redact",
        "shop/redact",
        "app/uninstalled",
    ),
}
# Shopify's compliance webhooks: set in the app's configuration, not subscribed through
# the Admin API (Check Webhooks cannot see them).
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
# flow -> the mappings it needs (shopify.workflow.requirement's kinds)
FLOW_REQUIREMENTS = {
    "orders": ("product", "tax", "shipping"),
    "refunds": ("gateway",),
    "products": ("product",),
    "stock": ("location", "product"),
}
# requirement -> (mapping model, the fields that make its rule) in the fingerprint a
# sign-off keeps; the variants' products are data mapped one by one: not in it.
FINGERPRINT_MAPPINGS = {
    "tax": ("shopify.tax.mapping", ("title", "rate", "tax_id")),
    "shipping": ("shopify.shipping.mapping", ("name", "product_id")),
    "gateway": ("shopify.gateway.mapping", ("gateway", "journal_id")),
    "location": ("shopify.location.mapping", ("location_gid", "warehouse_id")),
}
# the Odoo records a workflow's examples can be
EXAMPLE_MODELS = (
    "sale.order",
    "account.move",
    "res.partner",
    "product.product",
    "stock.picking",
    "shopify.webhook.event",
)
# object kind of a job (``shopify.shop._shopify_sync`` and the pushes) -> its flow
KIND_FLOWS = {
    "order": "orders",
    "order_fulfillment": "fulfillments",
    "fulfillment": "fulfillments",
    "refund": "refunds",
    "customer": "customers",
    "product": "products",
    "stock": "stock",
    "customer_data_request": "privacy",
    "customer_redact": "privacy",
    "shop_redact": "privacy",
    "app_uninstalled": "privacy",
}
RETRY_FIELDS = ("retry_max", "retry_delay", "retry_delay_max")
# the recovery plan: who does what, and what happens after an hour, a day, a weekend
PLAN_FIELDS = (
    "queue_reviewer_id",
    "mapping_fixer_id",
    "retry_approver_id",
    "plan_hour",
    "plan_day",
    "plan_weekend",
)
# Back-off of every flow by default: 10 s, doubling after each try, at most an hour
# between tries (drawn from 3/4 of it to all of it): MAX_RETRIES (30) tries span 16 to
# 21 hours of Shopify being down.
RETRY_DELAY = 10
RETRY_DELAY_MAX = 3600


def backoff(tries: int, first: int, longest: int) -> tuple[int, int]:
    """The delay before the next try once ``tries`` tries failed: ``first`` seconds,
    doubling after each try, never beyond ``longest``; as a (low, high) range that
    queue_job draws from, so a backlog does not go back to Shopify all at once."""
    delay = min(first * 2 ** min(max(tries, 1) - 1, 32), longest)
    return delay * 3 // 4, delay


def _flow_defaults(env, shop, flow: str) -> dict:
    """What a new shop's workflow says until the merchant's team writes its own."""
    _ = env._
    shopify_fulfils = shop.fulfilled_by == "shopify"
    defaults = {
        "orders": {
            "source": "shopify",
            "target_model": "sale.order",
            "matching_key": _(
                "Shopify order ID (order binding); the order's name (#1001) is the "
                "sale order's Customer Reference; lines by variant SKU → Internal "
                "Reference."
            ),
            "guardrail": _(
                "One-way: Odoo never writes an order back to Shopify. Quantities and "
                "amounts are set from Shopify's current figures, never adjusted; an "
                "order whose totals differ from Shopify's waits for review instead "
                "of being confirmed."
            ),
        },
        "refunds": {
            "source": "shopify",
            "target_model": "account.move",
            "matching_key": _(
                "Shopify refund ID (refund binding), under its order's binding."
            ),
            "guardrail": _(
                "One-way: make refunds in Shopify; a credit note made in Odoo is not "
                "sent to Shopify. A refund never changes once made."
            ),
        },
        "customers": {
            "source": "shopify",
            "target_model": "res.partner",
            "matching_key": _(
                "Shopify customer ID (customer binding); with Match Customers by "
                "Email, the email of exactly one existing contact."
            ),
            "guardrail": _(
                "One-way: an edit of a synced contact in Odoo is overwritten by the "
                "customer's next change in Shopify."
            ),
        },
        "products": {
            "source": "shopify",
            "target_model": "product.product",
            "matching_key": _(
                "Variant SKU → Internal Reference; then the Shopify variant ID "
                "(variant binding)."
            ),
            "guardrail": _(
                "One-way: Shopify's catalogue is the reference; Odoo never creates or "
                "changes a product in Shopify."
            ),
        },
        "stock": {
            "source": "odoo",
            "target_model": "stock.quant",
            "matching_key": _(
                "Inventory item (variant binding) and Shopify location → Odoo "
                "warehouse (location mapping)."
            ),
            "guardrail": _(
                "One-way: Odoo's free quantity in the mapped warehouse becomes the "
                "location's available quantity in Shopify; a count changed in "
                "Shopify is overwritten."
            ),
        },
        "fulfillments": {
            "source": "shopify" if shopify_fulfils else "odoo",
            "target_model": "stock.picking",
            "matching_key": _(
                "Shopify order ID (order binding) → the sale order's delivery; lines "
                "by variant SKU → Internal Reference."
            ),
            "guardrail": _(
                "Shopify's fulfillments validate the Odoo delivery; nothing is sent "
                "back to Shopify."
            )
            if shopify_fulfils
            else _(
                "A validated Odoo delivery becomes a Shopify fulfillment; a "
                "fulfillment made in Shopify does not change the Odoo delivery."
            ),
        },
        "privacy": {
            "source": "shopify",
            "target_model": "res.partner",
            "matching_key": _("Shopify customer ID (customer binding), else email."),
            "guardrail": _(
                "Shopify's compliance requests: a data request is a to-do for the "
                "privacy responsible (30 days to answer); redaction anonymises and "
                "archives the contact, never deletes it."
            ),
        },
    }[flow]
    model = env["ir.model"]._get(defaults.pop("target_model"))
    owner = shop._shopify_owner(FLOW_KINDS[flow]).id
    return (
        defaults
        | _plan_defaults(env)
        | {
            "shop_id": shop.id,
            "flow": flow,
            "target_model_id": model.id,
            "queue_reviewer_id": owner,
            "mapping_fixer_id": owner,
            "retry_approver_id": owner,
            "requirement_ids": [
                Command.create({"kind": kind})
                for kind in FLOW_REQUIREMENTS.get(flow, ())
            ],
        }
    )


def _plan_defaults(env) -> dict:
    """The recovery plan as the addon behaves, for the team to make its own."""
    _ = env._
    return {
        "plan_hour": _(
            "Nothing is lost: every delivery is recorded before Shopify gets its "
            "answer. Jobs retry transient errors with the back-off above; each object "
            "that failed or waits for a mapping gives the error owner one activity. "
            "The hourly reconciliation queues what no webhook brought."
        ),
        "plan_day": _(
            "Shopify retries a delivery Odoo did not accept 8 times over 4 hours. The "
            "queue reviewer works through Shopify › Events › To Fix every morning; "
            "the mapping fixer saves the missing mappings (what waited is re-queued); "
            "retries of failed objects are approved by the retry approver."
        ),
        "plan_weekend": _(
            "Jobs keep retrying up to their attempts, then wait as failed. On the "
            "first working day: read Shopify › Metrics for the weekend, press Check "
            "Webhooks (Shopify deletes a subscription after 8 failed deliveries in a "
            "row: Register Webhooks again, then Reconcile Since… the last good day), "
            "then retry what failed once its cause is fixed."
        ),
    }


class ShopifyWorkflow(models.Model):
    _name = "shopify.workflow"
    _description = "Shopify Workflow"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "shop_id, sequence, id"
    _check_company_auto = True
    # Users read the workflow and discuss it in its chatter; managers set its rules.
    _mail_post_access = "read"

    shop_id = fields.Many2one(
        "shopify.shop",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    flow = fields.Selection(FLOWS, required=True, readonly=True)
    sequence = fields.Integer(compute="_compute_sequence", store=True)
    source = fields.Selection(
        SOURCES,
        string="Source of Truth",
        required=True,
        default="shopify",
        tracking=True,
        help="Which system owns the original action; the other one receives it.",
    )
    guardrail = fields.Text(
        tracking=True,
        help="What keeps the receiving side from overwriting the owner's record (and, "
        "two-way, which side wins a conflict).",
    )
    target_model_id = fields.Many2one(
        "ir.model",
        string="Odoo Record",
        ondelete="cascade",
        tracking=True,
        help="The Odoo record each Shopify object becomes (or, from Odoo, comes from).",
    )
    matching_key = fields.Text(
        tracking=True,
        help="How a Shopify object finds its Odoo record, e.g. variant SKU → "
        "Internal Reference.",
    )
    owner_id = fields.Many2one(
        "res.users",
        string="Error Owner",
        compute="_compute_owner_id",
        inverse="_inverse_owner_id",
        help="The shop's owner of this topic group: gets an activity for each object "
        "that fails or waits for a mapping or a review. Changing it here changes it "
        "on the shop.",
    )
    retry_max = fields.Integer(
        string="Attempts",
        default=MAX_RETRIES,
        tracking=True,
        help="How many tries a job of this flow gets against transient errors "
        "(Shopify down, a timeout) before it fails for good. Shopify's rate limit is "
        "a wait, not a failed try.",
    )
    retry_delay = fields.Integer(
        string="First Retry After (s)",
        default=RETRY_DELAY,
        tracking=True,
        help="Seconds before the first retry; the delay doubles after each try.",
    )
    retry_delay_max = fields.Integer(
        string="Longest Wait (s)",
        default=RETRY_DELAY_MAX,
        tracking=True,
        help="The delay between two tries never grows beyond this.",
    )
    topics = fields.Char(
        string="Listens To",
        compute="_compute_topics",
        help="The Shopify webhook topics this flow acts on.",
    )
    topic_status = fields.Text(
        string="Registered in Shopify",
        compute="_compute_topic_status",
        help="Each topic as the shop's last webhook check found it in Shopify.",
    )
    topics_state = fields.Selection(
        [
            ("none", "Listens to Nothing"),
            ("unchecked", "Not Checked"),
            ("registered", "Registered"),
            ("problem", "Not as Needed"),
        ],
        string="Subscriptions",
        compute="_compute_topic_status",
    )
    # -- required mappings (models/shopify_workflow_requirement.py)
    requirement_ids = fields.One2many(
        "shopify.workflow.requirement", "workflow_id", string="Required Mappings"
    )
    mapping_state = fields.Selection(
        [("none", "None Needed"), ("complete", "Complete"), ("missing", "Missing")],
        string="Mappings",
        compute="_compute_mapping_state",
    )
    # -- recovery plan
    queue_reviewer_id = fields.Many2one(
        "res.users",
        string="Reviews the Queue",
        tracking=True,
        help="Works through this flow's events to fix, every day.",
    )
    mapping_fixer_id = fields.Many2one(
        "res.users", string="Fixes Mappings", tracking=True
    )
    retry_approver_id = fields.Many2one(
        "res.users", string="Approves Retries", tracking=True
    )
    plan_hour = fields.Text(string="After an Hour", tracking=True)
    plan_day = fields.Text(string="After a Day", tracking=True)
    plan_weekend = fields.Text(string="After a Weekend", tracking=True)
    # -- examples: real records of this flow, linked, not copied
    example_1 = fields.Reference(
        selection="_selection_example_models",
        string="Example",
        help="A real record this flow made (or, from Odoo, sent).",
    )
    example_2 = fields.Reference(
        selection="_selection_example_models", string="Second Example"
    )
    example_3 = fields.Reference(
        selection="_selection_example_models", string="Third Example"
    )

    _sql_constraints = [
        (
            "flow_unique",
            "UNIQUE(shop_id, flow)",
            "This shop already has a workflow for this flow.",
        ),
        (
            "retry_positive",
            "CHECK(retry_max >= 1 AND retry_delay >= 0 AND retry_delay_max >= 0)",
            "A job gets at least one attempt; delays cannot be negative.",
        ),
    ]

    @api.model
    def _selection_example_models(self):
        return [
            (model, self.env["ir.model"]._get(model).name)
            for model in EXAMPLE_MODELS
            if model in self.env
        ]

    @api.model_create_multi
    def create(self, vals_list):
        workflows = super().create(vals_list)
        self.env.registry.clear_cache()  # the shops' retry rules
        return workflows

    def write(self, vals):
        result = super().write(vals)
        if set(RETRY_FIELDS) & set(vals):
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    @api.depends("flow")
    def _compute_sequence(self):
        order = [flow for flow, _label in FLOWS]
        for workflow in self:
            workflow.sequence = order.index(workflow.flow) if workflow.flow else 0

    @api.depends("flow", "shop_id")
    def _compute_display_name(self):
        labels = dict(self._fields["flow"]._description_selection(self.env))
        for workflow in self:
            flow = labels.get(workflow.flow)
            workflow.display_name = f"{workflow.shop_id.name}: {flow}"

    @api.depends("flow", "shop_id.fulfilled_by")
    def _compute_topics(self):
        for workflow in self:
            workflow.topics = ", ".join(workflow._shopify_topics()) or False

    def _shopify_topics(self) -> tuple:
        """The topics the flow acts on (fulfillments: only when Shopify fulfils)."""
        if self.flow == "fulfillments" and self.shop_id.fulfilled_by != "shopify":
            return ()
        return FLOW_TOPICS.get(self.flow, ())

    @api.depends("flow", "shop_id.webhook_check_result", "shop_id.webhook_check_date")
    def _compute_topic_status(self):
        for workflow in self:
            topics = workflow._shopify_topics()
            found = described_states(workflow.shop_id.webhook_check_result)
            checked = bool(workflow.shop_id.webhook_check_date)
            lines, states = [], set()
            for topic in topics:
                if topic in COMPLIANCE_TOPICS:
                    status = self.env._("compliance webhook: set in the app's settings")
                elif not checked:
                    status, state = self.env._("not checked yet"), "unchecked"
                    states.add(state)
                else:
                    found_state = found.get(topic, "missing")
                    status = (
                        self.env._("registered") if found_state == "ok" else found_state
                    )
                    states.add("registered" if found_state == "ok" else "problem")
                lines.append(f"{topic}: {status}")
            workflow.topic_status = "\n".join(lines) or False
            workflow.topics_state = (
                "none"
                if not topics
                else next(
                    (s for s in ("problem", "unchecked") if s in states), "registered"
                )
            )

    def _compute_mapping_state(self):
        for workflow in self:
            requirements = workflow.requirement_ids
            if not requirements:
                workflow.mapping_state = "none"
            elif any(r.state == "missing" for r in requirements):
                workflow.mapping_state = "missing"
            else:
                workflow.mapping_state = "complete"

    def _shopify_rule_fields(self) -> list[str]:
        """The fields that make the workflow's rules: a change to one after a sign-off
        marks it changed since sign-off."""
        return [
            "source",
            "guardrail",
            "target_model_id",
            "matching_key",
            *RETRY_FIELDS,
            *PLAN_FIELDS,
        ]

    def _shopify_fingerprint(self) -> str:
        """A digest of the workflow's rules, its required mappings and the shop's
        mappings of those kinds, as they are now."""
        self.ensure_one()
        rules = {
            name: self[name].ids
            if isinstance(self[name], models.BaseModel)
            else self[name]
            for name in self._shopify_rule_fields()
        }
        kinds = sorted(self.requirement_ids.mapped("kind"))
        mappings = {}
        for kind in kinds:
            if kind not in FINGERPRINT_MAPPINGS:
                continue
            model, names = FINGERPRINT_MAPPINGS[kind]
            rows = (
                self.env[model]
                .sudo()
                .search_read([("shop_id", "=", self.shop_id.id)], list(names))
            )
            mappings[kind] = sorted(
                [row["id"], *(_plain(row[name]) for name in names)] for row in rows
            )
        data = json.dumps(
            {"rules": rules, "requires": kinds, "mappings": mappings},
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(data.encode()).hexdigest()

    def action_read_note(self):
        """The note in the browser: the printed note's template, shown as a web page
        in the web client (its Print button makes the PDF)."""
        report = self.env.ref("shopify_webhook_sync.action_report_shopify_workflow")
        return report.report_action(self, config=False) | {"report_type": "qweb-html"}

    def action_pick_examples(self):
        """The last records this flow made, as its examples (each once)."""
        kinds = [k for k, flow in KIND_FLOWS.items() if flow == self.flow]
        events = (
            self.env["shopify.webhook.event"]
            .sudo()
            .search(
                [
                    ("shop_id", "=", self.shop_id.id),
                    ("object_kind", "in", kinds),
                    ("state", "=", "done"),
                    ("res_model", "in", EXAMPLE_MODELS),
                    ("res_id", "!=", False),
                ],
                limit=50,
            )
        )
        records = []
        for event in events:
            ref = f"{event.res_model},{event.res_id}"
            if (
                ref not in records
                and self.env[event.res_model].browse(event.res_id).exists()
            ):
                records.append(ref)
        self.write(
            {
                name: (records[n] if n < len(records) else False)
                for n, name in enumerate(("example_1", "example_2", "example_3"))
            }
        )

    def _owner_field(self) -> str:
        return OWNER_FIELDS.get(FLOW_KINDS[self.flow], PRIVACY_OWNER)

    @api.depends(
        "flow",
        "shop_id",
        *(f"shop_id.{name}" for name in {*OWNER_FIELDS.values(), PRIVACY_OWNER}),
    )
    def _compute_owner_id(self):
        for workflow in self:
            workflow.owner_id = (
                workflow.shop_id._shopify_owner(FLOW_KINDS[workflow.flow])
                if workflow.shop_id and workflow.flow
                else False
            )

    def _inverse_owner_id(self):
        for workflow in self:
            workflow.shop_id[workflow._owner_field()] = workflow.owner_id

    @api.model
    def _shopify_ensure_all(self):
        """Every shop (archived ones too) has its workflows, each with what its
        flow's defaults give and it lacks: run on install and upgrade, for the shops
        and workflows that existed before."""
        shops = self.env["shopify.shop"].with_context(active_test=False).search([])
        shops._shopify_ensure_workflows()
        shops.sudo().workflow_ids._shopify_fill_defaults()

    def _shopify_fill_defaults(self):
        """Add what the flow's defaults have and these workflows lack, never changing
        what a merchant set: the required mappings of the flow (a requirement only
        shows the status of a mapping the sync needs anyway) and the recovery plan's
        people and texts left empty. Workflows made before either existed get them."""
        for workflow in self:
            defaults = _flow_defaults(self.env, workflow.shop_id, workflow.flow)
            vals = {
                name: defaults[name]
                for name in PLAN_FIELDS
                if not workflow[name] and defaults[name]
            }
            kinds = set(workflow.requirement_ids.mapped("kind"))
            missing = [
                kind
                for kind in FLOW_REQUIREMENTS.get(workflow.flow, ())
                if kind not in kinds
            ]
            if missing:
                vals["requirement_ids"] = [
                    Command.create({"kind": kind}) for kind in missing
                ]
            if vals:
                workflow.write(vals)


class ShopifyShop(models.Model):
    # one file per concern, as the other shop extensions
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    workflow_ids = fields.One2many("shopify.workflow", "shop_id", string="Workflows")
    workflow_count = fields.Integer(compute="_compute_workflow_count")

    @api.model_create_multi
    def create(self, vals_list):
        shops = super().create(vals_list)
        shops._shopify_ensure_workflows()
        return shops

    def _compute_workflow_count(self):
        counts = dict(
            self.env["shopify.workflow"]._read_group(
                [("shop_id", "in", self.ids)], ["shop_id"], ["__count"]
            )
        )
        for shop in self:
            shop.workflow_count = counts.get(shop, 0)

    def _shopify_ensure_workflows(self):
        """Create the workflows these shops lack, with each flow's defaults."""
        Workflow = self.env["shopify.workflow"].sudo()
        existing = {
            (w.shop_id.id, w.flow)
            for w in Workflow.search([("shop_id", "in", self.ids)])
        }
        vals_list = [
            _flow_defaults(self.env, shop, flow)
            for shop in self
            for flow, _label in FLOWS
            if (shop.id, flow) not in existing
        ]
        return Workflow.create(vals_list)

    # -- the retry rule, applied to the flow's jobs --

    @tools.ormcache("self.id", "flow")
    def _shopify_retry_rule(self, flow: str | None) -> tuple | None:
        """(attempts, first delay, longest delay) of the shop's workflow of ``flow``:
        read on every enqueue (the webhook ack among them), hence cached until a
        workflow changes."""
        workflow = (
            self.env["shopify.workflow"]
            .sudo()
            .search_fetch(
                [("shop_id", "=", self.id), ("flow", "=", flow)], RETRY_FIELDS, limit=1
            )
        )
        return tuple(workflow[name] for name in RETRY_FIELDS) if workflow else None

    def _shopify_max_retries(self, kind: str) -> int:
        rule = self._shopify_retry_rule(KIND_FLOWS.get(kind))
        return rule[0] if rule else super()._shopify_max_retries(kind)

    def _shopify_retry_seconds(self, kind: str):
        rule = self._shopify_retry_rule(KIND_FLOWS.get(kind))
        if not rule:
            return super()._shopify_retry_seconds(kind)
        return backoff(self._shopify_job_tries(), rule[1], rule[2])

    def _shopify_job_tries(self) -> int:
        """The tries of the running job so far, this one included (as queue_job counts
        them: its stored ``retry`` is that of the tries before)."""
        uuid = self.env.context.get("job_uuid")
        job = (
            self.env["queue.job"]
            .sudo()
            .search_fetch([("uuid", "=", uuid)], ["retry"], limit=1)
            if uuid
            else None
        )
        return (job.retry if job else 0) + 1

    def action_open_workflows(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_webhook_sync.action_shopify_workflow"
        )
        action["domain"] = [("shop_id", "in", self.ids)]
        action["context"] = {"default_shop_id": self[:1].id}
        return action


def _plain(value):
    """A search_read value as plain JSON: a many2one's id."""
    return value[0] if isinstance(value, tuple | list) else value
