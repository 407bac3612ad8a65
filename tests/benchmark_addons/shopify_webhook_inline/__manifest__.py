{
    "name": "Shopify Webhook Sync: inline variant (benchmark only)",
    "summary": "Benchmark only: a webhook route syncing the order inside the request",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "license": "LGPL-3",
    "author": "shopify_webhook_sync developers",
    "depends": ["shopify_webhook_sync"],
    "data": [],
    "installable": True,
}
