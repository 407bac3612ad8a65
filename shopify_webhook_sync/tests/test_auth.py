"""A Dev Dashboard app: the shop has a Client ID and secret, jobs obtain and renew the
Admin API token (client credentials grant) from the fake Shopify's token endpoint."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.shopify_auth import CREDENTIALS_REJECTED
from .common import SECRET, ShopifyCase

CLIENT_ID = "fake-client-id"


@tagged("post_install", "-at_install")
class TestClientCredentials(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop.write(
            {
                "access_token": False,
                "client_id": CLIENT_ID,
                "webhook_secret": SECRET,  # the app's client secret signs webhooks
            }
        )

    def setUp(self):
        super().setUp()
        self.fake.client_id, self.fake.client_secret = CLIENT_ID, SECRET
        self.fake.installed = True

    def sync(self, topic="orders/create"):
        self.assertEqual(self.deliver(topic).status_code, 200)
        return self.run_jobs()

    def token(self):
        return self.env["shopify.shop.token"].search([("shop_id", "=", self.shop.id)])

    def grants(self):
        return [request["status"] for request in self.fake.token_requests]

    def test_order_syncs_with_only_client_id_and_secret(self):
        self.assertFalse(self.shop.access_token)
        job = self.sync()
        self.assertEqual(job.state, "done")
        self.assertEqual(len(self.sale_orders()), 1)
        self.assertEqual(self.grants(), [200])
        token = self.token()
        self.assertTrue(self.fake.token_valid(token.access_token))
        self.assertAlmostEqual(
            token.expires_at,
            fields.Datetime.now() + timedelta(seconds=self.fake.token_lifetime),
            delta=timedelta(minutes=1),
        )
        self.assertEqual(self.shop.token_scopes, self.fake.scopes)
        self.assertEqual(
            self.fake.requests[-1]["headers"]["X-Shopify-Access-Token"],
            token.access_token,
        )

    def test_token_is_reused_then_renewed_once_on_401(self):
        self.sync()
        first = self.token().access_token
        self.sync("orders/updated")
        self.assertEqual(self.grants(), [200], "a valid token is reused")
        self.fake.expire_tokens()
        job = self.sync("orders/updated")
        self.assertEqual(job.state, "done")
        self.assertEqual(self.grants(), [200, 200], "one renewal after the 401")
        statuses = [r["status"] for r in self.fake.requests if r["query"]]
        self.assertEqual(statuses[-2:], [401, 200])
        self.assertNotEqual(self.token().access_token, first)
        self.assertEqual(set(self.events().mapped("state")), {"done"})

    def test_token_about_to_expire_is_renewed_before_use(self):
        self.sync()
        self.token().expires_at = fields.Datetime.now() + timedelta(minutes=2)
        self.sync("orders/updated")
        self.assertEqual(self.grants(), [200, 200])
        statuses = [r["status"] for r in self.fake.requests if r["query"]]
        self.assertNotIn(401, statuses, "renewed before it expired, no 401")

    def assert_token_failure_is_a_retry(self, kind):
        self.fake.fail_token_next(kind)
        job = self.sync()
        self.assertEqual(job.state, "pending", "postponed, not failed")
        self.assertEqual(self.events().state, "queued")
        self.assertEqual(self.grants(), [int(kind)])
        self.assertEqual(self.run_jobs().state, "done", "the retry succeeds")
        self.assertEqual(self.grants(), [int(kind), 200])
        self.assertEqual(self.events().state, "done")

    def test_token_endpoint_down_is_a_retry(self):
        self.assert_token_failure_is_a_retry("503")

    def test_token_endpoint_throttled_is_a_retry(self):
        self.assert_token_failure_is_a_retry("429")

    @mute_logger("odoo.addons.queue_job.controllers.main")
    def test_wrong_client_id_waits_failed_and_reruns_once_saved(self):
        self.fake.client_id = "the-real-client-id"
        job = self.sync()
        self.assertEqual(job.state, "done", "a business outcome, not a crash")
        [event] = self.events()
        self.assertEqual(event.state, "failed")
        self.assertTrue(event.error_message.startswith(CREDENTIALS_REJECTED))
        self.assertIn("invalid_client", event.error_message)
        self.assertIn("Dev Dashboard", event.error_message, "the fix follows")
        self.assertIn("invalid_client", self.shop.credentials_error)
        self.assertFalse(self.sale_orders())

        self.shop.client_id = "the-real-client-id"  # the merchant fixes it
        self.assertEqual(event.state, "queued", "re-queued by saving the shop")
        self.assertFalse(self.shop.credentials_error)
        self.run_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(len(self.sale_orders()), 1)

    def test_reinstalled_app_reruns_what_failed_while_uninstalled(self):
        self.shop.connection_state = "disconnected"  # app/uninstalled was received
        self.sync()
        [event] = self.events()
        self.assertEqual(event.state, "failed")
        self.assertIn("save its Client ID and secret again", event.error_message)
        self.shop.client_id = CLIENT_ID  # reinstalled: the credentials saved again
        self.assertEqual(self.shop.connection_state, "connected")
        self.assertEqual(event.state, "queued")
        self.run_jobs()
        self.assertEqual(event.state, "done")

    def test_uninstalled_app_shows_shopifys_answer(self):
        self.fake.installed = False
        self.sync()
        self.assertIn("not installed", self.shop.credentials_error)
        self.assertIn("not installed", self.events().error_message)
        self.assertEqual(self.events().state, "failed")

    def test_missing_scopes_for_enabled_features(self):
        self.sync()
        self.assertFalse(self.shop.scopes_missing)
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.shop.company_id.id)], limit=1
        )
        self.env["shopify.location.mapping"].create(
            {
                "shop_id": self.shop.id,
                "name": "Main",
                "location_gid": "gid://shopify/Location/1",
                "warehouse_id": warehouse.id,
            }
        )
        self.shop.invalidate_recordset()
        self.assertIn("write_inventory", self.shop.scopes_needed)
        self.assertEqual(self.shop.scopes_missing, "write_inventory")

    def test_test_connection_shows_name_plan_and_scopes(self):
        self.fake.root["shop"] = {
            "name": "John Smith's store",
            "myshopifyDomain": "john-smith.myshopify.com",
            "plan": {"publicDisplayName": "Basic"},
        }
        scopes = ("read_orders", "read_products", "read_customers")
        self.fake.root["currentAppInstallation"] = {
            "accessScopes": [{"handle": scope} for scope in scopes]
        }
        self.shop.action_test_connection()
        [job] = self.run_jobs()
        self.assertEqual(job.state, "done")
        result = self.shop.connection_test_result
        self.assertIn("John Smith's store", result)
        self.assertIn("plan Basic", result)
        self.assertIn("read_orders, read_products, read_customers", result)
        self.assertIn("Missing scopes: write_fulfillments", result)
        self.assertTrue(self.shop.connection_test_date)

    def test_test_connection_shows_shopifys_error(self):
        self.fake.client_secret = "another-secret"  # rotated in the Dev Dashboard
        self.shop.action_test_connection()
        self.run_jobs()
        self.assertIn("refused the credentials", self.shop.connection_test_result)
        self.assertIn("invalid_client", self.shop.connection_test_result)


@tagged("post_install", "-at_install")
class TestStaticToken(ShopifyCase):
    def test_revoked_static_token_waits_failed_and_reruns_once_saved(self):
        self.shop.access_token = "shpat_revoked"
        self.deliver()
        self.run_jobs()
        [event] = self.events()
        self.assertEqual(event.state, "failed")
        self.assertTrue(event.error_message.startswith(CREDENTIALS_REJECTED))
        self.assertIn("Admin API access token", event.error_message)
        self.assertEqual(self.fake.token_requests, [], "no client credentials grant")
        self.shop.access_token = self.fake.access_token
        self.assertEqual(event.state, "queued")
        self.run_jobs()
        self.assertEqual(event.state, "done")
