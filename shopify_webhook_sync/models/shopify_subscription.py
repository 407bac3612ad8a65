"""Webhook subscriptions managed from Odoo: "Register Webhooks" creates or updates the
app's subscriptions for the topics the shop enables (JSON, to the shop's webhook URL)
and removes those sending this Odoo topics it does not handle; a daily check compares
what Shopify has with what the shop needs and gives the shop's responsible a to-do when
something is off. Shopify is only called from jobs."""

from odoo import api, fields, models

from ..lib.client import ShopifyTransientError, user_errors
from ..lib.queries import (
    WEBHOOK_SUBSCRIPTION_CREATE,
    WEBHOOK_SUBSCRIPTION_DELETE,
    WEBHOOK_SUBSCRIPTION_UPDATE,
    WEBHOOK_SUBSCRIPTIONS,
)
from ..lib.subscriptions import compare, register_actions, topic_enum
from .shopify_access import check_manager
from .shopify_shop import retryable

# The topics this addon handles through the Admin API's subscriptions. The privacy
# topics (customers/data_request, customers/redact, shop/redact) are the app's
# compliance webhooks: set in the app's configuration, not through this API.
TOPICS = (
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "orders/paid",
    "orders/edited",
    "refunds/create",
    "customers/create",
    "customers/update",
    "customers/delete",
    "products/create",
    "products/update",
    "products/delete",
    "app/uninstalled",
)
FULFILLMENT_TOPICS = ("orders/fulfilled", "fulfillments/create", "fulfillments/update")
ACTIVITY_SUMMARY = "Shopify webhook subscriptions need attention"


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    webhook_check_date = fields.Datetime(
        string="Subscriptions Checked", readonly=True, copy=False
    )
    webhook_check_ok = fields.Boolean(
        string="Subscriptions as Needed", readonly=True, copy=False
    )
    webhook_check_result = fields.Text(
        string="Subscriptions in Shopify", readonly=True, copy=False
    )

    def _shopify_webhook_topics(self) -> list[str]:
        """The topics the shop's enabled features need."""
        if self.fulfilled_by == "shopify":
            return [*TOPICS, *FULFILLMENT_TOPICS]
        return list(TOPICS)

    def action_register_webhooks(self):
        check_manager(self)
        return self._shopify_enqueue_webhook_job("_shopify_register_webhooks")

    def action_check_webhooks(self):
        check_manager(self)
        return self._shopify_enqueue_webhook_job("_shopify_check_webhooks")

    def _shopify_enqueue_webhook_job(self, method: str):
        self._shopify_enqueue_per_shop(method, f"webhooks:{method}", method[9:], 5)
        return self._shopify_notify_info(
            self.env._(
                "Asking Shopify: reload the shop in a few seconds to see its "
                "webhook subscriptions."
            )
        )

    @api.model
    def _cron_check_webhooks(self):
        self._shopify_with_credentials().action_check_webhooks()

    # -- jobs --

    def _shopify_register_webhooks(self):
        """Job: create, update or remove subscriptions until Shopify has those the
        shop needs; then record the check."""
        self.ensure_one()
        client = self._shopify_client()
        findings = self._shopify_compare_subscriptions(client)
        topics = self._shopify_webhook_topics()
        for action, finding in register_actions(findings, topics, self.webhook_url):
            self._shopify_apply_subscription(client, action, finding)
        return self._shopify_record_check(self._shopify_compare_subscriptions(client))

    def _shopify_check_webhooks(self):
        """Job (daily): compare, record, and give the responsible a to-do if needed."""
        self.ensure_one()
        result = self._shopify_record_check(
            self._shopify_compare_subscriptions(self._shopify_client())
        )
        if not self.webhook_check_ok:
            self._shopify_schedule_webhook_activity()
        return result

    def _shopify_compare_subscriptions(self, client):
        existing = []
        try:
            for _data, page in client.paginate(
                WEBHOOK_SUBSCRIPTIONS, {}, ("webhookSubscriptions",)
            ):
                existing += page["nodes"]
        except ShopifyTransientError as exc:
            raise retryable(exc) from exc
        return compare(
            existing, self._shopify_webhook_topics(), self.webhook_url, self.api_version
        )

    def _shopify_apply_subscription(self, client, action: str, finding):
        subscription = {"uri": self.webhook_url, "format": "JSON"}
        if action == "create":
            document = WEBHOOK_SUBSCRIPTION_CREATE
            variables = {
                "topic": topic_enum(finding.topic),
                "webhookSubscription": subscription,
            }
        elif action == "update":
            document = WEBHOOK_SUBSCRIPTION_UPDATE
            variables = {
                "id": finding.subscription["id"],
                "webhookSubscription": subscription,
            }
        else:
            document = WEBHOOK_SUBSCRIPTION_DELETE
            variables = {"id": finding.subscription["id"]}
        try:
            data = client.query(document, variables)
        except ShopifyTransientError as exc:
            raise retryable(exc) from exc
        user_errors(next(iter(data.values())) or {})

    def _shopify_record_check(self, findings) -> str:
        result = "\n".join(finding.describe() for finding in findings)
        self.write(
            {
                "webhook_check_date": fields.Datetime.now(),
                "webhook_check_ok": all(finding.ok for finding in findings),
                "webhook_check_result": result,
            }
        )
        return result

    def _shopify_schedule_webhook_activity(self):
        note = self.env._(
            "Shopify's webhook subscriptions for %(shop)s differ from what the shop "
            "needs: %(result)s. Use Register Webhooks on the shop (another API version "
            "is the app's setting in the Dev Dashboard).",
            shop=self.shop_domain,
            result=self.webhook_check_result.replace("\n", "; "),
        )
        open_activity = self.activity_ids.filtered(
            lambda a: a.summary == ACTIVITY_SUMMARY
        )
        if open_activity:
            open_activity.note = note
            return
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=ACTIVITY_SUMMARY,
            note=note,
            user_id=(self.responsible_user_id or self.create_uid).id,
        )
