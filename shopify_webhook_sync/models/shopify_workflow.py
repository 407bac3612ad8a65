"""Workflows: each sync flow's rules, written down in Odoo next to the code that applies
them — which system owns the record (and the guardrail that keeps the other side from
overwriting it), the Odoo record it becomes, the matching key, who owns its errors, the
retry rule and the Shopify topics it listens to.

One workflow per shop and flow, created with defaults with the shop (and for the shops
that existed before, when the addon is installed or upgraded). The error owner is not
stored here: it is the shop's owner of that topic group (the one whose activities the
events schedule), read and written through the workflow.
"""

from odoo import api, fields, models

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
# Back-off of every flow by default: 10 s, doubling after each try, at most an hour
# between tries; MAX_RETRIES tries reach well beyond a day of Shopify being down.
RETRY_DELAY = 10
RETRY_DELAY_MAX = 3600


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
    return defaults | {
        "shop_id": shop.id,
        "flow": flow,
        "target_model_id": model.id,
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
        help="How many times a job of this flow is retried after a transient error "
        "(Shopify down, a timeout) before it fails. Shopify's rate limit is a wait, "
        "not a failed try.",
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

    _sql_constraints = [
        (
            "flow_unique",
            "UNIQUE(shop_id, flow)",
            "This shop already has a workflow for this flow.",
        ),
        (
            "retry_positive",
            "CHECK(retry_max >= 0 AND retry_delay >= 0 AND retry_delay_max >= 0)",
            "Retry attempts and delays cannot be negative.",
        ),
    ]

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

    @api.depends("flow")
    def _compute_topics(self):
        for workflow in self:
            workflow.topics = ", ".join(FLOW_TOPICS.get(workflow.flow, ())) or False

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
        """Every shop (archived ones too) has its workflows: run on install and
        upgrade, for the shops that existed before workflows did."""
        self.env["shopify.shop"].with_context(active_test=False).search(
            []
        )._shopify_ensure_workflows()


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

    def action_open_workflows(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_webhook_sync.action_shopify_workflow"
        )
        action["domain"] = [("shop_id", "in", self.ids)]
        action["context"] = {"default_shop_id": self[:1].id}
        return action
