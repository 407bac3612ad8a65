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
import copy
import json
import multiprocessing
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
import requests
from odoo_server import (
    REPO,
    OdooServer,
    fixture,
    load_fake_shopify,
    setup_example_shop,
    webhook_headers,
)

SECRET = "benchmark-secret"
DOMAIN = "bench-store.myshopify.com"
WEBHOOK = fixture("webhooks/orders__create.json")
ORDER = fixture("graphql/order_820982911946154508.json")
BENCH_ADDONS = REPO / "tests" / "benchmark_addons"
README = REPO / "README.md"
START, END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"

VARIANTS = ("ours", "bare", "inline")
PATHS = {
    "ours": "/shopify/webhook",
    "bare": "/web/health",
    "inline": "/shopify/webhook/inline",
}
# concurrency -> (rounds, requests per variant over all rounds); inline is slow.
PLAN = {
    1: (10, {"ours": 200, "bare": 200, "inline": 30}),
    20: (5, {"ours": 400, "bare": 400, "inline": 100}),
}
TARGET_BARE, TARGET_INLINE = 1.5, 0.05
REQUEST_TIMEOUT = 100  # seconds; Odoo's limit_time_real is 120


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


class FakeShopifyProcess:
    def __init__(self, order_ids):
        orders = []
        for order_id in order_ids:
            # A new order of a new customer: one customer on every order would make
            # concurrent syncs collide on its res.partner rows, unlike a real burst.
            order = copy.deepcopy(ORDER)
            order.update(
                id=f"gid://shopify/Order/{order_id}", legacyResourceId=order_id
            )
            order["customer"].update(
                id=f"gid://shopify/Customer/{order_id}",
                legacyResourceId=order_id,
                defaultEmailAddress={"emailAddress": f"c{order_id}@example.com"},
            )
            orders.append(order)
        self.conn, child = multiprocessing.Pipe()
        ctx = multiprocessing.get_context("fork")  # before any thread of ours exists
        self.process = ctx.Process(
            target=_serve_fake, args=(child, orders), daemon=True
        )
        self.process.start()
        if not self.conn.poll(120):
            raise RuntimeError("the fake Shopify did not start within 120 s")
        self.url, self.access_token = self.conn.recv()

    def stats(self):
        self.conn.send("stats")
        if not self.conn.poll(30):
            raise RuntimeError("the fake Shopify does not answer")
        return self.conn.recv()

    def stop(self):
        self.conn.send("stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()


# -- requests ---------------------------------------------------------------------


def delivery(order_id):
    """Body and headers of a new, signed orders/create delivery about ``order_id``."""
    body = json.dumps(dict(WEBHOOK, id=int(order_id))).encode()
    headers = webhook_headers(body, SECRET, DOMAIN, "orders/create")
    return body, headers


class Client:
    """Times requests sent by ``concurrency`` threads, each with its own Session."""

    def __init__(self, base_url, concurrency):
        self.base_url = base_url
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="bench")
        self.local = threading.local()

    def _send(self, task):
        variant, prepared = task
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        url = self.base_url + PATHS[variant]
        start = time.perf_counter()
        if prepared is None:
            response = session.get(url, timeout=REQUEST_TIMEOUT)
        else:
            body, headers = prepared
            response = session.post(
                url, data=body, headers=headers, timeout=REQUEST_TIMEOUT
            )
        elapsed = time.perf_counter() - start
        return elapsed, response.status_code, response.text[:300]

    def run(self, variant, prepared):
        """One request per item of ``prepared`` (None: a GET); latencies in ms."""
        results = list(self.pool.map(self._send, [(variant, p) for p in prepared]))
        bad = [(status, text) for _e, status, text in results if status != 200]
        if variant == "inline":
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


def measure(server, ids, scale):
    """Latencies (ms) per (concurrency, variant), the ids of ours deliveries, and the
    server log's span of each concurrency level."""
    latencies, ours_ids, spans = {}, [], {}
    for concurrency, (rounds, totals) in PLAN.items():
        client = Client(server.url, concurrency)
        log_start = server.log.stat().st_size
        for r in range(rounds):
            for variant in VARIANTS[r % 3 :] + VARIANTS[: r % 3]:
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


def percentile(values, q):
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summarize(latencies):
    return {
        key: {
            "n": len(values),
            "mean": statistics.fmean(values),
            "p50": statistics.median(values),
            "p99": percentile(values, 99),
        }
        for key, values in latencies.items()
    }


# werkzeug's access line in Odoo's log: ... "POST /path HTTP/1.1" 200 - 13 0.026 0.023
# (SQL queries, SQL seconds, other seconds of the request in the worker).
ACCESS_RE = re.compile(
    r'"(?:GET|POST) ([^ ?"]+)[^"]*" (\d{3}) - (\d+) ([\d.]+) ([\d.]+)'
)


def server_side(log: Path, spans):
    """Per concurrency level and path: requests, median queries, server ms p50/p99."""
    rows = {}
    with log.open("rb") as fh:
        for concurrency, (start, end) in spans.items():
            fh.seek(start)
            text = fh.read(end - start).decode("utf-8", "replace")
            found = {}
            for path, _status, queries, sql, other in ACCESS_RE.findall(text):
                entry = found.setdefault(path, ([], []))
                entry[0].append(int(queries))
                entry[1].append((float(sql) + float(other)) * 1000)
            for path, (queries, ms) in found.items():
                rows[concurrency, path] = {
                    "n": len(ms),
                    "queries": statistics.median(queries),
                    "p50": statistics.median(ms),
                    "p99": percentile(ms, 99) if len(ms) > 1 else ms[0],
                }
    return rows


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


def write_readme(text, path=README):
    """Replace the block between the markers (inclusive), or append a Performance
    section: nothing else of the file is touched (it is read right before writing)."""
    block = f"{START}\n{text}\n{END}"
    current = path.read_text() if path.exists() else ""
    if START in current and END in current.split(START, 1)[1]:
        head, rest = current.split(START, 1)
        tail = rest.split(END, 1)[1]
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
    args = parser.parse_args()
    # Killed (scripts/benchmark interrupted): stop Odoo and the fake on the way out.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))

    # One new order per ours/inline delivery (warm-up included), with room to spare.
    total = sum(sum(totals.values()) for _rounds, totals in PLAN.values())
    base = random.randrange(10**15, 9 * 10**15)
    order_ids = [
        str(base + i) for i in range(int(100 + 2 * max(args.scale, 1) * total))
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
        },
    )
    print(text)
    if not args.no_readme:
        write_readme(text)
        print(f"== written to {README}")


if __name__ == "__main__":
    main()
