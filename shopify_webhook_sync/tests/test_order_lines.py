"""Lines without a variant: tips, custom items, gift cards sold, duties and additional
fees become lines of the products chosen on the shop (Settings), and the order still
totals Shopify's to the cent; choosing a missing product releases the order."""

import copy

from odoo.tests import tagged

from .common import ORDER_GID, ShopifyCase

TIP_GID = "gid://shopify/LineItem/900000000000000001"
CUSTOM_GID = "gid://shopify/LineItem/900000000000000002"
GIFT_GID = "gid://shopify/LineItem/900000000000000003"


def money(amount):
    return {"shopMoney": {"amount": f"{amount:.2f}", "currencyCode": "USD"}}


@tagged("post_install", "-at_install")
class TestOrderLines(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.tip, cls.custom, cls.gift, cls.duty, cls.fee = Product.create(
            [
                {"name": f"Shopify {name}", "type": "service"}
                for name in ("tip", "custom item", "gift card", "duties", "fee")
            ]
        )

    def order(self):
        return self.fake.objects[ORDER_GID]

    def sync(self, topic="orders/create"):
        self.assertEqual(self.deliver(topic).status_code, 200)
        return self.run_jobs()

    def add_line(self, gid, name, amount, sku=None, gift_card=False):
        """A line item without a variant, copied from the example order's first."""
        line = copy.deepcopy(self.order()["lineItems"]["nodes"][0])
        line.update(id=gid, name=name, title=name, sku=sku, isGiftCard=gift_card)
        for field in (
            "originalUnitPriceSet",
            "discountedUnitPriceAfterAllDiscountsSet",
            "priceAfterAllDiscountsBeforeTaxesSet",
        ):
            line[field] = money(amount)
        self.order()["lineItems"]["nodes"].append(line)
        self.add_to_totals(amount)
        return line

    def add_to_totals(self, amount):
        for field in ("currentSubtotalPriceSet", "currentTotalPriceSet"):
            total = float(self.order()[field]["shopMoney"]["amount"]) + amount
            self.order()[field] = money(total)

    def add_tip(self, amount=5.0):
        """A tip: a line item without a variant that the order's sales call TIP."""
        self.add_line(TIP_GID, "Tip", amount)
        self.order()["totalTipReceivedSet"] = money(amount)
        self.order()["agreements"] = {
            "nodes": [
                {
                    "__typename": "OrderAgreement",
                    "id": "gid://shopify/SalesAgreement/1",
                    "sales": {
                        "nodes": [
                            {
                                "__typename": "ProductSale",
                                "id": "gid://shopify/Sale/1",
                                "lineType": "PRODUCT",
                                "lineItem": {
                                    "id": self.order()["lineItems"]["nodes"][0]["id"]
                                },
                            },
                            {
                                "__typename": "TipSale",
                                "id": "gid://shopify/Sale/2",
                                "lineType": "TIP",
                                "lineItem": {"id": TIP_GID},
                            },
                        ]
                    },
                }
            ]
        }

    def line(self, gid):
        return self.sale_orders().order_line.filtered(
            lambda sol: sol.shopify_line_gid == gid
        )

    def assert_exact(self):
        event = self.events().filtered(lambda e: e.topic == "orders/create")
        self.assertEqual(event.state, "done", event.error_message)
        total = float(self.order()["currentTotalPriceSet"]["shopMoney"]["amount"])
        self.assertAlmostEqual(self.sale_orders().amount_total, total, places=2)

    def test_tip_needs_its_product_then_syncs_exact(self):
        self.add_tip(5.0)
        self.sync()
        event = self.events()
        self.assertEqual(event.state, "needs_mapping")
        self.assertIn("'Tip': choose the Tip Product", event.error_message)
        self.assertFalse(self.sale_orders(), "nothing partial")
        self.shop.tip_product_id = self.tip
        self.assertEqual(event.state, "queued", "choosing the product re-queues")
        self.run_jobs()
        self.assert_exact()
        self.assertEqual(self.line(TIP_GID).product_id, self.tip)
        self.assertEqual(self.line(TIP_GID).price_subtotal, 5.0)
        tips = [r for r in self.fake.requests if "OrderTips" in r["query"]]
        self.assertEqual(len(tips), 2, "read only for an order with a tip")

    def assert_tip_found(self):
        """With a Custom Item Product set, a tip the scan missed would silently
        become a custom item: it must be the tip."""
        self.shop.write(
            {"tip_product_id": self.tip.id, "custom_item_product_id": self.custom.id}
        )
        self.sync()
        self.assert_exact()
        self.assertEqual(self.line(TIP_GID).product_id, self.tip)

    def test_a_tip_beyond_the_first_page_of_sales_is_found(self):
        self.add_tip(5.0)
        sales = self.order()["agreements"]["nodes"][0]["sales"]["nodes"]
        sales[1:1] = [
            dict(sales[0], id=f"gid://shopify/Sale/1{n:03d}") for n in range(60)
        ]
        self.assert_tip_found()

    def test_a_tip_beyond_the_first_page_of_agreements_is_found(self):
        self.add_tip(5.0)
        agreements = self.order()["agreements"]["nodes"]
        first = agreements[0]
        products = {"nodes": first["sales"]["nodes"][:1]}
        agreements[0:0] = [
            dict(first, id=f"gid://shopify/SalesAgreement/1{n:02d}", sales=products)
            for n in range(6)
        ]
        self.assert_tip_found()

    def test_custom_item_matched_by_sku_first_then_the_custom_item_product(self):
        self.add_line(CUSTOM_GID, "Engraving", 12.5)
        self.add_line(GIFT_GID, "Gift wrap", 3.0, sku="SKU2006-035")
        self.sync()
        self.assertEqual(self.events().state, "needs_mapping")
        self.assertIn("'Engraving' is a custom item", self.events().error_message)
        self.env["res.config.settings"].create(
            {
                "shopify_shop_id": self.shop.id,
                "shopify_custom_item_product_id": self.custom.id,
            }
        ).execute()
        self.assertEqual(self.shop.custom_item_product_id, self.custom)
        self.run_jobs()
        self.assert_exact()
        self.assertEqual(self.line(CUSTOM_GID).product_id, self.custom)
        self.assertEqual(self.line(CUSTOM_GID).name, "Engraving")
        self.assertEqual(
            self.line(GIFT_GID).product_id.default_code, "SKU2006-035", "SKU first"
        )
        self.assertEqual(
            [r for r in self.fake.requests if "OrderTips" in r["query"]], []
        )

    def test_custom_item_whose_sku_is_on_several_products_waits(self):
        self.shop.custom_item_product_id = self.custom
        self.add_line(CUSTOM_GID, "Engraving", 12.5, sku="ENGRAVE")
        self.env["product.product"].create(
            [{"name": f"Engraving {n}", "default_code": "ENGRAVE"} for n in (1, 2)]
        )
        self.sync()
        self.assertEqual(self.events().state, "needs_mapping")
        self.assertIn(
            "'ENGRAVE' is the Internal Reference of several",
            self.events().error_message,
        )

    def test_gift_card_duties_and_fees_sync_exact(self):
        self.shop.write(
            {
                "gift_card_product_id": self.gift.id,
                "duty_product_id": self.duty.id,
                "fee_product_id": self.fee.id,
            }
        )
        gift_card = self.add_line(GIFT_GID, "Gift card $50", 50.0, gift_card=True)
        gift_card["variant"] = {
            "id": "gid://shopify/ProductVariant/1",
            "legacyResourceId": "1",
            "sku": None,
            "barcode": None,
        }
        self.order()["currentTotalDutiesSet"] = money(7.3)
        self.order()["additionalFees"] = [
            {
                "id": "gid://shopify/AdditionalFee/1",
                "name": "Import fee",
                "price": money(4.2),
                "taxLines": [],
            }
        ]
        self.add_to_totals(7.3 + 4.2)
        self.sync()
        self.assert_exact()
        self.assertEqual(self.line(GIFT_GID).product_id, self.gift)
        self.assertEqual(
            self.line(f"{ORDER_GID}/duties").product_id
            + self.line("gid://shopify/AdditionalFee/1").product_id,
            self.duty + self.fee,
        )
