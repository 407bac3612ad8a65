"""POST /shopify/webhook: check, verify, record, enqueue, answer. Nothing else.

The payload is only read to know which object changed: the job fetches the object fresh
from Shopify (as connector_jira's controller puts it, with the nice side-effect that the
job is retryable). Shopify gives the endpoint 5 seconds; this answers in milliseconds.

Everything the sender controls (method, body, headers) is checked before the first
query; a refusal is a 4xx with a reason in the log, never a 5xx. The route is
``auth="none"``: with this addon in ``server_wide_modules`` Odoo also serves it while
the database is unreachable (``_serve_db`` falls back to ``_serve_nodb``), and it
answers 503 then, so that Shopify retries and a monitor does not read "endpoint gone".
"""

import logging

from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from odoo import SUPERUSER_ID, http
from odoo.http import HttpDispatcher, request

from ..lib.webhook import (
    InvalidDelivery,
    check_header,
    check_shop_domain,
    object_of,
    parse_body,
)

_logger = logging.getLogger(__name__)


class ShopifyWebhookDispatcher(HttpDispatcher):
    """Odoo's ``type="http"`` dispatch without its form parsing: HttpDispatcher reads a
    form-typed body (by its Content-Type) before the endpoint runs, and a malformed
    chunked one is a 500 there. This endpoint reads and checks its body itself."""

    routing_type = "shopify_webhook"

    def dispatch(self, endpoint, args):
        self.request.params = dict(args)
        if self.request.db:
            return self.request.registry["ir.http"]._dispatch(endpoint)
        return endpoint(**self.request.params)


class ShopifyWebhookController(http.Controller):
    _webhook_url = "/shopify/webhook"
    MAX_BODY_BYTES = 5 * 1024 * 1024
    READ_CHUNK_BYTES = 64 * 1024
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
        type=ShopifyWebhookDispatcher.routing_type,
        methods=["POST"],
        auth="none",
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def shopify_webhook(self, **_query):
        """``_query``: the query string's fields, which a delivery does not have;
        ignored."""
        httprequest = request.httprequest
        if httprequest.method != "POST":  # Odoo adds OPTIONS to every route
            return self._reject(405, f"method {httprequest.method} is not POST")
        headers = {}
        try:
            body = self._read_body()
            headers = self._read_headers()
            payload = parse_body(body)
            obj = object_of(headers["topic"], payload)
        except BodyTooLarge:
            return self._reject(413, "body over the size cap")
        except InvalidDelivery as exc:
            return self._reject(400, str(exc), getattr(exc, "headers", headers))
        if not request.db:
            return self._reject(
                503, "database unavailable; Shopify will retry", headers
            )

        env = request.env(user=SUPERUSER_ID)
        shop = env["shopify.shop"]._shopify_for_ack(headers["shop_domain"])
        if not shop:
            return self._reject(401, "unknown or archived shop", headers)
        if not headers["hmac"]:
            return self._reject(
                401, "missing signature (X-Shopify-Hmac-Sha256)", headers
            )
        if not shop._shopify_verify_signature(body, headers["hmac"]):
            return self._reject(401, "signature does not verify", headers)

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

    def _read_body(self) -> bytes:
        """The body, read in chunks up to the cap: a chunked body announces no length,
        and a declared one may lie. A body that cannot be read (malformed chunks, a
        sender that disconnects early) is an InvalidDelivery."""
        httprequest = request.httprequest
        if (httprequest.content_length or 0) > self.MAX_BODY_BYTES:
            raise BodyTooLarge()
        # Odoo's request wrapper does not expose werkzeug's input stream (Odoo's own
        # bus addon reaches the wrapped request the same way).
        stream = httprequest._HTTPRequest__wrapped.stream
        chunks, size = [], 0
        try:
            while chunk := stream.read(self.READ_CHUNK_BYTES):
                size += len(chunk)
                if size > self.MAX_BODY_BYTES:
                    raise BodyTooLarge()
                chunks.append(chunk)
        except (OSError, ValueError, BadRequest) as exc:
            raise InvalidDelivery(f"body could not be read ({exc})") from exc
        return b"".join(chunks)

    def _read_headers(self) -> dict:
        """The Shopify headers by key, each printable ASCII within its cap, the shop
        domain a permanent one; an empty optional header counts as absent."""
        names = self.REQUIRED_HEADERS | self.OPTIONAL_HEADERS
        headers = {
            key: check_header(
                name, (request.httprequest.headers.get(name) or "").strip()
            )
            for name, key in names.items()
        }
        missing = [
            name for name, key in self.REQUIRED_HEADERS.items() if not headers[key]
        ]
        try:
            if missing:
                raise InvalidDelivery(f"missing header {', '.join(missing)}")
            headers["shop_domain"] = check_shop_domain(headers["shop_domain"])
        except InvalidDelivery as exc:
            exc.headers = headers  # well-formed: they can go into the log line
            raise
        return headers

    def _reject(self, status: int, reason: str, headers: dict | None = None):
        """Answer a refused delivery: a log line an operator can act on, never the
        body, and header values only once they were checked."""
        headers = headers or {}
        _logger.warning(
            "Shopify webhook refused with %s: %s (topic=%s shop=%s webhook_id=%s)",
            status,
            reason,
            headers.get("topic"),
            headers.get("shop_domain"),
            headers.get("webhook_id"),
        )
        response = Response(
            reason, status=status, content_type="text/plain; charset=utf-8"
        )
        if status == 405:
            response.headers["Allow"] = "POST"
        if status == 503:
            response.headers["Retry-After"] = "60"
        return response


class BodyTooLarge(Exception):
    """The body is over ShopifyWebhookController.MAX_BODY_BYTES (413)."""
