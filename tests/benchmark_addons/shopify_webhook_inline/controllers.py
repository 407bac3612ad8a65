"""POST /shopify/webhook/inline, for scripts/benchmark only: the same checks as
/shopify/webhook, then the order is fetched from Shopify and the sale order built inside
the request (no event, no job). The answer's body is what the sync returned."""

import json

from werkzeug.wrappers import Response

from odoo import SUPERUSER_ID, Command, http
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


class PlainSaleOrder(http.Controller):
    """POST /shopify/bench/plain_order, for scripts/benchmark only: the same order as a
    Shopify order's sync builds it (a new customer with its invoice and delivery
    addresses, the product lines found by SKU, the shipping line, confirmed), written
    as a plain Odoo create and confirm with no Shopify, no event, no binding: the floor
    the order job's cost is compared with. The body is JSON: {"email", "name",
    "address": {...res.partner address fields}, "lines": [[sku, quantity, price]],
    "shipping": [product id, price]}."""

    @http.route(
        "/shopify/bench/plain_order",
        type="http",
        methods=["POST"],
        auth="none",
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def plain_order(self):
        data = json.loads(request.httprequest.get_data())
        env = request.env(user=SUPERUSER_ID)
        partner = env["res.partner"].create(
            {"name": data["name"], "email": data["email"]}
        )
        invoice, delivery = env["res.partner"].create(
            [
                dict(data["address"], parent_id=partner.id, type=kind)
                for kind in ("invoice", "delivery")
            ]
        )
        products = env["product.product"].search(
            [("default_code", "in", [sku for sku, _qty, _price in data["lines"]])]
        )
        by_sku = {product.default_code: product for product in products}
        lines = [
            {"product_id": by_sku[sku].id, "product_uom_qty": qty, "price_unit": price}
            for sku, qty, price in data["lines"]
        ]
        shipping_id, shipping_price = data["shipping"]
        lines.append({"product_id": shipping_id, "price_unit": shipping_price})
        order = env["sale.order"].create(
            {
                "partner_id": partner.id,
                "partner_invoice_id": invoice.id,
                "partner_shipping_id": delivery.id,
                "order_line": [Command.create(line) for line in lines],
            }
        )
        order.action_confirm()
        return Response(f"sale.order,{order.id}", status=200)
