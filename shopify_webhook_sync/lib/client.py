"""A small client for Shopify's GraphQL Admin API.

Errors are typed for the job that called it: ``ShopifyTransientError`` (try again later,
with a delay in seconds: Retry-After, the cost bucket's refill time, or None for "use
the retry pattern") and ``ShopifyPermanentError`` (a person must act; the message is
Shopify's). Nothing here sleeps: a worker waiting on Shopify is a worker a webhook
cannot have.
"""

import math
from collections.abc import Callable, Iterator

import requests

DEFAULT_TIMEOUT = 10.0  # seconds, to connect and between bytes read


class ShopifyError(Exception):
    pass


class ShopifyTransientError(ShopifyError):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class ShopifyPermanentError(ShopifyError):
    pass


class ShopifyUnauthorizedError(ShopifyPermanentError):
    """HTTP 401: the access token is unknown, expired or revoked."""


class ShopifyClient:
    def __init__(
        self,
        endpoint: str,
        access_token: str,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        renew_token: Callable[[str], str] | None = None,
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
        # Last throttleStatus Shopify reported, and what the last query cost: together
        # they say whether the bucket can pay for the next query before we send it.
        self.throttle: dict | None = None
        self.last_cost: float = 0.0

    def query(self, document: str, variables: dict | None = None) -> dict:
        """Run one GraphQL document; return its ``data``."""
        self._ensure_budget()
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
        self._note_cost(body.get("extensions") or {})
        if body.get("errors"):
            self._raise_for_errors(body["errors"])
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
        connection ``path[1]``, read page by page (see ``paginate``)."""
        obj, nodes = None, []
        for data, connection in self.paginate(document, variables, path):
            obj = obj or data.get(path[0])
            nodes += connection["nodes"]
        return obj, nodes

    def _ensure_budget(self) -> None:
        status = self.throttle
        if not status or not self.last_cost:
            return
        available = float(status.get("currentlyAvailable") or 0)
        if available < self.last_cost:
            wait = (self.last_cost - available) / float(status.get("restoreRate") or 50)
            raise ShopifyTransientError(
                f"Shopify's API budget is spent ({available:g} of "
                f"{self.last_cost:g} points needed); retrying when it has refilled",
                retry_after=math.ceil(wait),
            )

    def _note_cost(self, extensions: dict) -> None:
        cost = extensions.get("cost") or {}
        if cost.get("throttleStatus"):
            self.throttle = cost["throttleStatus"]
        self.last_cost = float(
            cost.get("actualQueryCost") or cost.get("requestedQueryCost") or 0
        )

    def _raise_for_status(self, response: requests.Response) -> None:
        status = response.status_code
        if status == 200:
            return
        text = response.text[:300]
        if status == 429:
            retry_after = _float(response.headers.get("Retry-After")) or 2.0
            raise ShopifyTransientError(
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

    def _raise_for_errors(self, errors) -> None:
        if isinstance(errors, str):
            errors = [{"message": errors}]
        codes = {(e.get("extensions") or {}).get("code") for e in errors}
        message = "; ".join(e.get("message", str(e)) for e in errors)
        if "THROTTLED" in codes:
            status = self.throttle or {}
            needed = self.last_cost or 50.0
            wait = (needed - float(status.get("currentlyAvailable") or 0)) / float(
                status.get("restoreRate") or 50
            )
            raise ShopifyTransientError(
                f"Shopify throttled the query: {message}",
                retry_after=max(1, math.ceil(wait)),
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


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
