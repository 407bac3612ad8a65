"""scripts/demo: one signed orders/create, sent with curl, becomes a sale order."""

import base64
import hashlib
import hmac
import subprocess
import sys
import time
import xmlrpc.client

from odoo_server import FIXTURES, fixture, load_fake_shopify

SECRET = "demo-webhook-secret"
DOMAIN = "john-smith.myshopify.com"
SKUS = [
    "SKU2006-001",
    "LENS-PROTECT-2YR",
    "CASE-LEATHER-PREM",
    "SKU2006-020",
    "SKU2006-035",
]


def main(url: str, db: str):
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def rpc(model, method, *args, **kw):
        return models.execute_kw(db, 2, "admin", model, method, list(args), kw)

    fake = load_fake_shopify().FakeShopify().start()
    fake.add(fixture("graphql/order_820982911946154508.json"))
    print(f"Fake Shopify Admin API (published example order #9999) on {fake.url}")
    shop = {"name": "Demo store", "webhook_secret": SECRET, "admin_api_url": fake.url}
    shop |= {"access_token": fake.access_token, "shop_domain": DOMAIN}
    found = rpc("shopify.shop", "search", [("shop_domain", "=", DOMAIN)])
    rpc("shopify.shop", "write", found, shop) if found else rpc(
        "shopify.shop", "create", shop
    )
    for sku in SKUS:
        if not rpc("product.product", "search", [("default_code", "=", sku)]):
            rpc(
                "product.product",
                "create",
                {"name": sku, "default_code": sku, "type": "consu"},
            )

    body_path = FIXTURES / "webhooks" / "orders__create.json"
    body = body_path.read_bytes()
    signature = base64.b64encode(
        hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    ).decode()
    command = [
        "curl", "-sS", "-o", "/dev/null", "-w", "HTTP %{http_code} in %{time_total}s",
        "-X", "POST", f"{url}/shopify/webhook",
        "-H", "Content-Type: application/json",
        "-H", "X-Shopify-Topic: orders/create",
        "-H", f"X-Shopify-Shop-Domain: {DOMAIN}",
        "-H", f"X-Shopify-Webhook-Id: demo-{time.time_ns()}",
        "-H", f"X-Shopify-Hmac-Sha256: {signature}",
        "--data-binary", f"@{body_path}",
    ]  # fmt: skip
    print("$ " + " ".join(f"'{c}'" if " " in c else c for c in command))
    subprocess.run(command, check=True)
    print()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        bindings = rpc("shopify.order.binding", "search_read", [("shopify_id", "=", "820982911946154508")],
                       fields=["sale_order_id"])  # fmt: skip
        if bindings:
            print(
                f"Sale order {bindings[0]['sale_order_id'][1]} created from Shopify order #9999."
            )
            break
        time.sleep(0.5)
    else:
        events = rpc(
            "shopify.webhook.event",
            "search_read",
            [],
            fields=["topic", "state", "error_message"],
            limit=3,
        )
        print(f"No sale order after 60 s; latest events: {events}")
    fake.stop()


if __name__ == "__main__":
    main(*sys.argv[1:3])
