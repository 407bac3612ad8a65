"""The fake Shopify Admin API is only useful if it is honest: these tests prove it.

Plain unittest (no Odoo): real HTTP over sockets with ``requests`` against the fake,
which checks documents against Shopify's real 2026-10 Admin schema.
"""

from __future__ import annotations

import time
import unittest

import requests

from .fake_shopify import (
    CostBucket,
    FakeShopify,
    gid,
    gid_id,
    load_admin_schema,
    requested_cost,
    validate_document,
)

ORDER_QUERY = """
query($id: ID!, $after: String) {
  order(id: $id) {
    id
    name
    lineItems(first: 2, after: $after) {
      nodes { sku quantity }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

ORDER_ID = gid("Order", 450789469)

# requested: order 1 + lineItems 2 + 10 x (line 1 + price bag 1 + shopMoney 1) = 33
PRICED_LINES_QUERY = """
query($id: ID!) {
  order(id: $id) {
    id
    lineItems(first: 10) {
      nodes { id originalUnitPriceSet { shopMoney { amount } } }
    }
  }
}
"""


def line_items(count: int) -> list[dict]:
    return [
        {
            "id": gid("LineItem", n),
            "sku": f"SKU-{n}",
            "quantity": n,
            "name": f"Item {n}",
        }
        for n in range(1, count + 1)
    ]


class TestFakeShopify(unittest.TestCase):
    fake: FakeShopify

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.fake = FakeShopify().start()
        cls.addClassCleanup(cls.fake.stop)

    def setUp(self) -> None:
        super().setUp()
        self.fake.reset(objects=True)
        self.fake.mutation_handlers.clear()
        self.fake.throttle_available = 1990.0
        self.fake.add(
            {"id": ORDER_ID, "name": "#1001", "lineItems": {"nodes": line_items(5)}}
        )
        self.session = requests.Session()
        self.addCleanup(self.session.close)

    def post(
        self, query: str, variables: dict | None = None, **kw
    ) -> requests.Response:
        kw.setdefault("headers", {"X-Shopify-Access-Token": self.fake.access_token})
        kw.setdefault("timeout", 10)
        return self.session.post(
            self.fake.graphql_url(),
            json={"query": query, "variables": variables or {}},
            **kw,
        )

    def order_page(self, after: str | None = None) -> dict:
        response = self.post(ORDER_QUERY, {"id": ORDER_ID, "after": after})
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertNotIn("errors", body)
        return body["data"]["order"]["lineItems"]

    def assert_normal_answer(self) -> None:
        self.assertEqual(len(self.order_page()["nodes"]), 2)

    # ---- schema

    def test_schema_has_the_fields_used_here(self) -> None:
        schema = load_admin_schema()
        self.assertIs(schema, load_admin_schema())  # cached per process
        self.assertIn("lineItems", schema.type_map["Order"].fields)
        self.assertEqual(str(schema.type_map["LineItem"].fields["sku"].type), "String")
        self.assertEqual(
            str(schema.type_map["LineItem"].fields["quantity"].type), "Int!"
        )
        self.assertEqual(validate_document(ORDER_QUERY), [])
        self.assertTrue(validate_document("{ order(id: "))  # syntax error

    def test_gid_helpers(self) -> None:
        self.assertEqual(gid("Order", 1), "gid://shopify/Order/1")
        self.assertEqual(gid_id("gid://shopify/Order/450789469"), 450789469)
        with self.assertRaises(ValueError):
            gid_id("450789469")

    # ---- documents

    def test_invalid_document_is_rejected_and_recorded(self) -> None:
        query = '{ order(id: "gid://shopify/Order/1") { id notAField } }'
        response = self.post(query)
        self.assertEqual(response.status_code, 200)  # Shopify answers 200 with errors
        body = response.json()
        self.assertNotIn("data", body)
        (error,) = body["errors"]
        self.assertIn("notAField", error["message"])
        self.assertEqual(error["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED")
        self.assertTrue(error["locations"])
        self.assertEqual(len(self.fake.invalid_documents), 1)
        self.assertEqual(self.fake.invalid_documents[0]["query"], query)

    def test_missing_variable_is_recorded_as_invalid(self) -> None:
        body = self.post(ORDER_QUERY, {}).json()
        self.assertIn("$id", body["errors"][0]["message"])
        self.assertEqual(len(self.fake.invalid_documents), 1)

    def test_connection_is_paged_with_cursors(self) -> None:
        page = self.order_page()
        self.assertEqual(
            page["nodes"],
            [{"sku": "SKU-1", "quantity": 1}, {"sku": "SKU-2", "quantity": 2}],
        )
        self.assertTrue(page["pageInfo"]["hasNextPage"])
        page = self.order_page(after=page["pageInfo"]["endCursor"])
        self.assertEqual([n["sku"] for n in page["nodes"]], ["SKU-3", "SKU-4"])
        self.assertTrue(page["pageInfo"]["hasNextPage"])
        page = self.order_page(after=page["pageInfo"]["endCursor"])
        self.assertEqual([n["sku"] for n in page["nodes"]], ["SKU-5"])
        self.assertFalse(page["pageInfo"]["hasNextPage"])
        self.assertEqual(self.fake.invalid_documents, [])

    def test_paging_more_than_250_edges_aliases_and_last(self) -> None:
        self.fake.objects[ORDER_ID]["lineItems"] = {"nodes": line_items(600)}
        query = """
        query($id: ID!, $after: String) {
          o: order(id: $id) {
            items: lineItems(first: 250, after: $after) {
              edges { cursor node { sku } }
              pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
            }
            tail: lineItems(last: 3) { nodes { sku } }
          }
        }"""
        skus, after, pages = [], None, 0
        while True:
            body = self.post(query, {"id": ORDER_ID, "after": after}).json()
            items = body["data"]["o"]["items"]
            skus += [edge["node"]["sku"] for edge in items["edges"]]
            self.assertEqual(items["pageInfo"]["hasPreviousPage"], after is not None)
            self.assertEqual(
                items["pageInfo"]["endCursor"], items["edges"][-1]["cursor"]
            )
            pages += 1
            if not items["pageInfo"]["hasNextPage"]:
                break
            after = items["pageInfo"]["endCursor"]
        self.assertEqual(pages, 3)
        self.assertEqual(skus, [f"SKU-{n}" for n in range(1, 601)])
        tail = body["data"]["o"]["tail"]["nodes"]
        self.assertEqual(
            tail, [{"sku": "SKU-598"}, {"sku": "SKU-599"}, {"sku": "SKU-600"}]
        )

    def test_page_size_above_250_is_an_error(self) -> None:
        query = """query($id: ID!) {
          order(id: $id) { lineItems(first: 251) { nodes { sku } } }
        }"""
        body = self.post(query, {"id": ORDER_ID}).json()
        self.assertIn("250", body["errors"][0]["message"])

    def test_unknown_id_is_null_and_interfaces_resolve(self) -> None:
        query = """
        query($ids: [ID!]!, $missing: ID!) {
          order(id: $missing) { id }
          nodes(ids: $ids) { __typename id ... on Order { name } }
        }"""
        variables = {"ids": [ORDER_ID, gid("Order", 404)], "missing": gid("Order", 404)}
        body = self.post(query, variables).json()
        self.assertNotIn("errors", body)
        self.assertIsNone(body["data"]["order"])
        self.assertEqual(
            body["data"]["nodes"],
            [{"__typename": "Order", "id": ORDER_ID, "name": "#1001"}, None],
        )

    def test_cost_extension_and_empty_bucket(self) -> None:
        self.fake.throttle_available = 12.5
        body = self.post(ORDER_QUERY, {"id": ORDER_ID}).json()
        cost = body["extensions"]["cost"]
        self.assertGreater(cost["requestedQueryCost"], 0)
        self.assertEqual(cost["actualQueryCost"], cost["requestedQueryCost"])
        self.assertEqual(
            cost["throttleStatus"],
            {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": 12.5,
                "restoreRate": 100.0,
            },
        )

    # ---- calculated query cost and the bucket (shopify.dev, "GraphQL Admin API rate
    #      limits": requested cost taken up front, the rest refunded)

    def test_requested_cost_follows_shopifys_rules(self) -> None:
        # The documented example: 2 + 10 x (product 1 + variants 2 + 5 x variant 1).
        products = """{ products(first: 10) { edges { node { title
            variants(first: 5) { edges { node { price } } } } } } }"""
        self.assertEqual(requested_cost(products), 82)
        self.assertEqual(requested_cost(PRICED_LINES_QUERY), 33)
        self.assertEqual(requested_cost(ORDER_QUERY), 1 + 2 + 2 * 1)
        self.assertEqual(requested_cost("{ shop { id name } }"), 1)
        mutation = """mutation { tagsAdd(id: "gid://shopify/Order/1", tags: ["a"]) {
            userErrors { message } } }"""
        self.assertEqual(requested_cost(mutation), 10)

    def priced_order(self, lines: int) -> None:
        nodes = [
            {**line, "originalUnitPriceSet": {"shopMoney": {"amount": "1.0"}}}
            for line in line_items(lines)
        ]
        self.fake.add({"id": ORDER_ID, "name": "#1001", "lineItems": {"nodes": nodes}})

    def test_bucket_takes_the_requested_cost_and_refunds_the_rest(self) -> None:
        self.priced_order(5)
        self.fake.set_bucket(100, restore_rate=0.001)
        cost = self.post(PRICED_LINES_QUERY, {"id": ORDER_ID}).json()["extensions"]
        # actual: 1 + 2 + 5 returned lines x 3 = 18; 33 taken, 15 given back
        self.assertEqual(cost["cost"]["requestedQueryCost"], 33)
        self.assertEqual(cost["cost"]["actualQueryCost"], 18)
        status = cost["cost"]["throttleStatus"]
        self.assertEqual(status["maximumAvailable"], 100.0)
        self.assertEqual(status["currentlyAvailable"], 82.0)
        self.assertEqual(status["restoreRate"], 0.001)

    def test_a_query_the_bucket_cannot_pay_is_throttled_and_does_not_run(self) -> None:
        self.priced_order(5)
        self.fake.set_bucket(50, restore_rate=0.001)
        self.post(PRICED_LINES_QUERY, {"id": ORDER_ID})  # 50 - 18 = 32 left
        body = self.post(PRICED_LINES_QUERY, {"id": ORDER_ID}).json()
        self.assertNotIn("data", body)
        self.assertEqual(body["errors"][0]["extensions"]["code"], "THROTTLED")
        self.assertEqual(body["extensions"]["cost"]["requestedQueryCost"], 33)
        self.assertIsNone(body["extensions"]["cost"]["actualQueryCost"])
        status = body["extensions"]["cost"]["throttleStatus"]
        self.assertEqual(status["currentlyAvailable"], 32.0, "nothing was taken")
        # a cheaper query still fits: its requested cost is what counts
        self.assertEqual(requested_cost(ORDER_QUERY), 5)
        self.assertEqual(len(self.order_page()["nodes"]), 2)

    def test_bucket_restores_at_its_rate_up_to_its_maximum(self) -> None:
        now = [0.0]
        bucket = CostBucket(1000, 50, clock=lambda: now[0])
        self.assertTrue(bucket.take(900))
        self.assertFalse(bucket.take(200))
        now[0] = 2.0  # 100 + 2 s x 50
        self.assertEqual(bucket.available(), 200.0)
        bucket.refund(50)
        self.assertEqual(bucket.available(), 250.0)
        now[0] = 60.0
        self.assertEqual(bucket.available(), 1000.0)

    def test_without_a_bucket_nothing_is_throttled(self) -> None:
        self.fake.set_bucket(1, restore_rate=0.001)
        self.fake.reset()
        self.assertIsNone(self.fake.bucket)
        self.assertEqual(len(self.order_page()["nodes"]), 2)

    # ---- HTTP level

    def test_bad_or_missing_token_is_401(self) -> None:
        for headers in ({"X-Shopify-Access-Token": "shpat_wrong"}, {}):
            response = self.post(ORDER_QUERY, {"id": ORDER_ID}, headers=headers)
            self.assertEqual(response.status_code, 401)
            self.assertEqual(
                response.json(),
                {
                    "errors": "[API] Invalid API key or access token "
                    "(unrecognized login or wrong password)"
                },
            )

    def test_invalid_json_is_400(self) -> None:
        response = self.session.post(
            self.fake.graphql_url(),
            data=b"{not json",
            headers={"X-Shopify-Access-Token": self.fake.access_token},
            timeout=10,
        )
        self.assertEqual(response.status_code, 400)

    def test_requests_are_recorded(self) -> None:
        self.order_page()
        (entry,) = self.fake.requests
        self.assertIn("lineItems", entry["query"])
        self.assertEqual(entry["variables"], {"id": ORDER_ID, "after": None})
        self.assertEqual(entry["status"], 200)
        self.assertEqual(
            entry["headers"]["X-Shopify-Access-Token"], self.fake.access_token
        )
        self.assertEqual(entry["response"]["data"]["order"]["name"], "#1001")

    # ---- mutations

    def test_mutation_handler_is_called_and_recorded(self) -> None:
        def tags_add(fake: FakeShopify, args: dict) -> dict:
            fake.objects[args["id"]].setdefault("tags", []).extend(args["tags"])
            return {"node": fake.objects[args["id"]], "userErrors": []}

        self.fake.mutation_handlers["tagsAdd"] = tags_add
        query = """
        mutation($id: ID!, $tags: [String!]!) {
          tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } }
        }"""
        body = self.post(query, {"id": ORDER_ID, "tags": ["synced"]}).json()
        self.assertEqual(
            body["data"], {"tagsAdd": {"node": {"id": ORDER_ID}, "userErrors": []}}
        )
        self.assertEqual(
            self.fake.mutations, [("tagsAdd", {"id": ORDER_ID, "tags": ["synced"]})]
        )
        self.assertEqual(self.fake.objects[ORDER_ID]["tags"], ["synced"])

    def test_unregistered_mutation_is_an_error(self) -> None:
        query = """mutation {
          tagsRemove(id: "gid://shopify/Order/1", tags: ["x"]) {
            userErrors { message }
          }
        }"""
        body = self.post(query).json()
        self.assertIsNone(body["data"]["tagsRemove"])
        self.assertIn("tagsRemove", body["errors"][0]["message"])
        self.assertEqual(self.fake.mutations[0][0], "tagsRemove")

    # ---- failure injection: each kind once, then normal answers resume

    def test_429_with_retry_after(self) -> None:
        self.fake.fail_next("429", retry_after=1.5)
        response = self.post(ORDER_QUERY, {"id": ORDER_ID})
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response.headers["Retry-After"], "1.5")
        self.assertIn("Exceeded 2 calls per second", response.json()["errors"])
        self.assert_normal_answer()

    def test_429_default_retry_after_and_count(self) -> None:
        self.fake.fail_next("429", count=2)
        for _ in range(2):
            response = self.post(ORDER_QUERY, {"id": ORDER_ID})
            self.assertEqual(response.status_code, 429)
            self.assertEqual(response.headers["Retry-After"], "2.0")
        self.assert_normal_answer()

    def test_throttled(self) -> None:
        self.fake.fail_next("throttled")
        response = self.post(ORDER_QUERY, {"id": ORDER_ID})
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["errors"][0]["extensions"]["code"], "THROTTLED")
        cost = body["extensions"]["cost"]
        self.assertIsNone(cost["actualQueryCost"])
        self.assertLess(
            cost["throttleStatus"]["currentlyAvailable"], cost["requestedQueryCost"]
        )
        self.assert_normal_answer()

    def test_5xx(self) -> None:
        for status in ("500", "502", "503"):
            with self.subTest(status=status):
                self.fake.fail_next(status)
                response = self.post(ORDER_QUERY, {"id": ORDER_ID})
                self.assertEqual(response.status_code, int(status))
                self.assertTrue(response.text)
                self.assert_normal_answer()

    def test_internal_error(self) -> None:
        self.fake.fail_next("internal")
        response = self.post(ORDER_QUERY, {"id": ORDER_ID})
        self.assertEqual(response.status_code, 200)
        (error,) = response.json()["errors"]
        self.assertEqual(error["extensions"]["code"], "INTERNAL_SERVER_ERROR")
        self.assertTrue(error["message"].startswith("Internal error."))
        self.assert_normal_answer()

    def test_graphql_error(self) -> None:
        self.fake.fail_next("graphql_error", message="Something odd")
        response = self.post(ORDER_QUERY, {"id": ORDER_ID})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"errors": [{"message": "Something odd"}]})
        self.assert_normal_answer()

    def test_slow_answer_times_out_client_then_recovers(self) -> None:
        self.fake.fail_next("slow", delay=1.5)
        started = time.monotonic()
        with self.assertRaises(requests.exceptions.ReadTimeout):
            self.post(ORDER_QUERY, {"id": ORDER_ID}, timeout=0.3)
        self.assertLess(time.monotonic() - started, 1.4)
        self.assert_normal_answer()
        time.sleep(1.5)  # let the abandoned answer hit the closed socket: no crash
        self.assert_normal_answer()

    def test_slow_answer_is_normal_when_waited_for(self) -> None:
        self.fake.fail_next("slow", delay=0.3)
        self.assertEqual(len(self.order_page()["nodes"]), 2)

    def test_fail_next_rejects_unknown_kind(self) -> None:
        with self.assertRaises(ValueError):
            self.fake.fail_next("418")


if __name__ == "__main__":
    unittest.main()
