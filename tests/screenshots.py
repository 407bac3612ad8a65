"""scripts/screenshots: the README's screenshots (Overview, an event, the shop form),
taken by headless Chromium (the browser of the tests' tours) from a running server, as
admin, into shopify_webhook_sync/static/description/.

Chromium is driven over its DevTools protocol (websocket-client, as Odoo's tours do):
it gets the session cookie of an XML-RPC-checked login, opens each page, waits for the
web client to draw it, and captures it.

    python tests/screenshots.py URL DB [LOGIN PASSWORD]
"""

import base64
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from pathlib import Path

import requests
import websocket
from odoo_server import ADDON, free_port

OUT = ADDON / "static" / "description"
WIDTH, HEIGHT = 1280, 800
# The machine's network is closed: no background connections, updates or sync.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    f"--window-size={WIDTH},{HEIGHT}",
]


class Chromium:
    """A headless Chromium and one page of it, driven over the DevTools protocol."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="sws-chromium-")
        port = free_port()
        self.process = subprocess.Popen(
            [shutil.which("chromium") or "chromium", *CHROMIUM_FLAGS]
            + [f"--remote-debugging-port={port}", f"--user-data-dir={self.profile}"]
            + ["about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.ids = itertools.count(1)
        self.socket = websocket.create_connection(
            self._page_url(port), timeout=30, suppress_origin=True
        )

    def _page_url(self, port, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                targets = requests.get(f"http://127.0.0.1:{port}/json", timeout=2)
                pages = [t for t in targets.json() if t["type"] == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except requests.ConnectionError:  # not listening yet
                pass
            time.sleep(0.2)
        raise RuntimeError("Chromium did not open its DevTools port")

    def call(self, method, **params):
        call_id = next(self.ids)
        self.socket.send(
            json.dumps({"id": call_id, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression)
        return result.get("result", {}).get("value")

    def open(self, url, ready_selector, timeout=60):
        """Go to ``url`` and wait until ``ready_selector`` is drawn and the web client
        is idle."""
        self.call("Page.navigate", url=url)
        ready = (
            f"!!document.querySelector({json.dumps(ready_selector)})"
            " && !document.querySelector('.o_loading_indicator, .o_blockUI')"
        )
        deadline = time.monotonic() + timeout
        while not self.evaluate(ready):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url}: {ready_selector} not shown in {timeout}s")
            time.sleep(0.3)
        time.sleep(1)  # fonts and icons

    def screenshot(self, path: Path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        print(f"   {path.relative_to(ADDON.parent)}")

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def session_cookie(url, db, login, password) -> str:
    response = requests.post(
        f"{url}/web/session/authenticate",
        json={"params": {"db": db, "login": login, "password": password}},
        timeout=30,
    )
    response.raise_for_status()
    if response.json().get("error") or "session_id" not in response.cookies:
        raise SystemExit(f"cannot log in as {login} on {url} ({db})")
    return response.cookies["session_id"]


def main(url, db, login="admin", password="admin"):
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
        db, login, password, {}
    )
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def first(model, domain):
        found = models.execute_kw(db, uid, password, model, "search", [domain])
        if not found:
            raise SystemExit(f"no {model} yet: run scripts/demo first")
        return found[0]

    shop_id = first("shopify.shop", [])
    event_id = first("shopify.webhook.event", [("topic", "=", "orders/create")])
    action = f"{url}/odoo/action-shopify_webhook_sync"
    pages = [
        ("overview.png", f"{action}.action_shopify_dashboard", ".o_kanban_record"),
        (
            "event.png",
            f"{action}.action_shopify_webhook_event/{event_id}",
            ".o_form_view .o_field_widget[name=topic]",
        ),
        (
            "shop.png",
            f"{action}.action_shopify_shop/{shop_id}",
            ".o_form_view .o_field_widget[name=shop_domain]",
        ),
    ]
    browser = Chromium()
    try:
        host = url.split("//", 1)[1].split("/")[0].split(":")[0]
        cookie = session_cookie(url, db, login, password)
        browser.call("Network.enable")
        browser.call("Network.setCookie", name="session_id", value=cookie, domain=host)
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )
        for name, page_url, ready in pages:
            browser.open(page_url, ready)
            browser.screenshot(OUT / name)
    finally:
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
