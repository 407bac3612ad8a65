{
    "name": "Shopify Webhook Sync: inline variant (benchmark only)",
    "summary": "POST /shopify/webhook/inline syncs the order inside the request, to measure it",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "license": "LGPL-3",
    "author": "shopify_webhook_sync developers",
    "depends": ["shopify_webhook_sync"],
    "data": [],
    "installable": True,
}
