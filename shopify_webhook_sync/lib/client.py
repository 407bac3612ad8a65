"""A small client for Shopify's GraphQL Admin API.

Errors are typed for the job that called it: ``ShopifyTransientError`` (try again later,
with a delay in seconds, or None for "use the retry pattern"), its kind
``ShopifyThrottledError`` (Shopify's rate limit: wait for the cost bucket's refill or
Retry-After; no failure, so it should not use up retries) and ``ShopifyPermanentError``
(a person must act; the message is Shopify's). Nothing here sleeps: a worker waiting on
Shopify is a worker a webhook cannot have.

Rate limits (shopify.dev, "GraphQL Admin API rate limits"): Shopify takes a query's
*requested* cost from a bucket before running it, refuses it (THROTTLED) when the
bucket cannot pay, and refunds the difference to the actual cost afterwards. The client
learns each document's requested cost from Shopify's answers and checks the bucket
(as last reported, refilled since at its restore rate) before sending that document
again; a long read (``fetch_all``) hands what it has read so far to a progress store,
so that the retry goes on from there instead of starting again.
"""

import hashlib
import math
import re
import time
from collections.abc import Callable, Iterator
from typing import Protocol

import requests

DEFAULT_TIMEOUT = 10.0  # seconds, to connect and between bytes read


class ShopifyError(Exception):
    pass


class ShopifyTransientError(ShopifyError):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class ShopifyThrottledError(ShopifyTransientError):
    """Shopify's rate limit: a wait, not a failure."""


class ShopifyPermanentError(ShopifyError):
    pass


class ShopifyUnauthorizedError(ShopifyPermanentError):
    """HTTP 401: the access token is unknown, expired or revoked."""


class ProgressStore(Protocol):
    """Where ``fetch_all`` keeps what it read of an object across a throttled retry
    (the retry is another transaction, maybe another process)."""

    def load(self, key: str) -> dict | None: ...

    def save(self, key: str, progress: dict) -> None: ...

    def clear(self, key: str) -> None: ...


class ShopifyClient:
    def __init__(
        self,
        endpoint: str,
        access_token: str,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        renew_token: Callable[[str], str] | None = None,
        progress_store: ProgressStore | None = None,
        next_pages: dict[str, str] | None = None,
    ):
        """``renew_token(stale_token) -> new token``: called once, on the first 401,
        after which the request is sent again (tokens of the client credentials grant
        expire; a static token has no such hook)."""
        self.endpoint = endpoint
        self.renew_token = renew_token
        self.timeout = timeout
        self.session = session or requests.Session()
        self.headers = {
            "X-Shopify-Access-Token": access_token or "",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        # The last throttleStatus Shopify reported (and when), and the requested cost
        # of each document sent: together they say whether the bucket can pay for a
        # document before it is sent.
        self.throttle: dict | None = None
        self.throttle_at: float = 0.0
        self.requested_costs: dict[str, float] = {}
        self.progress_store = progress_store
        # document -> the lean document that reads its pages after the first
        self.next_pages = next_pages or {}

    def query(self, document: str, variables: dict | None = None) -> dict:
        """Run one GraphQL document; return its ``data``."""
        self._ensure_budget(document)
        response = self._post(document, variables)
        if response.status_code == 401 and self.renew_token:
            renew, self.renew_token = self.renew_token, None  # once per client
            self.headers["X-Shopify-Access-Token"] = renew(
                self.headers["X-Shopify-Access-Token"]
            )
            response = self._post(document, variables)
        self._raise_for_status(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise ShopifyTransientError(
                f"Shopify answered HTTP {response.status_code} with a body that is "
                "not JSON"
            ) from exc
        cost = (body.get("extensions") or {}).get("cost") or {}
        self._note_cost(document, cost)
        if body.get("errors"):
            self._raise_for_errors(body["errors"], cost)
        return body.get("data") or {}

    def _post(self, document: str, variables: dict | None) -> requests.Response:
        try:
            return self.session.post(
                self.endpoint,
                json={"query": document, "variables": variables or {}},
                headers=self.headers,
                timeout=self.timeout,
            )
        except requests.Timeout as exc:
            raise ShopifyTransientError(
                f"Shopify did not answer in time ({exc})"
            ) from exc
        except requests.ConnectionError as exc:
            raise ShopifyTransientError(
                f"Shopify could not be reached ({exc})"
            ) from exc

    def paginate(
        self, document: str, variables: dict, path: tuple[str, ...]
    ) -> Iterator[tuple[dict, dict]]:
        """Yield (data, connection) for every page of the connection at ``path`` in the
        result. The document must take an ``$after: String`` variable for that
        connection and select ``pageInfo { hasNextPage endCursor }``."""
        after = None
        while True:
            data = self.query(document, {**variables, "after": after})
            connection = data
            for key in path:
                connection = (connection or {}).get(key)
            if connection is None:
                yield data, {"nodes": []}
                return
            yield data, connection
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return
            after = page["endCursor"]

    def fetch_all(
        self, document: str, variables: dict, path: tuple[str, str]
    ) -> tuple[dict | None, list[dict]]:
        """The object at ``path[0]`` (None when Shopify has none) and every node of its
        connection ``path[1]``, read page by page: ``document`` takes an ``$after:
        String`` variable for that connection and selects ``pageInfo { hasNextPage
        endCursor }``; the pages after the first are read with ``next_pages[document]``
        when there is one (the connection alone).

        When Shopify's rate limit stops the read, what was read so far goes to the
        progress store and the next call goes on from there; it starts again when the
        object's ``updatedAt`` moved meanwhile (pages of two versions never mix)."""
        key = _progress_key(document, variables)
        store = self.progress_store
        progress = (store.load(key) if store else None) or {}
        obj, nodes = progress.get("object"), list(progress.get("nodes") or ())
        after = progress.get("after")
        while True:
            page_document = self.next_pages.get(document, document)
            try:
                data = self.query(
                    page_document if after else document, {**variables, "after": after}
                )
            except ShopifyThrottledError:
                if store and after:
                    store.save(key, {"object": obj, "nodes": nodes, "after": after})
                raise
            root = data.get(path[0])
            if after and (root or {}).get("updatedAt") != (obj or {}).get("updatedAt"):
                obj, nodes, after = None, [], None  # it changed: read it again
                continue
            obj = obj or root
            connection = (root or {}).get(path[1]) or {}
            nodes += connection.get("nodes") or []
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                break
            after = page["endCursor"]
        if store and progress:
            store.clear(key)
        return obj, nodes

    def _ensure_budget(self, document: str) -> None:
        """Refuse to send a document whose requested cost (as Shopify last stated it)
        the bucket cannot pay now; the wait is the deficit at the restore rate."""
        needed = self.requested_costs.get(document)
        status = self.throttle
        if not status or not needed:
            return
        rate = float(status.get("restoreRate") or 50)
        available = min(
            float(status.get("maximumAvailable") or math.inf),
            float(status.get("currentlyAvailable") or 0)
            + (time.monotonic() - self.throttle_at) * rate,
        )
        if available < needed:
            raise ShopifyThrottledError(
                f"Shopify's API budget is spent ({available:.0f} of {needed:g} points "
                "needed); retrying when it has refilled",
                retry_after=_refill_seconds(needed - available, rate),
            )

    def _note_cost(self, document: str, cost: dict) -> None:
        if cost.get("throttleStatus"):
            self.throttle = cost["throttleStatus"]
            self.throttle_at = time.monotonic()
        if cost.get("requestedQueryCost"):
            self.requested_costs[document] = float(cost["requestedQueryCost"])

    def _raise_for_status(self, response: requests.Response) -> None:
        status = response.status_code
        if status == 200:
            return
        text = response.text[:300]
        if status == 429:
            retry_after = _float(response.headers.get("Retry-After")) or 2.0
            raise ShopifyThrottledError(
                f"Shopify rate limit (HTTP 429): {text}",
                retry_after=math.ceil(retry_after),
            )
        if status >= 500:
            raise ShopifyTransientError(f"Shopify is unavailable (HTTP {status})")
        if status == 401:
            raise ShopifyUnauthorizedError(f"HTTP 401: {text}")
        hints = {
            402: "The Shopify store is frozen (unpaid): nothing can be read until it "
            "is reactivated.",
            403: "The Shopify app lacks an access scope for this request: grant it in "
            "the app's configuration.",
            404: f"No Shopify Admin API at {self.endpoint}: check the shop domain and "
            "API version.",
            423: "The Shopify store is locked.",
        }
        hint = hints.get(status, "Shopify refused the request.")
        raise ShopifyPermanentError(f"{hint} (HTTP {status}: {text})")

    def _raise_for_errors(self, errors, cost: dict) -> None:
        if isinstance(errors, str):
            errors = [{"message": errors}]
        codes = {(e.get("extensions") or {}).get("code") for e in errors}
        message = "; ".join(e.get("message", str(e)) for e in errors)
        if "THROTTLED" in codes:
            # Nothing ran and nothing was taken: wait until the bucket holds the
            # requested cost Shopify states in the same answer.
            status = cost.get("throttleStatus") or {}
            needed = float(cost.get("requestedQueryCost") or 0)
            deficit = needed - float(status.get("currentlyAvailable") or 0)
            rate = float(status.get("restoreRate") or 50)
            raise ShopifyThrottledError(
                f"Shopify throttled the query ({needed:g} points requested): {message}",
                retry_after=_refill_seconds(deficit, rate),
            )
        if "INTERNAL_SERVER_ERROR" in codes:
            raise ShopifyTransientError(f"Shopify internal error: {message}")
        raise ShopifyPermanentError(f"Shopify answered with an error: {message}")


def user_errors(payload: dict) -> None:
    """Raise a permanent error carrying a mutation payload's ``userErrors``, if any."""
    errors = payload.get("userErrors") or []
    if errors:
        raise ShopifyPermanentError(
            "Shopify refused the change: "
            + "; ".join(
                f"{'.'.join(e.get('field') or [])}: {e['message']}" for e in errors
            )
        )


def _refill_seconds(deficit: float, restore_rate: float) -> int:
    """Whole seconds (at least 1) for the bucket to gain ``deficit`` points."""
    return max(1, math.ceil(deficit / restore_rate))


def _progress_key(document: str, variables: dict) -> str:
    """What a read is, for the progress store: operation and variables."""
    match = re.search(r"\b(?:query|mutation)\s+(\w+)", document)
    name = match[1] if match else hashlib.sha1(document.encode()).hexdigest()[:12]
    args = ",".join(f"{k}={v}" for k, v in sorted(variables.items()) if k != "after")
    return f"{name}({args})"


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
