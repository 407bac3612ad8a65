"""What a Shopify webhook delivery is: its signature and the object it is about.

The delivery's payload is only used to know *which* object changed; the job fetches the
object fresh from the Admin API (payloads can be stale, duplicated and out of order).
"""

import base64
import hashlib
import hmac
from collections.abc import Iterable

# topic -> (object kind, payload key holding the object's numeric id)
TOPICS: dict[str, tuple[str, tuple[str, ...]]] = {
    # orders
    "orders/create": ("order", ("id",)),
    "orders/updated": ("order", ("id",)),
    "orders/cancelled": ("order", ("id",)),
    "orders/paid": ("order", ("id",)),
    "orders/edited": ("order", ("order_edit", "order_id")),
    # refunds
    "refunds/create": ("refund", ("id",)),
    # customers
    "customers/create": ("customer", ("id",)),
    "customers/update": ("customer", ("id",)),
    "customers/delete": ("customer", ("id",)),
    # products
    "products/create": ("product", ("id",)),
    "products/update": ("product", ("id",)),
    "products/delete": ("product", ("id",)),
    # privacy and app lifecycle
    # (no Admin API object behind them: their job reads the stored payload)
    "customers/data_request": ("customer_data_request", ("data_request", "id")),
    "customers/redact": ("customer_redact", ("customer", "id")),
    "shop/redact": ("shop_redact", ("shop_id",)),
    "app/uninstalled": ("app_uninstalled", ("id",)),
}

# Shopify's GraphQL type name for each object kind, for global ids (gid://shopify/Order/1).
GID_TYPES = {
    "order": "Order",
    "refund": "Refund",
    "customer": "Customer",
    "customer_redact": "Customer",
    "shop_redact": "Shop",
    "app_uninstalled": "Shop",
    "product": "Product",
}


def sign(body: bytes, secret: str) -> str:
    """The X-Shopify-Hmac-Sha256 value Shopify sends for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(body: bytes, signature: str, secrets: Iterable[str]) -> bool:
    """True when ``signature`` is the HMAC of ``body`` under one of ``secrets``.

    Every secret is compared in constant time, so timing tells nothing about which one
    or how much of the signature matched. Empty secrets never verify anything.
    """
    expected = signature.strip().encode()
    matched = False
    for secret in secrets:
        if secret:
            matched |= hmac.compare_digest(sign(body, secret).encode(), expected)
    return matched


def object_of(topic: str, payload: dict) -> tuple[str, str] | None:
    """(kind, Shopify numeric id) of the object a delivery is about; None if the topic
    is not handled. Raises ValueError when a handled topic's payload lacks the id."""
    if topic not in TOPICS:
        return None
    kind, path = TOPICS[topic]
    value = payload
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, int | str) or not str(value).isdigit():
        raise ValueError(f"the {topic} payload has no numeric {'.'.join(path)}")
    return kind, str(value)


def to_gid(kind: str, shopify_id: str) -> str:
    return f"gid://shopify/{GID_TYPES[kind]}/{shopify_id}"


def gid_id(gid: str) -> str:
    """Numeric part of a Shopify global id: gid://shopify/Order/123 -> '123'."""
    return gid.rsplit("/", 1)[-1].split("?", 1)[0]
