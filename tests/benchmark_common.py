"""What the benchmarks (benchmark_ack.py, benchmark_peer.py) share: the signed
deliveries of new orders, the fake Shopify in a child process, a request timed by the
client, and percentiles."""

import copy
import json
import multiprocessing
import statistics
import time

import requests
from odoo_server import fixture, webhook_headers

SECRET = "benchmark-secret"
DOMAIN = "bench-store.myshopify.com"
WEBHOOK = fixture("webhooks/orders__create.json")
ORDER = fixture("graphql/order_820982911946154508.json")
REQUEST_TIMEOUT = 100  # seconds; Odoo's limit_time_real is 120


def new_orders(order_ids) -> list[dict]:
    """Shopify's example order once per id, each of a new customer: one customer on
    every order would make concurrent syncs collide on its res.partner rows, unlike a
    real burst."""
    orders = []
    for order_id in order_ids:
        order = copy.deepcopy(ORDER)
        order.update(id=f"gid://shopify/Order/{order_id}", legacyResourceId=order_id)
        order["customer"].update(
            id=f"gid://shopify/Customer/{order_id}",
            legacyResourceId=order_id,
            defaultEmailAddress={"emailAddress": f"c{order_id}@example.com"},
        )
        orders.append(order)
    return orders


def delivery(order_id):
    """Body and headers of a new, signed orders/create delivery about ``order_id``."""
    body = json.dumps(
        dict(
            WEBHOOK,
            id=int(order_id),
            admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
        )
    ).encode()
    return body, webhook_headers(body, SECRET, DOMAIN, "orders/create")


class ChildProcess:
    """``target(conn, *args)`` in a child process, so that the fake Shopify's GraphQL
    execution does not hold this process's GIL while the client threads time
    requests. Forked: start it before any thread of ours exists. What the child sends
    first is ``ready``; ``ask`` sends a command and returns its answer."""

    def __init__(self, target, args, timeout):
        self.conn, child = multiprocessing.Pipe()
        ctx = multiprocessing.get_context("fork")
        self.process = ctx.Process(target=target, args=(child, *args), daemon=True)
        self.process.start()
        if not self.conn.poll(timeout):
            raise RuntimeError(f"the fake Shopify did not start within {timeout} s")
        self.ready = self.conn.recv()

    def ask(self, command, timeout=60):
        self.conn.send(command)
        if not self.conn.poll(timeout):
            raise RuntimeError("the fake Shopify does not answer")
        return self.conn.recv()

    def stop(self):
        self.conn.send("stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()


def timed_request(local, url, prepared):
    """One request on this thread's own Session (kept on ``local``, a
    threading.local), timed by the client: (seconds, response). ``prepared``: None
    for a GET, else (body, headers) to POST."""
    session = getattr(local, "session", None) or requests.Session()
    local.session = session
    start = time.perf_counter()
    if prepared is None:
        response = session.get(url, timeout=REQUEST_TIMEOUT)
    else:
        body, headers = prepared
        response = session.post(
            url, data=body, headers=headers, timeout=REQUEST_TIMEOUT
        )
    return time.perf_counter() - start, response


def percentile(values, q):
    """The ``q``-th percentile (inclusive method); a single value is its own."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def latency_stats(values) -> dict:
    """Requests, mean, p50 and p99 of latencies."""
    return {
        "n": len(values),
        "mean": statistics.fmean(values),
        "p50": statistics.median(values),
        "p99": percentile(values, 99),
    }
