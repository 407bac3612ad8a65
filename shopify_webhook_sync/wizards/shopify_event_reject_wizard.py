from odoo import fields, models


class ShopifyEventRejectWizard(models.TransientModel):
    """Reject one or many orders or refunds waiting for approval, saying why (a
    manual correction: kept in each event's chatter and counted in the metrics)."""

    _name = "shopify.event.reject.wizard"
    _description = "Reject Shopify Records in Review"

    event_ids = fields.Many2many("shopify.webhook.event", string="Events")
    note = fields.Text(string="Why", required=True)

    def action_confirm(self):
        self.ensure_one()
        return self.event_ids.action_reject(self.note)
