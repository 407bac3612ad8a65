"""Admin API tokens of a Dev Dashboard app: the client credentials grant.

Since 2026-01-01 a merchant cannot create a legacy custom app (with its static "Admin
API access token") in the Shopify admin. An app created in the Dev Dashboard and
installed on the store exchanges its Client ID and Client secret for a token:
``POST https://{shop}.myshopify.com/admin/oauth/access_token`` (form
``grant_type=client_credentials``, ``client_id``, ``client_secret``) answers
``access_token``, ``scope`` and ``expires_in`` (about 24 hours).

The endpoint being down or throttled is transient (``ShopifyTransientError``, retried
later); Shopify refusing the credentials (a wrong Client ID or secret, an app not
installed on the store) is ``ShopifyCredentialsError``, which a person must fix.
Nothing here sleeps.
"""

import math
from dataclasses import dataclass

import requests

from .client import DEFAULT_TIMEOUT, ShopifyPermanentError, ShopifyTransientError

TOKEN_PATH = "/admin/oauth/access_token"


class ShopifyCredentialsError(ShopifyPermanentError):
    """Shopify refused the app's credentials or token; ``answer`` is what it said."""

    def __init__(self, answer: str):
        super().__init__(answer)
        self.answer = answer


@dataclass(frozen=True)
class GrantedToken:
    access_token: str
    scopes: tuple[str, ...]
    expires_in: int  # seconds


def token_url(admin_base: str) -> str:
    """The token endpoint under the Admin API base (``https://x.myshopify.com``)."""
    return admin_base.rstrip("/") + TOKEN_PATH


def request_token(
    admin_base: str,
    client_id: str,
    client_secret: str,
    timeout: float = DEFAULT_TIMEOUT,
    session: requests.Session | None = None,
) -> GrantedToken:
    """Exchange the app's Client ID and secret for an Admin API token."""
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id or "",
        "client_secret": client_secret or "",
    }
    try:
        response = (session or requests).post(
            token_url(admin_base),
            data=form,
            headers={"Accept": "application/json"},
            timeout=timeout,
        )
    except requests.Timeout as exc:
        raise ShopifyTransientError(
            f"Shopify's token endpoint did not answer in time ({exc})"
        ) from exc
    except requests.ConnectionError as exc:
        raise ShopifyTransientError(
            f"Shopify's token endpoint could not be reached ({exc})"
        ) from exc
    _raise_for_token_status(response)
    try:
        body = response.json()
        return GrantedToken(
            access_token=body["access_token"],
            scopes=parse_scopes(body.get("scope")),
            expires_in=int(body.get("expires_in") or 0),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ShopifyTransientError(
            "Shopify's token endpoint answered without an access token "
            f"(HTTP {response.status_code}: {response.text[:200]})"
        ) from exc


def _raise_for_token_status(response: requests.Response) -> None:
    status = response.status_code
    if status == 200:
        return
    if status == 429:
        retry_after = _seconds(response.headers.get("Retry-After")) or 2.0
        raise ShopifyTransientError(
            "Shopify's token endpoint is throttling requests (HTTP 429)",
            retry_after=math.ceil(retry_after),
        )
    if status >= 500:
        raise ShopifyTransientError(
            f"Shopify's token endpoint is unavailable (HTTP {status})"
        )
    raise ShopifyCredentialsError(f"HTTP {status}: {shopify_answer(response)}")


def shopify_answer(response: requests.Response) -> str:
    """What Shopify said, readable: OAuth's ``error`` and ``error_description``, a
    GraphQL ``errors`` string, or the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if not isinstance(body, dict):
        return response.text[:300]
    parts = [body.get("error"), body.get("error_description"), body.get("errors")]
    return " - ".join(str(part) for part in parts if part) or response.text[:300]


def parse_scopes(scope: str | None) -> tuple[str, ...]:
    """``"read_orders,write_inventory"`` -> ``("read_orders", "write_inventory")``."""
    return tuple(sorted({s.strip() for s in (scope or "").split(",") if s.strip()}))


def missing_scopes(granted, needed) -> list[str]:
    """The ``needed`` scopes that ``granted`` does not cover; on Shopify a write_X
    scope includes read_X."""
    covered = set(granted)
    covered |= {"read_" + s[len("write_") :] for s in covered if s.startswith("write_")}
    return sorted(set(needed) - covered)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
