from odoo import fields, models


class ShopifyWebhookDuplicate(models.Model):
    """A delivery received again and ignored. Insert-only, so a storm of duplicates
    never contends on a counter row; the event and the shop count them."""

    _name = "shopify.webhook.duplicate"
    _description = "Shopify Duplicate Delivery"
    _order = "id desc"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True
    )
    topic = fields.Char(required=True)
    webhook_id = fields.Char(string="Webhook ID", required=True, index=True)
    event_id = fields.Char(string="Event ID", index=True)
    reason = fields.Selection(
        [
            ("webhook_id", "Same delivery (Webhook ID)"),
            ("event_id", "Same action (Event ID)"),
        ],
        required=True,
    )
    received_at = fields.Datetime(required=True, default=fields.Datetime.now)
