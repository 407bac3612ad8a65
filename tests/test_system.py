"""Black-box system tests: a real Odoo server (4 HTTP workers, the queue_job runner) on
a throw-away copy of the test database, real commits, real concurrent HTTP, and the fake
Shopify server. These are the races an HttpCase cannot show (it serializes requests into
one transaction)."""

import copy
import json
import random
import re
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal

import pytest
from odoo_server import OdooServer, fixture, setup_example_shop

SECRET = "system-test-secret"
DOMAIN = "system-store.myshopify.com"
WEBHOOK = fixture("webhooks/orders__create.json")
ORDER = fixture("graphql/order_820982911946154508.json")


@pytest.fixture(scope="module")
def odoo(fake):
    with OdooServer() as server:
        setup_example_shop(server.rpc, fake, DOMAIN, SECRET)
        yield server


@pytest.fixture(autouse=True)
def clean_fake(fake, odoo):
    # The jobs a test left running (stock pushes after an order, retries) would take
    # the failures the next test asks the fake for: let them finish first (a job
    # postponed for long is left alone).
    deadline = time.monotonic() + 60
    while running_jobs(odoo) and time.monotonic() < deadline:
        time.sleep(0.5)
    fake.reset(objects=True)
    yield
    assert fake.invalid_documents == []


def running_jobs(odoo):
    states = ("wait_dependencies", "pending", "enqueued", "started")
    return odoo.rpc("queue.job", "search_count", [("state", "in", states)])


def new_order(fake) -> tuple[str, bytes]:
    """A fresh Shopify order (published example, new id): served by the fake; returns
    its id and the orders/create webhook body for it."""
    order_id = str(random.randrange(10**15, 10**16))
    order = copy.deepcopy(ORDER)
    order.update(id=f"gid://shopify/Order/{order_id}", legacyResourceId=order_id)
    fake.add(order)
    return order_id, json.dumps(dict(WEBHOOK, id=int(order_id))).encode()


def events(odoo, order_id, fields=("state", "error_message", "job_uuid", "res_id")):
    return odoo.rpc(
        "shopify.webhook.event",
        "search_read",
        [("object_id", "=", order_id)],
        fields=list(fields),
    )


def bindings(odoo, order_id):
    return odoo.rpc(
        "shopify.order.binding",
        "search_read",
        [("shopify_id", "=", order_id)],
        fields=["sale_order_id"],
    )


def all_done(odoo, order_id):
    found = events(odoo, order_id)
    return found if found and all(e["state"] == "done" for e in found) else None


def test_signed_order_becomes_a_sale_order_within_seconds(odoo, fake):
    order_id, body = new_order(fake)
    response = odoo.deliver(body, SECRET, DOMAIN)
    assert response.status_code == 200
    [event] = odoo.wait_for(lambda: all_done(odoo, order_id), timeout=30)
    [binding] = bindings(odoo, order_id)
    assert event["res_id"] == binding["sale_order_id"][0]
    [sale_order] = odoo.rpc(
        "sale.order",
        "read",
        [binding["sale_order_id"][0]],
        fields=["client_order_ref", "state", "amount_untaxed", "order_line"],
    )
    assert sale_order["client_order_ref"] == "#9999"
    assert sale_order["state"] == "sale"
    assert sale_order["amount_untaxed"] == 414.95
    assert len(sale_order["order_line"]) == 6, "5 items and the shipping line"


def test_wrong_signature_is_refused_and_stores_nothing(odoo, fake):
    order_id, body = new_order(fake)
    assert odoo.deliver(body, "not-the-secret", DOMAIN).status_code == 401
    assert events(odoo, order_id) == []
    assert fake.requests == []


def test_a_new_secret_or_an_archived_shop_counts_on_every_worker_at_once(odoo, fake):
    """Each worker caches what the ack reads of a shop: once a secret is changed or
    the shop archived, no worker may still accept what the old state accepted."""
    [shop] = odoo.rpc("shopify.shop", "search", [("shop_domain", "=", DOMAIN)])

    def statuses(secret, count=16):
        # 8 at once: every worker of the server answers some (and caches the shop)
        with ThreadPoolExecutor(8) as pool:
            return set(
                pool.map(
                    lambda _i: (
                        odoo.deliver(
                            b'{"id": 1}', secret, DOMAIN, topic="carts/update"
                        ).status_code
                    ),
                    range(count),
                )
            )

    try:
        assert statuses(SECRET) == {200}
        odoo.rpc("shopify.shop", "write", [shop], {"webhook_secret": "rotated"})
        assert statuses(SECRET) == {401}
        assert statuses("rotated") == {200}
        odoo.rpc("shopify.shop", "write", [shop], {"active": False})
        assert statuses("rotated") == {401}
    finally:
        odoo.rpc(
            "shopify.shop", "write", [shop], {"webhook_secret": SECRET, "active": True}
        )


def test_ten_identical_deliveries_in_parallel(odoo, fake):
    order_id, body = new_order(fake)
    headers = {"Webhook_Id": f"storm-{order_id}", "Event_Id": f"action-{order_id}"}
    with ThreadPoolExecutor(10) as pool:
        statuses = list(
            pool.map(
                lambda _i: odoo.deliver(body, SECRET, DOMAIN, **headers).status_code,
                range(10),
            )
        )
    assert statuses == [200] * 10
    [event] = odoo.wait_for(lambda: all_done(odoo, order_id), timeout=30)
    jobs = odoo.rpc(
        "queue.job", "search_count", [("identity_key", "like", f"%:order:{order_id}")]
    )
    assert jobs == 1
    assert len(bindings(odoo, order_id)) == 1
    duplicates = odoo.rpc(
        "shopify.webhook.duplicate",
        "search_count",
        [("webhook_id", "=", f"storm-{order_id}")],
    )
    assert duplicates == 9


def test_burst_of_updates_in_parallel_yields_one_order(odoo, fake):
    """20 different deliveries about one order, at once: jobs may overlap with the
    runner picking them up, but one object is synced by one job at a time (advisory
    lock), and syncing it again yields the same records."""
    order_id, body = new_order(fake)
    with ThreadPoolExecutor(10) as pool:
        statuses = list(
            pool.map(
                lambda _i: (
                    odoo.deliver(
                        body, SECRET, DOMAIN, topic="orders/updated"
                    ).status_code
                ),
                range(20),
            )
        )
    assert statuses == [200] * 20
    found = odoo.wait_for(lambda: all_done(odoo, order_id), timeout=60)
    assert len(found) == 20
    [binding] = bindings(odoo, order_id)
    lines = odoo.rpc(
        "sale.order.line",
        "search_count",
        [("order_id", "=", binding["sale_order_id"][0])],
    )
    assert lines == 6
    fetches = [
        r for r in fake.requests if r["variables"].get("id", "").endswith(order_id)
    ]
    assert len(fetches) < 20, "pending jobs are shared, not one fetch per delivery"


def test_429_is_retried_after_the_delay_shopify_asks(odoo, fake):
    order_id, body = new_order(fake)
    fake.fail_next("429", retry_after=2)
    assert odoo.deliver(body, SECRET, DOMAIN).status_code == 200
    [event] = odoo.wait_for(lambda: all_done(odoo, order_id), timeout=60)
    [job] = odoo.rpc(
        "queue.job",
        "search_read",
        [("uuid", "=", event["job_uuid"])],
        fields=["state", "retry", "date_created", "date_done"],
    )
    assert job["state"] == "done"
    assert job["retry"] == 1, "a rate limit is a wait, not a failed try"
    fetches = [
        r for r in fake.requests if r["variables"].get("id", "").endswith(order_id)
    ]
    assert [r["status"] for r in fetches] == [429, 200]
    assert len(bindings(odoo, order_id)) == 1


def test_permanent_error_fails_the_job_and_the_reason_survives(odoo, fake):
    order_id, body = new_order(fake)
    fake.fail_next("graphql_error", message="Access denied for lineItems field.")
    assert odoo.deliver(body, SECRET, DOMAIN).status_code == 200

    def failed():
        found = events(odoo, order_id)
        return found if found and found[0]["state"] == "failed" else None

    [event] = odoo.wait_for(failed, timeout=30)
    assert "Access denied for lineItems field." in event["error_message"]
    [job] = odoo.rpc(
        "queue.job", "search_read", [("uuid", "=", event["job_uuid"])], fields=["state"]
    )
    assert job["state"] == "failed"
    assert bindings(odoo, order_id) == []
    # The operator retries from the event: it syncs.
    odoo.rpc("shopify.webhook.event", "action_retry", [event["id"]])
    odoo.wait_for(lambda: all_done(odoo, order_id), timeout=30)
    assert len(bindings(odoo, order_id)) == 1


def test_the_try_that_reaches_the_retry_limit_is_recorded_once(odoo, fake):
    """Shopify answers 503 until the job gives up: its history has one attempt per
    try, the last one failed (not also retried later), counted once on the event."""
    order_id, body = new_order(fake)
    fake.fail_next("503", count=10)
    assert odoo.deliver(body, SECRET, DOMAIN).status_code == 200

    def retried_once():
        found = events(odoo, order_id)
        jobs = found and odoo.rpc(
            "queue.job",
            "search_read",
            [("uuid", "=", found[0]["job_uuid"])],
            fields=["state", "retry"],
        )
        return jobs and (jobs[0]["state"], jobs[0]["retry"]) == ("pending", 1) and jobs

    [job] = odoo.wait_for(retried_once, timeout=60, interval=0.1)
    # Two tries at most: the next one is the last.
    odoo.rpc("queue.job", "write", [job["id"]], {"max_retries": 2})

    def failed():
        found = events(odoo, order_id, fields=["state", "attempt_count"])
        return found if found and found[0]["state"] == "failed" else None

    [event] = odoo.wait_for(failed, timeout=90)
    attempts = odoo.rpc(
        "shopify.sync.attempt",
        "search_read",
        [("object_id", "=", order_id)],
        fields=["outcome", "error_kind", "message"],
        order="id",
    )
    assert [(a["outcome"], a["error_kind"]) for a in attempts] == [
        ("retry", "transient"),
        ("failed", "transient"),
    ]
    assert "Max. retries (2) reached" in attempts[1]["message"]
    assert event["attempt_count"] == 2


REFUND = fixture("graphql/refund_890088186047892319.json")
REFUND_WEBHOOK = fixture("webhooks/refunds__create.json")


def test_a_day_replayed_in_any_order_with_duplicates_and_an_outage(odoo, fake):
    """12 orders from 4 customers, 4 of them partly refunded: every delivery (create,
    update, refund) shuffled, a third of them delivered twice, while Shopify is down for
    the first 8 fetches. Odoo ends with exactly the orders (Shopify's current totals),
    partners and refunds it should (no credit note: nothing was invoiced), and nothing
    waits or failed."""
    rng = random.Random(20261127)
    [journal] = odoo.rpc("account.journal", "search", [("type", "=", "bank")], limit=1)
    [shop_id] = odoo.rpc("shopify.shop", "search", [("shop_domain", "=", DOMAIN)])
    if not odoo.rpc("shopify.gateway.mapping", "search", [("gateway", "=", "bogus")]):
        mapping = {"shop_id": shop_id, "gateway": "bogus", "journal_id": journal}
        odoo.rpc("shopify.gateway.mapping", "create", mapping)
    customers = [str(rng.randrange(10**15, 10**16)) for _i in range(4)]
    deliveries, order_ids, refund_ids = [], [], []
    for n in range(12):
        order_id, body = new_order(fake)
        order_ids.append(order_id)
        order = fake.objects[f"gid://shopify/Order/{order_id}"]
        customer = customers[n % 4]
        order["customer"] = dict(
            order["customer"],
            id=f"gid://shopify/Customer/{customer}",
            legacyResourceId=customer,
            displayName=f"Customer {n % 4}",
        )
        deliveries += [("orders/create", body), ("orders/updated", body)]
        if n % 3 == 0:
            refund_id = str(rng.randrange(10**15, 10**16))
            refund_ids.append(refund_id)
            refund = copy.deepcopy(REFUND)
            refund.update(
                id=f"gid://shopify/Refund/{refund_id}",
                legacyResourceId=refund_id,
                order=f"gid://shopify/Order/{order_id}",
            )
            refund["refundLineItems"]["nodes"] = refund["refundLineItems"]["nodes"][:1]
            fake.add(refund)
            # Shopify's order after the refund (every fetch sees it): the refunded
            # line's current quantity and the current totals are lower.
            order["lineItems"]["nodes"][0]["currentQuantity"] = 0
            for name in ("currentSubtotalPriceSet", "currentTotalPriceSet"):
                order[name] = {"shopMoney": {"amount": "324.96", "currencyCode": "USD"}}
            order["updatedAt"] = "2022-01-02T00:00:00Z"
            refund_body = dict(
                REFUND_WEBHOOK, id=int(refund_id), order_id=int(order_id)
            )
            deliveries.append(("refunds/create", json.dumps(refund_body).encode()))
    sends = [(topic, body, f"day-{rng.random()}") for topic, body in deliveries]
    sends += rng.sample(sends, len(sends) // 3)  # the same deliveries, again
    rng.shuffle(sends)
    fake.fail_next("503", count=8)

    def send(args):
        topic, body, webhook_id = args
        return odoo.deliver(body, SECRET, DOMAIN, topic=topic, Webhook_Id=webhook_id)

    with ThreadPoolExecutor(8) as pool:
        statuses = [response.status_code for response in pool.map(send, sends)]
    assert statuses == [200] * len(sends)

    def settled():
        states = odoo.rpc(
            "shopify.webhook.event",
            "read_group",
            [("webhook_id", "like", "day-")],
            ["state"],
            ["state"],
        )
        counts = {group["state"]: group["state_count"] for group in states}
        return counts if set(counts) == {"done"} else None

    counts = odoo.wait_for(settled, timeout=240, interval=1)
    assert counts == {"done": len(deliveries)}
    order_bindings = odoo.rpc(
        "shopify.order.binding", "search_read", [("shopify_id", "in", order_ids)],
        fields=["sale_order_id", "shopify_id"],
    )  # fmt: skip
    assert len(order_bindings) == 12
    sale_orders = odoo.rpc(
        "sale.order", "read", [b["sale_order_id"][0] for b in order_bindings],
        fields=["partner_id", "amount_total"],
    )  # fmt: skip
    totals = {so["id"]: so["amount_total"] for so in sale_orders}
    expected = {
        b["sale_order_id"][0]: 324.96 if order_ids.index(b["shopify_id"]) % 3 == 0
        else 414.95
        for b in order_bindings
    }  # fmt: skip
    assert totals == expected
    assert len({so["partner_id"][0] for so in sale_orders}) == 4
    partners = odoo.rpc(
        "shopify.customer.binding", "search_count", [("shopify_id", "in", customers)]
    )
    assert partners == 4
    refunds = odoo.rpc(
        "shopify.refund.binding", "search_read", [("shopify_id", "in", refund_ids)],
        fields=["move_id"],
    )  # fmt: skip
    assert len(refunds) == 4
    assert [r["move_id"] for r in refunds] == [False] * 4
    duplicates = odoo.rpc(
        "shopify.webhook.duplicate", "search_count", [("webhook_id", "like", "day-")]
    )
    assert duplicates == len(sends) - len(deliveries)


CC_DOMAIN = "dev-dashboard-store.myshopify.com"


def test_client_credentials_token_renewed_once_in_the_middle_of_a_burst(odoo, fake):
    """A shop configured with only a Client ID and secret: its jobs obtain a token from
    the token endpoint; the token expires in the middle of a burst of orders, the
    jobs that get a 401 renew it once between them (advisory lock, the new token
    committed apart), and every order syncs without a failed job."""
    shop_id = setup_example_shop(
        odoo.rpc, fake, CC_DOMAIN, fake.client_secret, client_id=fake.client_id
    )

    def deliver_all(orders):
        with ThreadPoolExecutor(8) as pool:
            return [
                response.status_code
                for response in pool.map(
                    lambda order: odoo.deliver(order[1], fake.client_secret, CC_DOMAIN),
                    orders,
                )
            ]

    first = new_order(fake)
    assert deliver_all([first]) == [200]
    odoo.wait_for(lambda: all_done(odoo, first[0]), timeout=30)
    assert [r["status"] for r in fake.token_requests] == [200]

    burst = [new_order(fake) for _i in range(16)]
    assert deliver_all(burst[:8]) == [200] * 8
    fake.expire_tokens()
    assert deliver_all(burst[8:]) == [200] * 8
    for order_id, _body in burst:
        odoo.wait_for(lambda order_id=order_id: all_done(odoo, order_id), timeout=120)

    assert [r["status"] for r in fake.token_requests] == [200, 200], "one renewal"
    assert 401 in [r["status"] for r in fake.requests], "the expired token was used"
    jobs = odoo.rpc(
        "queue.job",
        "read_group",
        [("identity_key", "like", f"{shop_id}:order:%")],
        ["state"],
        ["state"],
    )
    assert {group["state"] for group in jobs} == {"done"}, "no failed job"
    for order_id, _body in [first, *burst]:
        assert len(bindings(odoo, order_id)) == 1


def test_rehearsal_through_the_public_url_reports_three_outcomes(odoo, fake):
    """Rehearse sends, over the network to the shop's webhook URL, a signed delivery,
    its duplicate and a forged one; the shop shows what each got and where it
    landed, and the accepted one is an event marked as a rehearsal, nothing more."""
    odoo.rpc("ir.config_parameter", "set_param", "web.base.url", odoo.url)
    [shop_id] = odoo.rpc("shopify.shop", "search", [("shop_domain", "=", DOMAIN)])
    orders_before = odoo.rpc("sale.order", "search_count", [])
    odoo.rpc("shopify.shop", "action_rehearse", [shop_id])

    def rehearsed():
        [shop] = odoo.rpc(
            "shopify.shop",
            "read",
            [shop_id],
            ["rehearsal_date", "rehearsal_ok", "rehearsal_result"],
        )
        return shop if shop["rehearsal_date"] else None

    shop = odoo.wait_for(rehearsed, timeout=60)
    result = shop["rehearsal_result"]
    assert f"Sent to {odoo.url}/shopify/webhook" in result
    assert "accepted: HTTP 200" in result
    assert "duplicate: HTTP 200" in result
    assert "wrong signature: HTTP 401" in result
    assert "duplicates counted: 1" in result
    assert "events of the forged delivery: 0" in result
    assert shop["rehearsal_ok"] is True
    [event] = odoo.rpc(
        "shopify.webhook.event",
        "search_read",
        [("shop_id", "=", shop_id), ("source", "=", "rehearsal")],
        fields=["state", "res_id", "job_uuid"],
    )
    assert event["state"] == "ignored"
    assert not event["res_id"] and not event["job_uuid"], "no business record"
    assert odoo.rpc("sale.order", "search_count", []) == orders_before
    assert fake.requests == [], "Shopify is not asked anything"


METRICS_DOMAIN = "metrics-store.myshopify.com"


def seconds_key(seconds: float) -> float:
    """The Metrics' time key of an event-to-record time under 100 s: to the hundredth
    of a second (PostgreSQL's round: halves away from zero)."""
    return float(Decimal(str(seconds)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def percentile(values, q):
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    values = sorted(values)
    position = q * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def test_a_scripted_day_gives_the_six_figures(odoo, fake):
    """One day on its own shop: an order retried after a 503, three plain orders, one
    failed for good, one waiting for review then fixed by hand, two duplicate
    deliveries. The Metrics figures count exactly that, and each opens its list."""
    shop_id = setup_example_shop(odoo.rpc, fake, METRICS_DOMAIN, SECRET)

    def deliver(body, **headers):
        response = odoo.deliver(body, SECRET, METRICS_DOMAIN, **headers)
        assert response.status_code == 200

    def state_of(order_id, state):
        found = events(odoo, order_id)
        return found if found and found[0]["state"] == state else None

    retried_id, body = new_order(fake)
    fake.fail_next("503")
    deliver(body)
    odoo.wait_for(lambda: state_of(retried_id, "done"), timeout=90)
    plain = []
    for _n in range(3):
        order_id, body = new_order(fake)
        deliver(body, Webhook_Id=f"metrics-{order_id}")
        plain.append((order_id, body))
    for order_id, _body in plain:
        odoo.wait_for(lambda order_id=order_id: state_of(order_id, "done"))
    failed_id, body = new_order(fake)
    fake.fail_next("graphql_error", message="Access denied for lineItems field.")
    deliver(body)
    odoo.wait_for(lambda: state_of(failed_id, "failed"))
    review_id, body = new_order(fake)
    fake.objects[f"gid://shopify/Order/{review_id}"]["currentTotalPriceSet"][
        "shopMoney"
    ]["amount"] = "420.00"
    deliver(body)
    [review] = odoo.wait_for(lambda: state_of(review_id, "needs_review"))
    odoo.rpc("shopify.webhook.event", "action_resolve", [review["id"]], "Fixed SO")
    first_id, first_body = plain[0]
    for _n in range(2):
        deliver(first_body, Webhook_Id=f"metrics-{first_id}")

    done = odoo.rpc(
        "shopify.webhook.event",
        "search_read",
        [("shop_id", "=", shop_id), ("state", "=", "done")],
        fields=["sync_seconds", "attempt_count"],
    )
    seconds = [seconds_key(event["sync_seconds"]) for event in done]
    assert max(seconds) < 100
    expected = {
        "received": 6,
        "completed": 4,
        "failed": 1,
        "retried": 1,
        "corrected": 1,
        "duplicates": 2,
    }
    rows = odoo.rpc(
        "shopify.event.overview",
        "search_read",
        [("shop_id", "=", shop_id), ("period", "in", ["7d", "30d"])],
        fields=[*expected, "topic", "period", "p50", "p95"],
    )
    assert {row["period"] for row in rows} == {"7d", "30d"}
    for row in rows:
        assert row["topic"] == "orders/create"
        assert {key: row[key] for key in expected} == expected
        assert abs(row["p50"] - percentile(seconds, 0.5)) < 1e-9
        assert abs(row["p95"] - percentile(seconds, 0.95)) < 1e-9
        for figure, count in expected.items():
            action = odoo.rpc(
                "shopify.event.overview",
                "action_open_figure",
                [row["id"]],
                context={"figure": figure},
            )
            opened = odoo.rpc(action["res_model"], "search_count", action["domain"])
            assert opened == count, figure
    [retried] = events(odoo, retried_id, fields=["attempt_count"])
    assert retried["attempt_count"] == 2
    attempts = odoo.rpc(
        "shopify.sync.attempt",
        "search_read",
        [("object_id", "=", retried_id)],
        fields=["outcome", "error_kind"],
        order="id",
    )
    assert [(a["outcome"], a["error_kind"]) for a in attempts] == [
        ("retry", "transient"),
        ("done", False),
    ]
    [failed] = odoo.rpc(
        "shopify.sync.attempt",
        "search_read",
        [("object_id", "=", failed_id)],
        fields=["outcome", "error_kind", "message"],
    )
    assert (failed["outcome"], failed["error_kind"]) == ("failed", "error")
    assert "Access denied" in failed["message"]


def large_order(fake, lines: int) -> tuple[str, bytes]:
    """The example order with ``lines`` line items (its five, repeated), totals to
    match; returns its id and orders/create body."""
    order_id, body = new_order(fake)
    order = fake.objects[f"gid://shopify/Order/{order_id}"]
    template = order["lineItems"]["nodes"]
    nodes = []
    for n in range(lines):
        line = copy.deepcopy(template[n % len(template)])
        line["id"] = f"gid://shopify/LineItem/{order_id}{n:05d}"
        nodes.append(line)
    order["lineItems"]["nodes"] = nodes
    subtotal = sum(
        Decimal(line["discountedUnitPriceAfterAllDiscountsSet"]["shopMoney"]["amount"])
        * line["currentQuantity"]
        for line in nodes
    )
    for field in ("currentSubtotalPriceSet", "currentTotalPriceSet"):
        order[field] = {"shopMoney": {"amount": str(subtotal), "currencyCode": "USD"}}
    return order_id, body


def test_a_1000_line_order_syncs_under_a_small_cost_bucket(odoo, fake):
    """1,000 line items on a 1,000-point bucket restoring 50 points a second (Shopify
    takes each page's requested cost up front): the job reads the pages the bucket can
    pay, keeps them, is retried when the bucket has refilled for the next page, and goes
    on from there; the waits do not count as tries."""
    order_id, body = large_order(fake, 1000)
    fake.set_bucket(1000, restore_rate=50)
    started = time.monotonic()
    assert odoo.deliver(body, SECRET, DOMAIN).status_code == 200
    [event] = odoo.wait_for(lambda: all_done(odoo, order_id), timeout=900, interval=2)
    elapsed = time.monotonic() - started
    [binding] = bindings(odoo, order_id)
    [sale_order] = odoo.rpc(
        "sale.order", "read", [binding["sale_order_id"][0]],
        fields=["state", "amount_total", "order_line"],
    )  # fmt: skip
    order = fake.objects[f"gid://shopify/Order/{order_id}"]
    assert sale_order["state"] == "sale"
    assert len(sale_order["order_line"]) == 1000 + 1, "1,000 items and the shipping"
    assert sale_order["amount_total"] == float(
        order["currentTotalPriceSet"]["shopMoney"]["amount"]
    )
    [job] = odoo.rpc(
        "queue.job", "search_read", [("uuid", "=", event["job_uuid"])],
        fields=["state", "retry", "max_retries"],
    )  # fmt: skip
    assert job["state"] == "done"
    assert job["retry"] == 1, "throttled runs are not tries"
    fetches = [
        r for r in fake.requests if r["variables"].get("id", "").endswith(order_id)
    ]
    pages = [r for r in fetches if "errors" not in r["response"]]
    throttled = len(fetches) - len(pages)
    assert len(pages) == 1 + (1000 - 50) // 50, "no page read twice"
    log = odoo.log.read_text()
    retries = len(re.findall(rf"order {order_id} throttled", log))
    assert retries >= 1
    print(
        f"\n1,000-line order on a 1,000-point bucket at 50 points/s: synced in "
        f"{elapsed:.0f} s, {retries} throttled retries ({throttled} refused by "
        f"Shopify, the rest refused by the client before sending), {len(pages)} pages"
    )
