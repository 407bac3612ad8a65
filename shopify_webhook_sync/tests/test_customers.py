"""Customers end to end: customers/* deliveries over HTTP, the customer fetched fresh
from the fake Shopify, the partner created, updated, archived, or merged by email."""

import copy

from odoo.tests import tagged

from .common import ShopifyCase, fixture

CUSTOMER_ID = "706405506930370084"
CUSTOMER_GID = f"gid://shopify/Customer/{CUSTOMER_ID}"
ORDER_CUSTOMER_ID = "115310627314723954"  # the customer of the published example order


@tagged("post_install", "-at_install")
class TestCustomerSync(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_data = fixture(f"graphql/customer_{CUSTOMER_ID}.json")

    def setUp(self):
        super().setUp()
        self.fake.add(copy.deepcopy(self.customer_data))

    def sync(self, topic="customers/create"):
        self.assertEqual(self.deliver(topic).status_code, 200)
        return self.run_jobs()

    def customer(self):
        return self.fake.objects[CUSTOMER_GID]

    def binding(self, shopify_id=CUSTOMER_ID):
        return (
            self.env["shopify.customer.binding"]
            .with_context(active_test=False)
            .search([("shop_id", "=", self.shop.id), ("shopify_id", "=", shopify_id)])
        )

    def test_create_makes_a_partner_with_the_default_address(self):
        job = self.sync()
        self.assertEqual(job.state, "done")
        partner = self.binding().partner_id
        self.assertRecordValues(
            partner,
            [
                {
                    "name": "Bob Biller",
                    "email": "bob@biller.com",
                    "phone": "555-555-5555",
                    "street": "151 O'Connor Street",
                    "city": "Ottawa",
                    "zip": "K2P 2L8",
                    "company_id": self.shop.company_id.id,
                    "active": True,
                }
            ],
        )
        self.assertEqual(partner.country_id.code, "CA")
        self.assertEqual(partner.state_id.code, "ON")
        self.assertRecordValues(
            self.events(),
            [{"state": "done", "res_model": "res.partner", "res_id": partner.id}],
        )
        self.assertEqual(self.fake.requests[0]["variables"]["id"], CUSTOMER_GID)

    def test_update_applies_the_fresh_state(self):
        self.sync()
        self.customer()["updatedAt"] = "2022-02-01T00:00:00Z"
        self.customer()["lastName"] = "Payer"
        self.customer()["displayName"] = "Bob Payer"
        self.customer()["defaultAddress"]["city"] = "Toronto"
        self.sync("customers/update")
        partner = self.binding().partner_id
        self.assertEqual(partner.name, "Bob Payer")
        self.assertEqual(partner.city, "Toronto")
        self.assertEqual(
            self.env["res.partner"].search_count([("email", "=", "bob@biller.com")]), 1
        )

    def test_same_or_older_updated_at_changes_nothing(self):
        self.sync()
        partner = self.binding().partner_id
        self.customer()["displayName"] = "Stale Name"  # same updatedAt: up to date
        self.sync("customers/update")
        self.assertEqual(partner.name, "Bob Biller")
        self.customer()["updatedAt"] = "2021-06-01T00:00:00Z"  # older fetch
        self.sync("customers/update")
        self.assertEqual(partner.name, "Bob Biller")
        self.assertEqual(set(self.events().mapped("state")), {"done"})

    def test_delete_archives_the_partner_and_keeps_it(self):
        self.sync()
        partner = self.binding().partner_id
        del self.fake.objects[CUSTOMER_GID]  # Shopify answers customer: null
        job = self.sync("customers/delete")
        self.assertEqual(job.state, "done")
        self.assertTrue(
            partner.exists(), "a deleted customer's partner is never deleted"
        )
        self.assertFalse(partner.active)
        self.assertTrue(self.binding())
        self.assertEqual(set(self.events().mapped("state")), {"done"})

    def test_delete_of_an_unknown_customer_creates_nothing(self):
        del self.fake.objects[CUSTOMER_GID]
        partners = (
            self.env["res.partner"].with_context(active_test=False).search_count([])
        )
        self.sync("customers/delete")
        self.assertEqual(self.events().state, "done")
        self.assertFalse(self.binding())
        self.assertEqual(
            self.env["res.partner"].with_context(active_test=False).search_count([]),
            partners,
        )

    def test_email_match_is_off_by_default(self):
        existing = self.env["res.partner"].create(
            {"name": "Robert Biller", "email": "bob@biller.com"}
        )
        self.sync()
        partner = self.binding().partner_id
        self.assertNotEqual(partner, existing)
        self.assertEqual(existing.name, "Robert Biller")

    def test_email_match_binds_the_one_existing_partner(self):
        self.shop.customer_merge_by_email = True
        existing = self.env["res.partner"].create(
            {"name": "Robert Biller", "email": "Bob@Biller.com", "phone": "613-1"}
        )
        self.sync()
        self.assertEqual(self.binding().partner_id, existing)
        self.assertEqual(
            (existing.name, existing.phone),
            ("Robert Biller", "613-1"),
            "what the merchant entered is kept",
        )
        self.assertEqual(existing.street, "151 O'Connor Street", "empty fields filled")
        self.assertEqual(existing.state_id.code, "ON")

    def test_email_match_keeps_an_existing_address_whole(self):
        self.shop.customer_merge_by_email = True
        existing = self.env["res.partner"].create(
            {"name": "Bob", "email": "bob@biller.com", "city": "Montreal"}
        )
        self.sync()
        self.assertEqual(self.binding().partner_id, existing)
        self.assertEqual(existing.city, "Montreal")
        self.assertFalse(existing.street, "no half address mixed into the merchant's")

    def test_email_match_needs_exactly_one_partner(self):
        self.shop.customer_merge_by_email = True
        twins = self.env["res.partner"].create(
            [
                {"name": "Bob A", "email": "bob@biller.com"},
                {"name": "Bob B", "email": "bob@biller.com"},
            ]
        )
        self.sync()
        self.assertNotIn(self.binding().partner_id, twins)

    def test_email_match_ignores_other_companies(self):
        self.shop.customer_merge_by_email = True
        other = self.env["res.company"].create({"name": "Other Co"})
        foreign = self.env["res.partner"].create(
            {"name": "Bob", "email": "bob@biller.com", "company_id": other.id}
        )
        self.sync()
        self.assertNotEqual(self.binding().partner_id, foreign)

    def test_order_of_a_new_customer_uses_the_same_email_rule(self):
        self.shop.customer_merge_by_email = True
        existing = self.env["res.partner"].create(
            {"name": "J. Smith", "email": "john@example.com"}
        )
        self.assertEqual(self.deliver("orders/create").status_code, 200)
        self.run_jobs()
        self.assertEqual(self.sale_orders().partner_id, existing)
        self.assertEqual(self.binding(ORDER_CUSTOMER_ID).partner_id, existing)

    def test_order_then_customer_webhook_share_one_partner(self):
        self.assertEqual(self.deliver("orders/create").status_code, 200)
        self.run_jobs()
        partner = self.sale_orders().partner_id
        self.assertEqual(self.binding(ORDER_CUSTOMER_ID).partner_id, partner)
        customer = dict(
            copy.deepcopy(self.customer_data),
            id=f"gid://shopify/Customer/{ORDER_CUSTOMER_ID}",
            legacyResourceId=ORDER_CUSTOMER_ID,
            displayName="John Smith",
            defaultEmailAddress={"emailAddress": "john@example.com"},
        )
        self.fake.add(customer)
        body = b'{"id": %s, "admin_graphql_api_id": "gid://shopify/Customer/%s"}' % (
            (ORDER_CUSTOMER_ID.encode(),) * 2
        )
        self.assertEqual(self.deliver("customers/update", body=body).status_code, 200)
        self.run_jobs()
        self.assertEqual(self.binding(ORDER_CUSTOMER_ID).partner_id, partner)
        self.assertEqual(partner.city, "Ottawa", "the customer sync adds the address")
        self.assertEqual(
            self.env["res.partner"].search_count([("email", "=", "john@example.com")]),
            1,
        )
