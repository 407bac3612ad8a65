"""Ack latency of signed Shopify deliveries: a benchmark (scripts/benchmark), no test.

One real Odoo server (prefork workers + the queue_job runner) serves three variants,
timed by the client in ONE run, interleaved in rounds so that they share the noise of a
shared machine:

* ours:   POST /shopify/webhook         verify, record, enqueue, answer (this addon);
* bare:   GET  /web/health              Odoo's own no-op route, the floor of any route;
* inline: POST /shopify/webhook/inline  the same checks, then fetch the order and build
                                        the sale order inside the request
                                        (tests/benchmark_addons/shopify_webhook_inline).

Every delivery to ours and inline is a new Shopify order, so both do real work. The fake
Shopify runs in a child process: its GraphQL execution must not hold this process's GIL
while the client threads time requests. The report (Markdown) goes to stdout and into
README.md between <!-- benchmark:start --> and <!-- benchmark:end -->.

Needs SWS_SYSTEM_DB (a database with shopify_webhook_sync and shopify_webhook_inline
installed), SWS_ODOO_BIN and SWS_RUN_DIR, like tests/odoo_server.py.
"""

import argparse
import itertools
import json
import os
import platform
import random
import re
import signal
import statistics
import sys
import threading
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
from benchmark_common import (
    DOMAIN,
    ORDER,
    SECRET,
    ChildProcess,
    delivery,
    latency_stats,
    new_orders,
    percentile,
    timed_request,
)
from odoo_server import REPO, OdooServer, load_fake_shopify, setup_example_shop

BENCH_ADDONS = REPO / "tests" / "benchmark_addons"
README = REPO / "README.md"
START, END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"

VARIANTS = ("ours", "bare", "inline")
PATHS = {
    "ours": "/shopify/webhook",
    "bare": "/web/health",
    "inline": "/shopify/webhook/inline",
    "plain": "/shopify/bench/plain_order",
}
# concurrency -> (rounds, requests per variant over all rounds); inline is slow.
PLAN = {
    1: (10, {"ours": 200, "bare": 200, "inline": 30}),
    20: (5, {"ours": 400, "bare": 400, "inline": 100}),
}
# the 1,000,000-events comparison: ours and bare only
EVENTS_PLAN = {
    1: (4, {"ours": 100, "bare": 100}),
    20: (4, {"ours": 200, "bare": 200}),
}
TARGET_BARE, TARGET_INLINE = 1.5, 0.05


# -- the fake Shopify, in a child process ----------------------------------------


def _serve_fake(conn, orders):
    fake = load_fake_shopify().FakeShopify().start()
    for order in orders:
        fake.add(order)
    conn.send((fake.url, fake.access_token))
    try:
        while conn.recv() == "stats":
            conn.send(
                {"requests": len(fake.requests), "invalid": len(fake.invalid_documents)}
            )
    except EOFError:
        pass
    fake.stop()


class FakeShopifyProcess(ChildProcess):
    def __init__(self, order_ids):
        super().__init__(_serve_fake, (new_orders(order_ids),), 120)
        self.url, self.access_token = self.ready

    def stats(self):
        return self.ask("stats", 30)


# -- requests ---------------------------------------------------------------------


class Client:
    """Times requests sent by ``concurrency`` threads, each with its own Session.
    ``base_url``: one server's, or a list of servers' that take turns (as behind a
    round-robin load balancer)."""

    def __init__(self, base_url, concurrency):
        self.base_urls = [base_url] if isinstance(base_url, str) else list(base_url)
        self.turn = itertools.count()
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="bench")
        self.local = threading.local()

    def _send(self, task):
        variant, prepared = task
        base_url = self.base_urls[next(self.turn) % len(self.base_urls)]
        elapsed, response = timed_request(
            self.local, base_url + PATHS[variant], prepared
        )
        return elapsed, response.status_code, response.text[:300]

    def run(self, variant, prepared):
        """One request per item of ``prepared`` (None: a GET); latencies in ms."""
        results = list(self.pool.map(self._send, [(variant, p) for p in prepared]))
        bad = [(status, text) for _e, status, text in results if status != 200]
        if variant in ("inline", "plain"):
            bad += [
                (s, t)
                for _e, s, t in results
                if s == 200 and not t.startswith("sale.order,")
            ]
        if bad:
            sys.exit(
                f"FAILED: {len(bad)} of {len(results)} {variant} requests: {bad[:3]}"
            )
        return [elapsed * 1000 for elapsed, _s, _t in results]

    def close(self):
        self.pool.shutdown()


# -- the run -------------------------------------------------------------------------


def wait_until(predicate, timeout, interval=1.0):
    """Poll ``predicate()`` for at most ``timeout`` s; return its last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


def jobs_left(server):
    states = ("wait_dependencies", "pending", "enqueued", "started")
    return server.rpc("queue.job", "search_count", [("state", "in", states)])


def built(server, order_ids):
    return server.rpc(
        "shopify.order.binding", "search_count", [("shopify_id", "in", order_ids)]
    )


def warm_up(server, ids):
    """Every worker loads its registry and serves every route; no job is left. One
    order alone first: it creates what all orders share (its tags), which concurrent
    first syncs would race to create."""
    for concurrency, count in ((1, 3), (4, 12), (8, 24)):
        client = Client(server.url, concurrency)
        for variant in ("inline", "ours", "bare"):
            n = count // 3 if variant == "inline" else count
            bare = variant == "bare"
            client.run(
                variant, [None if bare else delivery(next(ids)) for _ in range(n)]
            )
        client.close()
    if not wait_until(lambda: jobs_left(server) == 0, 180, 2):
        sys.exit("FAILED: the warm-up's jobs were not done within 180 s")


def measure(server, ids, scale, plan=PLAN, variants=VARIANTS):
    """Latencies (ms) per (concurrency, variant), the ids of ours deliveries, and the
    server log's span of each concurrency level."""
    latencies, ours_ids, spans = {}, [], {}
    for concurrency, (rounds, totals) in plan.items():
        client = Client(server.url, concurrency)
        log_start = server.log.stat().st_size
        for r in range(rounds):
            shift = r % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                n = max(1, round(totals[variant] * scale / rounds))
                if variant == "bare":
                    prepared = [None] * n
                else:
                    batch = [next(ids) for _ in range(n)]
                    prepared = [delivery(order_id) for order_id in batch]
                    if variant == "ours":
                        ours_ids += batch
                latencies.setdefault((concurrency, variant), []).extend(
                    client.run(variant, prepared)
                )
            print(f"   {concurrency} sender(s): round {r + 1}/{rounds}", flush=True)
        client.close()
        spans[concurrency] = (log_start, server.log.stat().st_size)
    return latencies, ours_ids, spans


def plain_order_body(order_id, shipping_product_id):
    """The body of /shopify/bench/plain_order: the order Shopify's example becomes."""
    address = ORDER["shippingAddress"]
    return json.dumps(
        {
            "name": ORDER["customer"]["displayName"],
            "email": f"c{order_id}@example.com",
            "address": {
                "name": address["name"],
                "street": address["address1"],
                "city": address["city"],
                "zip": address["zip"],
                "phone": address["phone"],
            },
            "lines": [
                [
                    line["sku"],
                    line["quantity"],
                    float(line["originalUnitPriceSet"]["shopMoney"]["amount"]),
                ]
                for line in ORDER["lineItems"]["nodes"]
            ],
            "shipping": [shipping_product_id, 0.0],
        }
    ).encode()


def order_cost(server, ids, runs):
    """One order at a time, nothing else running: an ours delivery whose job builds
    the sale order, then the same order through /shopify/bench/plain_order. Returns
    the server log's span."""
    shipping = server.rpc(
        "shopify.shipping.mapping", "search_read", [], ["product_id"], limit=1
    )[0]["product_id"][0]
    client = Client(server.url, 1)
    start = server.log.stat().st_size
    for _run in range(runs):
        order_id = next(ids)
        client.run("ours", [delivery(order_id)])
        if not wait_until(lambda oid=order_id: built(server, [oid]), 120, 0.2):
            sys.exit(f"FAILED: the order {order_id} was not built within 120 s")
        client.run("plain", [(plain_order_body(next(ids), shipping), {})])
    client.close()
    return start, server.log.stat().st_size


MILLION = 1_000_000


def store_events(server, count):
    """``count`` handled events of one shop (small payloads: the indexes, not the
    TOAST, are what an INSERT meets), in one INSERT ... SELECT generate_series."""
    cnx = psycopg2.connect(dbname=server.db)
    cnx.autocommit = True
    with cnx.cursor() as cr:
        cr.execute("SELECT id FROM shopify_shop WHERE shop_domain = %s", [DOMAIN])
        shop_id = cr.fetchone()[0]
        cr.execute(
            """
            INSERT INTO shopify_webhook_event (
                shop_id, source, topic, webhook_id, event_id, received_at,
                api_version, object_kind, object_id, object_gid, state, payload,
                create_uid, create_date, write_uid, write_date)
            SELECT %(shop)s, 'webhook', 'orders/updated', gen_random_uuid()::text,
                   gen_random_uuid()::text,
                   (now() AT TIME ZONE 'UTC') - i * interval '1 second',
                   '2026-10', 'order', (7000000000000 + i / 3)::text,
                   'gid://shopify/Order/' || (7000000000000 + i / 3), 'done', '{}',
                   1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC'
              FROM generate_series(1, %(n)s) AS i
            """,
            {"shop": shop_id, "n": count},
        )
        cr.execute("VACUUM ANALYZE shopify_webhook_event")
    cnx.close()


def events_count(server):
    return server.rpc("shopify.webhook.event", "search_count", [])


# capacity: orders per minute, each rate held for CAPACITY_SECONDS × --scale
CAPACITY_RATES = (30, 60, 120, 240, 360, 480, 600)  # up to the first not sustained
CAPACITY_SECONDS = 60
ACK_LIMIT_MS = 250
DRAIN_LIMIT_S = 30  # "keeps up": the last order built within this after the last ack


def steady_rate(server, ids, shop_id, rate, seconds):
    """New orders at ``rate`` per minute for ``seconds`` (open loop: one delivery
    every 60/rate s, whatever the answers' latency), then the wait until all are
    built. Ack latencies, the backlog at the end, the drain time and the
    event→record times (the job's creation by the ack to its end, from queue_job)."""
    client = Client(server.url, 20)
    interval, start = 60 / rate, time.monotonic()
    futures, sent = [], []
    while len(sent) * interval < seconds:
        delay = start + len(sent) * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        order_id = next(ids)
        sent.append(order_id)
        futures.append(client.pool.submit(client._send, ("ours", delivery(order_id))))
    results = [future.result() for future in futures]
    last = time.monotonic()
    client.close()
    bad = [status for _e, status, _t in results if status != 200]
    backlog = len(sent) - built(server, sent)
    wait_until(lambda: built(server, sent) == len(sent), 300, 1)
    drain = time.monotonic() - last
    cnx = psycopg2.connect(dbname=server.db)
    with cnx.cursor() as cr:
        cr.execute(
            "SELECT EXTRACT(EPOCH FROM date_done - date_created) FROM queue_job"
            " WHERE identity_key = ANY(%s) AND state = 'done'",
            [[f"{shop_id}:order:{order_id}" for order_id in sent]],
        )
        to_record = [float(seconds) for (seconds,) in cr.fetchall()]
    cnx.close()
    acks = [elapsed * 1000 for elapsed, _s, _t in results]
    return {
        "rate": rate,
        "sent": len(sent),
        "errors": len(bad),
        "ack_p50": statistics.median(acks),
        "ack_p99": percentile(acks, 99),
        "backlog": backlog,
        "drain": drain,
        "built": built(server, sent),
        "record_p50": statistics.median(to_record) if to_record else float("nan"),
        "record_p95": percentile(to_record, 95) if len(to_record) > 1 else 0.0,
    }


def keeps_up(row):
    return (
        not row["errors"]
        and row["built"] == row["sent"]
        and row["ack_p99"] < ACK_LIMIT_MS
        and row["drain"] <= DRAIN_LIMIT_S
    )


def capacity_report(rows, seconds):
    lines = [
        f"Capacity: new orders at a steady rate, each rate held for {seconds:.0f} s "
        "(open loop: a delivery every 60/rate s, up to 20 in flight), the job "
        "runner building them meanwhile on the reference configuration. A rate is "
        f"sustained when every ack was 200 with p99 under {ACK_LIMIT_MS} ms and the "
        f"last order was built within {DRAIN_LIMIT_S} s of the last ack. "
        "Event→record: from the job's creation by the ack to the job's end "
        "(queue_job's own timestamps).",
        "",
        "| Orders/min | Sent | ack p50 ms | ack p99 ms | Not yet built at the last ack "
        "| Last built after (s) | Event→record p50 s | p95 s | Sustained |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['rate']} | {row['sent']} | {row['ack_p50']:.1f} "
            f"| {row['ack_p99']:.1f} | {row['backlog']} | {row['drain']:.0f} "
            f"| {row['record_p50']:.1f} | {row['record_p95']:.1f} "
            f"| {'yes' if keeps_up(row) else 'no'} |"
        )
    sustained = [row["rate"] for row in rows if keeps_up(row)]
    lines.append(
        "\nHighest sustained rate measured: "
        + (f"**{max(sustained)} orders per minute**." if sustained else "**none**.")
    )
    return "\n".join(lines)


# scale-out: a second server on the same database, without a job runner
STORM_ORDERS, STORM_COPIES = 20, 10
SCALE_OUT_ROUNDS, SCALE_OUT_PER_ROUND = 4, 50


def duplicate_storm(servers, ids, shop_id):
    """STORM_ORDERS new orders, each delivered STORM_COPIES times (the same webhook)
    at once, 20 in flight, spread over ``servers`` in turn. Counts what was stored."""
    sent = [next(ids) for _order in range(STORM_ORDERS)]
    copies = [delivery(order_id) for order_id in sent]
    prepared = [copy for copy in copies for _copy in range(STORM_COPIES)]
    random.shuffle(prepared)
    client = Client([server.url for server in servers], 20)
    client.run("ours", prepared)
    client.close()
    server = servers[0]
    wait_until(lambda: built(server, sent) == len(sent), 300, 1)
    orders = server.rpc(
        "shopify.order.binding",
        "search_read",
        [("shopify_id", "in", sent)],
        ["sale_order_id"],
    )
    return {
        "deliveries": len(prepared),
        "orders": len(sent),
        "events": server.rpc(
            "shopify.webhook.event", "search_count", [("object_id", "in", sent)]
        ),
        "jobs": server.rpc(
            "queue.job",
            "search_count",
            [("identity_key", "in", [f"{shop_id}:order:{oid}" for oid in sent])],
        ),
        "duplicates": server.rpc(
            "shopify.webhook.duplicate",
            "search_count",
            [("webhook_id", "in", [h["X-Shopify-Webhook-Id"] for _b, h in copies])],
        ),
        "sale_orders": len({row["sale_order_id"][0] for row in orders}),
        "bindings": len(orders),
    }


def scale_out_throughput(one, both, ids, per_round):
    """Deliveries at 20 senders to one server, then spread over both, in alternating
    rounds of ``per_round``: acks per second (wall clock of each round) and ack
    latencies."""
    results = {"one": ([], []), "both": ([], [])}
    targets = {"one": one, "both": both}
    for r in range(SCALE_OUT_ROUNDS):
        order = ("one", "both") if r % 2 == 0 else ("both", "one")
        for name in order:
            client = Client([server.url for server in targets[name]], 20)
            prepared = [delivery(next(ids)) for _i in range(per_round)]
            start = time.perf_counter()
            latencies = client.run("ours", prepared)
            results[name][0].append(len(prepared) / (time.perf_counter() - start))
            results[name][1].extend(latencies)
            client.close()
    return {
        name: {
            "rate": statistics.median(rates),
            "p50": statistics.median(latencies),
            "p99": percentile(latencies, 99),
            "n": len(latencies),
        }
        for name, (rates, latencies) in results.items()
    }


def scale_out_report(storm, throughput, per_round):
    one, both = throughput["one"], throughput["both"]
    ok = (
        storm["events"] == storm["orders"]
        and storm["jobs"] == storm["orders"]
        and storm["sale_orders"] == storm["orders"] == storm["bindings"]
        and storm["duplicates"] == storm["deliveries"] - storm["orders"]
    )
    return "\n".join(
        [
            "Two Odoo servers on their own ports (4 workers each, the same settings) "
            "sharing one PostgreSQL database; only the first runs queue_job's runner "
            "(the second has `[queue_job] channels = root:0`), so jobs run on the "
            "first. Deliveries spread over both in turn, as behind a round-robin "
            "load balancer.",
            "",
            f"- Duplicate storm over both servers: {storm['orders']} new orders, each "
            f"delivered {STORM_COPIES} times at once ({storm['deliveries']} "
            f"deliveries, 20 in flight): {storm['events']} events, {storm['jobs']} "
            f"jobs, {storm['duplicates']} duplicates recorded, "
            f"{storm['sale_orders']} sale orders ({storm['bindings']} bindings): "
            f"**{'no loss, no double record' if ok else 'MISMATCH'}**.",
            f"- Throughput at 20 senders ({SCALE_OUT_ROUNDS} alternating rounds of "
            f"{per_round} new orders each): one server "
            f"{one['rate']:.0f} acks/s (p50 {one['p50']:.1f} ms, p99 "
            f"{one['p99']:.1f} ms), two servers {both['rate']:.0f} acks/s (p50 "
            f"{both['p50']:.1f} ms, p99 {both['p99']:.1f} ms): "
            f"{both['rate'] / one['rate']:.2f}×. Both servers share this machine's "
            "2 cores and one PostgreSQL: a second server adds workers, not CPU.",
        ]
    )


def summarize(latencies):
    return {key: latency_stats(values) for key, values in latencies.items()}


# werkzeug's access line in Odoo's log: ... "POST /path HTTP/1.1" 200 - 13 0.026 0.023
# (SQL queries, SQL seconds, other seconds of the request in the worker).
ACCESS_RE = re.compile(
    r'"(?:GET|POST) ([^ ?"]+)[^"]*" (\d{3}) - (\d+) ([\d.]+) ([\d.]+)'
)


def access_rows(log: Path, start: int, end: int):
    """Per path, over a span of the server log: requests, median queries, worker ms
    p50/p95/p99."""
    with log.open("rb") as fh:
        fh.seek(start)
        text = fh.read(end - start).decode("utf-8", "replace")
    found = {}
    for path, _status, queries, sql, other in ACCESS_RE.findall(text):
        entry = found.setdefault(path, ([], []))
        entry[0].append(int(queries))
        entry[1].append((float(sql) + float(other)) * 1000)
    return {
        path: {
            "n": len(ms),
            "queries": statistics.median(queries),
            "p50": statistics.median(ms),
            "p95": percentile(ms, 95),
            "p99": percentile(ms, 99),
        }
        for path, (queries, ms) in found.items()
    }


def server_side(log: Path, spans):
    """Per concurrency level and path: requests, median queries, server ms p50/p99."""
    return {
        (concurrency, path): row
        for concurrency, (start, end) in spans.items()
        for path, row in access_rows(log, start, end).items()
    }


# -- the report ------------------------------------------------------------------------


def machine(server):
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    common = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/common")
    cnx = psycopg2.connect(dbname=server.db)
    with cnx.cursor() as cr:
        cr.execute("SHOW server_version")
        pg_version = cr.fetchone()[0]
    cnx.close()
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "RAM": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Odoo": common.version()["server_version"],
        "PostgreSQL": pg_version,
        "Odoo server": f"workers = {server.workers}, [queue_job] channels = "
        f"root:{server.jobs},root.shopify:{server.jobs}, max_cron_threads = 0, "
        "log_level = info",
    }


LATENCY_HEAD = """\
| Senders | Variant | Requests | Mean ms | p50 ms | p99 ms | ours ÷ this, p50 \
| ours ÷ this, p99 |
|---:|---|---:|---:|---:|---:|---:|---:|"""
SERVER_HEAD = """\
| Senders | Route | Requests | SQL queries (median) | Worker ms p50 | Worker ms p99 |
|---:|---|---:|---:|---:|---:|"""
REPORT = """\
Ack latency of signed `orders/create` deliveries, measured by `scripts/benchmark`
(`tests/benchmark_ack.py`) on {date}.
One Odoo server on 127.0.0.1 serves three variants, measured in the same run and
interleaved in rounds whose order rotates, so that they share the noise of the (shared)
machine. Latency is measured by the client, from connecting to the last byte (Odoo
closes the connection after each answer), with 1 and then 20 concurrent senders.

- **ours**: `POST /shopify/webhook` verifies the signature, records the event, enqueues
  the sync job and answers; the job runner builds the sale order afterwards.
- **bare**: `GET /web/health`, Odoo's own no-op route (`auth="none"`, no session saved),
  served through the database like ours: the floor of any Odoo route on this server.
- **inline**: `POST /shopify/webhook/inline`
  (`tests/benchmark_addons/shopify_webhook_inline`, installed only by the benchmark)
  makes the same checks, then fetches the order and builds and confirms the sale order
  inside the request, as an integration without a job queue does.

Every delivery to ours and inline is a new order (5 lines) of a new customer, so both do
the full work. Shopify is the tests' fake Admin API on 127.0.0.1: it answers in about
10 ms where the real one takes 100 ms or more, so inline's latency is a lower bound. The
jobs of ours deliveries run during the rounds (on 2 of the 4 HTTP workers), so ours is
always measured beside its own background work, the others partly.

{latency_table}

{verdicts}

{cost}

The job runner had built {built} of the {ours_total} sale orders of ours deliveries
{built_after:.0f} s after the last delivery{jobs_note}. Load average before / after the
run: {load_before} / {load_after}.

Inside the workers (Odoo's access log over the measured rounds: SQL queries, and the
request's time in the worker, which leaves out connecting and queueing for a worker):

{server_table}

{order_cost}

{million}

{capacity}

{scale_out}

| Machine | |
|---|---|
{machine_lines}"""


def report(stats, server_rows, info, extra):
    latency, verdicts = [LATENCY_HEAD], []
    for concurrency in PLAN:
        ours = stats[concurrency, "ours"]
        for variant in VARIANTS:
            s = stats[concurrency, variant]
            latency.append(
                f"| {concurrency} | {variant} `{PATHS[variant]}` | {s['n']} "
                f"| {s['mean']:.1f} | {s['p50']:.1f} | {s['p99']:.1f} "
                f"| {ours['p50'] / s['p50']:.3f}× | {ours['p99'] / s['p99']:.3f}× |"
            )
        vs_bare = ours["p99"] / stats[concurrency, "bare"]["p99"]
        vs_inline = ours["p99"] / stats[concurrency, "inline"]["p99"]
        verdicts.append(
            f"- {concurrency} sender{'s' if concurrency > 1 else ''}: ours p99 is "
            f"{vs_bare:.2f}× bare (target ≤ {TARGET_BARE}×: "
            f"**{'met' if vs_bare <= TARGET_BARE else 'not met'}**) and "
            f"{vs_inline:.3f}× inline (target ≤ {TARGET_INLINE}×: "
            f"**{'met' if vs_inline <= TARGET_INLINE else 'not met'}**)."
        )
    server = [SERVER_HEAD]
    for (concurrency, path), row in sorted(server_rows.items()):
        server.append(
            f"| {concurrency} | `{path}` | {row['n']} | {row['queries']:.0f} "
            f"| {row['p50']:.1f} | {row['p99']:.1f} |"
        )
    ours_ms, bare_ms = (
        [server_rows[c, PATHS[v]]["p50"] for c in PLAN] for v in ("ours", "bare")
    )
    cost = (
        "In the workers, an ours ack takes "
        f"{ours_ms[0] / bare_ms[0]:.1f}× the time of a bare request at 1 sender and "
        f"{ours_ms[-1] / bare_ms[-1]:.1f}× at 20 (p50; "
        f"{server_rows[1, PATHS['ours']]['queries']:.0f} SQL queries against "
        f"{server_rows[1, PATHS['bare']]['queries']:.0f}, and a commit that waits for "
        "the WAL flush): once requests queue for a worker, the latency ratio tends to "
        "that cost ratio."
    )
    return REPORT.format(
        latency_table="\n".join(latency),
        verdicts="\n".join(verdicts),
        cost=cost,
        server_table="\n".join(server),
        machine_lines="\n".join(f"| {k} | {v} |" for k, v in info.items()),
        **extra,
    )


def order_cost_report(rows, runs):
    job, plain = rows.get("/queue_job/runjob"), rows.get(PATHS["plain"])
    if not job or not plain:
        return "The order job's cost was not measured (no access-log line found)."
    lines = [
        "The order job's cost beside a plain `sale.order` create and confirm of the "
        f"same order in the same database ({runs} orders each, one at a time, nothing "
        "else running; Odoo's access log): the plain route "
        f"(`{PATHS['plain']}`, benchmark addon) creates the customer, its invoice and "
        "delivery addresses and the order (5 product lines found by SKU, the "
        "shipping line), then confirms it. The job also fetches the order from the "
        "fake Shopify, checks the mappings and totals, binds the order and customer "
        "and settles the event.",
        "",
        "| Work | Runs | SQL queries (median) | Worker ms p50 | Worker ms p95 |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, row in (("order job (`/queue_job/runjob`)", job), ("plain", plain)):
        lines.append(
            f"| {label} | {row['n']} | {row['queries']:.0f} | {row['p50']:.1f} "
            f"| {row['p95']:.1f} |"
        )
    lines.append(
        f"\nThe job costs {job['queries'] / plain['queries']:.2f}× the queries and "
        f"{job['p50'] / plain['p50']:.2f}× the worker time (p50) of the plain order."
    )
    return "\n".join(lines)


def million_report(phases, added):
    lines = [
        f"Ack latency with {added:,} more stored events beside a near-empty table "
        "(the same server, ours and bare interleaved as above, the jobs of each "
        "phase done before the next; the rows added by one `INSERT ... SELECT "
        "generate_series`, then `VACUUM ANALYZE`):",
        "",
        "| Events stored | Senders | ours p50 ms | ours p99 ms | bare p99 ms "
        "| ours ÷ bare, p99 | ours worker ms p50 | ours queries |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for count, stats, rows in phases:
        for concurrency in EVENTS_PLAN:
            ours, bare = stats[concurrency, "ours"], stats[concurrency, "bare"]
            worker = rows[concurrency, PATHS["ours"]]
            lines.append(
                f"| {count:,} | {concurrency} | {ours['p50']:.1f} | {ours['p99']:.1f} "
                f"| {bare['p99']:.1f} | {ours['p99'] / bare['p99']:.2f}× "
                f"| {worker['p50']:.1f} | {worker['queries']:.0f} |"
            )
    return "\n".join(lines)


def write_readme(text, path=README, start=START, end=END):
    """Replace the block between the markers ``start`` and ``end`` (inclusive), or
    append a Performance section: nothing else of the file is touched (it is read
    right before writing)."""
    block = f"{start}\n{text}\n{end}"
    current = path.read_text() if path.exists() else ""
    if start in current and end in current.split(start, 1)[1]:
        head, rest = current.split(start, 1)
        tail = rest.split(end, 1)[1]
        path.write_text(head + block + tail)
    else:
        sep = (
            ""
            if not current or current.endswith("\n\n")
            else ("\n" if current.endswith("\n") else "\n\n")
        )
        path.write_text(f"{current}{sep}## Performance\n\n{block}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="request counts × this"
    )
    parser.add_argument(
        "--no-readme", action="store_true", help="only print the report"
    )
    parser.add_argument(
        "--events",
        type=int,
        default=MILLION,
        help="events stored for the large-table comparison",
    )
    args = parser.parse_args()
    # Killed (scripts/benchmark interrupted): stop Odoo and the fake on the way out.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))

    # One new order per ours/inline delivery (warm-up included), with room to spare.
    total = sum(sum(totals.values()) for _rounds, totals in PLAN.values())
    base = random.randrange(10**15, 9 * 10**15)
    order_ids = [
        str(base + i) for i in range(int(1400 + 2 * max(args.scale, 1) * total))
    ]
    ids = iter(order_ids)
    load_before = Path("/proc/loadavg").read_text().split()[:3]

    print("== fake Shopify (child process)", flush=True)
    fake = FakeShopifyProcess(order_ids)
    try:
        server = OdooServer(addons_path=[REPO, BENCH_ADDONS])
        print(f"== Odoo on {server.url} (log {server.log})", flush=True)
        with server:
            setup_example_shop(server.rpc, fake, DOMAIN, SECRET)
            print("== warm-up", flush=True)
            warm_up(server, ids)
            print("== measuring", flush=True)
            latencies, ours_ids, spans = measure(server, ids, args.scale)
            last_delivery = time.monotonic()
            print(
                "== waiting (at most 120 s) for the jobs of ours deliveries", flush=True
            )
            wait_until(lambda: built(server, ours_ids) == len(ours_ids), 120, 2)
            count = built(server, ours_ids)
            built_after = time.monotonic() - last_delivery
            failed = server.rpc("queue.job", "search_count", [("state", "=", "failed")])
            left = jobs_left(server)
            info = machine(server)
            wait_until(lambda: jobs_left(server) == 0, 900, 2)  # nothing else runs
            runs = max(3, round(20 * args.scale))
            print(
                f"== the order job beside a plain sale order ({runs} each)", flush=True
            )
            cost_rows = access_rows(server.log, *order_cost(server, ids, runs))
            phases = []
            for step in ("before", "after"):
                if step == "after":
                    print(f"== storing {args.events:,} events", flush=True)
                    store_events(server, args.events)
                stored = events_count(server)
                print(f"== ack with {stored:,} events stored", flush=True)
                stats, _ids, phase_spans = measure(
                    server, ids, args.scale, EVENTS_PLAN, ("ours", "bare")
                )
                phases.append(
                    (stored, summarize(stats), server_side(server.log, phase_spans))
                )
                wait_until(lambda: jobs_left(server) == 0, 180, 2)
            shop_id = server.rpc(
                "shopify.shop", "search", [("shop_domain", "=", DOMAIN)]
            )[0]
            seconds = CAPACITY_SECONDS * args.scale
            capacity = []
            for rate in CAPACITY_RATES:
                print(f"== capacity: {rate} orders/min for {seconds:.0f} s", flush=True)
                capacity.append(steady_rate(server, ids, shop_id, rate, seconds))
                wait_until(lambda: jobs_left(server) == 0, 180, 2)
                if not keeps_up(capacity[-1]):
                    break
            second = OdooServer(addons_path=[REPO, BENCH_ADDONS], jobs=0)
            print(f"== scale-out: a second server on {second.url}", flush=True)
            with second:
                Client(second.url, 4).run("bare", [None] * 8)  # its workers load
                storm = duplicate_storm([server, second], ids, shop_id)
                wait_until(lambda: jobs_left(server) == 0, 180, 2)
                per_round = max(10, round(SCALE_OUT_PER_ROUND * args.scale))
                throughput = scale_out_throughput(
                    [server], [server, second], ids, per_round
                )
        server_rows = server_side(server.log, spans)
        fake_stats = fake.stats()
    finally:
        fake.stop()
    if fake_stats["invalid"]:
        sys.exit(f"FAILED: the fake Shopify refused {fake_stats['invalid']} documents")

    notes = []
    if left:
        notes.append(f"{left} jobs still to run")
    if failed:
        notes.append(f"{failed} jobs failed")
    text = report(
        summarize(latencies),
        server_rows,
        info,
        {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "built": count,
            "ours_total": len(ours_ids),
            "built_after": built_after,
            "jobs_note": f" ({', '.join(notes)})" if notes else ", no job failed",
            "load_before": " ".join(load_before),
            "load_after": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
            "order_cost": order_cost_report(cost_rows, runs),
            "million": million_report(phases, args.events),
            "capacity": capacity_report(capacity, seconds),
            "scale_out": scale_out_report(storm, throughput, per_round),
        },
    )
    print(text)
    if not args.no_readme:
        write_readme(text)
        print(f"== written to {README}")


if __name__ == "__main__":
    main()
