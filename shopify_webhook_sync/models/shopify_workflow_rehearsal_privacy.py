"""Launch rehearsal of the privacy workflow (Shopify's compliance webhooks → Odoo).

customers/data_request, customers/redact and shop/redact cannot be triggered through the
Admin API: Shopify's own test path is a signed test delivery (``shopify app webhook
trigger``). So each scenario first makes a rehearsal customer of its own, exactly as the
customers rehearsal does (``customerCreate``, its ``customers/create`` delivery, the
real sync job makes the contact), and once that contact exists records a signed
compliance delivery about that customer through the webhook's receiving code; the
real privacy job handles it. Redaction therefore never touches a real customer, and
shop/redact (which purges every payload of the shop) is never rehearsed.

Normal: a data request: the customer's data gathered into a file on the shop and a To
Do for the privacy responsible, due 30 days after the request. Edge: a redact of the
rehearsal customer: its contact anonymised and archived, never deleted.

No controlled failure is rehearsed. The failure a shop's setup causes is real and
caught: without an active privacy responsible who can open Shopify records, a data
request stops *Needs Mapping* saying so (``shopify.privacy.data.request``); but causing
it would mean taking the shop's responsible away while real requests can arrive. The
failure button says so instead of staging one.

Remove deletes the Shopify customer and the rehearsal's contact (archived when something
references it), the data request's file and its To Do; the events stay.
"""

import json
import secrets

from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.queue_job.exception import RetryableJobError

from .shopify_workflow_rehearsal import ORDER_WAIT_SECONDS, ORDER_WAIT_TRIES


class ShopifyWorkflowRehearsal(models.Model):
    _inherit = "shopify.workflow.rehearsal"  # pylint: disable=consider-merging-classes-inherited

    customer_event_id = fields.Many2one(
        "shopify.webhook.event",
        string="Customer Event",
        readonly=True,
        help="Privacy: the rehearsal customer's customers/create event; the "
        "compliance request is delivered once it is synced.",
    )
    data_request_id = fields.Char(
        readonly=True,
        help="Privacy: the id of the rehearsal's data request (far above Shopify's "
        "own ids, so that it is never taken for a real request).",
    )

    def _shopify_expectations(self) -> dict:
        _ = self.env._
        return super()._shopify_expectations() | {
            "privacy": (
                _(
                    "Data request: the customer's data in a file and a To Do for the "
                    "privacy responsible; redact: the contact anonymised and archived"
                ),
                _("No controlled failure rehearsed (see the workflow's rehearsal)"),
            ),
        }

    def _shopify_result_ok_privacy(self) -> bool:
        """Data request: the file holds the rehearsal customer's contact. Redact: the
        contact is anonymised and archived, not deleted."""
        if self.scenario == "edge":
            partner = self._shopify_event_record("res.partner")
            return bool(
                partner
                and not partner.active
                and not partner.email
                and partner == self._shopify_rehearsal_partner()
            )
        attachment = self._shopify_event_record("ir.attachment")
        data = json.loads(attachment.raw or b"{}") if attachment else {}
        return (data.get("partner") or {}).get("email") == self.customer_email

    # -- running (jobs) --

    def _shopify_run_privacy(self):
        """The rehearsal customer first; the compliance request goes on once its
        contact is synced."""
        customer, event = self._shopify_customer_delivered()
        if not customer:
            return self.error
        self.customer_event_id = event
        self.with_delay(
            max_retries=ORDER_WAIT_TRIES,
            description=f"Shopify: privacy rehearsal of {self.customer_email}",
        )._shopify_privacy_request()
        return f"rehearsal customer {customer['id']}: request once synced"

    def _shopify_privacy_request(self):
        """Job (privacy): once the rehearsal customer is a contact, record the signed
        compliance delivery about it (the privacy job handles it)."""
        self.ensure_one()
        if self.event_id or self.error or self.cleanup:
            return "nothing to do"
        if not self._shopify_synced_customer():
            return self.error
        topic, payload, obj = self._shopify_privacy_delivery()
        self.event_id = self._shopify_deliver(topic, payload, obj)
        return f"{topic}: event {self.event_id.id}"

    def _shopify_synced_customer(self):
        """The rehearsal customer's contact once its sync ended; a retry while it
        runs; None (the reason recorded) when it did not become a contact."""
        event = self.customer_event_id
        if event.state == "queued":
            raise RetryableJobError(
                self.env._(
                    "Waiting for the rehearsal customer %s to be synced.",
                    self.customer_email,
                ),
                seconds=ORDER_WAIT_SECONDS,
            )
        partner = self._shopify_rehearsal_partner()
        if event.state == "done" and partner:
            return partner
        self.error = self.env._(
            "The rehearsal customer %(customer)s did not sync (%(state)s), so no "
            "privacy request was sent: %(reason)s",
            customer=self.customer_email,
            state=event.state,
            reason=event.error_message or "",
        )
        return None

    def _shopify_privacy_delivery(self) -> tuple:
        """(topic, payload, object) of the compliance delivery, shaped as Shopify's
        (its numeric shop_id is not known here, and no handler reads it)."""
        legacy_id = self.shopify_customer_gid.split("/")[-1]
        customer = {"id": int(legacy_id), "email": self.customer_email, "phone": None}
        common = {"shop_domain": self.shop_id.shop_domain, "customer": customer}
        if self.scenario == "edge":
            payload = common | {"orders_to_redact": []}
            return "customers/redact", payload, ("customer_redact", legacy_id)
        # Shopify's own data request ids stay far below 2**62.
        self.data_request_id = str(2**62 + secrets.randbelow(2**62))
        payload = common | {
            "orders_requested": [],
            "data_request": {"id": int(self.data_request_id)},
        }
        return (
            "customers/data_request",
            payload,
            ("customer_data_request", self.data_request_id),
        )

    # -- afterwards: remove --

    def _shopify_remove_privacy(self):
        """The Shopify customer and the rehearsal's contact, as for the customers
        rehearsal; the data request's file and its To Do."""
        self._shopify_remove_customers()
        attachment = self._shopify_event_record("ir.attachment")
        if self.data_request_id:
            self.env["mail.activity"].sudo().search(
                [
                    ("res_model", "=", "shopify.shop"),
                    ("res_id", "=", self.shop_id.id),
                    ("summary", "like", self.data_request_id),
                ]
            ).unlink()
        attachment.unlink()


class ShopifyWorkflow(models.Model):
    _inherit = "shopify.workflow"  # pylint: disable=consider-merging-classes-inherited

    def _shopify_check_rehearsal_privacy(self, scenario: str):
        if scenario == "failure":
            raise UserError(
                self.env._(
                    "The privacy workflow's failure is not rehearsed: the one a "
                    "shop's setup causes (no active Privacy Responsible who can open "
                    "Shopify records) stops a data request Needs Mapping, but causing "
                    "it would mean taking this shop's responsible away while real "
                    "requests can arrive. Its test cases are the data request and "
                    "the redaction."
                )
            )
        why = self.env["shopify.privacy.data.request"]._shopify_why_no_responsible(
            self.shop_id
        )
        if why and scenario == "normal":
            raise UserError(
                self.env._(
                    "Choose the shop's Privacy Responsible first (%(why)s): a data "
                    "request is a To Do for them.",
                    why=why,
                )
            )
