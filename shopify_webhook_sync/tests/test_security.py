"""Who sees what: secrets are for Shopify managers only; companies see their own
shops."""

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSecurity(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Other Co"})
        cls.shop = cls.env["shopify.shop"].create(
            {
                "name": "Main",
                "shop_domain": "main.myshopify.com",
                "access_token": "shpat_secret",
                "webhook_secret": "whsec",
            }
        )
        cls.other_shop = cls.env["shopify.shop"].create(
            {
                "name": "Other",
                "shop_domain": "other.myshopify.com",
                "company_id": cls.other_company.id,
            }
        )
        cls.user = new_test_user(
            cls.env,
            "shopify_user",
            groups="base.group_user,shopify_webhook_sync.group_shopify_user",
        )
        cls.manager = new_test_user(
            cls.env,
            "shopify_manager",
            groups="base.group_user,shopify_webhook_sync.group_shopify_manager",
        )

    def test_only_managers_read_token_and_secrets(self):
        shop = self.shop.with_user(self.user)
        self.assertEqual(shop.name, "Main")
        for field in ("access_token", "webhook_secret", "webhook_secret_previous"):
            with self.subTest(field=field), self.assertRaises(AccessError):
                shop.read([field])
        self.assertEqual(self.shop.with_user(self.manager).access_token, "shpat_secret")

    def test_users_cannot_configure_shops_or_create_events(self):
        with self.assertRaises(AccessError):
            self.env["shopify.shop"].with_user(self.user).create(
                {"name": "X", "shop_domain": "x.myshopify.com"}
            )
        with self.assertRaises(AccessError):
            self.env["shopify.webhook.event"].with_user(self.manager).create(
                {"shop_id": self.shop.id, "topic": "orders/create", "webhook_id": "w"}
            )

    def test_a_company_sees_its_own_shops_only(self):
        visible = self.env["shopify.shop"].with_user(self.manager).search([])
        self.assertIn(self.shop, visible)
        self.assertNotIn(self.other_shop, visible)

    def test_shop_domain_must_be_the_permanent_domain(self):
        with self.assertRaisesRegex(Exception, "myshopify.com"):
            self.env["shopify.shop"].create(
                {"name": "Bad", "shop_domain": "www.example.com"}
            )
        shop = self.env["shopify.shop"].create(
            {"name": "Ok", "shop_domain": " Mixed.MyShopify.com "}
        )
        self.assertEqual(shop.shop_domain, "mixed.myshopify.com")
