"""A local, honest fake of Shopify's Admin GraphQL API for tests.

Why: the addon talks to Shopify over HTTP with hand-written GraphQL documents. A
mock at the Python level would accept any document, so a typo in a field name would
only show up in production. This fake is a real HTTP server on 127.0.0.1 that

* checks every document against Shopify's real Admin schema (introspection JSON of
  API version 2026-10) and answers invalid ones like Shopify (HTTP 200 + ``errors``),
  recording them in ``FakeShopify.invalid_documents`` so tests can assert there were
  none;
* executes valid documents with graphql-core against an in-memory store of plain
  dicts (``FakeShopify.objects``, keyed by gid), slicing connections into pages so
  cursor paging can be tested; a field whose answer depends on its arguments can be
  stored as a function of them;
* dispatches mutations to handlers registered by the test;
* can be told to fail the next request(s) like Shopify does (429, THROTTLED, 5xx,
  slow answers...);
* serves the client credentials grant (``POST /admin/oauth/access_token``) of a Dev
  Dashboard app: tokens that expire, a wrong Client ID or secret refused, an
  uninstalled app refused, an expired token answered 401 by the GraphQL endpoint.

It only depends on the standard library and graphql-core (no Odoo import) so that
system tests outside Odoo can load it by file path too.

Usage::

    with FakeShopify() as fake:
        fake.add({"id": gid("Order", 1), "name": "#1001",
                  "lineItems": {"nodes": [{"sku": "A", "quantity": 1}]}})
        requests.post(fake.graphql_url(), json={"query": ...},
                      headers={"X-Shopify-Access-Token": fake.access_token})
        assert not fake.invalid_documents
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import logging
import os
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationType,
    VariableNode,
    build_client_schema,
    execute,
    get_named_type,
    get_operation_ast,
    is_composite_type,
    parse,
    validate,
    validate_schema,
)

DEFAULT_SCHEMA_PATH = "/opt/shopify-webhook-sync/schema/admin_2026-10.json.gz"
API_VERSION = "2026-10"
MAX_PAGE_SIZE = 250  # Shopify refuses first/last above 250 on every connection.

INVALID_TOKEN_MESSAGE = (
    "[API] Invalid API key or access token (unrecognized login or wrong password)"
)
RATE_LIMIT_MESSAGE = (
    "Exceeded 2 calls per second for api client. "
    "Reduce request rates to resume uninterrupted service."
)
INTERNAL_ERROR_MESSAGE = "Internal error. Looks like something went wrong on our end."

_FAILURE_KINDS = (
    "429",
    "throttled",
    "500",
    "502",
    "503",
    "slow",
    "internal",
    "graphql_error",
)
_TOKEN_FAILURE_KINDS = ("429", "500", "503", "slow")
TOKEN_PATH = "/admin/oauth/access_token"
INVALID_CLIENT = {
    "error": "invalid_client",
    "error_description": "Client authentication failed due to unknown client, no "
    "client authentication included, or unsupported authentication method.",
}
APP_NOT_INSTALLED = {
    "error": "invalid_request",
    "error_description": "The app is not installed on this shop.",
}
_GRAPHQL_PATH = re.compile(r"^/admin/api/(?P<version>[^/]+)/graphql\.json$")
_GID = re.compile(r"^gid://shopify/(?P<kind>[A-Za-z]+)/(?P<id>[^/?]+)")
# Root connections served by searching ``objects`` (unless ``root`` has them).
SEARCHABLE = {
    "orders": "Order",
    "customers": "Customer",
    "products": "Product",
    "webhookSubscriptions": "WebhookSubscription",
}
_SEARCH_TERM = re.compile(r"^updated_at:(?P<op>>=|>|<=|<)'?(?P<value>[^']+)'?$")

if TYPE_CHECKING:
    from typing import Self  # Python 3.11+, only needed by type checkers

MutationHandler = Callable[["FakeShopify", dict[str, Any]], dict[str, Any]]


# --------------------------------------------------------------------------- schema


@functools.cache  # = lru_cache(maxsize=None)
def _load_schema(path: str) -> GraphQLSchema:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        introspection = json.load(fh)
    # Both shapes occur: the HTTP answer {"data": {"__schema": ...}} and the bare one.
    introspection = introspection.get("data", introspection)
    schema = build_client_schema(introspection)
    # graphql-core >= 3.3 rejects a deprecated field implementing a non-deprecated
    # interface field; Shopify's real schema has a few (e.g. ChannelDefinition.id). Keep
    # every other schema error fatal, and cache the filtered list where validate() and
    # execute() look for it (graphql-core stores it on the schema in 3.2 and 3.3).
    errors = [
        e for e in validate_schema(schema) if "must not be deprecated" not in e.message
    ]
    if errors:
        raise TypeError("\n\n".join(e.message for e in errors))
    schema._validation_errors = errors
    return schema


def load_admin_schema(path: str | None = None) -> GraphQLSchema:
    """Shopify's Admin schema as a graphql-core schema, built once per process."""
    path = path or os.environ.get("SHOPIFY_ADMIN_SCHEMA") or DEFAULT_SCHEMA_PATH
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"Shopify Admin schema not found at {path!r}; run scripts/setup "
            "(or point SHOPIFY_ADMIN_SCHEMA at an introspection JSON, maybe gzipped)."
        )
    return _load_schema(os.path.abspath(path))


def validate_document(query: str, schema: GraphQLSchema | None = None) -> list[str]:
    """Error messages (syntax + validation) of ``query`` against the Admin schema."""
    return [
        error.message
        for error in _document_errors(query, schema or load_admin_schema())[1]
    ]


def _document_errors(
    query: str, schema: GraphQLSchema
) -> tuple[DocumentNode | None, list[GraphQLError]]:
    try:
        document = parse(query)
    except GraphQLError as error:
        return None, [error]
    return document, list(validate(schema, document))


# --------------------------------------------------------------------------- gids


def gid(kind: str, num: int | str) -> str:
    """``gid("Order", 1)`` -> ``"gid://shopify/Order/1"``."""
    return f"gid://shopify/{kind}/{num}"


def gid_id(value: str) -> int:
    """``gid_id("gid://shopify/Order/1")`` -> ``1``."""
    match = _GID.match(value)
    if not match:
        raise ValueError(f"not a Shopify gid: {value!r}")
    return int(match["id"])


# --------------------------------------------------------------------------- paging


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def _cursor_index(cursor: str) -> int:
    try:
        prefix, index = (
            base64.b64decode(cursor.encode(), validate=True).decode().split(":")
        )
        if prefix != "cursor":
            raise ValueError(cursor)
        return int(index)
    except ValueError as error:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise GraphQLError(f"Invalid cursor: {cursor!r}") from error


def _page(connection: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """Relay page of a fixture ``{"nodes": [...]}``; cursors encode list indexes."""
    items = list(connection["nodes"])
    if args.get("reverse"):
        items.reverse()
    for name in ("first", "last"):
        size = args.get(name)
        if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
            raise GraphQLError(
                f"'{name}' must be between 0 and {MAX_PAGE_SIZE}, got {size}."
            )
    start, end = 0, len(items)
    if args.get("after") is not None:
        start = max(start, _cursor_index(args["after"]) + 1)
    if args.get("before") is not None:
        end = min(end, _cursor_index(args["before"]))
    if args.get("first") is not None:
        end = min(end, start + args["first"])
    if args.get("last") is not None:
        start = max(start, end - args["last"])
    indexes = range(start, max(start, end))
    edges = [{"cursor": _cursor(i), "node": items[i]} for i in indexes]
    return {
        **connection,
        "nodes": [edge["node"] for edge in edges],
        "edges": edges,
        "pageInfo": {
            "hasNextPage": indexes.stop < len(items),
            "hasPreviousPage": indexes.start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


# --------------------------------------------------------------------------- cost


MAX_QUERY_COST = 1000  # Shopify's single-query limit (shopify.dev, API rate limits)
MUTATION_COST = 10
_REQUESTED = object()  # "no result yet": cost a document before running it


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: dict | None = None,
    data: Any = _REQUESTED,
) -> int:
    """Shopify's calculated query cost (shopify.dev, "GraphQL Admin API rate limits").

    Scalars and enums cost 0, an object 1, a connection 2 plus its nodes: ``first`` (or
    ``last``) times a node's cost for the *requested* cost (without ``data``); the
    nodes actually returned for the *actual* cost (with the result's ``data``), where an
    object that came back null costs 1 and nothing below it. A list that is no
    connection counts as one object (the costliest of its items, once). An interface
    or union costs its costliest selection. A mutation costs 10.
    """
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 1
    if operation.operation == OperationType.MUTATION:
        return MUTATION_COST
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    return _CostWalk(schema, fragments, variables or {}).selections(
        schema.query_type, operation.selection_set, data
    )


class _CostWalk:
    def __init__(self, schema, fragments, variables):
        self.schema, self.fragments, self.variables = schema, fragments, variables

    def selections(self, parent_type, selection_set, data, seen=frozenset()) -> int:
        """Cost of the fields of ``selection_set`` on an object of ``parent_type``;
        fragments on other types (interfaces, unions) count at their costliest."""
        total, alternatives = 0, [0]
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent_type, selection, data)
                continue
            if isinstance(selection, InlineFragmentNode):
                sub_set, condition = selection.selection_set, selection.type_condition
            else:
                name = selection.name.value
                if name not in self.fragments or name in seen:  # cycles: invalid
                    continue
                sub_set = self.fragments[name].selection_set
                condition, seen = self.fragments[name].type_condition, seen | {name}
            fragment_type = (
                self.schema.get_type(condition.name.value) if condition else parent_type
            )
            cost = self.selections(fragment_type, sub_set, data, seen)
            if fragment_type is parent_type:
                total += cost
            else:
                alternatives.append(cost)
        return total + max(alternatives)

    def field(self, parent_type, node: FieldNode, data) -> int:
        name = node.name.value
        if name.startswith("__") or not hasattr(parent_type, "fields"):
            return 0
        field_type = get_named_type(parent_type.fields[name].type)
        if not is_composite_type(field_type) or not node.selection_set:
            return 0  # scalar or enum
        value = data
        if data is not _REQUESTED:
            value = (data or {}).get(node.alias.value if node.alias else name)
        if field_type.name.endswith("Connection"):
            return 2 + self.connection(field_type, node, value)
        if value is None:  # came back null: its selection did not run
            return 1
        if isinstance(value, list):  # a plain list: its costliest item, once
            return 1 + max(
                (self.selections(field_type, node.selection_set, v) for v in value),
                default=0,
            )
        return 1 + self.selections(field_type, node.selection_set, value)

    def connection(self, connection_type, node: FieldNode, value) -> int:
        """The nodes of a connection (``nodes`` or ``edges { node }``); ``pageInfo``
        and cursors are part of the connection's own 2 points."""
        size = self.size(node)
        total = 0
        for selection in node.selection_set.selections:
            if not isinstance(selection, FieldNode):
                continue
            name = selection.name.value
            if name == "nodes":
                node_type = get_named_type(connection_type.fields["nodes"].type)
                sub_set = selection.selection_set
                key = selection.alias.value if selection.alias else name
            elif name == "edges":
                edge_type = get_named_type(connection_type.fields["edges"].type)
                node_type = get_named_type(edge_type.fields["node"].type)
                inner = [
                    s
                    for s in selection.selection_set.selections
                    if isinstance(s, FieldNode) and s.name.value == "node"
                ]
                if not inner:
                    continue
                sub_set, key = inner[0].selection_set, None
            else:
                continue
            if value is _REQUESTED:
                total += size * (1 + self.selections(node_type, sub_set, _REQUESTED))
                continue
            if key is None:
                key = selection.alias.value if selection.alias else name
                edges = (value or {}).get(key) or ()
                items = [edge.get("node") for edge in edges]
            else:
                items = (value or {}).get(key) or []
            total += sum(
                1 + self.selections(node_type, sub_set, item) for item in items
            )
        return total

    def size(self, node: FieldNode) -> int:
        for arg in node.arguments or ():
            if arg.name.value in ("first", "last"):
                if isinstance(arg.value, IntValueNode):
                    return int(arg.value.value)
                if isinstance(arg.value, VariableNode):
                    return int(self.variables.get(arg.value.name.value) or 0)
        return 1


def requested_cost(query: str, variables: dict | None = None) -> int:
    """The requested cost Shopify would take up front for ``query``."""
    return query_cost(load_admin_schema(), parse(query), None, variables)


class CostBucket:
    """Shopify's leaky bucket per app and store: ``maximum`` points, refilled at
    ``restore_rate`` points per second. A query's requested cost is taken before it
    runs (refused, THROTTLED, when the bucket cannot pay it); the difference to its
    actual cost is given back once it has run."""

    def __init__(
        self,
        maximum: float = 1000.0,
        restore_rate: float = 50.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.maximum, self.restore_rate = float(maximum), float(restore_rate)
        self.clock = clock
        self._available, self._at = self.maximum, clock()

    def available(self) -> float:
        now = self.clock()
        self._available = min(
            self.maximum, self._available + (now - self._at) * self.restore_rate
        )
        self._at = now
        return self._available

    def take(self, cost: float) -> bool:
        if self.available() < cost:
            return False
        self._available -= cost
        return True

    def refund(self, points: float) -> None:
        self._available = min(self.maximum, self.available() + points)

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": round(self.available(), 1),
            "restoreRate": self.restore_rate,
        }


# --------------------------------------------------------------------------- the fake


class FakeShopify:
    """Shopify Admin GraphQL API on ``http://127.0.0.1:<ephemeral port>``.

    Test-facing state (all plain attributes, inspect or mutate freely):

    * ``objects``: gid -> dict; root fields with an ``id`` argument look up here.
    * ``root``: field name -> value for root query fields without ``id`` (``shop``,
      ``orders`` ...).
    * ``mutation_handlers``: mutation field name -> ``handler(fake, args) -> payload``.
    * ``requests``, ``mutations``, ``invalid_documents``: what happened.
    * ``throttle_available``: ``currentlyAvailable`` reported in the cost extension
      while no bucket is set (the default: unlimited).
    * ``bucket``: a ``CostBucket`` (``set_bucket(1000, 50)``) makes the fake rate-limit
      like Shopify: requested cost up front, THROTTLED when short, actual cost kept.
    * The app (client credentials grant): ``client_id``, ``client_secret``,
      ``scopes`` granted, ``token_lifetime`` (``expires_in``, seconds), ``installed``;
      ``issued`` (token -> expiry, ``time.time()``), ``token_requests`` (one dict per
      request to the token endpoint: ``time``, ``status``, ``client_id``).
      ``access_token`` is a static token (a legacy custom app), always valid while
      ``installed``.
    """

    def __init__(
        self,
        access_token: str = "shpat_test_token",
        schema: GraphQLSchema | None = None,
    ) -> None:
        self.access_token = access_token
        self.client_id = "fake-client-id"
        self.client_secret = "fake-client-secret"
        self.scopes = "read_customers,read_orders,read_products,write_fulfillments"
        self.token_lifetime = 86399
        self.installed = True
        self.issued: dict[str, float] = {}
        self.token_requests: list[dict[str, Any]] = []
        self._token_failures: deque[tuple[str, dict[str, Any]]] = deque()
        self._next_subscription = 0
        self.schema = schema or load_admin_schema()
        self.objects: dict[str, dict[str, Any]] = {}
        self.root: dict[str, Any] = {}
        # Webhook subscriptions are served as Shopify does (tests may override).
        self.mutation_handlers: dict[str, MutationHandler] = {
            "webhookSubscriptionCreate": _subscription_create,
            "webhookSubscriptionUpdate": _subscription_update,
            "webhookSubscriptionDelete": _subscription_delete,
        }
        self.throttle_available = 1990.0
        self.bucket: CostBucket | None = None
        self.requests: list[dict[str, Any]] = []
        self.mutations: list[tuple[str, dict[str, Any]]] = []
        self.invalid_documents: list[dict[str, Any]] = []
        self._failures: deque[tuple[str, dict[str, Any]]] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle

    def start(self) -> Self:
        if self._server is None:
            self._stopping.clear()
            handler = type("Handler", (_Handler,), {"fake": self})
            self._server = _Server(("127.0.0.1", 0), handler)
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="fake-shopify", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._stopping.set()  # wakes "slow" handlers up
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeShopify is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def graphql_url(self, api_version: str = API_VERSION) -> str:
        return f"{self.url}/admin/api/{api_version}/graphql.json"

    # ---- test helpers

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Store ``obj`` under its gid ``obj["id"]``; returns it for chaining."""
        self.objects[obj["id"]] = obj
        return obj

    def set_bucket(
        self, maximum: float = 1000.0, restore_rate: float = 50.0
    ) -> CostBucket:
        """Rate-limit from now on with a full bucket of ``maximum`` points restoring
        ``restore_rate`` points per second (``reset()`` makes it unlimited again)."""
        with self._lock:
            self.bucket = CostBucket(maximum, restore_rate)
        return self.bucket

    def fail_next(self, kind: str, count: int = 1, **kw: Any) -> None:
        """Make the next ``count`` authenticated requests fail; queued FIFO.

        kinds (keyword arguments and defaults in brackets): "429" (retry_after=2.0),
        "throttled" (available=0.0), "500", "502", "503", "slow" (delay=3.0, then a
        normal answer), "internal", "graphql_error" (message="Error").
        """
        if kind not in _FAILURE_KINDS:
            raise ValueError(
                f"unknown failure kind {kind!r}; expected one of {_FAILURE_KINDS}"
            )
        with self._lock:
            self._failures.extend((kind, kw) for _ in range(count))

    def add_webhook_subscription(
        self,
        topic: str,
        uri: str,
        format: str = "JSON",
        api_version: str = API_VERSION,
    ) -> dict[str, Any]:
        """A subscription of the app, as if created earlier (``topic`` as the GraphQL
        enum, e.g. ``ORDERS_CREATE``)."""
        with self._lock:
            self._next_subscription += 1
            number = self._next_subscription
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return self.add(
            {
                "id": gid("WebhookSubscription", number),
                "legacyResourceId": str(number),
                "topic": topic,
                "uri": uri,
                "format": format,
                "apiVersion": {
                    "handle": api_version,
                    "displayName": api_version,
                    "supported": True,
                },
                "filter": None,
                "includeFields": [],
                "metafieldNamespaces": [],
                "createdAt": now,
                "updatedAt": now,
            }
        )

    def webhook_subscriptions(self) -> list[dict[str, Any]]:
        return [
            obj
            for key, obj in sorted(self.objects.items())
            if key.startswith("gid://shopify/WebhookSubscription/")
        ]

    def fail_token_next(self, kind: str, count: int = 1, **kw: Any) -> None:
        """Make the next ``count`` requests to the token endpoint fail: "429"
        (retry_after=2.0), "500", "503", "slow" (delay=3.0, then a normal answer)."""
        if kind not in _TOKEN_FAILURE_KINDS:
            raise ValueError(
                f"unknown failure kind {kind!r}; expected one of {_TOKEN_FAILURE_KINDS}"
            )
        with self._lock:
            self._token_failures.extend((kind, kw) for _ in range(count))

    def expire_tokens(self) -> None:
        """Every token obtained so far expires now (the next use answers 401)."""
        with self._lock:
            self.issued = dict.fromkeys(self.issued, 0.0)

    def token_valid(self, token: str | None) -> bool:
        if not self.installed or not token:
            return False
        return token == self.access_token or self.issued.get(token, 0.0) > time.time()

    def reset(self, objects: bool = False) -> None:
        """Forget requests, pending failures, mutations, invalid documents and token
        requests (tokens already issued stay valid)."""
        with self._lock:
            self.requests.clear()
            self.token_requests.clear()
            self._token_failures.clear()
            self._failures.clear()
            self.mutations.clear()
            self.invalid_documents.clear()
            self.bucket = None
            if objects:
                self.objects.clear()
                self.root.clear()

    # ---- request handling (called from server threads)

    def _handle(self, path: str, headers: dict[str, str], raw_body: bytes) -> _Answer:
        if path == TOKEN_PATH:
            return self._grant_token(headers, raw_body)
        if not _GRAPHQL_PATH.match(path):
            return _Answer(404, {"errors": "Not Found"})
        if not self.token_valid(headers.get("x-shopify-access-token")):
            return _Answer(401, {"errors": INVALID_TOKEN_MESSAGE})
        try:
            body = json.loads(raw_body or b"null")
        except ValueError:
            return _Answer(400, {"errors": "Invalid JSON in request body"})
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return _Answer(
                400, {"errors": {"query": "Required parameter missing or invalid"}}
            )
        query, variables = body["query"], body.get("variables") or {}
        operation_name = body.get("operationName")

        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure:
            kind, kw = failure
            if kind == "slow":
                self._stopping.wait(float(kw.get("delay", 3.0)))
            else:
                return self._failure_answer(kind, kw, query, operation_name, variables)

        document, errors = _document_errors(query, self.schema)
        if errors:
            return self._reject(query, variables, errors, "GRAPHQL_VALIDATION_FAILED")
        cost = query_cost(self.schema, document, operation_name, variables)
        if cost > MAX_QUERY_COST:
            # Shopify refuses a query whose requested cost exceeds the single-query
            # limit.
            message = (
                f"Query cost is {cost}, which exceeds the single query max cost limit "
                f"({MAX_QUERY_COST})."
            )
            return self._reject(
                query, variables, [GraphQLError(message)], "MAX_COST_EXCEEDED"
            )
        with self._lock:
            taken = self.bucket is None or self.bucket.take(cost)
        if not taken:
            return self._throttled(cost)
        result = execute(
            self.schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
            field_resolver=self._resolve,
            type_resolver=_resolve_type,
        )
        if result.errors and all(error.path is None for error in result.errors):
            # Request-level errors (bad variables, unknown operationName): the client's
            # fault like a validation error; field errors (path set) stay in the answer.
            return self._reject(query, variables, result.errors, "INVALID_VARIABLE")
        payload = result.formatted
        actual = cost
        if self.bucket is not None:
            ran = query_cost(
                self.schema, document, operation_name, variables, result.data
            )
            actual = min(cost, ran)
        payload["extensions"] = {"cost": self._cost_extension(cost, actual)}
        return _Answer(200, payload)

    def _grant_token(self, headers: dict[str, str], raw_body: bytes) -> _Answer:
        """The client credentials grant, form- or JSON-encoded."""
        text = raw_body.decode("utf-8", "replace")
        if "json" in headers.get("content-type", ""):
            try:
                form = json.loads(text or "{}")
            except ValueError:
                form = {}
        else:
            form = {k: v[0] for k, v in parse_qs(text).items()}
        with self._lock:
            failure = self._token_failures.popleft() if self._token_failures else None
        answer = self._token_failure(*failure) if failure else None
        if answer is None:
            answer = self._token_answer(form if isinstance(form, dict) else {})
        with self._lock:
            self.token_requests.append(
                {
                    "time": time.time(),
                    "status": answer.status,
                    "client_id": form.get("client_id"),
                }
            )
        return answer

    def _token_failure(self, kind: str, kw: dict) -> _Answer | None:
        if kind == "slow":
            self._stopping.wait(float(kw.get("delay", 3.0)))
            return None
        if kind == "429":
            retry_after = str(float(kw.get("retry_after", 2.0)))
            return _Answer(
                429, {"errors": RATE_LIMIT_MESSAGE}, {"Retry-After": retry_after}
            )
        return _Answer(int(kind), f"<html><body><h1>{kind}</h1></body></html>")

    def _token_answer(self, form: dict) -> _Answer:
        if form.get("grant_type") != "client_credentials":
            return _Answer(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "The authorization grant type is not "
                    "supported by the authorization server.",
                },
            )
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return _Answer(400, INVALID_CLIENT)
        if not self.installed:
            return _Answer(400, APP_NOT_INSTALLED)
        token = "shpat_" + secrets.token_hex(16)
        with self._lock:
            self.issued[token] = time.time() + self.token_lifetime
        return _Answer(
            200,
            {
                "access_token": token,
                "scope": self.scopes,
                "expires_in": self.token_lifetime,
            },
        )

    def _cost_extension(self, requested: int, actual: int | None) -> dict[str, Any]:
        """``extensions.cost``; with a bucket, what was not used is given back first."""
        with self._lock:
            if self.bucket is None:
                return self._cost(requested, actual, self.throttle_available)
            if actual is not None:
                self.bucket.refund(requested - actual)
            return {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self.bucket.status(),
            }

    def _throttled(self, requested: int) -> _Answer:
        """The bucket cannot pay the requested cost: nothing runs, nothing is taken."""
        error = {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/limits",
            },
        }
        extensions = {"cost": self._cost_extension(requested, None)}
        return _Answer(200, {"errors": [error], "extensions": extensions})

    def _reject(
        self, query: str, variables: dict, errors: list[GraphQLError], code: str
    ) -> _Answer:
        formatted = [{**e.formatted, "extensions": {"code": code}} for e in errors]
        with self._lock:
            self.invalid_documents.append(
                {
                    "query": query,
                    "variables": variables,
                    "errors": [e.message for e in errors],
                }
            )
        return _Answer(200, {"errors": formatted})

    def _failure_answer(
        self,
        kind: str,
        kw: dict,
        query: str,
        operation_name: str | None,
        variables: dict,
    ) -> _Answer:
        if kind == "429":
            retry_after = str(float(kw.get("retry_after", 2.0)))
            return _Answer(
                429, {"errors": RATE_LIMIT_MESSAGE}, {"Retry-After": retry_after}
            )
        if kind == "throttled":
            try:
                cost = query_cost(self.schema, parse(query), operation_name, variables)
            except GraphQLError:
                cost = 1
            extensions = {
                "cost": self._cost(cost, None, float(kw.get("available", 0.0)))
            }
            error = {"message": "Throttled", "extensions": {"code": "THROTTLED"}}
            return _Answer(200, {"errors": [error], "extensions": extensions})
        if kind in ("500", "502", "503"):
            text = {"500": "Internal Server Error", "502": "Bad Gateway"}.get(
                kind, "Service Unavailable"
            )
            html = f"<html><body><h1>{kind} {text}</h1></body></html>"
            return _Answer(
                int(kind), html, {"Content-Type": "text/html; charset=utf-8"}
            )
        if kind == "internal":
            error = {
                "message": INTERNAL_ERROR_MESSAGE,
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
            return _Answer(200, {"errors": [error]})
        # "graphql_error": a bare GraphQL error, as for anything Shopify did not expect.
        return _Answer(200, {"errors": [{"message": kw.get("message", "Error")}]})

    @staticmethod
    def _cost(requested: int, actual: int | None, available: float) -> dict[str, Any]:
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": available,
                "restoreRate": 100.0,
            },
        }

    def _resolve(self, parent: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        """Resolver of every field: root lookups, mutations, dict keys, connections."""
        name = info.field_name  # the schema name, so aliases work for free
        if info.parent_type is info.schema.mutation_type:
            with self._lock:
                self.mutations.append((name, args))
            handler = self.mutation_handlers.get(name)
            if handler is None:
                raise GraphQLError(
                    f"FakeShopify: no handler registered for mutation {name!r}"
                )
            return handler(self, args)
        if info.parent_type is info.schema.query_type:
            if name == "nodes" and "ids" in args:
                return [self.objects.get(i) for i in args["ids"]]
            # Any root field taking an id (order, customer, node, inventoryItem ...).
            value = (
                self.objects.get(args["id"]) if "id" in args else self.root.get(name)
            )
            if name in SEARCHABLE and name not in self.root:
                value = self._search(SEARCHABLE[name], args)
        else:
            value = parent.get(name) if isinstance(parent, dict) else None
            if callable(value):  # a field answered from its arguments, as Shopify
                value = value(**args)  # does (e.g. inventoryLevel(locationId:))
            if value is None and name == "presentmentMoney":
                # A MoneyBag given in one currency: the customer paid in the shop's.
                value = parent.get("shopMoney")

        field = info.parent_type.fields[name]
        # Fixtures may reference shared objects by gid instead of nesting a copy.
        is_object = is_composite_type(get_named_type(field.type))
        if is_object and isinstance(value, str) and value.startswith("gid://"):
            value = self.objects.get(value)
        if get_named_type(field.type).name.endswith("Connection"):
            if isinstance(value, list):
                value = {"nodes": value}
            if isinstance(value, dict) and isinstance(value.get("nodes"), list):
                value = _page(value, args)
        elif isinstance(value, list) and args.get("first") is not None:
            value = value[: args["first"]]  # a plain list's first: Shopify truncates
        return value

    def _search(self, kind: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        """The ``kind`` objects matching ``args["query"]`` (only ``updated_at``
        comparisons, ANDed, are understood; anything else is refused so that a test
        cannot pass on a filter the fake ignored), sorted by ``sortKey``."""
        found = [
            obj
            for gid_, obj in self.objects.items()
            if gid_.startswith(f"gid://shopify/{kind}/")
        ]
        for term in (args.get("query") or "").split():
            if term.upper() == "AND":
                continue
            match = _SEARCH_TERM.match(term)
            if not match:
                raise GraphQLError(f"FakeShopify: unsupported search term {term!r}")
            bound = _when(match["value"])
            compare = {
                ">=": lambda a, b: a >= b,
                ">": lambda a, b: a > b,
                "<=": lambda a, b: a <= b,
                "<": lambda a, b: a < b,
            }[match["op"]]
            found = [o for o in found if compare(_when(o["updatedAt"]), bound)]
        if args.get("sortKey") == "UPDATED_AT":
            found.sort(key=lambda o: _when(o["updatedAt"]))
        else:
            found.sort(key=lambda o: gid_id(o["id"]))
        return found


def _subscription_create(fake: FakeShopify, args: dict[str, Any]) -> dict[str, Any]:
    """webhookSubscriptionCreate: refuses a second subscription of a topic to one URI,
    as Shopify does."""
    sub, uri = args["webhookSubscription"], args["webhookSubscription"].get("uri")
    if not uri:
        return _user_error(["webhookSubscription", "uri"], "Address can't be blank")
    taken = any(
        s["topic"] == args["topic"] and s["uri"] == uri
        for s in fake.webhook_subscriptions()
    )
    if taken:
        return _user_error(
            ["webhookSubscription", "callbackUrl"],
            "Address for this topic has already been taken",
        )
    created = fake.add_webhook_subscription(
        args["topic"], uri, sub.get("format") or "JSON"
    )
    return {"webhookSubscription": created, "userErrors": []}


def _subscription_update(fake: FakeShopify, args: dict[str, Any]) -> dict[str, Any]:
    sub = fake.objects.get(args["id"])
    if sub is None:
        return _user_error(["id"], "Webhook subscription does not exist")
    changes = args["webhookSubscription"]
    for key in ("uri", "format", "filter", "includeFields"):
        if changes.get(key) is not None:
            sub[key] = changes[key]
    return {"webhookSubscription": sub, "userErrors": []}


def _subscription_delete(fake: FakeShopify, args: dict[str, Any]) -> dict[str, Any]:
    if fake.objects.pop(args["id"], None) is None:
        return {
            "deletedWebhookSubscriptionId": None,
            **_user_error(["id"], "Webhook subscription does not exist"),
        }
    return {"deletedWebhookSubscriptionId": args["id"], "userErrors": []}


def _user_error(field: list[str], message: str) -> dict[str, Any]:
    return {"userErrors": [{"field": field, "message": message}]}


def _when(value: str) -> datetime:
    """An ISO 8601 date or date-time (``Z`` or an offset; naive = UTC) as UTC."""
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _resolve_type(
    value: Any, info: GraphQLResolveInfo, abstract_type: Any
) -> str | None:
    """Concrete type of an interface/union value: ``__typename``, else the gid."""
    if not isinstance(value, dict):
        return None
    if value.get("__typename"):
        return value["__typename"]
    match = _GID.match(str(value.get("id", "")))
    return match["kind"] if match else None


class _Answer:
    """HTTP answer: status, JSON-able body (or text) and extra headers."""

    def __init__(
        self, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        self.status, self.body, self.headers = status, body, headers or {}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up ("slow") is expected; keep output quiet.
        pass


class _Handler(BaseHTTPRequestHandler):
    fake: FakeShopify  # set on the per-server subclass
    server_version = "FakeShopify/1.0"

    def do_POST(self) -> None:
        raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        answer = self.fake._handle(self.path, headers, raw_body)
        self._record(raw_body, answer)
        self._send(answer)

    def do_GET(self) -> None:
        answer = _Answer(404, {"errors": "Not Found"})
        self._record(b"", answer)
        self._send(answer)

    def _record(self, raw_body: bytes, answer: _Answer) -> None:
        try:
            body = json.loads(raw_body or b"null")
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        entry = {
            "time": time.time(),
            "method": self.command,
            "path": self.path,
            "query": body.get("query"),
            "variables": body.get("variables"),
            "operation_name": body.get("operationName"),
            "headers": dict(self.headers.items()),
            "status": answer.status,
            "response": answer.body,
        }
        with self.fake._lock:
            self.fake.requests.append(entry)

    def _send(self, answer: _Answer) -> None:
        if isinstance(answer.body, str):
            data = answer.body.encode()
            content_type = "text/plain; charset=utf-8"
        else:
            data = json.dumps(answer.body).encode()
            content_type = "application/json; charset=utf-8"
        try:
            self.send_response(answer.status)
            self.send_header(
                "Content-Type", answer.headers.pop("Content-Type", content_type)
            )
            self.send_header("Content-Length", str(len(data)))
            match = _GRAPHQL_PATH.match(self.path)
            if match:
                self.send_header("X-Shopify-API-Version", match["version"])
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up
            logging.getLogger(__name__).debug("no answer to %s: client gone", self.path)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read fake.requests instead of stderr noise
