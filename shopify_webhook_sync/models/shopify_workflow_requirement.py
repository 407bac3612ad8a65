"""The mappings a workflow needs, with a live status read from the mapping models
themselves and from what the flow's objects wait for: complete, or what is missing and
where to fix it."""

from odoo import api, fields, models

from .shopify_workflow import KIND_FLOWS

KINDS = [
    ("product", "Products"),
    ("tax", "Taxes"),
    ("shipping", "Shipping Methods"),
    ("gateway", "Payment Gateways"),
    ("location", "Locations"),
]
# requirement -> (mapping model, domain of a configured mapping, action that lists them)
MAPPINGS = {
    "product": (
        "shopify.product.binding",
        [("product_id", "!=", False)],
        "shopify_webhook_sync.action_shopify_product_binding_to_map",
    ),
    "tax": (
        "shopify.tax.mapping",
        [],
        "shopify_webhook_sync.action_shopify_tax_mapping",
    ),
    "shipping": (
        "shopify.shipping.mapping",
        [],
        "shopify_webhook_sync.action_shopify_shipping_mapping",
    ),
    "gateway": (
        "shopify.gateway.mapping",
        [],
        "shopify_webhook_sync.action_shopify_gateway_mapping",
    ),
    "location": (
        "shopify.location.mapping",
        [],
        "shopify_webhook_sync.action_shopify_location_mapping",
    ),
}
# the ``kind`` of what a waiting event needs (``missing_data``) -> the requirement
NEED_KINDS = {
    "product": "product",
    "variant": "product",
    "ambiguous": "product",
    "tax": "tax",
    "shipping": "shipping",
    "gateway": "gateway",
}


def need_label(need: dict) -> str:
    """What one waiting object needs, in the merchant's words."""
    kind = need.get("kind")
    if kind == "tax":
        return f"{need.get('title')} {round(float(need.get('rate') or 0) * 100, 3)}%"
    if kind == "shipping":
        return need.get("title") or ""
    if kind == "gateway":
        return need.get("gateway") or ""
    return need.get("sku") or need.get("name") or str(need.get("variant") or "")


class ShopifyWorkflowRequirement(models.Model):
    _name = "shopify.workflow.requirement"
    _description = "Shopify Workflow Required Mapping"
    _order = "workflow_id, sequence, id"

    workflow_id = fields.Many2one(
        "shopify.workflow", required=True, ondelete="cascade", index=True
    )
    shop_id = fields.Many2one(related="workflow_id.shop_id")
    company_id = fields.Many2one(related="workflow_id.company_id", store=True)
    kind = fields.Selection(KINDS, string="Mapping", required=True)
    sequence = fields.Integer(compute="_compute_sequence", store=True)
    configured_count = fields.Integer(string="Mapped", compute="_compute_status")
    missing = fields.Text(compute="_compute_status")
    missing_count = fields.Integer(compute="_compute_status")
    state = fields.Selection(
        [("complete", "Complete"), ("missing", "Missing")],
        compute="_compute_status",
    )

    _sql_constraints = [
        (
            "kind_unique",
            "UNIQUE(workflow_id, kind)",
            "This workflow already requires this mapping.",
        ),
    ]

    @api.depends("kind")
    def _compute_sequence(self):
        order = [kind for kind, _label in KINDS]
        for requirement in self:
            requirement.sequence = order.index(requirement.kind)

    def _compute_status(self):
        for requirement in self:
            model, domain, _action = MAPPINGS[requirement.kind]
            shop_domain = [("shop_id", "=", requirement.shop_id.id)]
            requirement.configured_count = (
                self.env[model].sudo().search_count(shop_domain + domain)
            )
            missing = requirement._shopify_missing()
            requirement.missing = "\n".join(missing) or False
            requirement.missing_count = len(missing)
            requirement.state = "missing" if missing else "complete"

    def _shopify_missing(self) -> list[str]:
        """What is missing, each once: what the flow's waiting objects need of this
        kind, the variants no Odoo product is chosen for, or (locations) no mapping at
        all."""
        self.ensure_one()
        missing = []
        if self.kind == "location" and not self.configured_count:
            missing.append(self.env._("No Shopify location is mapped to a warehouse."))
        for event in self._shopify_waiting_events():
            for need in event.missing_data or []:
                label = need_label(need)
                if NEED_KINDS.get(need.get("kind")) == self.kind and label:
                    missing.append(label)
        if self.kind == "product":
            variants = self._shopify_unmapped_variants()
            missing += [v.sku or v.display_name for v in variants]
        return list(dict.fromkeys(missing))

    def _shopify_waiting_events(self):
        kinds = [k for k, flow in KIND_FLOWS.items() if flow == self.workflow_id.flow]
        return (
            self.env["shopify.webhook.event"]
            .sudo()
            .search(
                [
                    ("shop_id", "=", self.shop_id.id),
                    ("state", "=", "needs_mapping"),
                    ("object_kind", "in", kinds),
                ]
            )
        )

    def _shopify_unmapped_variants(self):
        return (
            self.env["shopify.product.binding"]
            .sudo()
            .search([("shop_id", "=", self.shop_id.id), ("needs_mapping", "=", True)])
        )

    def action_open(self):
        """Where to fix it: the mappings of this kind for the shop (the variants still
        to map, for products)."""
        self.ensure_one()
        model, _domain, xmlid = MAPPINGS[self.kind]
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("shop_id", "=", self.shop_id.id)]
        context = {"default_shop_id": self.shop_id.id}
        if model == "shopify.product.binding":
            context["search_default_needs_mapping"] = 1
        action["context"] = context
        return action

    def action_open_waiting(self):
        """The events waiting for a mapping of this workflow: each carries the button
        of its fix."""
        self.ensure_one()
        events = self._shopify_waiting_events().filtered(
            lambda e: any(
                NEED_KINDS.get(need.get("kind")) == self.kind
                for need in e.missing_data or []
            )
        )
        return self.shop_id.action_open_events() | {
            "domain": [("id", "in", events.ids)]
        }
