"""Hostile deliveries against the real server (4 HTTP workers, the job runner): bodies
and headers mutated at random and by the known cases (UTF-16/32 JSON, NULs, deep
nesting, 8 KB header values, non-ASCII digits, huge ids, malformed chunked bodies over a
raw socket, other methods, wrong signatures, truncated bodies). Never a 5xx, nothing
stored for a refusal, and the server still answers afterwards."""

import json
import random
import re
import socket
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from odoo_server import (
    OdooServer,
    fixture_bytes,
    load_fake_shopify,
    setup_example_shop,
    sign,
)

SECRET = "fuzz-secret"
DOMAIN = "fuzz-store.myshopify.com"
ORDER = fixture_bytes("webhooks/orders__create.json")
MIN_DELIVERIES = 500
# What Odoo logs when a request fails (odoo.http, werkzeug, a 5xx webhook answer).
REQUEST_ERROR = re.compile(
    rb"ERROR \S+ (odoo\.http|werkzeug|odoo\.addons\.shopify_webhook_sync\.controllers)"
    rb'|Exception during request handling|/shopify/webhook[^"]*" 5\d\d '
)


@pytest.fixture(scope="module")
def odoo():
    fake = load_fake_shopify().FakeShopify().start()
    try:
        with OdooServer() as server:
            setup_example_shop(server.rpc, fake, DOMAIN, SECRET)
            yield server
    finally:
        fake.stop()


class Delivery:
    """One request: ``body`` is signed with the shop's secret after mutation;
    ``headers`` override Shopify's (None removes one)."""

    def __init__(self, case, body=ORDER, headers=None, method="POST", query=""):
        self.case, self.body, self.method = case, body, method
        self.webhook_id = f"fuzz-{uuid.uuid4()}"
        self.headers = {
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": sign(body, SECRET),
            "X-Shopify-Shop-Domain": DOMAIN,
            "X-Shopify-Webhook-Id": self.webhook_id,
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-API-Version": "2026-10",
            "X-Shopify-Triggered-At": "2026-11-27T10:00:00.123Z",
            "Content-Type": "application/json",
        } | (headers or {})
        self.headers = {k: v for k, v in self.headers.items() if v is not None}
        self.query = query

    def send(self, url: str) -> int:
        """HTTP status, sent over a raw socket: requests and http.client refuse to
        send some of these headers (NUL, non-latin-1)."""
        head = [f"{self.method} /shopify/webhook{self.query} HTTP/1.1", "Host: fuzz"]
        head += [f"{name}: {value}" for name, value in self.headers.items()]
        head += [f"Content-Length: {len(self.body)}", "Connection: close"]
        request = "\r\n".join(head).encode("utf-8", "surrogateescape") + b"\r\n\r\n"
        return raw_exchange(url, request + self.body)


def raw_exchange(url: str, data: bytes, timeout=60) -> int:
    """Send ``data``, half-close, return the status of the answer (0: none)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server answered (413) and closed before reading it all
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n" in answer:
                    break
        except OSError:
            pass
    status_line = answer.split(b"\r\n", 1)[0].split()
    return int(status_line[1]) if len(status_line) > 1 else 0


def chunked(body: bytes, size=1000) -> bytes:
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


def chunked_request(body: bytes, headers: dict, extra_head=b"") -> bytes:
    head = [b"POST /shopify/webhook HTTP/1.1", b"Host: fuzz"]
    head += [f"{k}: {v}".encode() for k, v in headers.items()]
    head += [b"Transfer-Encoding: chunked", b"Connection: close"]
    return b"\r\n".join(head) + extra_head + b"\r\n\r\n" + body


def order_with(**changes) -> bytes:
    payload = json.loads(ORDER)
    payload.update(changes)
    return json.dumps(payload).encode()


def known_cases() -> list[Delivery]:
    """The cases a review found (issue 7) and their neighbours."""
    text = ORDER.decode()
    deep = b'{"id": 1, "n": %s}'
    cases = [
        Delivery(f"body in {encoding}", text.encode(encoding))
        for encoding in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le")
    ]
    cases += [
        Delivery(f"nested {n} deep", deep % (b"[" * n + b"]" * n))
        for n in (65, 1000, 5000, 100_000)
    ]
    cases += [
        Delivery(f"nested {n} objects deep", b'{"a":' * n + b"1" + b"}" * n)
        for n in (1000, 50_000)
    ]
    cases += [
        Delivery("NUL in body", ORDER[:50] + b"\x00" + ORDER[50:]),
        Delivery("NUL escape", order_with(note="a\u0000b")),
        Delivery("lone surrogate", ORDER[:-1] + b', "n": "\\udc80"}'),
        Delivery("encoded surrogate", ORDER[:-1] + b', "n": "\xed\xb2\x80"}'),
        Delivery("latin-1 body", text.replace("Bob", "B\xf6b").encode("latin-1")),
        Delivery("BOM", b"\xef\xbb\xbf" + ORDER),
        Delivery("NaN", ORDER[:-1] + b', "n": NaN}'),
        Delivery("JSON array", b"[" + ORDER + b"]"),
        Delivery("JSON string", b'"order"'),
        Delivery("empty body", b""),
        Delivery("over 5 MB", order_with(pad="x" * (5 * 1024 * 1024))),
    ]
    for value in (
        '"\u0661\u0662\u0663"',
        '"\uff11\uff12\uff13"',
        '"\u00b2"',
        "1" * 10_000,
        "1" * 21,
        str(2**64),
        "0",
        "-820982911946154508",
        "8.2e17",
        "1.5",
        "true",
        "null",
        '"820982911946154508 "',
        '"0x10"',
        "[1]",
        "{}",
    ):
        cases.append(Delivery(f"id {value[:20]}", f'{{"id": {value}}}'.encode()))
    headers = [
        "X-Shopify-Topic",
        "X-Shopify-Webhook-Id",
        "X-Shopify-Event-Id",
        "X-Shopify-API-Version",
        "X-Shopify-Triggered-At",
        "X-Shopify-Hmac-Sha256",
        "X-Shopify-Shop-Domain",
    ]
    for name in headers:
        for label, value in (
            ("NUL", "orders\x00create"),
            ("8 KB", "x" * 8192),
            ("257 chars", "x" * 257),
            ("latin-1 byte", "ord\udce9rs"),  # raw byte E9 on the wire
            ("UTF-8 bytes", "ord\udcc3\udca9rs"),  # raw bytes C3 A9 on the wire
            ("control", "orders\x01"),
            ("DEL", "orders\x7f"),
        ):
            cases.append(Delivery(f"{name} {label}", headers={name: value}))
    for name in headers[:3] + headers[5:]:
        cases.append(Delivery(f"{name} missing", headers={name: None}))
    for domain in (
        f"{DOMAIN}\x00",
        "fuzz-store\x00.myshopify.com",
        f"{DOMAIN}.evil.test",
        "fuzz store.myshopify.com",
        "-fuzz.myshopify.com",
        "x" * 64 + ".myshopify.com",
        "unknown-store.myshopify.com",
        "FUZZ-STORE.MYSHOPIFY.COM",  # Shopify's own domain, upper-cased: accepted
    ):
        cases.append(
            Delivery(
                f"domain {domain[:30]!r}", headers={"X-Shopify-Shop-Domain": domain}
            )
        )
    for signature in (
        "",
        "garbage",
        sign(ORDER, "not-the-secret"),
        sign(ORDER + b" ", SECRET),
        sign(ORDER, SECRET)[:-4],
        sign(ORDER, SECRET).lower(),
    ):
        header = {"X-Shopify-Hmac-Sha256": signature or None}
        cases.append(Delivery(f"signature {signature[:10]!r}", headers=header))
    for method in ("OPTIONS", "GET", "PUT", "PATCH", "DELETE", "HEAD"):
        cases.append(Delivery(f"method {method}", method=method))
    for length in (0, 1, 10, len(ORDER) // 2, len(ORDER) - 1):
        cases.append(Delivery(f"truncated at {length}", ORDER[:length]))
    cases += [
        Delivery("query string", query="?debug=1&id=2&shop=x"),
        Delivery(
            "form content type",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        Delivery(
            "multipart content type",
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        ),
        Delivery("text content type", headers={"Content-Type": "text/plain"}),
        Delivery("unhandled topic", headers={"X-Shopify-Topic": "carts/update"}),
    ]
    return cases


def random_cases(rng: random.Random, count: int) -> list[Delivery]:
    """Byte-level mutations of the published order, each signed after mutation (a
    sender with the secret): flips, inserts, deletions, truncations, splices."""
    special = [b"\x00", b"\xff", b"\xc3", b'"', b"\\", b"[", b"{", b"\\u0000", b"\n"]
    cases = []
    for n in range(count):
        body = bytearray(ORDER)
        for _edit in range(rng.randint(1, 4)):
            at = rng.randrange(len(body))
            kind = rng.choice(("flip", "insert", "delete", "truncate", "splice"))
            if kind == "flip":
                body[at] ^= 1 << rng.randrange(8)
            elif kind == "insert":
                body[at:at] = rng.choice(special)
            elif kind == "delete":
                del body[at : at + rng.randint(1, 20)]
            elif kind == "truncate":
                del body[at:]
            else:
                body[at:at] = body[rng.randrange(len(body)) :][:200]
            if not body:
                body = bytearray(b"{")
        cases.append(Delivery(f"random body {n}", bytes(body)))
    return cases


def raw_cases(url: str) -> list[tuple[str, bytes]]:
    """Requests only a raw socket can send: malformed chunked bodies, lying lengths."""

    def headers(body):
        return Delivery("", body).headers

    good = chunked(ORDER)
    return [
        ("chunked, well formed", chunked_request(good, headers(ORDER))),
        (
            "chunked, bad size",
            chunked_request(b"zz\r\n" + ORDER + b"\r\n0\r\n\r\n", headers(ORDER)),
        ),
        (
            "chunked, negative size",
            chunked_request(b"-5\r\nabcde\r\n0\r\n\r\n", headers(ORDER)),
        ),
        (
            "chunked, size too large",
            chunked_request(b"ffff\r\n" + ORDER + b"\r\n", headers(ORDER)),
        ),
        (
            "chunked, huge size",
            chunked_request(b"ffffffffffffffff\r\nabc", headers(ORDER)),
        ),
        ("chunked, no terminator", chunked_request(good[:-5], headers(ORDER))),
        (
            "chunked, cut mid-chunk",
            chunked_request(good[: len(good) // 2], headers(ORDER)),
        ),
        ("chunked, no CRLF", chunked_request(b"5abcde0", headers(ORDER))),
        ("chunked, empty", chunked_request(b"", headers(b""))),
        (
            "chunked, over 5 MB",
            chunked_request(chunked(b"x" * (6 * 1024 * 1024), 1 << 16), headers(b"x")),
        ),
        (
            "chunked and Content-Length",
            chunked_request(good, headers(ORDER), extra_head=b"\r\nContent-Length: 5"),
        ),
        (
            "chunked form body, malformed",
            chunked_request(
                b"zz\r\nid=1\r\n0\r\n\r\n",
                headers(b"") | {"Content-Type": "application/x-www-form-urlencoded"},
            ),
        ),
        (
            "chunked multipart body, malformed",
            chunked_request(
                b"zz\r\n--x\r\n0\r\n\r\n",
                headers(b"") | {"Content-Type": "multipart/form-data; boundary=x"},
            ),
        ),
        (
            "Content-Length longer than the body",
            _with_length(ORDER[:100], len(ORDER), headers(ORDER)),
        ),
        ("Content-Length garbage", _with_length(ORDER, "12abc", headers(ORDER))),
        ("Content-Length negative", _with_length(ORDER, -1, headers(ORDER))),
        ("Content-Length over the cap", _with_length(b"{}", 10**12, headers(b"{}"))),
    ]


def _with_length(body: bytes, length, headers: dict) -> bytes:
    head = [b"POST /shopify/webhook HTTP/1.1", b"Host: fuzz"]
    head += [f"{k}: {v}".encode() for k, v in headers.items()]
    head += [f"Content-Length: {length}".encode(), b"Connection: close"]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def counts(odoo) -> dict:
    return {
        model: odoo.rpc(model, "search_count", [])
        for model in ("shopify.webhook.event", "shopify.webhook.duplicate", "queue.job")
    }


def test_fuzz_never_5xx_and_stores_nothing_refused(odoo, figures):
    rng = random.Random(7)
    deliveries = known_cases()
    deliveries += random_cases(rng, MIN_DELIVERIES - len(deliveries) + 50)
    raw = [case for _round in range(3) for case in raw_cases(odoo.url)]
    log_start = odoo.log.stat().st_size
    before = counts(odoo)

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda d: d.send(odoo.url), deliveries))
        raw_statuses = list(pool.map(lambda r: raw_exchange(odoo.url, r[1]), raw))

    after = counts(odoo)
    total = len(deliveries) + len(raw)
    by_status = Counter(statuses + raw_statuses)
    accepted = [d for d, s in zip(deliveries, statuses, strict=True) if s == 200]
    raw_accepted = sum(s == 200 for s in raw_statuses)
    grew = {model.split(".")[-1]: after[model] - before[model] for model in after}
    figures(
        f"{total} mutated deliveries ({len(deliveries)} over HTTP, {len(raw)} raw): "
        f"{dict(sorted(by_status.items()))}; rows added {grew}"
    )
    assert total >= MIN_DELIVERIES
    server_errors = {
        d.case: s
        for d, s in zip(deliveries, statuses, strict=True)
        if s >= 500 or not s
    } | {r[0]: s for r, s in zip(raw, raw_statuses, strict=True) if s >= 500 or not s}
    assert server_errors == {}, "a 5xx (or no answer) for input"
    known = {d.case: s for d, s in zip(deliveries, statuses, strict=True)}
    for case in ("body in utf-16", "nested 100000 deep", "X-Shopify-Shop-Domain NUL"):
        assert known[case] == 400, case
    assert known["method OPTIONS"] == 405
    assert known["over 5 MB"] == 413
    # Nothing stored for a refusal: every new event is an accepted delivery's.
    new_events = after["shopify.webhook.event"] - before["shopify.webhook.event"]
    assert new_events == len(accepted) + raw_accepted
    stored = odoo.rpc(
        "shopify.webhook.event",
        "search_read",
        [("webhook_id", "in", [d.webhook_id for d in accepted])],
        fields=["webhook_id"],
    )
    assert len(stored) == len(accepted)
    assert after["shopify.webhook.duplicate"] == before["shopify.webhook.duplicate"]
    assert after["queue.job"] - before["queue.job"] <= new_events
    # Still up, and no request ended in an error in the server's log (jobs of the
    # accepted deliveries may log and retry serialization conflicts: not input).
    assert requests.get(odoo.url + "/web/health", timeout=5).status_code == 200
    with odoo.log.open("rb") as log:
        log.seek(log_start)
        errors = [line for line in log if REQUEST_ERROR.search(line)]
    assert errors == []
