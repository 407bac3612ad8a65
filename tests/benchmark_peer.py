"""Ours beside OCA's shopify_connector 18.0: a benchmark (scripts/benchmark --peer).

Two real Odoo servers with the same settings (4 HTTP workers, the queue_job runner
with ``root:2,root.shopify:2``, the same limits), each on its own database: ours with
shopify_webhook_sync, the peer with shopify_connector installed from its published
wheel into a benchmark-only addons path (the two define models of the same name). Both
read from a fake Shopify of their own (tests' fake_shopify, in a child process); the
peer's client only speaks https, so its fake serves TLS with a certificate made for
the run, trusted by the peer's server alone (REQUESTS_CA_BUNDLE).

Measured in ONE run, interleaved in rounds whose order rotates (so that both share the
noise of a shared machine), the client timing each request:

* ack latency p50/p99 at 1 and 20 concurrent senders, ours and the peer, each beside
  /web/health on its own server; the ack's cost inside the worker (Odoo's access log);
* ingest throughput: deliveries per second at 20 senders (rounds' wall clock);
* event -> record at a steady rate of new orders sent to both;
* a Shopify outage: both fakes answer 503, 400 new orders are delivered to each
  server (400 jobs backed up), then acks are timed again while the jobs meet the
  outage; then Shopify comes back and what each server built is counted.

Needs SWS_SYSTEM_DB (shopify_webhook_sync installed), SWS_PEER_DB (shopify_connector
installed), SWS_PEER_ADDONS, SWS_PEER_SPEC, SWS_ODOO_BIN and SWS_RUN_DIR.
"""

import argparse
import ast
import os
import random
import signal
import ssl
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
from benchmark_ack import access_rows, machine, wait_until, write_readme
from benchmark_common import (
    DOMAIN,
    SECRET,
    ChildProcess,
    delivery,
    latency_stats,
    new_orders,
    percentile,
    timed_request,
)
from odoo_server import OdooServer, load_fake_shopify, setup_example_shop

START, END = "<!-- benchmark-peer:start -->", "<!-- benchmark-peer:end -->"

VARIANTS = ("ours", "ours_health", "peer", "peer_health")
LABELS = {
    "ours": "ours `POST /shopify/webhook`",
    "ours_health": "ours' `GET /web/health`",
    "peer": "peer `POST /shopify/webhook/<id>`",
    "peer_health": "peer's `GET /web/health`",
}
# concurrency -> (rounds, requests per variant over all rounds)
PLAN = {1: (6, 120), 20: (4, 400)}
OUTAGE_PLAN = {1: (2, 40), 20: (2, 160)}
OUTAGE_BACKLOG = 400
STEADY_RATE, STEADY_SECONDS = 40, 90  # orders per minute to each server


# -- the fake Shopify of each server, in a child process ----------------------------


def make_certificate(directory: Path):
    """A self-signed certificate for 127.0.0.1 (the peer's fake serves https)."""
    cert, key = directory / "fake-shopify.crt", directory / "fake-shopify.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def start_tls_fake(module, cert, key):
    """A FakeShopify answering over TLS on 127.0.0.1: its own server of the fake's
    handler, each connection wrapped in its handler thread."""
    fake = module.FakeShopify()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    class TlsServer(module._Server):
        def finish_request(self, request, client_address):
            try:
                request = context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
            super().finish_request(request, client_address)

    handler = type("Handler", (module._Handler,), {"fake": fake})
    fake._server = TlsServer(("127.0.0.1", 0), handler)
    fake._thread = threading.Thread(target=fake._server.serve_forever, daemon=True)
    fake._thread.start()
    host, port = fake._server.server_address[:2]
    return fake, f"{host}:{port}"


def _serve_fakes(conn, orders, cert, key):
    module = load_fake_shopify()
    ours = module.FakeShopify().start()
    peer, peer_host = start_tls_fake(module, cert, key)
    for order in orders:
        ours.add(order)
        peer.add(order)
    conn.send((ours.url, ours.access_token, peer_host, peer.access_token))
    fakes = {"ours": ours, "peer": peer}
    try:
        while True:
            command = conn.recv()
            if command == "stats":
                conn.send(
                    {
                        name: {
                            "requests": len(fake.requests),
                            "status": [r["status"] for r in fake.requests],
                            "invalid": [
                                error
                                for document in fake.invalid_documents
                                for error in document["errors"]
                            ],
                        }
                        for name, fake in fakes.items()
                    }
                )
            elif command == "outage":
                for fake in fakes.values():
                    fake.fail_next("503", 100_000)  # more than any outage here asks
                conn.send("ok")
            elif command == "back":
                for fake in fakes.values():
                    with fake._lock:
                        fake._failures.clear()
                conn.send("ok")
            else:
                break
    except EOFError:
        pass
    for fake in fakes.values():
        fake.stop()


class Fakes(ChildProcess):
    """Both fakes in a child process (their GraphQL execution must not hold this
    process's GIL while the client threads time requests)."""

    def __init__(self, order_ids, run_dir):
        self.cert, key = make_certificate(run_dir)
        super().__init__(_serve_fakes, (new_orders(order_ids), self.cert, key), 180)
        self.url, self.access_token, self.peer_host, self.peer_token = self.ready


# -- requests ---------------------------------------------------------------------


class Sender:
    """Times requests sent by ``concurrency`` threads, each with its own Session."""

    def __init__(self, concurrency):
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="bench")
        self.local = threading.local()

    def send(self, task):
        elapsed, response = timed_request(self.local, *task)
        return elapsed, response.status_code

    def run(self, tasks):
        """Latencies (ms) of ``tasks`` and the wall clock (s) of all of them."""
        start = time.perf_counter()
        results = list(self.pool.map(self.send, tasks))
        wall = time.perf_counter() - start
        bad = [status for _e, status in results if status != 200]
        if bad:
            sys.exit(f"FAILED: {len(bad)} of {len(results)} answers were {bad[:5]}")
        return [elapsed * 1000 for elapsed, _s in results], wall

    def close(self):
        self.pool.shutdown()


class Bench:
    """Both servers, the fakes and the ids of new orders."""

    def __init__(self, ours, peer, peer_instance, ids):
        self.ours, self.peer, self.peer_instance = ours, peer, peer_instance
        self.ids = ids
        self.sent = {"ours": [], "peer": []}  # (order id, webhook id)

    def tasks(self, variant, n):
        if variant == "ours_health":
            return [(self.ours.url + "/web/health", None)] * n
        if variant == "peer_health":
            return [(self.peer.url + "/web/health", None)] * n
        url = (
            self.ours.url + "/shopify/webhook"
            if variant == "ours"
            else f"{self.peer.url}/shopify/webhook/{self.peer_instance}"
        )
        tasks = []
        for _i in range(n):
            order_id = next(self.ids)
            prepared = delivery(order_id)
            self.sent[variant].append(
                (order_id, prepared[1]["X-Shopify-Webhook-Id"], time.time())
            )
            tasks.append((url, prepared))
        return tasks

    def measure(self, plan, scale, label):
        """Interleaved rounds: latencies and wall clocks per (concurrency, variant),
        and both server logs' spans per concurrency."""
        latencies, walls, spans = {}, {}, {}
        for concurrency, (rounds, total) in plan.items():
            sender = Sender(concurrency)
            marks = (self.ours.log.stat().st_size, self.peer.log.stat().st_size)
            n = max(2, round(total * scale / rounds))
            for r in range(rounds):
                shift = r % len(VARIANTS)
                for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                    ms, wall = sender.run(self.tasks(variant, n))
                    latencies.setdefault((concurrency, variant), []).extend(ms)
                    walls.setdefault((concurrency, variant), []).append(wall)
                print(f"   {label}, {concurrency} sender(s): round {r + 1}/{rounds}")
            sender.close()
            spans[concurrency] = (
                (marks[0], self.ours.log.stat().st_size),
                (marks[1], self.peer.log.stat().st_size),
            )
        return latencies, walls, spans


# -- what each server did --------------------------------------------------------------


def query(db, sql, params=()):
    cnx = psycopg2.connect(dbname=db)
    try:
        with cnx.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()
    finally:
        cnx.close()


def jobs_by_state(server):
    return dict(query(server.db, "SELECT state, count(*) FROM queue_job GROUP BY 1"))


def jobs_busy(server):
    states = ("wait_dependencies", "pending", "enqueued", "started")
    return sum(n for state, n in jobs_by_state(server).items() if state in states)


def ours_built(server, order_ids):
    return query(
        server.db,
        "SELECT count(*) FROM shopify_order_binding WHERE shopify_id = ANY(%s)",
        [[str(order_id) for order_id in order_ids]],
    )[0][0]


def peer_built(server, order_ids):
    """The peer's sale orders of ``order_ids`` (its order bindings that got one)."""
    gids = [f"gid://shopify/Order/{order_id}" for order_id in order_ids]
    return query(
        server.db,
        "SELECT count(*) FROM shopify_order WHERE shopify_id = ANY(%s)"
        " AND odoo_id IS NOT NULL",
        [gids],
    )[0][0]


def ours_event_to_record(server, order_ids, shop_id):
    """Seconds from each order job's creation (the ack's transaction) to its end."""
    rows = query(
        server.db,
        "SELECT EXTRACT(EPOCH FROM date_done - date_created) FROM queue_job"
        " WHERE identity_key = ANY(%s) AND state = 'done'",
        [[f"{shop_id}:order:{order_id}" for order_id in order_ids]],
    )
    return [float(seconds) for (seconds,) in rows]


def peer_event_times(server, sent):
    """Per delivery: seconds from the event's creation to its dispatch job's end, and
    to the start of the order import job that dispatch queued (queue_job keeps no
    end time for a failed job), with that job's state and error."""
    webhook_ids = [webhook_id for _o, webhook_id, _t in sent]
    rows = query(
        server.db,
        """
        SELECT e.webhook_id,
               EXTRACT(EPOCH FROM d.date_done - e.create_date),
               EXTRACT(EPOCH FROM i.date_started - e.create_date),
               i.state, i.exc_message
          FROM shopify_webhook_event e
          LEFT JOIN queue_job d
            ON d.identity_key = 'shopify.webhook.dispatch.' || e.instance_id
               || '.' || e.webhook_id
          LEFT JOIN queue_job i
            ON i.identity_key LIKE 'shopify.order.webhook.%%.' || e.webhook_id
         WHERE e.webhook_id = ANY(%s)
        """,
        [webhook_ids],
    )
    return rows


def setup_peer(server, fakes):
    """A shopify.instance of the peer reading from its (https) fake, with the
    benchmark's webhook secret; the admin becomes its Shopify manager (the token and
    the secret are fields of that group)."""
    group = server.rpc(
        "ir.model.data",
        "search_read",
        [("module", "=", "shopify_connector"), ("name", "=", "group_shopify_manager")],
        ["res_id"],
    )[0]["res_id"]
    server.rpc("res.users", "write", [2], {"groups_id": [(4, group)]})
    return server.rpc(
        "shopify.instance",
        "create",
        {
            "name": "bench-store",
            "shop_url": fakes.peer_host,
            "access_token": fakes.peer_token,
            "webhook_secret": SECRET,
        },
    )


def peer_version(addons):
    manifest = Path(addons, "shopify_connector", "__manifest__.py").read_text()
    return ast.literal_eval(manifest)["version"]


# -- the run --------------------------------------------------------------------------


def warm_up(bench):
    """Every worker of both servers loads its registry and serves every route. One
    order alone first: it creates what all orders share (its tags), which concurrent
    first syncs would race to create."""
    first = Sender(1)
    first.run(bench.tasks("ours", 1))
    first.close()
    order_id = bench.sent["ours"][-1][0]
    if not wait_until(lambda: ours_built(bench.ours, [order_id]), 180, 1):
        sys.exit("FAILED: the first order was not built within 180 s")
    for concurrency, count in ((1, 4), (4, 16), (8, 32)):
        sender = Sender(concurrency)
        for variant in VARIANTS:
            sender.run(bench.tasks(variant, count))
        sender.close()
    for server in (bench.ours, bench.peer):
        if not wait_until(lambda s=server: jobs_busy(s) == 0, 300, 2):
            sys.exit(f"FAILED: the warm-up's jobs were not done on {server.url}")


def steady_rate(bench, rate, seconds):
    """New orders at ``rate`` per minute to each server, alternating (open loop), for
    ``seconds``; then the wait for both servers' jobs. Acks (ms) per variant."""
    sender = Sender(20)
    interval, start = 60 / rate / 2, time.monotonic()
    futures, marks = [], {v: len(bench.sent[v]) for v in ("ours", "peer")}
    k = 0
    while k * interval < seconds:
        delay = start + k * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        variant = ("ours", "peer")[k % 2]
        futures.append(
            (variant, sender.pool.submit(sender.send, *bench.tasks(variant, 1)))
        )
        k += 1
    acks = {"ours": [], "peer": []}
    for variant, future in futures:
        elapsed, status = future.result()
        if status != 200:
            sys.exit(f"FAILED: a {variant} delivery was answered {status}")
        acks[variant].append(elapsed * 1000)
    sender.close()
    for server in (bench.ours, bench.peer):
        wait_until(lambda s=server: jobs_busy(s) == 0, 300, 1)
    sent = {v: bench.sent[v][marks[v] :] for v in ("ours", "peer")}
    return acks, sent


def outage(bench, fakes, scale):
    """Shopify answers 503; OUTAGE_BACKLOG new orders to each server (20 senders,
    alternating batches), acks timed again with that backlog, Shopify back."""
    fakes.ask("outage")
    backlog = OUTAGE_BACKLOG  # whatever --scale: the backlog is the point
    sender, marks = Sender(20), {v: len(bench.sent[v]) for v in ("ours", "peer")}
    filling = {"ours": [], "peer": []}
    batch = 50
    for i in range(0, backlog, batch):
        for variant in ("ours", "peer") if (i // batch) % 2 == 0 else ("peer", "ours"):
            ms, _wall = sender.run(bench.tasks(variant, min(batch, backlog - i)))
            filling[variant].extend(ms)
    sender.close()
    before = {name: jobs_by_state(s) for name, s in servers(bench)}
    print(f"   {backlog} orders delivered to each server; jobs: {before}")
    latencies, walls, spans = bench.measure(OUTAGE_PLAN, scale, "outage")
    after = {name: jobs_by_state(s) for name, s in servers(bench)}
    sent = {v: bench.sent[v][marks[v] :] for v in ("ours", "peer")}
    return {
        "backlog": backlog,
        "filling": filling,
        "latencies": latencies,
        "walls": walls,
        "spans": spans,
        "jobs_before": before,
        "jobs_after": after,
        "sent": sent,
    }


def servers(bench):
    return (("ours", bench.ours), ("peer", bench.peer))


def recovery(bench, fakes, sent, timeout):
    """Shopify back: seconds until ours built every order of the outage (at most
    ``timeout``), and what each server built or failed by then."""
    fakes.ask("back")
    back = time.monotonic()
    ours_ids = [order_id for order_id, _w, _t in sent["ours"]]
    done = wait_until(
        lambda: ours_built(bench.ours, ours_ids) == len(ours_ids), timeout, 2
    )
    return {
        "seconds": time.monotonic() - back,
        "complete": bool(done),
        "ours_built": ours_built(bench.ours, ours_ids),
        "peer_built": peer_built(bench.peer, [o for o, _w, _t in sent["peer"]]),
        "jobs": {name: jobs_by_state(s) for name, s in servers(bench)},
    }


# -- the report ---------------------------------------------------------------------


def worker_rows(spans, ours_log, peer_log):
    """Per concurrency: the access-log rows of both servers, the peer's webhook path
    (it carries the instance id) folded into one."""
    rows = {}
    for concurrency, (ours_span, peer_span) in spans.items():
        for server, log, span in (
            ("ours", ours_log, ours_span),
            ("peer", peer_log, peer_span),
        ):
            for path, row in access_rows(log, *span).items():
                if path.startswith("/shopify/webhook/"):
                    path = "/shopify/webhook/<id>"
                rows[concurrency, server, path] = row
    return rows


def latency_table(latencies, walls):
    lines = [
        "| Senders | Route | Requests | p50 ms | p99 ms | ÷ its server's "
        "/web/health, p50 | p99 | Deliveries/s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for concurrency in sorted({c for c, _v in latencies}):
        for variant in VARIANTS:
            s = latency_stats(latencies[concurrency, variant])
            health = latency_stats(
                latencies[concurrency, variant.split("_")[0] + "_health"]
            )
            ratio = (
                f"{s['p50'] / health['p50']:.2f}× | {s['p99'] / health['p99']:.2f}×"
                if not variant.endswith("health")
                else "– | –"
            )
            rate = (
                f"{s['n'] / sum(walls[concurrency, variant]):.1f}"
                if concurrency > 1 and not variant.endswith("health")
                else "–"
            )
            lines.append(
                f"| {concurrency} | {LABELS[variant]} | {s['n']} | {s['p50']:.1f} "
                f"| {s['p99']:.1f} | {ratio} | {rate} |"
            )
    return "\n".join(lines)


def worker_table(rows):
    lines = [
        "| Senders | Server | Route | Requests | SQL queries (median) "
        "| Worker ms p50 | Worker ms p99 |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for (concurrency, server, path), row in sorted(rows.items()):
        if path == "/queue_job/runjob" or path.startswith(("/shopify", "/web/health")):
            lines.append(
                f"| {concurrency} | {server} | `{path}` | {row['n']} "
                f"| {row['queries']:.0f} | {row['p50']:.1f} | {row['p99']:.1f} |"
            )
    return "\n".join(lines)


def cost_lines(rows, latencies):
    lines = []
    for concurrency in sorted({c for c, _s, _p in rows}):
        ours = rows.get((concurrency, "ours", "/shopify/webhook"))
        health = rows.get((concurrency, "ours", "/web/health"))
        if not ours or not health:
            continue
        p99 = (
            latency_stats(latencies[concurrency, "ours"])["p99"]
            / latency_stats(latencies[concurrency, "ours_health"])["p99"]
        )
        worker = ours["p50"] / health["p50"]
        lines.append(
            f"- {concurrency} sender{'s' if concurrency > 1 else ''}: in the worker "
            f"the ack takes {worker:.2f}× the time of `/web/health` (p50, "
            f"{ours['queries']:.0f} SQL queries against {health['queries']:.0f}; "
            f"target ≤ 2.5×: **{'met' if worker <= 2.5 else 'not met'}**); ack p99 "
            f"{p99:.2f}× `/web/health`'s"
            + (
                " (target ≤ 1.5× at 20 senders: "
                f"**{'met' if p99 <= 1.5 else 'not met'}**)."
                if concurrency > 1
                else "."
            )
        )
    return "\n".join(lines)


def steady_report(acks, ours_times, peer_rows, rate, seconds):
    ours_ack, peer_ack = latency_stats(acks["ours"]), latency_stats(acks["peer"])
    lines = [
        f"Event→record at a steady rate: {rate} new orders a minute to each server "
        f"(alternating, open loop) for {seconds:.0f} s.",
        "",
        "| | Sent | ack p50 ms | ack p99 ms | What was measured | p50 s | p95 s "
        "| Records built |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    if ours_times:
        lines.append(
            f"| ours | {ours_ack['n']} | {ours_ack['p50']:.1f} | {ours_ack['p99']:.1f} "
            "| event → sale order (the job's creation by the ack → its end) "
            f"| {statistics.median(ours_times):.1f} "
            f"| {percentile(ours_times, 95):.1f} "
            f"| {len(ours_times)} |"
        )
    dispatch = [float(d) for _w, d, _i, _s, _e in peer_rows if d is not None]
    imported = [float(i) for _w, _d, i, _s, _e in peer_rows if i is not None]
    states = {}
    for _w, _d, _i, state, _e in peer_rows:
        states[state] = states.get(state, 0) + 1
    for label, values in (
        ("event → its dispatch job done", dispatch),
        ("event → its order import job started", imported),
    ):
        if values:
            lines.append(
                f"| peer | {peer_ack['n']} | {peer_ack['p50']:.1f} "
                f"| {peer_ack['p99']:.1f} | {label} | {statistics.median(values):.1f} "
                f"| {percentile(values, 95):.1f} "
                f"| {'–' if 'dispatch' in label else states.get('done', 0)} |"
            )
    lines.append(
        "\nThe peer's order import jobs ended: "
        + ", ".join(f"{n} {state}" for state, n in sorted(states.items(), key=str))
        + "."
    )
    return "\n".join(lines)


def outage_report(out, rec, ours_log, peer_log):
    lines = [
        f"A Shopify outage: both fakes answer every request 503; {out['backlog']} new "
        "orders are delivered to each server (20 senders), then the acks are timed "
        "again, interleaved as above, while those jobs meet the outage.",
        "",
        f"Acks while the {out['backlog']} orders were delivered: ours p50 "
        f"{latency_stats(out['filling']['ours'])['p50']:.1f} ms, p99 "
        f"{latency_stats(out['filling']['ours'])['p99']:.1f} ms; the peer p50 "
        f"{latency_stats(out['filling']['peer'])['p50']:.1f} ms, p99 "
        f"{latency_stats(out['filling']['peer'])['p99']:.1f} ms.",
        "",
        latency_table(out["latencies"], out["walls"]),
        "",
        worker_table(worker_rows(out["spans"], ours_log, peer_log)),
        "",
        "Jobs by state when the timing started: ours "
        f"{fmt(out['jobs_before']['ours'])}; "
        f"the peer {fmt(out['jobs_before']['peer'])}. When it ended: ours "
        f"{fmt(out['jobs_after']['ours'])}; the peer {fmt(out['jobs_after']['peer'])}.",
        "",
        f"Shopify back: ours had built {rec['ours_built']} of the "
        f"{len(out['sent']['ours'])} orders delivered during the outage after "
        f"{rec['seconds']:.0f} s"
        f"{'' if rec['complete'] else ' (the wait stopped there)'}; the peer "
        f"{rec['peer_built']} of {len(out['sent']['peer'])}. Jobs then: ours "
        f"{fmt(rec['jobs']['ours'])}; the peer {fmt(rec['jobs']['peer'])}.",
    ]
    return "\n".join(lines)


def fmt(states):
    return ", ".join(f"{n} {state}" for state, n in sorted(states.items())) or "none"


REPORT = """\
Ours beside the OCA peer, measured by `scripts/benchmark --peer`
(`tests/benchmark_peer.py`) on {date}, {command}.

- **ours**: `shopify_webhook_sync` on its own database and server.
- **peer**: OCA `shopify_connector` {peer_version} (`{peer_spec}` from PyPI), installed
  by the benchmark into a benchmark-only addons path (`$SWS_HOME/peer`, never a
  dependency of the product) on its own database and server (its models
  `shopify.webhook.event` and others clash with ours). Its webhook route is
  `POST /shopify/webhook/<instance id>` (`auth="public"`): it reads the instance,
  checks the size, verifies the HMAC of the raw body with the instance's client
  secret (`hmac.compare_digest`), searches the event by webhook id, creates it in a
  savepoint and queues a dispatch job; the dispatch job queues an order import job,
  which fetches the order by GraphQL (`https://<shop>/admin/api/2026-01/graphql.json`,
  3 retries sleeping 1, 2 and 4 s in the job on a 429 or 5xx).
- Both servers: 4 HTTP workers, `[queue_job] channels = root:2,root.shopify:2`,
  `max_cron_threads = 0`, `limit_time_real = 120`, log level info; Shopify is the
  tests' fake (the peer's over https with a certificate made for the run). Every
  delivery is a new order (5 lines) of a new customer.

Ack latency (client-side, from connecting to the last byte), 1 and 20 concurrent
senders, interleaved in rotating rounds; deliveries per second at 20 senders from the
rounds' wall clock:

{latency}

Inside the workers (each server's access log over the rounds above):

{workers}

The ack's cost beside `/web/health` on ours:

{cost}

{steady}

{peer_flow}

{outage}

Load average before / after the run: {load_before} / {load_after} ({nproc} cores; the
machine was shared with other test runs).

| Machine | |
|---|---|
{machine_lines}"""


def peer_flow_note(invalid):
    if not invalid:
        return "The peer's GraphQL documents all validated against the fake's schema."
    counts = {}
    for error in invalid:
        counts[error] = counts.get(error, 0) + 1
    worst = max(counts, key=counts.get)
    return (
        "The peer builds no sale order against the fake: its order query asks for "
        "a field Shopify's Admin schema (2026-10, the version the fake validates "
        f"against) does not have — the fake refused {len(invalid)} of its documents "
        f"with “{worst}”, and the peer fails the import job on that error. So its "
        "event→record time cannot be measured; the table shows what can: the "
        "event → its dispatch job done, and → its order import job started (which "
        "then reached Shopify and failed at once)."
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="request counts × this"
    )
    parser.add_argument(
        "--no-readme", action="store_true", help="only print the report"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    run_dir = Path(os.environ["SWS_RUN_DIR"])
    peer_addons = os.environ["SWS_PEER_ADDONS"]

    total = 4 * 2 * 60 + 2 * sum(t for _r, t in PLAN.values())
    total += 2 * sum(t for _r, t in OUTAGE_PLAN.values()) + 2 * OUTAGE_BACKLOG
    total += STEADY_RATE * STEADY_SECONDS // 30
    base = random.randrange(10**15, 9 * 10**15)
    order_ids = [str(base + i) for i in range(int(300 + total * max(args.scale, 1)))]
    ids = iter(order_ids)
    load_before = Path("/proc/loadavg").read_text().split()[:3]

    print("== fake Shopify for each server (child process)", flush=True)
    fakes = Fakes(order_ids, run_dir)
    try:
        ours = OdooServer()
        peer = OdooServer(
            db=os.environ["SWS_PEER_DB"],
            addons_path=[peer_addons],
            server_wide="base,web,queue_job",
            env={"REQUESTS_CA_BUNDLE": str(fakes.cert)},
        )
        print(f"== ours on {ours.url}, the peer on {peer.url}", flush=True)
        with ours, peer:
            setup_example_shop(ours.rpc, fakes, DOMAIN, SECRET)
            shop_id = ours.rpc(
                "shopify.shop", "search", [("shop_domain", "=", DOMAIN)]
            )[0]
            instance = setup_peer(peer, fakes)
            bench = Bench(ours, peer, instance, ids)
            print("== warm-up", flush=True)
            warm_up(bench)
            print("== ack latency", flush=True)
            latencies, walls, spans = bench.measure(PLAN, args.scale, "ack")
            rows = worker_rows(spans, ours.log, peer.log)
            for server in (ours, peer):
                wait_until(lambda s=server: jobs_busy(s) == 0, 600, 2)
            seconds = STEADY_SECONDS * max(args.scale, 0.34)
            print(f"== steady rate: {STEADY_RATE}/min to each for {seconds:.0f} s")
            acks, sent = steady_rate(bench, STEADY_RATE, seconds)
            ours_times = ours_event_to_record(
                ours, [o for o, _w, _t in sent["ours"]], shop_id
            )
            peer_rows = peer_event_times(peer, sent["peer"])
            print("== Shopify outage", flush=True)
            out = outage(bench, fakes, args.scale)
            print("== Shopify back", flush=True)
            rec = recovery(bench, fakes, out["sent"], max(120, 600 * args.scale))
            info = machine(ours)
            fake_stats = fakes.ask("stats")
    finally:
        fakes.stop()
    if fake_stats["ours"]["invalid"]:
        sys.exit(f"FAILED: the fake refused ours: {fake_stats['ours']['invalid'][:3]}")
    command = "scripts/benchmark --peer" + (
        f" --scale {args.scale:g}" if args.scale != 1 else ""
    )
    text = REPORT.format(
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        command=f"`{command}`",
        peer_version=peer_version(peer_addons),
        peer_spec=os.environ.get("SWS_PEER_SPEC", "odoo-addon-shopify-connector"),
        latency=latency_table(latencies, walls),
        workers=worker_table(rows),
        cost=cost_lines(rows, latencies),
        steady=steady_report(acks, ours_times, peer_rows, STEADY_RATE, seconds),
        peer_flow=peer_flow_note(fake_stats["peer"]["invalid"]),
        outage=outage_report(out, rec, ours.log, peer.log),
        load_before=" ".join(load_before),
        load_after=" ".join(Path("/proc/loadavg").read_text().split()[:3]),
        nproc=os.cpu_count(),
        machine_lines="\n".join(f"| {k} | {v} |" for k, v in info.items()),
    )
    print(text)
    if not args.no_readme:
        write_readme(text, start=START, end=END)
        print("== written to README.md")


if __name__ == "__main__":
    main()
