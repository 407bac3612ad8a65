"""The framework-free pieces: signatures, topics, and the client's error typing against
a real HTTP server that fails the way Shopify does."""

import copy
import unittest
from decimal import Decimal

from ..lib.client import (
    ShopifyClient,
    ShopifyPermanentError,
    ShopifyThrottledError,
    ShopifyTransientError,
)
from ..lib.describe import Described, describe
from ..lib.order_taxes import TaxedLine, current_taxes
from ..lib.queries import NEXT_PAGES, ORDER
from ..lib.webhook import object_of, sign, verify
from .common import ORDER_GID, ORDER_ID, fixture
from .fake_shopify import FakeShopify, requested_cost

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
        super().setUpClass()
        cls.fake = FakeShopify().start()
        cls.addClassCleanup(cls.fake.stop)

    def setUp(self):
        super().setUp()
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
        with self.assertRaises(ShopifyThrottledError) as caught:
            self.order()
        self.assertGreaterEqual(caught.exception.retry_after, 1)

    def test_a_429_is_a_rate_limit_too(self):
        self.fake.fail_next("429", retry_after=3)
        with self.assertRaises(ShopifyThrottledError):
            self.order()

    def test_an_outage_is_no_rate_limit(self):
        self.fake.fail_next("503")
        with self.assertRaises(ShopifyTransientError) as caught:
            self.order()
        self.assertNotIsInstance(caught.exception, ShopifyThrottledError)

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
        with self.assertRaisesRegex(ShopifyThrottledError, "budget") as caught:
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


class MemoryProgress:
    """A progress store kept in a dict (the addon's keeps it in a table)."""

    def __init__(self):
        self.saved = {}

    def load(self, key):
        return copy.deepcopy(self.saved.get(key))

    def save(self, key, progress):
        self.saved[key] = copy.deepcopy(progress)

    def clear(self, key):
        self.saved.pop(key, None)


class TestBudget(unittest.TestCase):
    """Budgeting on Shopify's cost bucket: requested cost, the wait, resumed reads."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeShopify().start()
        cls.addClassCleanup(cls.fake.stop)
        cls.order_data = fixture(f"graphql/order_{ORDER_ID}.json")

    def setUp(self):
        super().setUp()
        self.fake.reset(objects=True)
        order = copy.deepcopy(self.order_data)
        template = order["lineItems"]["nodes"][0]
        order["lineItems"]["nodes"] = [
            {**template, "id": f"gid://shopify/LineItem/{n}", "name": f"Line {n}"}
            for n in range(1, 121)
        ]
        self.order_obj = self.fake.add(order)
        self.store = MemoryProgress()

    def client(self):
        """A new client, as each run of a job makes one."""
        return ShopifyClient(
            self.fake.graphql_url(),
            self.fake.access_token,
            progress_store=self.store,
            next_pages=NEXT_PAGES,
        )

    def fetch(self, client=None):
        return (client or self.client()).fetch_all(
            ORDER, {"id": ORDER_GID}, ("order", "lineItems")
        )

    def sent(self):
        return [r["query"].split("(")[0].split()[-1] for r in self.fake.requests]

    def test_the_next_query_is_budgeted_on_its_requested_cost(self):
        client = self.client()
        bucket = self.fake.set_bucket(1000, restore_rate=1)
        client.query(ORDER, {"id": ORDER_GID})
        requested = requested_cost(ORDER)
        # The fixture's 5 lines cost far less than requested: the bucket has room
        # for the actual cost, but Shopify takes the requested cost up front.
        self.assertGreater(bucket.available(), 1000 - requested)
        self.assertLess(bucket.available(), requested)
        sent = len(self.fake.requests)
        with self.assertRaisesRegex(ShopifyThrottledError, "budget") as caught:
            client.query(ORDER, {"id": ORDER_GID})
        self.assertEqual(len(self.fake.requests), sent, "refused before sending")
        deficit = requested - bucket.available()
        self.assertAlmostEqual(caught.exception.retry_after, deficit, delta=1.5)

    def test_a_throttled_answer_gives_the_wait_for_its_own_cost(self):
        bucket = self.fake.set_bucket(1000, restore_rate=10)
        bucket.take(900)
        with self.assertRaises(ShopifyThrottledError) as caught:
            self.client().query(ORDER, {"id": ORDER_GID})
        # (requested - about 100 available) / 10 points a second
        expected = (requested_cost(ORDER) - 100) / 10
        self.assertAlmostEqual(caught.exception.retry_after, expected, delta=1.5)

    def test_a_throttled_read_goes_on_from_the_pages_it_had(self):
        bucket = self.fake.set_bucket(1000, restore_rate=0.01)
        with self.assertRaises(ShopifyThrottledError):
            self.fetch()
        # 1000 points pay the first page (its requested cost up front, most of it
        # given back) and maybe a lean second one; the next is refused (by Shopify the
        # first time the client sends that document, by the client once it knows its
        # cost), and what was read is kept.
        [progress] = self.store.saved.values()
        read = len(progress["nodes"])
        self.assertIn(read, (50, 100))
        self.assertEqual(self.sent(), ["Order", "OrderLines"])
        bucket.refund(1000)
        self.fake.reset()  # forget requests; unlimited from here
        order, lines = self.fetch()
        pages_left = -(-(120 - read) // 50)
        self.assertEqual(self.sent(), ["OrderLines"] * pages_left, "lean pages only")
        self.assertEqual(order["name"], self.order_obj["name"])
        self.assertEqual(
            [line["id"] for line in lines],
            [line["id"] for line in self.order_obj["lineItems"]["nodes"]],
        )
        self.assertEqual(self.store.saved, {}, "a completed read leaves nothing")

    def test_an_order_changed_between_pages_is_read_again(self):
        self.fake.set_bucket(1000, restore_rate=0.01)
        with self.assertRaises(ShopifyThrottledError):
            self.fetch()
        self.fake.reset()
        self.order_obj["updatedAt"] = "2026-11-30T10:00:00Z"
        self.order_obj["lineItems"]["nodes"] = self.order_obj["lineItems"]["nodes"][:60]
        order, lines = self.fetch()
        self.assertEqual(self.sent(), ["OrderLines", "Order", "OrderLines"])
        self.assertEqual(self.store.saved, {})
        self.assertEqual(order["updatedAt"], "2026-11-30T10:00:00Z")
        self.assertEqual(len(lines), 60)


class TestOrderTaxes(unittest.TestCase):
    """Shopify's current tax amounts per line (lib/order_taxes.py)."""

    VAT = ("VAT", Decimal("0.20000"))
    GST = ("GST", Decimal("0.05000"))

    def test_untouched_lines_carry_shopifys_own_amounts(self):
        lines = [
            TaxedLine("a", [(self.GST, Decimal("0.01"))]),
            TaxedLine("b", [(self.GST, Decimal("0.01"))]),
        ]
        self.assertEqual(
            current_taxes(lines, [(self.GST, Decimal("0.02"))], Decimal("0.02")),
            {"a": {self.GST: Decimal("0.01")}, "b": {self.GST: Decimal("0.01")}},
        )

    def test_rounding_left_by_a_removal_goes_on_the_largest_removed_line(self):
        # 3 units taxed 1.00; 1 removed: Shopify took 0.33 off, 0.67 is left.
        small = TaxedLine("s", [(self.VAT, Decimal("1.00"))], 3, 2, 1, Decimal(5))
        large = TaxedLine("l", [(self.VAT, Decimal("2.00"))], 3, 2, 1, Decimal(10))
        carried = current_taxes(
            [small, large], [(self.VAT, Decimal("2.00"))], Decimal("2.00")
        )
        self.assertEqual(carried["s"][self.VAT], Decimal("0.67"))
        self.assertEqual(carried["l"][self.VAT], Decimal("1.33"))
        carried = current_taxes(
            [small, large], [(self.VAT, Decimal("2.01"))], Decimal("2.01")
        )
        self.assertEqual(carried["l"][self.VAT], Decimal("1.34"))

    def test_more_than_rounding_or_nothing_removed_is_not_carried(self):
        line = TaxedLine("a", [(self.VAT, Decimal("1.00"))], 3, 2, 1)
        self.assertEqual(
            current_taxes([line], [(self.VAT, Decimal("0.90"))], Decimal("0.90")), {}
        )
        whole = TaxedLine("b", [(self.VAT, Decimal("1.00"))])
        self.assertEqual(
            current_taxes([whole], [(self.VAT, Decimal("1.01"))], Decimal("1.01")), {}
        )

    def test_taxes_not_broken_down_are_carried_together_or_not_at_all(self):
        line = TaxedLine(
            "a", [(self.VAT, Decimal("1.00")), (self.GST, Decimal("0.25"))]
        )
        # currentTaxLines missing: the order's total tax is the target.
        self.assertEqual(
            current_taxes([line], [], Decimal("1.25")),
            {"a": {self.VAT: Decimal("1.00"), self.GST: Decimal("0.25")}},
        )
        self.assertEqual(
            current_taxes([line], [], Decimal("1.25"), excluded={self.GST}), {}
        )
        # Broken down: the other tax is still carried.
        self.assertEqual(
            current_taxes(
                [line],
                [(self.VAT, Decimal("1.00")), (self.GST, Decimal("0.25"))],
                Decimal("1.25"),
                excluded={self.GST},
            ),
            {"a": {self.VAT: Decimal("1.00")}},
        )
