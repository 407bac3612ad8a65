"""What a delivery is about, in the merchant's words, read cheaply from its payload at
receive time: the order's name (#1004), the customer's email and name, the product's
title, and the SKUs it carries. Only for naming and searching events: the sync itself
never trusts the payload."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Described:
    name: str | None = None
    email: str | None = None
    skus: str | None = None


def describe(kind: str | None, payload: dict) -> Described:
    """The name, customer email and SKUs (space separated) of a delivery's object.
    A payload of an unexpected shape names nothing (it is only a label)."""
    describer = _DESCRIBERS.get(kind)
    try:
        return describer(payload) if describer else Described()
    except (AttributeError, TypeError, ValueError):
        return Described()


def _text(value, limit: int = 200) -> str | None:
    if value is None or value is False:
        return None
    return str(value).strip()[:limit] or None


def _person(data: dict) -> str | None:
    if not isinstance(data, dict):
        return None
    full = " ".join(
        str(part) for part in (data.get("first_name"), data.get("last_name")) if part
    )
    return _text(full)


def _skus(items) -> str | None:
    skus = []
    for item in items if isinstance(items, list) else []:
        sku = isinstance(item, dict) and _text(item.get("sku"), 100)
        if sku and sku not in skus:
            skus.append(sku)
    return _text(" ".join(skus), 1000)


def _order(payload: dict) -> Described:
    customer = payload.get("customer") or {}
    name = _text(payload.get("name"))
    who = _person(customer) or _text(payload.get("email"))
    return Described(
        name=" ".join(part for part in ("Order", name, who and f"({who})") if part)
        if name
        else None,
        email=_text(payload.get("email") or payload.get("contact_email"))
        or _text(isinstance(customer, dict) and customer.get("email")),
        skus=_skus(payload.get("line_items")),
    )


def _refund(payload: dict) -> Described:
    lines = [
        item.get("line_item") or {}
        for item in payload.get("refund_line_items") or []
        if isinstance(item, dict)
    ]
    return Described(
        name=f"Refund {payload.get('id')} of order {payload.get('order_id')}",
        skus=_skus(lines),
    )


def _customer(payload: dict) -> Described:
    email = _text(payload.get("email"))
    who = _person(payload)
    return Described(
        name=" ".join(part for part in (who, email and f"<{email}>") if part) or None,
        email=email,
    )


def _privacy(label: str):
    def describer(payload: dict) -> Described:
        customer = payload.get("customer") or {}
        email = _text(isinstance(customer, dict) and customer.get("email"))
        who = email or _text(payload.get("shop_domain"))
        return Described(name=f"{label}: {who}" if who else label, email=email)

    return describer


def _product(payload: dict) -> Described:
    return Described(
        name=_text(payload.get("title")), skus=_skus(payload.get("variants"))
    )


_DESCRIBERS = {
    "order": _order,
    "order_fulfillment": _order,
    "refund": _refund,
    "customer": _customer,
    "customer_data_request": _privacy("Data request"),
    "customer_redact": _privacy("Redact customer"),
    "shop_redact": _privacy("Redact shop"),
    "app_uninstalled": lambda payload: Described(name=_text(payload.get("domain"))),
    "product": _product,
}
