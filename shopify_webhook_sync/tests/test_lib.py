"""The framework-free pieces: signatures, topics, and the client's error typing against
a real HTTP server that fails the way Shopify does."""

import unittest

from ..lib.client import ShopifyClient, ShopifyPermanentError, ShopifyTransientError
from ..lib.describe import Described, describe
from ..lib.queries import ORDER
from ..lib.webhook import object_of, sign, verify
from .common import ORDER_GID, ORDER_ID, fixture
from .fake_shopify import FakeShopify

BODY = b'{"id": 820982911946154508}'


class TestSignature(unittest.TestCase):
    def test_sign_matches_shopify_reference(self):
        # base64(HMAC-SHA256(body, secret)), computed independently with openssl:
        # printf '{"id": 820982911946154508}' \
        #   | openssl dgst -sha256 -hmac s3cret -binary | base64
        self.assertEqual(
            sign(BODY, "s3cret"), "yT5THppkLquKSCrM5ua90HknOe+NXIIKcRkLnMWQeCc="
        )

    def test_verify_current_or_previous_secret(self):
        signature = sign(BODY, "old")
        self.assertTrue(verify(BODY, signature, ("new", "old")))
        self.assertTrue(verify(BODY, sign(BODY, "new"), ("new", "old")))
        self.assertFalse(verify(BODY, signature, ("new", None)))

    def test_verify_rejects_tampering_and_empty_secrets(self):
        signature = sign(BODY, "s3cret")
        self.assertFalse(verify(BODY + b" ", signature, ("s3cret",)))
        self.assertFalse(verify(BODY, signature[:-2], ("s3cret",)))
        self.assertFalse(verify(BODY, sign(BODY, ""), ("", None)))


class TestTopics(unittest.TestCase):
    def test_order_topics_name_the_order(self):
        self.assertEqual(object_of("orders/create", {"id": 5}), ("order", "5"))
        self.assertEqual(
            object_of("orders/edited", {"order_edit": {"order_id": 7}}), ("order", "7")
        )

    def test_unsupported_topic(self):
        self.assertIsNone(object_of("carts/update", {"id": 1}))

    def test_missing_id_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "no numeric id"):
            object_of("orders/create", {"name": "#1"})


class TestClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeShopify().start()
        cls.addClassCleanup(cls.fake.stop)

    def setUp(self):
        self.fake.reset(objects=True)
        self.fake.throttle_available = 1990.0
        self.fake.add(fixture(f"graphql/order_{ORDER_ID}.json"))
        self.client = ShopifyClient(self.fake.graphql_url(), self.fake.access_token)

    def order(self):
        return self.client.query(ORDER, {"id": ORDER_GID})["order"]

    def test_query(self):
        self.assertEqual(self.order()["name"], "#9999")
        self.assertEqual(self.fake.invalid_documents, [])

    def test_429_is_transient_with_retry_after(self):
        self.fake.fail_next("429", retry_after=7)
        with self.assertRaises(ShopifyTransientError) as caught:
            self.order()
        self.assertEqual(caught.exception.retry_after, 7)

    def test_throttled_is_transient(self):
        self.fake.fail_next("throttled")
        with self.assertRaises(ShopifyTransientError) as caught:
            self.order()
        self.assertGreaterEqual(caught.exception.retry_after, 1)

    def test_5xx_and_timeouts_are_transient(self):
        self.fake.fail_next("503")
        with self.assertRaisesRegex(ShopifyTransientError, "HTTP 503"):
            self.order()
        self.fake.fail_next("slow", delay=1.5)
        self.client.timeout = 0.5
        with self.assertRaisesRegex(ShopifyTransientError, "did not answer in time"):
            self.order()

    def test_unreachable_is_transient(self):
        client = ShopifyClient("http://127.0.0.1:9/admin/api/2026-10/graphql.json", "x")
        with self.assertRaisesRegex(ShopifyTransientError, "could not be reached"):
            client.query(ORDER, {"id": ORDER_GID})

    def test_bad_token_and_graphql_errors_are_permanent(self):
        client = ShopifyClient(self.fake.graphql_url(), "wrong-token")
        with self.assertRaisesRegex(ShopifyPermanentError, "access token"):
            client.query(ORDER, {"id": ORDER_GID})
        self.fake.fail_next("graphql_error", message="Field 'x' doesn't exist")
        with self.assertRaisesRegex(ShopifyPermanentError, "Field 'x' doesn't exist"):
            self.order()

    def test_empty_budget_reschedules_before_sending(self):
        self.order()
        self.fake.throttle_available = 0.5
        self.order()  # reports an empty bucket
        sent = len(self.fake.requests)
        with self.assertRaisesRegex(ShopifyTransientError, "budget") as caught:
            self.order()
        self.assertGreaterEqual(caught.exception.retry_after, 1)
        self.assertEqual(
            len(self.fake.requests), sent, "nothing is sent with an empty bucket"
        )


class TestDescribe(unittest.TestCase):
    """Events are named by their Shopify object, read from the payload."""

    def test_each_kind_is_named_in_the_merchants_words(self):
        cases = [
            ("orders/create", "order", "Order #9999 (John Smith)", "jon@example.com"),
            ("customers/create", "customer", "Bob Biller <bob@biller.com>", None),
            ("products/create", "product", "Example T-Shirt", None),
            ("customers/redact", "customer_redact", "Redact customer: john@", None),
            ("customers/data_request", "customer_data_request", "Data request", None),
        ]
        for topic, kind, name, email in cases:
            with self.subTest(topic=topic):
                described = describe(
                    kind, fixture(f"webhooks/{topic.replace('/', '__')}.json")
                )
                self.assertTrue(described.name.startswith(name), described.name)
                if email:
                    self.assertEqual(described.email, email)

    def test_order_skus_and_nothing_guessed_from_a_bare_payload(self):
        order = describe("order", fixture("webhooks/orders__create.json"))
        self.assertEqual(order.skus.split()[:2], ["SKU2006-001", "LENS-PROTECT-2YR"])
        self.assertEqual(describe("order", {"id": 1}), Described())
        self.assertEqual(describe(None, {"title": "x"}), Described())
        self.assertIsNone(describe("customer", {"email": False}).email)
        self.assertEqual(describe("refund", {"refund_line_items": 5}), Described())
