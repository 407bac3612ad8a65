"""Reliability on an operator's worst day, against a real server (4 HTTP workers, the
job runner) whose PostgreSQL connections go through a proxy that a test can cut.

Each test prints its figures (see the run's "figures" section)."""

import itertools
import os
import signal
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from odoo_server import OdooServer, setup_example_shop
from pg_proxy import PgProxy
from test_system import all_done, new_order

SECRET = "reliability-secret"
DOMAIN = "reliability-store.myshopify.com"


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


def count_by(odoo, model, field, values) -> Counter:
    """How many records of ``model`` hold each of ``values`` in ``field``."""
    found = odoo.rpc(
        model, "search_read", [(field, "in", list(values))], fields=[field]
    )
    return Counter(record[field] for record in found)


def order_bindings(odoo, order_ids) -> Counter:
    return count_by(odoo, "shopify.order.binding", "shopify_id", order_ids)


def events_per_webhook(odoo, webhook_ids) -> Counter:
    return count_by(odoo, "shopify.webhook.event", "webhook_id", webhook_ids)


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


def new_deliveries(fake, count):
    """``count`` new orders in the fake Shopify, each with its delivery: (order id,
    body, webhook id)."""
    return [
        (order_id, body, str(uuid.uuid4()))
        for order_id, body in (new_order(fake) for _i in range(count))
    ]


def send_all(odoo, deliveries, threads=6, answered=None):
    """POST each (order id, body, webhook id); status, or "no answer".
    ``answered(count)``, if given, is called by the sending thread after each answer
    with how many have come so far."""
    lock = threading.Lock()
    count = itertools.count(1)

    def send(delivery):
        _order_id, body, webhook_id = delivery
        try:
            response = odoo.deliver(body, SECRET, DOMAIN, Webhook_Id=webhook_id)
        except requests.RequestException:
            return "no answer"
        if answered:
            with lock:
                so_far = next(count)
            answered(so_far)
        return response.status_code

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(send, deliveries))


def test_database_unreachable_answers_503_and_nothing_is_lost(
    odoo, fake, proxy, figures
):
    """PostgreSQL cut while deliveries arrive: the endpoint answers 503 (not 404: a
    monitor must not read "endpoint gone"), never 200 without a stored event; Shopify's
    retries after the outage are all stored, once each, and every order is built."""
    deliveries = new_deliveries(fake, 30)
    first = send_all(odoo, deliveries[:10])  # the database is up
    proxy.cut()
    during = send_all(odoo, deliveries[10:20])  # in flight while it goes
    cut_off = send_all(odoo, deliveries[20:])  # while it is unreachable
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
    assert acked <= set(events_per_webhook(odoo, acked)), "a 200 without an event"
    # Shopify retries every delivery it did not see answered 200.
    retried = [
        d for d, status in zip(deliveries, statuses, strict=True) if status != 200
    ]
    assert set(send_all(odoo, retried)) <= {200}
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


def test_server_killed_mid_burst_then_shopify_resends(odoo, fake, figures):
    """kill -9 of the whole server (workers and job runner) while 60 deliveries
    arrive; restarted; Shopify re-sends every delivery (it cannot know which 200s were
    lost): every order is built exactly once, no delivery is lost or stored twice."""
    deliveries = new_deliveries(fake, 60)
    webhook_ids = [d[2] for d in deliveries]

    def kill_mid_burst(so_far):
        # The 15th answer's thread kills the server while the other senders' requests
        # are in flight: the kill always lands mid-burst, however fast the machine.
        if so_far == 15:
            odoo.kill()

    first = send_all(odoo, deliveries, answered=kill_mid_burst)
    odoo.start()
    resent = send_all(odoo, deliveries)
    states = odoo.wait_for(lambda: settled(odoo, webhook_ids), timeout=240, interval=1)
    per_webhook = events_per_webhook(odoo, webhook_ids)
    bound = order_bindings(odoo, [d[0] for d in deliveries])
    twice = sum(n > 1 for n in per_webhook.values())
    built_twice = sum(n > 1 for n in bound.values())
    figures(
        f"60 deliveries, kill -9 mid-burst: {dict(Counter(first))}; resent after "
        f"restart: {dict(Counter(resent))}; events {states}; lost "
        f"{60 - len(per_webhook)}, stored twice {twice}; orders built "
        f"{len(bound)}/60, twice {built_twice}"
    )
    assert "no answer" in first, "the kill landed after the burst"
    assert resent == [200] * 60
    assert len(per_webhook) == 60 and set(per_webhook.values()) == {1}
    assert states == {"done": 60}
    assert len(bound) == 60 and set(bound.values()) == {1}


def job_of(odoo, order_id):
    found = odoo.rpc(
        "queue.job",
        "search_read",
        [("identity_key", "like", f"%:order:{order_id}")],
        fields=["state", "worker_pid", "retry", "date_started", "date_done"],
        order="id desc",
        limit=1,
    )
    return found[0] if found else None


def test_worker_killed_mid_job_is_requeued_without_duplicate(odoo, fake, figures):
    """kill -9 of the HTTP worker running a sync job (its Shopify fetch is slow):
    queue_job's runner re-queues the dead job, which syncs the order once."""
    order_id, body = new_order(fake)
    fake.fail_next("slow", delay=6)
    assert odoo.deliver(body, SECRET, DOMAIN).status_code == 200
    started = odoo.wait_for(
        lambda: (job := job_of(odoo, order_id)) and job["state"] == "started" and job,
        timeout=60,
        interval=0.1,
    )
    killed_at = time.monotonic()
    os.kill(started["worker_pid"], signal.SIGKILL)
    [event] = odoo.wait_for(lambda: all_done(odoo, order_id), timeout=240, interval=0.5)
    stalled = time.monotonic() - killed_at
    job = job_of(odoo, order_id)
    bound = order_bindings(odoo, [order_id])
    figures(
        f"worker {started['worker_pid']} killed mid-job: re-queued and done after "
        f"{stalled:.0f} s (retry {job['retry']}); sale orders {bound[order_id]}"
    )
    assert job["state"] == "done" and job["retry"] >= 1, "re-queued as a dead job"
    assert bound[order_id] == 1
    assert event["res_id"]


def test_shopify_503_then_refusing_then_back_fails_nothing(odoo, fake, figures):
    """Shopify answers 503 to every job's first fetch, then refuses connections, then
    comes back: every job retries (no sleep in a worker) and nothing ends failed."""
    shop = odoo.rpc("shopify.shop", "search", [("shop_domain", "=", DOMAIN)])
    gate = PgProxy(("127.0.0.1", int(fake.url.rsplit(":", 1)[1]))).start()
    odoo.rpc(
        "shopify.shop",
        "write",
        shop,
        {"admin_api_url": f"http://127.0.0.1:{gate.port}"},
    )
    try:
        deliveries = new_deliveries(fake, 8)
        fake.fail_next("503", count=len(deliveries))
        assert send_all(odoo, deliveries) == [200] * len(deliveries)
        odoo.wait_for(
            lambda: sum(r["status"] == 503 for r in fake.requests) >= len(deliveries),
            timeout=120,
        )
        gate.cut()
        odoo.wait_for(lambda: gate.refused >= len(deliveries), timeout=120)
        gate.restore()
        webhook_ids = [d[2] for d in deliveries]
        states = odoo.wait_for(
            lambda: settled(odoo, webhook_ids), timeout=300, interval=1
        )
    finally:
        odoo.rpc("shopify.shop", "write", shop, {"admin_api_url": fake.url})
        gate.stop()
    jobs = [job_of(odoo, d[0]) for d in deliveries]
    bound = order_bindings(odoo, [d[0] for d in deliveries])
    figures(
        f"{len(deliveries)} orders through Shopify 503, then refused connections "
        f"({gate.refused}), then back: events {states}, jobs "
        f"{dict(Counter(j['state'] for j in jobs))}, attempts "
        f"{sorted(j['retry'] for j in jobs)}, orders built {len(bound)}"
    )
    assert states == {"done": len(deliveries)}
    assert {j["state"] for j in jobs} == {"done"}
    assert len(bound) == len(deliveries) and set(bound.values()) == {1}
