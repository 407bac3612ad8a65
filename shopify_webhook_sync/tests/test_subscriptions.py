"""Webhook subscriptions managed from Odoo against the fake Shopify's
webhookSubscriptions query and mutations."""

from odoo.tests import tagged

from ..lib.subscriptions import topic_enum
from ..models.shopify_subscription import ACTIVITY_SUMMARY, TOPICS
from .common import ShopifyCase

ELSEWHERE = "https://old-server.example.com/shopify/webhook"


@tagged("post_install", "-at_install")
class TestWebhookSubscriptions(ShopifyCase):
    def subscriptions(self):
        return sorted(
            (s["topic"], s["uri"], s["format"])
            for s in self.fake.webhook_subscriptions()
        )

    def register(self):
        self.shop.action_register_webhooks()
        [job] = self.run_jobs()
        self.assertEqual(job.state, "done")

    def check(self):
        self.env["shopify.shop"]._cron_check_webhooks()
        [job] = self.run_jobs()
        self.assertEqual(job.state, "done")

    def test_register_leaves_exactly_the_enabled_subscriptions(self):
        url = self.shop.webhook_url
        self.fake.add_webhook_subscription("ORDERS_CREATE", ELSEWHERE)  # misrouted
        self.fake.add_webhook_subscription("ORDERS_UPDATED", url, format="XML")
        self.fake.add_webhook_subscription("CARTS_UPDATE", url)  # not handled here
        self.fake.add_webhook_subscription("ORDERS_PAID", url)
        self.fake.add_webhook_subscription("ORDERS_PAID", ELSEWHERE)  # a second one
        self.register()
        self.assertEqual(
            self.subscriptions(),
            sorted((topic_enum(topic), url, "JSON") for topic in TOPICS),
        )
        names = [name for name, _args in self.fake.mutations]
        self.assertEqual(names.count("webhookSubscriptionCreate"), len(TOPICS) - 3)
        self.assertEqual(names.count("webhookSubscriptionUpdate"), 2)
        self.assertEqual(names.count("webhookSubscriptionDelete"), 2)
        self.assertTrue(self.shop.webhook_check_ok)
        self.assertIn("orders/create: ok", self.shop.webhook_check_result)

        self.fake.reset()
        self.register()
        self.assertEqual(self.fake.mutations, [], "registering again changes nothing")

    def test_daily_check_flags_what_is_off_and_gives_a_todo(self):
        self.register()
        subs = {s["topic"]: s for s in self.fake.webhook_subscriptions()}
        del self.fake.objects[subs["ORDERS_PAID"]["id"]]
        subs["REFUNDS_CREATE"]["apiVersion"] = {
            "handle": "2025-10",
            "displayName": "2025-10",
            "supported": True,
        }
        self.fake.add_webhook_subscription("CARTS_UPDATE", ELSEWHERE)
        self.fake.reset()
        self.check()
        self.assertEqual(self.fake.mutations, [], "a check changes nothing")
        self.assertFalse(self.shop.webhook_check_ok)
        result = self.shop.webhook_check_result
        self.assertIn("orders/paid: missing", result)
        self.assertIn("refunds/create: other_version", result)
        self.assertIn(f"carts/update: extra -> {ELSEWHERE}", result)
        [activity] = self.shop.activity_ids.filtered(
            lambda a: a.summary == ACTIVITY_SUMMARY
        )
        self.assertEqual(activity.user_id, self.shop.responsible_user_id)
        self.assertIn("orders/paid: missing", activity.note)
        self.check()
        todos = self.shop.activity_ids.filtered(lambda a: a.summary == ACTIVITY_SUMMARY)
        self.assertEqual(len(todos), 1, "one to-do, kept up to date")
