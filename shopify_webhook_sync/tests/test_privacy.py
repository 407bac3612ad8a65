"""Privacy webhooks and the app's uninstall, delivered with Shopify's published
payloads: what the merchant is asked to do, what is anonymised, kept and purged."""

import copy
import json
from datetime import UTC, date, datetime, timedelta

from odoo.tests import new_test_user, tagged

from .common import ORDER_GID, ORDER_ID, ShopifyCase, fixture

# The customer of the published customers/data_request and customers/redact payloads.
CUSTOMER_ID = "191167"
UNINSTALLED = (
    "the app was uninstalled from Shopify; reinstall it and set a new access token"
)


@tagged("post_install", "-at_install")
class TestPrivacy(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.responsible = new_test_user(
            cls.env,
            login="privacy-officer",
            groups="shopify_webhook_sync.group_shopify_user,sales_team.group_sale_salesman",
        )
        cls.shop.responsible_user_id = cls.responsible
        customer = fixture("graphql/customer_706405506930370084.json")
        customer |= {
            "id": f"gid://shopify/Customer/{CUSTOMER_ID}",
            "legacyResourceId": CUSTOMER_ID,
            "displayName": "John Smith",
            "defaultEmailAddress": {"emailAddress": "john@example.com"},
        }
        cls.customer_data = customer

    def setUp(self):
        super().setUp()
        # The example order's customer is the customer the privacy payloads name.
        order = self.fake.objects[ORDER_GID]
        order["customer"] |= {
            "id": f"gid://shopify/Customer/{CUSTOMER_ID}",
            "legacyResourceId": CUSTOMER_ID,
        }
        self.fake.add(copy.deepcopy(self.customer_data))

    def sync_order(self):
        self.assertEqual(self.deliver("orders/create").status_code, 200)
        self.run_jobs()
        sale_order = self.sale_orders()
        self.assertEqual(len(sale_order), 1)
        return sale_order

    def deliver_ok(self, topic, body=None, extra=None):
        response = self.deliver(topic, body=body, extra=extra)
        self.assertEqual(response.status_code, 200)

    def event(self, topic):
        return self.events().filtered(lambda e: e.topic == topic)

    # -- customers/data_request

    def test_data_request_gathers_the_data_and_asks_the_responsible(self):
        sale_order = self.sync_order()
        partner = sale_order.partner_id
        requests = len(self.fake.requests)
        self.deliver_ok("customers/data_request")
        self.run_jobs()
        self.assertEqual(len(self.fake.requests), requests, "Shopify is not asked")
        event = self.event("customers/data_request")
        self.assertEqual(event.state, "done")
        self.assertEqual(event.object_id, "9999")
        attachment = self.env["ir.attachment"].browse(event.res_id)
        self.assertEqual(event.res_model, "ir.attachment")
        self.assertEqual(
            (attachment.res_model, attachment.res_id), ("shopify.shop", self.shop.id)
        )
        data = json.loads(attachment.raw)
        self.assertEqual(data["data_request_id"], 9999)
        self.assertEqual(data["partner"]["name"], partner.name)
        self.assertEqual(data["partner"]["email"], "john@example.com")
        self.assertIn("123 Shipping Street", [a["street"] for a in data["addresses"]])
        self.assertEqual(
            [
                (o["name"], o["shopify_id"], o["amount_total"])
                for o in data["sale_orders"]
            ],
            [(sale_order.name, ORDER_ID, sale_order.amount_total)],
        )
        activity = self.shop.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.responsible)
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo")
        )
        self.assertIn("9999", activity.summary)
        self.assertIn(attachment.name, str(activity.note))

    def test_data_request_of_an_unknown_customer_is_still_answered(self):
        self.deliver_ok("customers/data_request")
        self.run_jobs()
        event = self.event("customers/data_request")
        self.assertEqual(event.state, "done")
        data = json.loads(self.env["ir.attachment"].browse(event.res_id).raw)
        self.assertIsNone(data["partner"])
        self.assertEqual(data["sale_orders"], [])
        self.assertEqual(len(self.shop.activity_ids), 1)

    def test_data_request_nobody_can_answer_waits_for_a_responsible(self):
        """A legal duty with a 30-day deadline is not handed to no one: the request
        waits, saying why, and runs again once a responsible who can answer is set;
        its deadline counts from the request, not from the wait's end."""
        stranger = new_test_user(self.env, login="no-shopify", groups="base.group_user")
        self.shop.responsible_user_id = False
        self.deliver_ok("customers/data_request")
        self.run_jobs()
        event = self.event("customers/data_request")
        for responsible, why in (
            (stranger, f"{stranger.name} cannot open Shopify records"),
            (self.responsible, None),
        ):
            self.assertEqual(event.state, "needs_mapping")
            self.assertIn("no Privacy Responsible who can", event.error_message)
            self.assertFalse(event.res_id, "no file is made")
            self.assertFalse(self.todos())
            self.shop.responsible_user_id = responsible
            self.assertEqual(event.state, "queued", "setting one runs it again")
            self.run_jobs()
            if why:
                self.assertIn(why, event.error_message)
        self.assertEqual(event.state, "done")
        self.assertEqual(self.todos().user_id, self.responsible)
        self.assertEqual(
            self.todos().date_deadline, date(2026, 11, 27) + timedelta(days=30)
        )
        self.responsible.active = False
        self.deliver_ok("customers/data_request", extra={"X-Shopify-Event-Id": "2"})
        self.run_jobs()
        event = self.event("customers/data_request") - event
        self.assertEqual(event.state, "needs_mapping")
        self.assertIn(f"{self.responsible.name} is archived", event.error_message)

    def todos(self):
        todo = self.env.ref("mail.mail_activity_data_todo")
        return self.shop.activity_ids.filtered(lambda a: a.activity_type_id == todo)

    # -- customers/redact

    def test_redact_anonymises_the_customer_and_keeps_the_sale_order(self):
        sale_order = self.sync_order()
        partner = sale_order.partner_id
        contacts = sale_order.partner_invoice_id | sale_order.partner_shipping_id
        total = sale_order.amount_total
        self.deliver_ok("customers/update", body=b'{"id": %s}' % CUSTOMER_ID.encode())
        self.deliver_ok("orders/updated", body=b'{"id": 299938}')  # listed to redact
        self.deliver_ok("customers/data_request")
        self.run_jobs()
        self.deliver_ok("customers/redact")
        self.run_jobs()

        self.assertEqual(self.event("customers/redact").state, "done")
        everyone = (partner | contacts).with_context(active_test=False)
        self.assertEqual(
            set(everyone.mapped("name")), {f"Redacted Shopify customer {CUSTOMER_ID}"}
        )
        for field in ("email", "phone", "street", "city", "zip", "state_id"):
            self.assertFalse(any(everyone.mapped(field)), field)
        self.assertFalse(any(everyone.mapped("active")))
        self.assertTrue(sale_order.exists())
        self.assertEqual(sale_order.state, "sale")
        self.assertEqual(sale_order.partner_id, partner)
        self.assertEqual(sale_order.amount_total, total)

        payloads = {
            (e.topic, e.object_id): e.payload for e in self.events() if e.object_id
        }
        self.assertFalse(payloads[("customers/update", CUSTOMER_ID)])
        self.assertFalse(payloads[("orders/updated", "299938")])
        self.assertFalse(payloads[("customers/redact", CUSTOMER_ID)])
        self.assertFalse(payloads[("customers/data_request", "9999")])
        self.assertTrue(
            payloads[("orders/create", ORDER_ID)],
            "an order Shopify did not list is not the redaction's to purge",
        )

    def test_redact_of_a_customer_unknown_to_odoo_purges_only_payloads(self):
        partners = (
            self.env["res.partner"].with_context(active_test=False).search_count([])
        )
        self.deliver_ok("customers/redact")
        self.run_jobs()
        event = self.event("customers/redact")
        self.assertEqual(event.state, "done")
        self.assertFalse(event.payload)
        self.assertEqual(
            self.env["res.partner"].with_context(active_test=False).search_count([]),
            partners,
        )

    # -- shop/redact

    def test_shop_redact_purges_every_stored_payload(self):
        self.sync_order()
        self.deliver_ok("customers/data_request")
        self.run_jobs()
        self.assertTrue(all(self.events().mapped("payload")))
        self.deliver_ok("shop/redact")
        self.run_jobs()
        self.assertEqual(self.event("shop/redact").state, "done")
        self.assertEqual(self.event("shop/redact").object_id, "954889")
        self.assertEqual(len(self.events()), 3, "the events stay, their bodies go")
        self.assertFalse(any(self.events().mapped("payload")))
        self.assertTrue(self.sale_orders(), "the merchant's records are kept")

    # -- app/uninstalled

    def test_uninstall_disconnects_and_stops_asking_shopify(self):
        self.deliver_ok("app/uninstalled", extra={"X-Shopify-Triggered-At": now()})
        self.run_jobs()
        self.assertEqual(self.event("app/uninstalled").state, "done")
        self.assertEqual(self.shop.connection_state, "disconnected")

        self.fake.reset()
        self.deliver_ok("orders/create")
        self.run_jobs()
        event = self.event("orders/create")
        self.assertEqual(event.state, "failed")
        self.assertIn(UNINSTALLED, event.error_message)
        self.assertEqual(self.fake.requests, [], "nothing is sent with a dead token")
        self.assertFalse(self.sale_orders())

        # Privacy requests arrive after an uninstall: they are still handled.
        self.deliver_ok("shop/redact")
        self.run_jobs()
        self.assertEqual(self.event("shop/redact").state, "done")

        # Reinstalled: a new token reconnects and re-queues what failed meanwhile.
        self.shop.access_token = self.fake.access_token
        self.assertEqual(self.shop.connection_state, "connected")
        self.assertEqual(event.state, "queued")
        self.run_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(len(self.sale_orders()), 1)

    def test_late_uninstall_of_an_earlier_installation_is_ignored(self):
        """The app was reinstalled (new token) before a delayed uninstall arrived."""
        self.shop.access_token = self.fake.access_token
        self.deliver_ok(
            "app/uninstalled", extra={"X-Shopify-Triggered-At": "2026-01-01T00:00:00Z"}
        )
        self.run_jobs()
        event = self.event("app/uninstalled")
        self.assertEqual(event.state, "ignored")
        self.assertIn("before the current access token was set", event.error_message)
        self.assertEqual(self.shop.connection_state, "connected")


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
