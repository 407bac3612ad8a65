"""POST /shopify/webhook/inline, for scripts/benchmark only: the same checks as
/shopify/webhook, then the order is fetched from Shopify and the sale order built inside
the request (no event, no job). The answer's body is what the sync returned."""

import json

from werkzeug.wrappers import Response

from odoo import SUPERUSER_ID, http
from odoo.http import request

from odoo.addons.shopify_webhook_sync.lib.webhook import object_of


class ShopifyWebhookInline(http.Controller):
    @http.route(
        "/shopify/webhook/inline",
        type="http",
        methods=["POST"],
        auth="none",
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def shopify_webhook_inline(self):
        body = request.httprequest.get_data()
        headers = request.httprequest.headers
        topic = headers.get("X-Shopify-Topic", "")
        signature = headers.get("X-Shopify-Hmac-Sha256", "")
        if not topic or not headers.get("X-Shopify-Webhook-Id"):
            return Response("missing header", status=400)
        env = request.env(user=SUPERUSER_ID)
        shop = env["shopify.shop"]._shopify_find_by_domain(
            headers.get("X-Shopify-Shop-Domain")
        )
        if (
            not shop
            or not signature
            or not shop._shopify_verify_signature(body, signature)
        ):
            return Response("not verified", status=401)
        try:
            obj = object_of(topic, json.loads(body))
        except ValueError as exc:
            return Response(str(exc), status=400)
        result = (
            shop.with_company(shop.company_id)._shopify_sync(*obj) if obj else "ignored"
        )
        return Response(result, status=200, content_type="text/plain; charset=utf-8")
