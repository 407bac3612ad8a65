"""POST /shopify/webhook: verify, record, enqueue, answer. Nothing else.

The payload is only read to know which object changed: the job fetches the object fresh
from Shopify (as connector_jira's controller puts it, with the nice side-effect that the
job is retryable). Shopify gives the endpoint 5 seconds; this answers in milliseconds.
"""

import json
import logging

from werkzeug.wrappers import Response

from odoo import SUPERUSER_ID, http
from odoo.http import request

from ..lib.webhook import object_of

_logger = logging.getLogger(__name__)


class ShopifyWebhookController(http.Controller):
    _webhook_url = "/shopify/webhook"
    MAX_BODY_BYTES = 5 * 1024 * 1024
    # header -> key used by shopify.webhook.event._shopify_receive
    REQUIRED_HEADERS = {
        "X-Shopify-Topic": "topic",
        "X-Shopify-Shop-Domain": "shop_domain",
        "X-Shopify-Webhook-Id": "webhook_id",
    }
    OPTIONAL_HEADERS = {
        "X-Shopify-Hmac-Sha256": "hmac",  # missing: 401 like a wrong one
        "X-Shopify-Event-Id": "event_id",
        "X-Shopify-Triggered-At": "triggered_at",
        "X-Shopify-API-Version": "api_version",
    }

    @http.route(
        _webhook_url,
        type="http",
        methods=["POST"],
        auth="none",
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def shopify_webhook(self):
        httpreq = request.httprequest
        if (httpreq.content_length or 0) > self.MAX_BODY_BYTES:
            return self._reject(413, "body over the size cap")
        body = httpreq.get_data()
        if len(body) > self.MAX_BODY_BYTES:  # a chunked body announces no length
            return self._reject(413, "body over the size cap")
        headers = {
            key: (httpreq.headers.get(name) or "").strip()
            for name, key in (self.REQUIRED_HEADERS | self.OPTIONAL_HEADERS).items()
        }
        missing = [
            name for name, key in self.REQUIRED_HEADERS.items() if not headers[key]
        ]
        if missing:
            return self._reject(400, f"missing header {', '.join(missing)}", headers)

        env = request.env(user=SUPERUSER_ID)
        shop = env["shopify.shop"]._shopify_find_by_domain(headers["shop_domain"])
        if not shop:
            return self._reject(401, "unknown or archived shop", headers)
        if not headers["hmac"]:
            return self._reject(
                401, "missing signature (X-Shopify-Hmac-Sha256)", headers
            )
        if not shop._shopify_verify_signature(body, headers["hmac"]):
            return self._reject(401, "signature does not verify", headers)
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise ValueError("the body is not a JSON object")
            obj = object_of(headers["topic"], payload)
        except ValueError as exc:
            return self._reject(400, f"body is not usable JSON: {exc}", headers)

        outcome = env["shopify.webhook.event"]._shopify_receive(
            shop, headers, body, payload, obj
        )
        _logger.info(
            "Shopify webhook %s %s from %s: %s",
            headers["topic"],
            headers["webhook_id"],
            shop.shop_domain,
            outcome,
        )
        return Response(status=200)

    def _reject(self, status: int, reason: str, headers: dict | None = None):
        """Answer a refused delivery: a log line an operator can act on, never the
        body."""
        headers = headers or {}
        _logger.warning(
            "Shopify webhook refused with %s: %s (topic=%s shop=%s webhook_id=%s)",
            status,
            reason,
            headers.get("topic"),
            headers.get("shop_domain"),
            headers.get("webhook_id"),
        )
        return Response(reason, status=status, content_type="text/plain; charset=utf-8")
