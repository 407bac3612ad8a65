"""POST /shopify/webhook over real HTTP: what is accepted, refused, deduplicated, and
that a refused delivery leaves nothing behind."""

import threading

import requests

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..lib.webhook import sign
from .common import ORDER_GID, SECRET, ShopifyCase, webhook_body

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

    def test_other_methods_answer_405(self):
        for method in ("GET", "PUT"):
            self.assertEqual(self.deliver(method=method).status_code, 405)
        self.assertNothingStored()

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
