"""Reliability on an operator's worst day, against a real server (4 HTTP workers, the
job runner) whose PostgreSQL connections go through a proxy that a test can cut.

Each test prints its figures (see the run's "figures" section)."""

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from odoo_server import OdooServer, load_fake_shopify, setup_example_shop
from pg_proxy import PgProxy
from test_system import new_order

SECRET = "reliability-secret"
DOMAIN = "reliability-store.myshopify.com"


@pytest.fixture(scope="module")
def fake():
    server = load_fake_shopify().FakeShopify().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def proxy():
    server = PgProxy().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def odoo(fake, proxy):
    extra = f"db_host = 127.0.0.1\ndb_port = {proxy.port}\n"
    with OdooServer(extra=extra) as server:
        setup_example_shop(server.rpc, fake, DOMAIN, SECRET)
        yield server


@pytest.fixture(autouse=True)
def clean_fake(fake, proxy):
    fake.reset(objects=True)
    yield
    proxy.restore()
    assert fake.invalid_documents == []


def stored_webhook_ids(odoo, webhook_ids) -> set[str]:
    found = odoo.rpc(
        "shopify.webhook.event",
        "search_read",
        [("webhook_id", "in", list(webhook_ids))],
        fields=["webhook_id"],
    )
    return {event["webhook_id"] for event in found}


def order_bindings(odoo, order_ids) -> Counter:
    found = odoo.rpc(
        "shopify.order.binding",
        "search_read",
        [("shopify_id", "in", list(order_ids))],
        fields=["shopify_id"],
    )
    return Counter(binding["shopify_id"] for binding in found)


def settled(odoo, webhook_ids) -> dict | None:
    """The events' states once none is queued any more."""
    groups = odoo.rpc(
        "shopify.webhook.event",
        "read_group",
        [("webhook_id", "in", list(webhook_ids))],
        ["state"],
        ["state"],
    )
    counts = {group["state"]: group["state_count"] for group in groups}
    return counts if counts and "queued" not in counts else None


def answers(server):
    try:
        return requests.get(server.url + "/web/health", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def test_database_unreachable_answers_503_and_nothing_is_lost(
    odoo, fake, proxy, figures
):
    """PostgreSQL cut while deliveries arrive: the endpoint answers 503 (not 404: a
    monitor must not read "endpoint gone"), never 200 without a stored event; Shopify's
    retries after the outage are all stored, once each, and every order is built."""
    orders = [new_order(fake) for _i in range(30)]
    deliveries = [(order_id, body, str(uuid.uuid4())) for order_id, body in orders]

    def send(delivery):
        _order_id, body, webhook_id = delivery
        try:
            response = odoo.deliver(body, SECRET, DOMAIN, Webhook_Id=webhook_id)
            return response.status_code
        except requests.RequestException:
            return "no answer"

    with ThreadPoolExecutor(6) as pool:
        first = list(pool.map(send, deliveries[:10]))  # the database is up
        proxy.cut()
        during = list(pool.map(send, deliveries[10:20]))  # in flight while it goes
        cut_off = list(pool.map(send, deliveries[20:]))  # while it is unreachable
        health_while_cut = answers(odoo)
        proxy.restore()
    statuses = first + during + cut_off
    figures(
        f"30 deliveries, PostgreSQL cut after 10: {dict(Counter(statuses))}; "
        f"proxy refused {proxy.refused} connections; "
        f"/web/health while cut: {health_while_cut}"
    )
    assert first == [200] * 10
    assert cut_off == [503] * 10, "unreachable database: 503, so Shopify retries"

    odoo.wait_for(lambda: answers(odoo), timeout=60)
    acked = {
        d[2] for d, status in zip(deliveries, statuses, strict=True) if status == 200
    }
    assert acked <= stored_webhook_ids(odoo, acked), "a 200 without a stored event"
    # Shopify retries every delivery it did not see answered 200.
    retried = [
        d for d, status in zip(deliveries, statuses, strict=True) if status != 200
    ]
    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(send, retried)) <= {200}
    webhook_ids = [d[2] for d in deliveries]
    states = odoo.wait_for(lambda: settled(odoo, webhook_ids), timeout=180, interval=1)
    bound = order_bindings(odoo, [d[0] for d in deliveries])
    twice = sum(n > 1 for n in bound.values())
    figures(
        f"after the outage and {len(retried)} retries: events {states}, "
        f"orders built {len(bound)}/30, built twice {twice}"
    )
    assert states == {"done": 30}
    assert len(bound) == 30 and set(bound.values()) == {1}
