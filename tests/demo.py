"""scripts/demo: one signed orders/create, sent with curl, becomes a sale order."""

import base64
import hashlib
import hmac
import subprocess
import sys
import time
import xmlrpc.client

from odoo_server import FIXTURES, fixture, load_fake_shopify, setup_example_shop

SECRET = "demo-webhook-secret"
DOMAIN = "john-smith.myshopify.com"
ORDER_ID = "820982911946154508"


def curl_command(url: str, body_path) -> list[str]:
    body = body_path.read_bytes()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    return [
        "curl", "-sS", "-o", "/dev/null",
        "-w", "HTTP %{http_code} in %{time_total}s\\n",
        "-X", "POST", f"{url}/shopify/webhook",
        "-H", "Content-Type: application/json",
        "-H", "X-Shopify-Topic: orders/create",
        "-H", f"X-Shopify-Shop-Domain: {DOMAIN}",
        "-H", f"X-Shopify-Webhook-Id: demo-{time.time_ns()}",
        "-H", f"X-Shopify-Hmac-Sha256: {base64.b64encode(signature).decode()}",
        "--data-binary", f"@{body_path}",
    ]  # fmt: skip


def main(url: str, db: str):
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def rpc(model, method, *args, **kw):
        return models.execute_kw(db, 2, "admin", model, method, list(args), kw)

    fake = load_fake_shopify().FakeShopify().start()
    fake.add(fixture(f"graphql/order_{ORDER_ID}.json"))
    print(
        "Fake Shopify Admin API (Shopify's published example order #9999) "
        f"on {fake.url}"
    )
    setup_example_shop(rpc, fake, DOMAIN, SECRET)
    command = curl_command(url, FIXTURES / "webhooks" / "orders__create.json")
    print("$ " + " ".join(f"'{c}'" if " " in c else c for c in command))
    subprocess.run(command, check=True)
    deadline = time.monotonic() + 60
    domain = [("shopify_id", "=", ORDER_ID)]
    while time.monotonic() < deadline:
        found = rpc(
            "shopify.order.binding", "search_read", domain, fields=["sale_order_id"]
        )
        if found:
            print(
                f"Sale order {found[0]['sale_order_id'][1]} created from Shopify "
                "order #9999."
            )
            break
        time.sleep(0.5)
    else:
        fields = ["topic", "state", "error_message"]
        events = rpc("shopify.webhook.event", "search_read", [], fields=fields, limit=3)
        print(f"No sale order after 60 s; latest events: {events}")
    fake.stop()


if __name__ == "__main__":
    main(*sys.argv[1:3])
