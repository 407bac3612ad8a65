"""What a Shopify webhook delivery is: its signature, the object it is about, and what a
well-formed one looks like.

The delivery's payload is only used to know *which* object changed; the job fetches the
object fresh from the Admin API (payloads can be stale, duplicated and out of order).

Everything a sender controls is checked here before the endpoint runs a query: header
values, the shop domain, the body's encoding and nesting, and object ids. Each check
raises :class:`InvalidDelivery` with a reason an operator can read in the log.
"""

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Iterator

# A store's permanent domain (X-Shopify-Shop-Domain; shopify.shop's shop_domain).
SHOP_DOMAIN_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com\Z")
# Header values Shopify sends are short ASCII (uuids, a topic, a date, base64).
HEADER_MAX_CHARS = 256
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*\Z")
# Shopify ids are unsigned 64-bit integers (GraphQL UnsignedInt64).
_ID_RE = re.compile(r"[0-9]{1,20}\Z")
MAX_ID = 2**64 - 1
# Real payloads nest about 6 levels; json.loads recurses once per level.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_EMPTY_PAIR = re.compile(r"\[\]|\{\}")


class InvalidDelivery(ValueError):
    """A delivery that is not what Shopify sends: refused with 400 and this reason."""


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
    # fulfillments made in Shopify (applied where the shop says Shopify fulfils)
    "orders/fulfilled": ("order_fulfillment", ("id",)),
    "fulfillments/create": ("order_fulfillment", ("order_id",)),
    "fulfillments/update": ("order_fulfillment", ("order_id",)),
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
    "order_fulfillment": "Order",
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
    shopify_id = shopify_id_of(value)
    if shopify_id is None:
        raise InvalidDelivery(f"the {topic} payload has no numeric {'.'.join(path)}")
    return kind, shopify_id


def shopify_id_of(value) -> str | None:
    """``value`` as a Shopify id (ASCII digits, 1 to 2**64-1), or None: not a bool,
    not other scripts' digits (str.isdigit accepts them), not 10,000 digits."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value) if isinstance(value, int) else value
    if not _ID_RE.match(text) or not 0 < int(text) <= MAX_ID:
        return None
    return str(int(text))


def check_header(name: str, value: str) -> str:
    """``value`` if it is printable ASCII within HEADER_MAX_CHARS (NUL, control
    characters, non-ASCII and 8 KB values are refused)."""
    if len(value) > HEADER_MAX_CHARS:
        raise InvalidDelivery(f"header {name} is over {HEADER_MAX_CHARS} characters")
    if not _PRINTABLE_ASCII.match(value):
        raise InvalidDelivery(f"header {name} is not printable ASCII")
    return value


def check_shop_domain(value: str) -> str:
    """The X-Shopify-Shop-Domain value, lower-cased, if it is a permanent domain."""
    domain = value.lower()
    if not SHOP_DOMAIN_RE.match(domain):
        raise InvalidDelivery(
            "header X-Shopify-Shop-Domain is not a shop domain (xxx.myshopify.com)"
        )
    return domain


def parse_body(body: bytes) -> dict:
    """The body as a JSON object: strict UTF-8 (no UTF-16/32, no NUL, no lone
    surrogate, no NaN), nested at most MAX_JSON_DEPTH levels.

    The depth is measured before parsing and without recursion, so that JSON nested
    thousands of levels deep is refused instead of exhausting json.loads' stack."""
    if b"\x00" in body:
        raise InvalidDelivery("body contains NUL bytes (UTF-16/32 or binary)")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidDelivery(f"body is not UTF-8 ({exc.reason})") from exc
    if _nested_deeper_than(text, MAX_JSON_DEPTH):
        raise InvalidDelivery(f"body JSON is nested over {MAX_JSON_DEPTH} levels")
    try:
        payload = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise InvalidDelivery(f"body is not JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise InvalidDelivery("body is not a JSON object")
    # NUL and surrogates can only come from \\u escapes (raw ones fail above).
    for string in _strings(payload) if "\\u" in text else ():
        if "\x00" in string:
            raise InvalidDelivery("body JSON contains a NUL character")
        if not string.isascii():
            try:
                string.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InvalidDelivery("body JSON contains a lone surrogate") from exc
    return payload


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _nested_deeper_than(text: str, limit: int) -> bool:
    """True when the JSON text's brackets nest deeper than ``limit``.

    Strings are blanked out, then innermost empty pairs are removed once per level
    (each pass runs in the regex engine): what remains after ``limit`` passes is
    deeper. Unbalanced brackets stop the passes early; json.loads refuses them."""
    skeleton = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    for _level in range(limit):
        reduced = _EMPTY_PAIR.sub("", skeleton)
        if reduced == skeleton:
            return False
        skeleton = reduced
    return bool(skeleton)


def _strings(payload) -> Iterator[str]:
    """Every key and string value of a parsed JSON document (iteratively)."""
    stack = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from value.keys()
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def to_gid(kind: str, shopify_id: str) -> str:
    return f"gid://shopify/{GID_TYPES[kind]}/{shopify_id}"


def gid_id(gid: str) -> str:
    """Numeric part of a Shopify global id: gid://shopify/Order/123 -> '123'."""
    return gid.rsplit("/", 1)[-1].split("?", 1)[0]
