"""Launch rehearsal of the customers and privacy workflows: a real Shopify customer
made through the Admin API (customerCreate) and synced by the real customer job; the
privacy requests (data request, redact) delivered about that rehearsal customer and
handled by the real privacy jobs; no controlled failure (each button says why); Remove
deletes the customer in Shopify and the rehearsal's contacts in Odoo, keeping the
events."""

import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from ..models.shopify_workflow_rehearsal import REHEARSAL_TAG
from .common import ShopifyCase
from .test_workflow_rehearsal import assert_refused, run_rehearsal_jobs

FIRST_CUSTOMER = 9001


def _customer_create(fake, args):
    """Shopify's customerCreate: emails are unique per shop, the first address
    becomes the default one; the customer is stored for the sync job's query."""
    data = args["input"]
    taken = {
        (obj.get("defaultEmailAddress") or {}).get("emailAddress")
        for obj in fake.objects.values()
        if obj.get("__typename") == "Customer"
    }
    if data["email"] in taken:
        return {
            "customer": None,
            "userErrors": [{"field": ["email"], "message": "Email has been taken"}],
        }
    legacy_id = str(FIRST_CUSTOMER + len(fake.customers_created))
    fake.customers_created.append(data)
    address = (data.get("addresses") or [None])[0]
    customer = fake.add(
        {
            "__typename": "Customer",
            "id": f"gid://shopify/Customer/{legacy_id}",
            "legacyResourceId": legacy_id,
            "firstName": data["firstName"],
            "lastName": data["lastName"],
            "displayName": f"{data['firstName']} {data['lastName']}",
            "phone": None,
            "note": data.get("note"),
            "tags": data["tags"],
            "updatedAt": fields.Datetime.now().isoformat() + "Z",
            "defaultEmailAddress": {"emailAddress": data["email"]},
            "defaultAddress": address
            and {
                "firstName": address["firstName"],
                "lastName": address["lastName"],
                "name": f"{address['firstName']} {address['lastName']}",
                "company": None,
                "address1": address["address1"],
                "address2": None,
                "city": address["city"],
                "zip": address["zip"],
                "provinceCode": address["provinceCode"],
                "countryCodeV2": address["countryCode"],
                "phone": None,
            },
        }
    )
    return {"customer": customer, "userErrors": []}


def _customer_delete(fake, args):
    gid = args["input"]["id"]
    if fake.objects.pop(gid, None) is None:
        return {
            "deletedCustomerId": None,
            "userErrors": [{"field": ["id"], "message": "Customer can't be found"}],
        }
    return {"deletedCustomerId": gid, "userErrors": []}


class CustomerRehearsalCase(ShopifyCase):
    flow = "customers"

    def setUp(self):
        super().setUp()
        self.fake.customers_created = []
        self.fake.mutation_handlers["customerCreate"] = _customer_create
        self.fake.mutation_handlers["customerDelete"] = _customer_delete
        self.workflow = self.shop.workflow_ids.filtered(lambda w: w.flow == self.flow)
        self.shop.customer_merge_by_email = True

    def rehearse_edge(self, case):
        self.workflow.rehearsal_edge_case = case
        self.workflow.action_rehearse_edge()
        return self.workflow.rehearsal_ids.sorted("id")[-1]

    def partners(self, email):
        return (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("email", "=", email)])
        )


@tagged("post_install", "-at_install")
class TestCustomerRehearsal(CustomerRehearsalCase):
    def test_normal_and_edge_cases_make_and_bind_the_contacts(self):
        self.assertEqual(self.workflow.rehearsal_edge_case, "customer_foreign_address")
        self.workflow.action_rehearse_normal()
        normal = self.workflow.rehearsal_ids
        abroad = self.rehearse_edge("customer_foreign_address")
        match = self.rehearse_edge("customer_email_match")
        self.assertEqual(self.workflow.rehearsal_ids.mapped("outcome"), ["running"] * 3)
        run_rehearsal_jobs(self)
        rehearsals = normal | abroad | match
        self.assertEqual(
            rehearsals.mapped("outcome"), ["passed"] * 3, rehearsals.mapped("error")
        )
        self.assertEqual(self.workflow.test_cases_passed, "Normal record, Edge case")
        sent_by_email = {data["email"]: data for data in self.fake.customers_created}
        self.assertEqual(len(sent_by_email), 3)
        for rehearsal in rehearsals:
            sent = sent_by_email[rehearsal.customer_email]
            self.assertEqual(rehearsal.event_id.topic, "customers/create")
            self.assertEqual(rehearsal.event_id.source, "rehearsal")
            self.assertEqual(rehearsal.event_id.state, "done")
            self.assertRegex(sent["email"], r"^rehearsal\+[0-9a-f]{10}@example\.com$")
            self.assertEqual(sent["tags"], [REHEARSAL_TAG])
            self.assertNotIn("emailMarketingConsent", sent)
            self.assertIn(rehearsal.customer_email, rehearsal.shopify_name)
            partner = self.partners(rehearsal.customer_email)
            self.assertEqual(len(partner), 1, "one contact per customer")
            self.assertEqual(rehearsal.event_id.res_id, partner.id)
        # normal: a new contact with the customer's name, no address
        partner = self.partners(normal.customer_email)
        self.assertTrue(partner.name.startswith("Odoo Rehearsal "))
        self.assertFalse(partner.country_id)
        # edge, abroad: Shopify's default address, its country and province mapped
        partner = self.partners(abroad.customer_email)
        self.assertNotEqual(partner.country_id, self.env.company.country_id)
        self.assertEqual(partner.country_id.code, abroad.shopify_country_code)
        self.assertEqual(partner.state_id.code, abroad.shopify_province_code)
        self.assertIn(partner.city, ("Montréal", "New York"))
        # edge, match by email: the contact made first is the one bound
        self.assertEqual(self.partners(match.customer_email), match.match_partner_id)
        self.assertTrue(match.match_partner_id.name.startswith("Rehearsal contact"))
        # afterwards: removed in Shopify and Odoo, the events stay; one kept
        events = rehearsals.event_id
        (normal | match).action_remove()
        abroad.action_keep()
        run_rehearsal_jobs(self)
        self.assertEqual((normal | match).mapped("cleanup"), ["removed"] * 2)
        for rehearsal in normal | match:
            self.assertNotIn(rehearsal.shopify_customer_gid, self.fake.objects)
            self.assertFalse(self.partners(rehearsal.customer_email))
            self.assertEqual(rehearsal.outcome, "passed", "the record of it stays")
        self.assertEqual(events.exists(), events)
        self.assertEqual(abroad.cleanup, "kept")
        self.assertIn(abroad.shopify_customer_gid, self.fake.objects)
        self.assertTrue(self.partners(abroad.customer_email).active)

    def test_a_contact_used_since_is_archived_not_deleted(self):
        self.workflow.action_rehearse_normal()
        run_rehearsal_jobs(self)
        rehearsal = self.workflow.rehearsal_ids
        partner = self.partners(rehearsal.customer_email)
        sale_order = self.env["sale.order"].create({"partner_id": partner.id})
        rehearsal.action_remove()
        run_rehearsal_jobs(self)
        self.assertNotIn(rehearsal.shopify_customer_gid, self.fake.objects)
        self.assertTrue(sale_order.exists(), "the merchant's quotation stays")
        self.assertEqual(sale_order.partner_id, partner)
        self.assertFalse(partner.active)

    def test_a_second_contact_instead_of_the_match_is_a_failed_rehearsal(self):
        match = self.rehearse_edge("customer_email_match")
        # the shop stops matching by email before the sync runs: the customer gets
        # a contact of its own, the event is done, the rehearsal is not
        self.shop.customer_merge_by_email = False
        run_rehearsal_jobs(self)
        self.assertEqual(match.event_id.state, "done")
        self.assertEqual(len(self.partners(match.customer_email)), 2)
        self.assertEqual(match.outcome, "failed")
        self.assertEqual(self.workflow.test_cases_passed, "none yet")

    def test_the_failure_and_a_match_without_the_setting_are_refused(self):
        with self.assertRaisesRegex(UserError, "no controlled failure"):
            self.workflow.action_rehearse_failure()
        self.shop.customer_merge_by_email = False
        self.workflow.rehearsal_edge_case = "customer_email_match"
        with self.assertRaisesRegex(UserError, "Match Customers by Email"):
            self.workflow.action_rehearse_edge()
        self.workflow.rehearsal_edge_case = "discount_multi"
        with self.assertRaisesRegex(UserError, "edge case of the customers workflow"):
            self.workflow.action_rehearse_edge()
        self.assertFalse(self.workflow.rehearsal_ids)
        self.assertFalse(self.fake.mutations)

    def test_a_refused_customer_is_a_failed_rehearsal_saying_why(self):
        self.fake.mutation_handlers["customerCreate"] = lambda fake, args: {
            "customer": None,
            "userErrors": [{"field": ["input"], "message": "Access denied"}],
        }
        self.workflow.action_rehearse_normal()
        run_rehearsal_jobs(self)
        rehearsal = self.workflow.rehearsal_ids
        assert_refused(self, rehearsal, "write_customers")


@tagged("post_install", "-at_install")
class TestPrivacyRehearsal(CustomerRehearsalCase):
    flow = "privacy"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.responsible = new_test_user(
            cls.env,
            login="rehearsal-privacy-officer",
            groups="shopify_webhook_sync.group_shopify_user",
        )
        cls.shop.responsible_user_id = cls.responsible

    def activities(self):
        return self.shop.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_todo")
        )

    def test_data_request_and_redact_of_the_rehearsal_customer(self):
        self.assertEqual(self.workflow.rehearsal_edge_case, "privacy_redact")
        self.workflow.action_rehearse_normal()
        self.workflow.action_rehearse_edge()
        run_rehearsal_jobs(self)
        request, redact = self.workflow.rehearsal_ids.sorted("id")
        self.assertEqual(
            (request | redact).mapped("outcome"),
            ["passed"] * 2,
            (request | redact).mapped("error"),
        )
        self.assertEqual(self.workflow.test_cases_passed, "Normal record, Edge case")
        for rehearsal in request | redact:
            self.assertEqual(rehearsal.customer_event_id.topic, "customers/create")
            self.assertEqual(rehearsal.customer_event_id.state, "done")
            self.assertEqual(rehearsal.event_id.source, "rehearsal")
            self.assertEqual(rehearsal.event_id.state, "done")
        # normal: the customer's data in a file, a To Do for the responsible
        self.assertEqual(request.event_id.topic, "customers/data_request")
        self.assertEqual(request.event_id.object_id, request.data_request_id)
        attachment = self.env["ir.attachment"].browse(request.event_id.res_id)
        data = json.loads(attachment.raw)
        self.assertEqual(data["partner"]["email"], request.customer_email)
        activity = self.activities()
        self.assertEqual(activity.user_id, self.responsible)
        self.assertIn(request.data_request_id, activity.summary)
        self.assertEqual(
            activity.date_deadline,
            request.event_id.received_at.date() + timedelta(days=30),
        )
        # edge: the rehearsal customer's contact anonymised and archived, kept
        self.assertEqual(redact.event_id.topic, "customers/redact")
        partner = self.env["res.partner"].browse(redact.event_id.res_id)
        self.assertTrue(partner.exists())
        self.assertFalse(partner.active)
        self.assertFalse(partner.email)
        self.assertIn("Redacted Shopify customer", partner.name)
        self.assertTrue(self.partners(request.customer_email).active)
        # afterwards: customers, contacts, the file and the To Do removed
        events = (request | redact).event_id | (request | redact).customer_event_id
        (request | redact).action_remove()
        run_rehearsal_jobs(self)
        self.assertEqual((request | redact).mapped("cleanup"), ["removed"] * 2)
        for rehearsal in request | redact:
            self.assertNotIn(rehearsal.shopify_customer_gid, self.fake.objects)
        self.assertFalse(partner.exists())
        self.assertFalse(self.partners(request.customer_email))
        self.assertFalse(attachment.exists())
        self.assertFalse(self.activities())
        self.assertEqual(events.exists(), events)

    def test_the_failure_and_a_request_nobody_can_answer_are_refused(self):
        with self.assertRaisesRegex(UserError, "failure is not rehearsed"):
            self.workflow.action_rehearse_failure()
        self.responsible.active = False
        with self.assertRaisesRegex(UserError, "is archived"):
            self.workflow.action_rehearse_normal()
        self.assertFalse(self.workflow.rehearsal_ids)
        self.assertFalse(self.fake.mutations)
