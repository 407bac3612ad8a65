"""POST /shopify/webhook over real HTTP: what is accepted, refused, deduplicated, and
that a refused delivery leaves nothing behind."""

import threading

import requests

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..lib.webhook import sign
from .common import ORDER_GID, ORDER_ID, SECRET, ShopifyCase, webhook_body

CONTROLLER_LOGGER = "odoo.addons.shopify_webhook_sync.controllers.main"


@tagged("post_install", "-at_install")
class TestWebhookController(ShopifyCase):
    def assertNothingStored(self):
        self.assertFalse(self.events())
        self.assertFalse(self.jobs())
        self.assertFalse(self.env["shopify.webhook.duplicate"].search([]))

    def test_signed_delivery_is_recorded_and_enqueued(self):
        response = self.deliver("orders/create")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"")
        event = self.events()
        self.assertEqual(len(event), 1)
        self.assertRecordValues(
            event,
            [
                {
                    "topic": "orders/create",
                    "state": "queued",
                    "object_kind": "order",
                    "object_gid": ORDER_GID,
                    "api_version": "2026-10",
                }
            ],
        )
        self.assertEqual(str(event.triggered_at), "2026-11-27 10:00:00")
        self.assertEqual(event.payload, webhook_body("orders/create").decode())
        self.assertTrue(
            event.payload_pretty.startswith('{\n  "id": 820982911946154508')
        )
        job = self.jobs()
        self.assertEqual(len(job), 1)
        self.assertEqual(job.uuid, event.job_uuid)
        self.assertEqual(job.identity_key, f"{self.shop.id}:order:820982911946154508")
        self.assertEqual(job.channel, "root.shopify")
        self.assertEqual(self.fake.requests, [], "the request never calls Shopify")
        self.assertFalse(
            self.sale_orders(), "the request never builds business records"
        )

    def test_previous_secret_still_verifies_during_rotation(self):
        self.shop.write(
            {"webhook_secret": "new-secret", "webhook_secret_previous": SECRET}
        )
        self.assertEqual(self.deliver().status_code, 200)
        self.assertEqual(len(self.events()), 1)

    @mute_logger(CONTROLLER_LOGGER)
    def test_bad_signature_is_refused_and_leaves_nothing(self):
        body = webhook_body("orders/create")
        for signature in (
            sign(body, "not-the-secret"),
            sign(body + b" ", SECRET),
            "garbage",
        ):
            response = self.deliver(
                body=body, extra={"X-Shopify-Hmac-Sha256": signature}
            )
            self.assertEqual(response.status_code, 401)
        self.assertNothingStored()

    @mute_logger(CONTROLLER_LOGGER)
    def test_missing_signature_is_refused(self):
        response = self.deliver(extra={"X-Shopify-Hmac-Sha256": None})
        self.assertEqual(response.status_code, 401)
        self.assertNothingStored()

    @mute_logger(CONTROLLER_LOGGER)
    def test_rejected_delivery_logs_a_reason_without_the_body(self):
        with self.assertLogs(CONTROLLER_LOGGER, "WARNING") as logs:
            self.deliver(extra={"X-Shopify-Hmac-Sha256": "garbage"})
        self.assertIn("signature does not verify", logs.output[0])
        self.assertNotIn("jon@example.com", "\n".join(logs.output))

    @mute_logger(CONTROLLER_LOGGER)
    def test_missing_required_headers_answer_400(self):
        for header in (
            "X-Shopify-Topic",
            "X-Shopify-Shop-Domain",
            "X-Shopify-Webhook-Id",
        ):
            with self.subTest(header=header):
                response = self.deliver(extra={header: None})
                self.assertEqual(response.status_code, 400)
                self.assertIn(header, response.text)
        self.assertNothingStored()

    @mute_logger(CONTROLLER_LOGGER)
    def test_unknown_or_archived_shop_answers_401(self):
        self.assertEqual(
            self.deliver(
                extra={"X-Shopify-Shop-Domain": "other.myshopify.com"}
            ).status_code,
            401,
        )
        self.shop.active = False
        self.assertEqual(self.deliver().status_code, 401)
        self.assertNothingStored()

    @mute_logger(CONTROLLER_LOGGER)
    def test_shop_without_secret_refuses_everything(self):
        self.shop.webhook_secret = False
        body = webhook_body("orders/create")
        response = self.deliver(
            body=body, extra={"X-Shopify-Hmac-Sha256": sign(body, "")}
        )
        self.assertEqual(response.status_code, 401)
        self.assertNothingStored()

    @mute_logger(CONTROLLER_LOGGER)
    def test_signed_body_that_is_not_json_answers_400(self):
        for body in (b"not json", b"[1, 2]", b'{"name": "no id"}', b"\xff\xfe"):
            with self.subTest(body=body):
                self.assertEqual(self.deliver(body=body).status_code, 400)
        self.assertNothingStored()

    @mute_logger(CONTROLLER_LOGGER)
    def test_body_over_the_cap_answers_413(self):
        body = b'{"id": 1, "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
        self.assertEqual(self.deliver(body=body).status_code, 413)
        self.assertNothingStored()

    @mute_logger(CONTROLLER_LOGGER)
    def test_other_methods_answer_405(self):
        # Odoo 18 adds OPTIONS to every route: a signed OPTIONS must not be processed.
        for method in ("GET", "PUT", "DELETE", "OPTIONS"):
            with self.subTest(method=method):
                self.assertEqual(self.deliver(method=method).status_code, 405)
        self.assertNothingStored()

    @mute_logger(CONTROLLER_LOGGER)
    def test_malformed_headers_answer_400_before_the_shop_search(self):
        cases = {
            "X-Shopify-Topic": ("orders/create\x00", "orders/cr\xe9ate", "t" * 8192),
            "X-Shopify-Webhook-Id": ("w\x00", "w" * 8192, "\x7f"),
            "X-Shopify-Event-Id": ("e\x00", "e" * 257),
            "X-Shopify-API-Version": ("2026-10\x00",),
            "X-Shopify-Triggered-At": ("2026\x01",),
            "X-Shopify-Hmac-Sha256": ("a\x00b", "h" * 8192),
            "X-Shopify-Shop-Domain": (
                "john-smith.myshopify.com\x00",
                "john-smith\x00.myshopify.com",
                "john-smith.myshopify.com.evil.test",
                "john smith.myshopify.com",
                "-x.myshopify.com",
            ),
        }
        for header, values in cases.items():
            for value in values:
                with self.subTest(header=header, value=value[:40]):
                    response = self.deliver(extra={header: value})
                    self.assertEqual(response.status_code, 400)
                    self.assertIn(header, response.text)
        self.assertNothingStored()

    @mute_logger(CONTROLLER_LOGGER)
    def test_body_must_be_strict_utf8_json_within_the_depth_cap(self):
        order = b'{"id": 820982911946154508}'
        bodies = {
            "UTF-16": order.decode().encode("utf-16"),
            "UTF-16-LE": order.decode().encode("utf-16-le"),
            "UTF-32": order.decode().encode("utf-32"),
            "NUL byte": b'{"id": 820982911946154508, "n": "a\x00"}',
            "NUL escape": b'{"id": 820982911946154508, "n": "a\\u0000"}',
            "lone surrogate": b'{"id": 820982911946154508, "n": "\\ud800"}',
            "encoded surrogate": b'{"id": 820982911946154508, "n": "\xed\xa0\x80"}',
            "NaN": b'{"id": 820982911946154508, "n": NaN}',
            "BOM": b"\xef\xbb\xbf" + order,
            "truncated": order[:-3],
            "nested 100,000 deep": b'{"id": 1, "n": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}",
            "empty": b"",
        }
        with self.assertLogs(CONTROLLER_LOGGER, "WARNING") as logs:
            for name, body in bodies.items():
                with self.subTest(body=name):
                    self.assertEqual(self.deliver(body=body).status_code, 400)
        self.assertEqual(len(logs.output), len(bodies), "one reason line each")
        self.assertIn("nested over 64 levels", "\n".join(logs.output))
        self.assertNothingStored()
        nested = b'{"id": 820982911946154508, "n": ' + b"[" * 60 + b"]" * 60 + b"}"
        self.assertEqual(self.deliver(body=nested).status_code, 200)

    @mute_logger(CONTROLLER_LOGGER)
    def test_object_ids_are_ascii_digits_within_shopify_range(self):
        for value in (
            '"\u0661\u0662\u0663"',  # Arabic-Indic digits: str.isdigit() says yes
            '"\uff11\uff12"',  # fullwidth digits
            "1" * 10_000,
            str(2**64),
            "0",
            "-5",
            "true",
            '"12 "',
        ):
            with self.subTest(id=value[:30]):
                body = f'{{"id": {value}}}'.encode()
                self.assertEqual(self.deliver(body=body).status_code, 400)
        self.assertNothingStored()
        self.assertEqual(
            self.deliver(body=f'{{"id": {2**64 - 1}}}'.encode()).status_code, 200
        )

    @mute_logger(CONTROLLER_LOGGER)
    def test_chunked_body_is_capped_while_read(self):
        body = webhook_body("orders/create")
        headers = self.headers("orders/create", body)
        url = self.base_url() + "/shopify/webhook"

        def chunks(data, size=4096):  # a generator body is sent chunked
            yield from (data[i : i + size] for i in range(0, len(data), size))

        response = self.opener.post(url, data=chunks(body), headers=headers)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.events()), 1)
        big = b'{"id": 1, "pad": "' + b"x" * (6 * 1024 * 1024) + b'"}'
        response = self.opener.post(
            url, data=chunks(big, 1 << 20), headers=self.headers("orders/create", big)
        )
        self.assertEqual(response.status_code, 413)
        self.assertEqual(len(self.events()), 1)

    def test_query_string_and_form_fields_are_ignored(self):
        body = webhook_body("orders/create")
        response = self.opener.post(
            self.base_url() + "/shopify/webhook?debug=1&shop=x",
            data=body,
            headers=self.headers("orders/create", body),
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.events()), 1)

    def test_unsupported_topic_is_recorded_as_ignored(self):
        response = self.deliver("carts/update", body=b'{"id": "abc"}')
        self.assertEqual(response.status_code, 200)
        self.assertRecordValues(
            self.events(), [{"topic": "carts/update", "state": "ignored"}]
        )
        self.assertFalse(self.jobs())

    def test_same_webhook_id_is_processed_once(self):
        extra = {"X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"}
        for _attempt in range(3):
            self.assertEqual(self.deliver(extra=extra).status_code, 200)
        event = self.events()
        self.assertEqual(len(event), 1)
        self.assertEqual(len(self.jobs()), 1)
        self.assertEqual(event.duplicate_count, 2)
        self.assertEqual(self.shop.duplicate_count, 2)
        self.assertEqual(
            self.env["shopify.webhook.duplicate"].search([]).mapped("reason"),
            ["webhook_id"] * 2,
        )

    def test_same_event_id_is_a_duplicate_per_topic_only(self):
        extra = {"X-Shopify-Event-Id": "e-123"}
        self.deliver("orders/create", extra=extra)
        self.deliver(
            "orders/create", extra=extra
        )  # another delivery of the same action
        self.deliver("orders/updated", extra=extra)  # same action, another topic
        self.assertEqual(
            sorted(self.events().mapped("topic")), ["orders/create", "orders/updated"]
        )
        duplicate = self.env["shopify.webhook.duplicate"].search([])
        self.assertEqual(duplicate.reason, "event_id")

    def test_ten_identical_deliveries_in_parallel(self):
        body = webhook_body("orders/create")
        headers = self.headers("orders/create", body)
        statuses = []
        # One plain session per thread, carrying the test cursor's cookie: the test
        # opener flushes this transaction on every request, which threads must not do.
        self.env.flush_all()

        def send():
            with requests.Session() as session:
                session.cookies.update(self.opener.cookies)
                response = session.post(
                    self.base_url() + "/shopify/webhook",
                    data=body,
                    headers=headers,
                    timeout=30,
                )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=send) for _i in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(statuses, [200] * 10)
        self.assertEqual(len(self.events()), 1)
        self.assertEqual(len(self.jobs()), 1)
        self.assertEqual(self.events().duplicate_count, 9)
        self.run_jobs()
        self.assertEqual(len(self.sale_orders()), 1)

    def test_burst_of_updates_leaves_one_pending_job(self):
        for _i in range(5):
            self.assertEqual(self.deliver("orders/updated").status_code, 200)
        events = self.events()
        self.assertEqual(len(events), 5)
        job = self.jobs()
        self.assertEqual(len(job), 1)
        self.assertEqual(set(events.mapped("job_uuid")), {job.uuid})
        self.run_jobs()
        self.assertEqual(set(self.events().mapped("state")), {"done"})
        self.assertEqual(len(self.fake.requests), 1, "one fetch for five deliveries")

    def test_ack_runs_at_most_six_queries(self):
        """The ack's SQL (Odoo's access log counts it; the benchmark reports it): its
        queries beyond those of /web/health, Odoo's floor for a database route (one
        query in production: the registry signaling check), at most 5."""
        self.deliver("orders/create")  # the worker's caches are warm, as in production
        self.env.flush_all()

        def queries(send):
            before = self.cr.sql_log_count
            self.assertEqual(send().status_code, 200)
            return self.cr.sql_log_count - before

        health = queries(lambda: self.url_open("/web/health"))
        ack = queries(lambda: self.deliver("orders/updated"))
        self.assertLessEqual(ack - health, 5, f"{ack} queries against {health}")
        self.assertEqual(len(self.jobs()), 1, "the ack's job coalesced")

    def test_ack_stores_the_job_that_with_delay_stores(self):
        """The ack inserts its job in the event's statement, without queue_job's
        Job.store(): the row must be the one with_delay stores, column for column."""
        shop = self.shop.sudo()
        vals = {"shop_id": shop.id, "topic": "orders/create", "webhook_id": "w-1"}
        vals |= {"object_kind": "order", "object_id": ORDER_ID, "state": "queued"}
        row = shop._shopify_sync_job_row("order", ORDER_ID)[1]
        event, _duplicate = self.env["shopify.webhook.event"]._shopify_insert(vals, row)
        self.env.cr.execute("UPDATE queue_job SET state = 'done'")  # not coalesced
        job = shop._shopify_enqueue_sync("order", ORDER_ID)
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT to_jsonb(q) - 'id' - 'uuid' - 'date_created' - 'state'"
            " FROM queue_job q WHERE uuid IN %s ORDER BY id",
            [(event.job_uuid, job.uuid)],
        )
        ours, queue_jobs = (value for (value,) in self.env.cr.fetchall())
        self.assertEqual(ours, queue_jobs)
        self.assertEqual(ours["identity_key"], f"{shop.id}:order:{ORDER_ID}")
