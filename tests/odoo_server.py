"""Run a real Odoo server (prefork workers + the queue_job runner) on a throw-away
database, for black-box tests and benchmarks: real HTTP, real commits, real job runner.

Used by tests/test_system.py and tests/benchmark_ack.py. Needs the environment that
scripts/test sets (SWS_ODOO_BIN, SWS_SYSTEM_DB, SWS_RUN_DIR) or explicit arguments.
"""

import base64
import hashlib
import hmac
import importlib.util
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
import xmlrpc.client
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
ADDON = REPO / "shopify_webhook_sync"
FIXTURES = ADDON / "tests" / "fixtures"


def load_fake_shopify():
    """The addon's fake Shopify module, loaded by path (it does not import Odoo)."""
    spec = importlib.util.spec_from_file_location(
        "fake_shopify", ADDON / "tests" / "fake_shopify.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_shopify"] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    """A port nobody listens on, below the kernel's ephemeral range: a server binds it
    seconds later (Odoo's gevent worker, once spawned), and meanwhile any outgoing
    connection on this busy machine may take an ephemeral port as its own."""
    ephemeral = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    while True:
        port = random.randrange(10000, int(ephemeral[0]))
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:  # taken: draw again
                continue
            return port


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(
        hmac.new(secret.encode(), body, hashlib.sha256).digest()
    ).decode()


def webhook_headers(body: bytes, secret: str, domain: str, topic: str, **overrides):
    """Headers Shopify sends with ``body``; ``overrides`` by suffix (Webhook_Id=...)."""
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": domain,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-API-Version": "2026-10",
        "Content-Type": "application/json",
    }
    headers.update(
        {f"X-Shopify-{k.replace('_', '-')}": v for k, v in overrides.items()}
    )
    return headers


class OdooServer:
    """``odoo`` as a subprocess on 127.0.0.1 with ``workers`` HTTP workers and the job
    runner (channel capacity ``jobs``), serving one database. ``addons_path``: the
    directories holding addons (default: this repository); ``server_wide``: the
    server-wide modules; ``env``: extra environment variables of the process."""

    def __init__(
        self,
        db=None,
        workers=4,
        jobs=2,
        odoo_bin=None,
        run_dir=None,
        extra="",
        addons_path=None,
        server_wide="base,web,queue_job,shopify_webhook_sync",
        env=None,
    ):
        self.db = db or os.environ["SWS_SYSTEM_DB"]
        self.workers, self.jobs = workers, jobs
        self.addons_path = ",".join(str(path) for path in (addons_path or [REPO]))
        self.env = dict(os.environ, **(env or {}))
        self.odoo_bin = odoo_bin or os.environ["SWS_ODOO_BIN"]
        self.run_dir = Path(run_dir or os.environ["SWS_RUN_DIR"])
        self.port, self.gevent_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.conf = self.run_dir / f"system-{self.port}.conf"
        self.log = self.run_dir / f"system-{self.port}.log"
        # what never reaches the log: a worker that dies before logging is set up
        self.stderr = self.run_dir / f"system-{self.port}.stderr"
        self.conf.write_text(
            f"""[options]
addons_path = {self.addons_path}
data_dir = {self.run_dir}/data
db_name = {self.db}
list_db = False
http_interface = 127.0.0.1
http_port = {self.port}
gevent_port = {self.gevent_port}
workers = {workers}
max_cron_threads = 0
limit_time_real = 120
server_wide_modules = {server_wide}
log_level = info
{extra}
[queue_job]
channels = root:{jobs},root.shopify:{jobs}
"""
        )
        self.process = None

    def start(self, timeout=90):
        with self.stderr.open("ab") as stderr:
            self.process = subprocess.Popen(
                [self.odoo_bin, "-c", str(self.conf), "--logfile", str(self.log)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=self.env,
                start_new_session=True,  # its own process group: kill() reaches workers
            )
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"Odoo exited early; see {self.log}")
                try:
                    health = requests.get(self.url + "/web/health", timeout=2)
                    if health.status_code == 200:
                        return self
                except (requests.ConnectionError, requests.Timeout):  # not up yet
                    pass
                time.sleep(0.3)
            raise RuntimeError(f"Odoo did not start in {timeout}s; see {self.log}")
        except BaseException:
            self.stop()  # __exit__ is not called when __enter__ raises
            raise

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self, timeout=60):
        """kill -9 the whole server: the master (with the job runner) and its HTTP
        workers, mid-request and mid-job; returns once nothing listens on its port,
        so that start() can follow."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("127.0.0.1", self.port))
                    return
                except OSError:  # still listened on
                    pass
            time.sleep(0.3)
        raise RuntimeError(f"port {self.port} still in use {timeout}s after kill -9")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- talking to it --

    def rpc(self, model, method, *args, **kwargs):
        """XML-RPC as admin (the fresh database's admin/admin)."""
        proxy = xmlrpc.client.ServerProxy(
            f"{self.url}/xmlrpc/2/object", allow_none=True
        )
        return proxy.execute_kw(self.db, 2, "admin", model, method, list(args), kwargs)

    def deliver(
        self, body: bytes, secret: str, domain: str, topic="orders/create", **headers
    ):
        """POST one signed delivery; ``headers`` override (Webhook_Id=...,
        Event_Id=...)."""
        sent = webhook_headers(body, secret, domain, topic, **headers)
        return requests.post(
            self.url + "/shopify/webhook", data=body, headers=sent, timeout=30
        )

    def wait_for(self, predicate, timeout=60, interval=0.25):
        """Poll ``predicate()`` until it returns a truthy value; return it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(
            f"condition not met within {timeout}s (server log: {self.log})"
        )


def fixture_bytes(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


def fixture(path: str) -> dict:
    return json.loads(fixture_bytes(path))


# The SKUs of Shopify's published example order (fixtures/webhooks/orders__create.json).
EXAMPLE_SKUS = [
    "SKU2006-001",
    "LENS-PROTECT-2YR",
    "CASE-LEATHER-PREM",
    "SKU2006-020",
    "SKU2006-035",
]


def setup_example_shop(
    rpc, fake, domain: str, secret: str, client_id: str | None = None
) -> int:
    """A shop on ``domain`` reading from the fake Shopify, the products of the example
    order's SKUs and the mapping of its shipping method; idempotent. ``rpc`` is
    ``rpc(model, method, *args, **kwargs)`` as admin. Returns the shop's id.

    With ``client_id``, the shop is a Dev Dashboard app's (``secret`` is its client
    secret; tokens come from the fake's token endpoint); else it uses the fake's static
    access token."""
    vals = {
        "name": domain.split(".")[0],
        "shop_domain": domain,
        "webhook_secret": secret,
        "admin_api_url": fake.url,
    }
    if client_id:
        vals |= {"client_id": client_id, "access_token": False}
    else:
        vals |= {"access_token": fake.access_token}
    found = rpc("shopify.shop", "search", [("shop_domain", "=", domain)])
    if found:
        rpc("shopify.shop", "write", found, vals)
    shop_id = found[0] if found else rpc("shopify.shop", "create", vals)
    for sku in EXAMPLE_SKUS:
        if not rpc("product.product", "search", [("default_code", "=", sku)]):
            product = {"name": sku, "default_code": sku, "type": "consu"}
            rpc("product.product", "create", product)
    if not rpc("shopify.shipping.mapping", "search", [("shop_id", "=", shop_id)]):
        shipping = rpc(
            "product.product", "create", {"name": "Shipping", "type": "service"}
        )
        mapping = {
            "shop_id": shop_id,
            "name": "Generic Shipping",
            "product_id": shipping,
        }
        rpc("shopify.shipping.mapping", "create", mapping)
    return shop_id
