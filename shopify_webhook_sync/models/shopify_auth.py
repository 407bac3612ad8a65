"""How jobs authenticate to the Admin API: a Dev Dashboard app's token, obtained by the
client credentials grant and renewed, or a legacy custom app's static token.

The obtained token lives in ``shopify.shop.token`` (one row per shop, managers only),
not on the shop: it is renewed by jobs in a cursor of their own and committed at once,
so that other jobs (whose snapshots are older) read it there, and a renewal never
conflicts with a job that writes the shop. One renewal at a time per shop: a
PostgreSQL advisory lock, then a re-read (another job may have renewed meanwhile).
The webhook request never asks for a token.
"""

import logging
from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models

from ..lib.auth import (
    ShopifyCredentialsError,
    missing_scopes,
    parse_scopes,
    request_token,
)
from ..lib.client import (
    ShopifyClient,
    ShopifyPermanentError,
    ShopifyTransientError,
    ShopifyUnauthorizedError,
)
from ..lib.queries import CONNECTION_TEST, NEXT_PAGES
from .shopify_access import check_manager
from .shopify_fetch_progress import FetchProgressStore

_logger = logging.getLogger(__name__)

# A token is renewed when less than this is left of it: a job started with it finishes
# well before it expires.
RENEW_MARGIN = timedelta(minutes=10)
# How long a job waits for another job's renewal of the same shop's token.
RENEW_LOCK_TIMEOUT_MS = 15000
# Not translated: it marks the events that re-run once the credentials are saved again.
CREDENTIALS_REJECTED = "credentials rejected: "
# Scopes every shop needs: orders, customers, products read; fulfillments written.
BASE_SCOPES = ("read_orders", "read_customers", "read_products", "write_fulfillments")
CREDENTIAL_FIELDS = ("client_id", "webhook_secret", "access_token")


class ShopifyShopToken(models.Model):
    _name = "shopify.shop.token"
    _description = "Shopify Admin API Token"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True, readonly=True
    )
    access_token = fields.Char(readonly=True)
    scope = fields.Char(readonly=True, help="The access scopes Shopify granted.")
    expires_at = fields.Datetime(readonly=True)
    obtained_at = fields.Datetime(readonly=True)
    error = fields.Text(
        readonly=True, help="Shopify's answer when it last refused the credentials."
    )

    _sql_constraints = [
        ("shop_unique", "UNIQUE(shop_id)", "One token per shop."),
    ]


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    token_expires_at = fields.Datetime(
        string="Token Expires",
        compute="_compute_token_info",
        groups="shopify_webhook_sync.group_shopify_manager",
    )
    token_scopes = fields.Char(
        string="Granted Scopes",
        compute="_compute_token_info",
        groups="shopify_webhook_sync.group_shopify_manager",
    )
    scopes_needed = fields.Char(
        compute="_compute_token_info",
        help="The access scopes the enabled features need: select them in the app's "
        "configuration (Dev Dashboard, Access).",
    )
    scopes_missing = fields.Char(
        compute="_compute_token_info",
        groups="shopify_webhook_sync.group_shopify_manager",
    )
    credentials_error = fields.Text(
        string="Shopify Refused the Credentials",
        compute="_compute_token_info",
        groups="shopify_webhook_sync.group_shopify_manager",
    )
    connection_test_date = fields.Datetime(readonly=True, copy=False)
    connection_test_result = fields.Text(readonly=True, copy=False)

    def _compute_token_info(self):
        tokens = {
            token.shop_id.id: token
            for token in self.env["shopify.shop.token"]
            .sudo()
            .search([("shop_id", "in", self.ids)])
        }
        for shop in self:
            token = tokens.get(shop.id) or self.env["shopify.shop.token"]
            needed = shop._shopify_needed_scopes()
            shop.scopes_needed = ", ".join(needed)
            shop.token_expires_at = token.expires_at
            shop.token_scopes = token.scope
            shop.scopes_missing = (
                ", ".join(missing_scopes(parse_scopes(token.scope), needed))
                if token.scope
                else False
            )
            shop.credentials_error = token.error

    def _shopify_needed_scopes(self) -> list[str]:
        """The scopes of the enabled features: pushing stock needs write_inventory."""
        needed = set(BASE_SCOPES)
        if self.location_mapping_ids:
            needed.add("write_inventory")
        return sorted(needed)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("client_id") and not vals.get("access_token"):
                vals.setdefault("access_token_set_at", fields.Datetime.now())
        return super().create(vals_list)

    def write(self, vals):
        """New credentials: the old token goes, the app counts as (re)installed, and
        the objects that waited because Shopify refused the credentials run again."""
        saved = any(vals.get(name) for name in CREDENTIAL_FIELDS)
        reconnected = self.browse()
        if saved and not vals.get("access_token"):
            reconnected = self.filtered(lambda s: s.connection_state == "disconnected")
            vals = dict(vals, connection_state="connected")
            vals.setdefault("access_token_set_at", fields.Datetime.now())
        result = super().write(vals)
        if saved:
            self.env["shopify.shop.token"].sudo().search(
                [("shop_id", "in", self.ids)]
            ).unlink()
            self.env["shopify.webhook.event"].sudo().search(
                [("shop_id", "in", self.ids), ("state", "=", "failed")]
            ).filtered(
                lambda event: (
                    event.shop_id in reconnected
                    or (event.error_message or "").startswith(CREDENTIALS_REJECTED)
                )
            )._shopify_requeue()
        return result

    # -- the client jobs use --

    def _shopify_admin_base(self) -> str:
        shop = self.sudo()
        return (shop.admin_api_url or f"https://{shop.shop_domain}").rstrip("/")

    @api.model
    def _shopify_with_credentials(self):
        """The active, connected shops that have a way to authenticate: the scheduled
        jobs that ask Shopify skip the others (they would only fail)."""
        return self.sudo().search(
            [
                ("connection_state", "=", "connected"),
                "|",
                ("client_id", "!=", False),
                ("access_token", "!=", False),
            ]
        )

    def _shopify_uses_client_credentials(self) -> bool:
        return bool(self.sudo().client_id)

    def _shopify_client(self) -> ShopifyClient:
        """A client for the Admin API with this shop's token: the obtained one (renewed
        before it expires and once on a 401), or the static one of a legacy app."""
        shop = self.sudo()
        endpoint = f"{shop._shopify_admin_base()}/admin/api/{shop.api_version}"
        endpoint += "/graphql.json"
        # Long reads keep their pages across a rate-limit retry (shopify.fetch.progress)
        paging = {"progress_store": FetchProgressStore(shop), "next_pages": NEXT_PAGES}
        if not shop._shopify_uses_client_credentials():
            return ShopifyClient(endpoint, shop.access_token, **paging)
        return ShopifyClient(
            endpoint,
            shop._shopify_current_token(),
            renew_token=shop._shopify_renew_token,
            **paging,
        )

    def _shopify_current_token(self) -> str:
        token = (
            self.env["shopify.shop.token"].sudo().search([("shop_id", "=", self.id)])
        )
        if _is_fresh(token):
            return token.access_token
        return self._shopify_renew_token(token.access_token or None)

    def _shopify_renew_token(self, stale: str | None) -> str:
        """A token other than ``stale``: the one another job just obtained, or a new
        one from Shopify. Runs in a cursor of its own, committed before returning,
        under a lock that makes concurrent jobs of the shop wait for one renewal."""
        self.ensure_one()
        with self.env.registry.cursor() as cr:
            self._shopify_lock_token(cr)
            env = api.Environment(cr, SUPERUSER_ID, {})
            shop = self.with_env(env)
            token = env["shopify.shop.token"].search([("shop_id", "=", self.id)])
            if _is_fresh(token) and token.access_token != stale:
                return token.access_token
            try:
                granted = request_token(
                    shop._shopify_admin_base(), shop.client_id, shop.webhook_secret
                )
            except ShopifyCredentialsError as exc:
                shop._shopify_store_token({"access_token": False, "error": exc.answer})
                # its own cursor: the refusal survives the caller's rollback
                cr.commit()  # pylint: disable=invalid-commit
                raise
            now = fields.Datetime.now()
            shop._shopify_store_token(
                {
                    "access_token": granted.access_token,
                    "scope": ",".join(granted.scopes),
                    "expires_at": now + timedelta(seconds=granted.expires_in),
                    "obtained_at": now,
                    "error": False,
                }
            )
            _logger.info(
                "Shopify %s: new Admin API token, valid %ss",
                shop.shop_domain,
                granted.expires_in,
            )
            return granted.access_token

    def _shopify_lock_token(self, cr):
        """Wait (a bounded time) for the shop's token lock in ``cr``, a fresh cursor.
        READ COMMITTED: what is read after the wait includes what the job that held
        the lock committed (a snapshot taken before the wait would miss its token).
        In tests every cursor is one transaction: nothing to change there."""
        if not self.env.registry.in_test_mode():
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cr.execute(
            "SELECT set_config('lock_timeout', %s, true)", [f"{RENEW_LOCK_TIMEOUT_MS}"]
        )
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                    [f"shopify-token:{self.id}"],
                )
        except psycopg2.errors.LockNotAvailable as exc:
            raise ShopifyTransientError(
                "another job has been renewing this shop's token for "
                f"{RENEW_LOCK_TIMEOUT_MS // 1000}s",
                retry_after=10,
            ) from exc
        cr.execute("SELECT set_config('lock_timeout', '0', true)")

    def _shopify_store_token(self, vals: dict):
        token = self.env["shopify.shop.token"].search([("shop_id", "=", self.id)])
        if token:
            token.write(vals)
        else:
            token.create(dict(vals, shop_id=self.id))

    def _shopify_note_credentials_error(self, answer: str):
        """Keep Shopify's refusal for the shop form, whatever becomes of the job's
        transaction."""
        with self.env.registry.cursor() as cr:
            self._shopify_lock_token(cr)
            self.with_env(api.Environment(cr, SUPERUSER_ID, {}))._shopify_store_token(
                {"error": answer}
            )

    def _shopify_credentials_message(self, exc: Exception) -> str:
        if self._shopify_uses_client_credentials():
            fix = self.env._(
                "Check the Client ID and Client secret of the shop %(shop)s against "
                "the app's settings in the Dev Dashboard, and that the app is "
                "installed on the store; saving the shop re-runs this object.",
                shop=self.shop_domain,
            )
        else:
            fix = self.env._(
                "Set a valid Admin API access token on the shop %(shop)s (or the "
                "Client ID and secret of a Dev Dashboard app); saving the shop re-runs "
                "this object.",
                shop=self.shop_domain,
            )
        return f"{CREDENTIALS_REJECTED}{exc} {fix}"

    # -- Test connection --

    def action_test_connection(self):
        """Enqueue a short job asking Shopify for the shop's name, plan and scopes; its
        answer (or Shopify's error) shows on the form."""
        check_manager(self)
        self._shopify_enqueue_per_shop(
            "_shopify_test_connection", "connection_test", "test connection", 3
        )
        return self._shopify_notify_info(
            self.env._(
                "Testing the connection: reload the shop in a few seconds to see "
                "Shopify's answer."
            ),
            close=True,
        )

    def _shopify_test_connection(self):
        """Job: the shop's name, plan and granted scopes, or Shopify's error."""
        self.ensure_one()
        try:
            data = self._shopify_client().query(CONNECTION_TEST)
        except (ShopifyCredentialsError, ShopifyUnauthorizedError) as exc:
            self._shopify_note_credentials_error(str(exc))
            result = self.env._("Shopify refused the credentials: %s", exc)
        except ShopifyPermanentError as exc:  # transient ones retry the job
            result = self.env._("Shopify answered with an error: %s", exc)
        else:
            result = self._shopify_connection_summary(data)
        self.write(
            {
                "connection_test_date": fields.Datetime.now(),
                "connection_test_result": result,
            }
        )
        return result

    def _shopify_connection_summary(self, data: dict) -> str:
        shop_data = data.get("shop") or {}
        scopes = [
            scope["handle"]
            for scope in (data.get("currentAppInstallation") or {}).get("accessScopes")
            or []
        ]
        if not self._shopify_uses_client_credentials():
            self._shopify_note_scopes(scopes)
        missing = missing_scopes(scopes, self._shopify_needed_scopes())
        lines = [
            self.env._(
                "Connected to %(name)s (%(domain)s), plan %(plan)s.",
                name=shop_data.get("name"),
                domain=shop_data.get("myshopifyDomain"),
                plan=(shop_data.get("plan") or {}).get("publicDisplayName"),
            ),
            self.env._("Scopes: %s", ", ".join(scopes) or "-"),
        ]
        if missing:
            lines.append(self.env._("Missing scopes: %s", ", ".join(missing)))
        return "\n".join(lines)

    def _shopify_note_scopes(self, scopes: list[str]):
        with self.env.registry.cursor() as cr:
            self._shopify_lock_token(cr)
            self.with_env(api.Environment(cr, SUPERUSER_ID, {}))._shopify_store_token(
                {"scope": ",".join(sorted(scopes)), "error": False}
            )


def _is_fresh(token) -> bool:
    return bool(
        token
        and token.access_token
        and token.expires_at
        and token.expires_at > fields.Datetime.now() + RENEW_MARGIN
    )
