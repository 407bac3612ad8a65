from odoo import fields, models


class ShopifyEventCloseWizard(models.TransientModel):
    """Resolve (fixed by hand) or ignore one or many events, saying how or why."""

    _name = "shopify.event.close.wizard"
    _description = "Close Shopify Events"

    event_ids = fields.Many2many("shopify.webhook.event", string="Events")
    action = fields.Selection(
        [
            ("resolve", "I fixed the Odoo record by hand"),
            ("ignore", "Ignore: nothing to do"),
            ("retry", "Retry the sync"),
        ],
        required=True,
        default="resolve",
    )
    note = fields.Text(
        string="How / Why",
        help="Kept in each event's chatter. Required to ignore.",
    )

    def action_confirm(self):
        self.ensure_one()
        events = self.event_ids
        if self.action == "ignore":
            return events.action_ignore(self.note)
        if self.action == "retry":
            return events.action_retry(self.note)
        return events.action_resolve(self.note)
