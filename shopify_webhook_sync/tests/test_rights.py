"""Rights as each group holds them, across two companies: reviewers read, users act
through methods, managers configure and read payloads and secrets; nobody writes
events, duplicates or bindings, and no record of one company points at another's."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

GROUPS = {
    "reviewer": "shopify_webhook_sync.group_shopify_reviewer",
    "user": "shopify_webhook_sync.group_shopify_user",
    "manager": "shopify_webhook_sync.group_shopify_manager",
}


@tagged("post_install", "-at_install")
class TestRights(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Shopify Co B"})
        cls.shop_a, cls.shop_b = (
            cls.env["shopify.shop"].create(
                {
                    "name": f"Shop {name}",
                    "shop_domain": f"rights-{name}.myshopify.com",
                    "webhook_secret": f"secret-{name}",
                    "access_token": f"token-{name}",
                    "company_id": company.id,
                }
            )
            for name, company in (("a", cls.company_a), ("b", cls.company_b))
        )
        cls.event_a, cls.event_b = (
            cls.env["shopify.webhook.event"].create(
                {
                    "shop_id": shop.id,
                    "topic": "orders/create",
                    "webhook_id": f"w-{shop.id}",
                    "object_kind": "order",
                    "object_id": "1001",
                    "state": "failed",
                    "error_message": "Shopify said no",
                    "payload": '{"id": 1001, "email": "jon@example.com"}',
                }
            )
            for shop in (cls.shop_a, cls.shop_b)
        )
        cls.duplicate_a = cls.env["shopify.webhook.duplicate"].create(
            {
                "shop_id": cls.shop_a.id,
                "topic": "orders/create",
                "webhook_id": "w-dup",
                "reason": "webhook_id",
            }
        )
        cls.product_a = cls.env["product.product"].create(
            {"name": "Mug A", "company_id": cls.company_a.id}
        )
        cls.product_b = cls.env["product.product"].create(
            {"name": "Mug B", "company_id": cls.company_b.id, "type": "service"}
        )
        cls.variant_a = cls.env["shopify.product.binding"].create(
            {"shop_id": cls.shop_a.id, "shopify_id": "v-1", "sku": "MUG"}
        )
        cls.users = {
            role: new_test_user(
                cls.env,
                f"shopify_{role}",
                groups=f"base.group_user,{group}",
                company_id=cls.company_a.id,
                company_ids=[cls.company_a.id],
            )
            for role, group in GROUPS.items()
        }

    def as_(self, role, records):
        return records.with_user(self.users[role])

    def test_nobody_writes_events_duplicates_or_bindings(self):
        for role in GROUPS:
            event = self.as_(role, self.event_a)
            with self.subTest(role=role):
                self.assertEqual(event.state, "failed", "every group reads events")
                with self.assertRaises(AccessError):
                    event.write({"state": "done"})
                with self.assertRaises(AccessError):
                    event.create({"shop_id": self.shop_a.id, "topic": "t"})
                with self.assertRaises(AccessError):
                    self.as_(role, self.duplicate_a).write({"topic": "x"})
                with self.assertRaises(AccessError):
                    self.as_(role, self.variant_a).create(
                        {"shop_id": self.shop_a.id, "shopify_id": "v-2"}
                    )
        for role in ("reviewer", "user"):
            with self.subTest(role=role), self.assertRaises(AccessError):
                self.as_(role, self.variant_a).write({"sku": "OTHER"})
            with self.subTest(role=role), self.assertRaises(AccessError):
                self.as_(role, self.event_a).unlink()
            with self.subTest(role=role), self.assertRaises(AccessError):
                self.as_(role, self.duplicate_a).unlink()
        variant = self.as_("reviewer", self.variant_a)
        with self.assertRaises(AccessError):
            variant.write({"product_id": self.product_a.id})
        # A user's one change to a variant: its Odoo product, through the method.
        self.as_("user", self.variant_a).write({"product_id": self.product_a.id})
        self.assertEqual(self.variant_a.product_id, self.product_a)
        self.assertEqual(self.variant_a.sku, "MUG")
        self.assertEqual(self.event_a.state, "failed")

    def test_payloads_and_secrets_are_for_managers(self):
        for role in ("reviewer", "user"):
            with self.subTest(role=role):
                for field in ("payload", "payload_pretty"):
                    with self.assertRaises(AccessError):
                        self.as_(role, self.event_a).read([field])
                for field in ("access_token", "webhook_secret"):
                    with self.assertRaises(AccessError):
                        self.as_(role, self.shop_a).read([field])
        self.assertIn("jon@example.com", self.as_("manager", self.event_a).payload)
        self.assertEqual(self.as_("manager", self.shop_a).webhook_secret, "secret-a")

    def test_reviewers_cannot_retry_or_map(self):
        with self.assertRaises(AccessError):
            self.as_("reviewer", self.event_a).action_retry()
        with self.assertRaises(AccessError):
            self.as_("reviewer", self.variant_a).action_map_product(self.product_a.id)
        with self.assertRaises(AccessError):
            self.as_("reviewer", self.env["shopify.shipping.mapping"]).create(
                {"shop_id": self.shop_a.id, "name": "Std", "product_id": 0}
            )
        self.assertEqual(self.event_a.state, "failed")

    def test_users_retry_map_and_create_mappings(self):
        self.as_("user", self.event_a).action_retry()
        self.assertEqual(self.event_a.state, "queued")
        self.assertTrue(self.event_a.job_uuid)
        self.as_("user", self.variant_a).action_map_product(self.product_a.id)
        self.assertEqual(self.variant_a.product_id, self.product_a)
        service = self.env["product.product"].create(
            {"name": "Shipping A", "type": "service", "company_id": self.company_a.id}
        )
        mapping = self.as_("user", self.env["shopify.shipping.mapping"]).create(
            {"shop_id": self.shop_a.id, "name": "Std", "product_id": service.id}
        )
        mapping.name = "Standard"
        with self.assertRaises(AccessError):
            mapping.unlink()
        self.as_("manager", mapping).unlink()

    def test_users_create_the_missing_product_and_no_other(self):
        """Products stay Odoo's (Sales, Inventory): a Shopify user without those rights
        writes and creates none, but creates the one an order waits for from its
        event, in the shop's company."""
        Product = self.env["product.product"]
        for role in GROUPS:
            with self.subTest(role=role):
                self.assertFalse(
                    Product.with_user(self.users[role]).has_access("write")
                )
                with self.assertRaises(AccessError):
                    self.as_(role, self.product_a).write({"name": "Renamed"})
                with self.assertRaises(AccessError):
                    self.as_(role, Product).create({"name": "Any product"})
        self.assertEqual(self.product_a.name, "Mug A")
        need = {"kind": "product", "sku": "LENS-1", "name": "Lens", "price": 9.5}
        self.event_a.write({"state": "needs_mapping", "missing_data": [need]})
        with self.assertRaises(AccessError):
            self.as_("reviewer", self.event_a).action_fix_create_product()
        action = self.as_("user", self.event_a).action_fix_create_product()
        product = Product.browse(action["res_id"])
        self.assertEqual(
            (product.name, product.default_code, product.list_price),
            ("Lens", "LENS-1", 9.5),
        )
        self.assertEqual(product.company_id, self.company_a, "the shop's company")
        self.assertEqual(product.create_uid, self.users["user"])
        self.assertEqual(self.event_a.state, "queued", "re-queued by the product")
        self.assertTrue(self.as_("user", product).read(["name"]), "shown to the user")
        with self.assertRaises(AccessError):
            self.as_("user", product).write({"list_price": 0.0})
        # Once only: a second press on a stale form creates nothing more.
        self.event_a.write({"state": "needs_mapping", "missing_data": [need]})
        with self.assertRaises(UserError):
            self.as_("user", self.event_a).action_fix_create_product()
        self.assertEqual(Product.search_count([("default_code", "=", "LENS-1")]), 1)
        self.event_b.write({"state": "needs_mapping", "missing_data": [need]})
        with self.assertRaises(AccessError):
            self.as_("user", self.event_b).action_fix_create_product()

    def test_managers_configure_and_may_purge_events(self):
        self.as_("manager", self.shop_a).confirm_orders = False
        with self.assertRaises(AccessError):
            self.as_("user", self.shop_a).confirm_orders = True
        self.as_("manager", self.event_a).unlink()
        self.assertFalse(self.event_a.exists())

    def test_a_company_sees_and_acts_on_its_own_records_only(self):
        Event = self.env["shopify.webhook.event"]
        for role in GROUPS:
            with self.subTest(role=role):
                visible = self.as_(role, Event).search([])
                self.assertIn(self.event_a, visible)
                self.assertNotIn(self.event_b, visible)
                with self.assertRaises(AccessError):
                    self.as_(role, self.event_b).read(["state"])
        with self.assertRaises(AccessError):
            self.as_("manager", self.event_b).action_retry()
        self.assertEqual(self.event_b.state, "failed")
        with self.assertRaises(AccessError):
            self.as_("user", self.variant_a).action_map_product(self.product_b.id)
        self.assertFalse(self.variant_a.product_id)

    def test_a_record_never_points_at_another_companys(self):
        service_a = self.env["product.product"].create(
            {"name": "Ship A", "type": "service", "company_id": self.company_a.id}
        )
        mapping = self.env["shopify.shipping.mapping"].create(
            {"shop_id": self.shop_a.id, "name": "Std", "product_id": service_a.id}
        )
        # Even the superuser cannot cross companies (check_company).
        with self.assertRaises(UserError), self.env.cr.savepoint():
            mapping.product_id = self.product_b
        with self.assertRaises(UserError), self.env.cr.savepoint():
            mapping.shop_id = self.shop_b  # its product is company A's
        with self.assertRaises(UserError), self.env.cr.savepoint():
            self.variant_a.product_id = self.product_b
        warehouse_b = self.env["stock.warehouse"].search(
            [("company_id", "=", self.company_b.id)], limit=1
        )
        with self.assertRaises(UserError), self.env.cr.savepoint():
            self.env["shopify.location.mapping"].create(
                {
                    "shop_id": self.shop_a.id,
                    "name": "Paris",
                    "location_gid": "1",
                    "warehouse_id": warehouse_b.id,
                }
            )
        partner = self.env["res.partner"].create({"name": "Jon"})
        order_b = self.env["sale.order"].create(
            {"partner_id": partner.id, "company_id": self.company_b.id}
        )
        with self.assertRaises(UserError), self.env.cr.savepoint():
            self.env["shopify.order.binding"].create(
                {
                    "shop_id": self.shop_a.id,
                    "shopify_id": "o-1",
                    "sale_order_id": order_b.id,
                }
            )
        # A user of company A cannot move a mapping onto company B's shop either.
        shared = self.env["product.product"].create(
            {"name": "Ship any", "type": "service", "company_id": False}
        )
        mapping.product_id = shared
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.as_("user", mapping).shop_id = self.shop_b
        self.assertEqual(mapping.shop_id, self.shop_a)
