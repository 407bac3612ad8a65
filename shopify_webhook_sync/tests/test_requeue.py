"""Every fix re-queues what waited for it, and only that: an order waits (a product,
a setting, a currency, a tax mapping, an Odoo tax whose figures were wrong), the fix
is saved, the order is queued again and ends done, while another order waiting for
something else stays where it was."""

import copy
import json

from odoo.tests import tagged

from .common import ShopifyCase, webhook_body


def money(amount, currency="USD"):
    return {"shopMoney": {"amount": f"{amount:.2f}", "currencyCode": currency}}


VAT = [{"title": "VAT", "rate": 0.2, "priceSet": money(18.0)}]


@tagged("post_install", "-at_install")
class TestRequeue(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tax = cls.env["account.tax"]
        cls.vat20 = Tax.create(
            {"name": "VAT 20% (requeue)", "amount": 20, "type_tax_use": "sale"}
        )
        cls.vat19 = Tax.create(
            {"name": "VAT 19% (requeue)", "amount": 19, "type_tax_use": "sale"}
        )
        cls.service = cls.env["product.product"].create(
            {"name": "Shopify line without a variant", "type": "service"}
        )

    def setUp(self):
        super().setUp()
        self.next_id = 9100000000000000

    def new_order(self, edit=None):
        """A new Shopify order (the published example, a new id) changed by ``edit``,
        delivered as orders/create and synced; returns its event."""
        self.next_id += 1
        order = copy.deepcopy(self.order_data)
        order.update(
            id=f"gid://shopify/Order/{self.next_id}",
            legacyResourceId=str(self.next_id),
            name=f"#{self.next_id}",
        )
        for n, line in enumerate(order["lineItems"]["nodes"]):
            line["id"] = f"gid://shopify/LineItem/{self.next_id}{n}"
        if edit:
            edit(order)
        self.fake.add(order)
        body = json.loads(webhook_body("orders/create"))
        body.update(id=self.next_id, name=order["name"])
        self.assertEqual(self.deliver(body=json.dumps(body).encode()).status_code, 200)
        self.run_jobs()
        return self.events().filtered(lambda e: e.object_id == str(self.next_id))

    def waiting_for_shipping(self):
        """An order waiting for another fix: its shipping method is not mapped."""

        def edit(order):
            order["shippingLines"]["nodes"][0]["title"] = "Drone Delivery"

        event = self.new_order(edit)
        self.assertEqual(event.state, "needs_mapping")
        self.assertIn("Drone Delivery", event.error_message)
        return event

    def assert_requeued_alone(self, event, bystander):
        """``event`` was re-queued by the fix, and only it; it then ends done."""
        self.env.invalidate_all()
        self.assertEqual(event.state, "queued", "the fix re-queued the order")
        self.assertEqual(bystander.state, "needs_mapping", "nothing else re-queued")
        self.assertEqual(
            self.jobs(states=("pending",)).mapped("uuid"),
            [event.job_uuid],
            "one job: the waiting order's",
        )
        self.run_jobs()
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(bystander.state, "needs_mapping")

    # -- taxes --

    def taxed(self, order):
        """Shopify charged 20% VAT on the first line (89.99): 18.00."""
        order["lineItems"]["nodes"][0]["taxLines"] = copy.deepcopy(VAT)
        order["currentTotalTaxSet"] = money(18.0)
        order["currentTotalPriceSet"] = money(432.95)

    def map_vat(self, tax):
        return self.env["shopify.tax.mapping"].create(
            {"shop_id": self.shop.id, "title": "VAT", "rate": 0.2, "tax_id": tax.id}
        )

    def waiting_for_totals(self):
        """The VAT is mapped to a 19% tax: Odoo's tax is 17.10, Shopify's 18.00."""
        mapping = self.map_vat(self.vat19)
        event = self.new_order(self.taxed)
        self.assertEqual(event.state, "needs_review")
        self.assertIn("tax Odoo 17.10 / Shopify 18.00", event.error_message)
        return event, mapping

    def test_mapping_the_right_tax_requeues_the_order_whose_totals_differed(self):
        bystander = self.waiting_for_shipping()
        event, mapping = self.waiting_for_totals()
        mapping.tax_id = self.vat20
        self.assert_requeued_alone(event, bystander)
        self.assertEqual(self.sale_orders().amount_tax, 18.0)

    def test_correcting_the_odoo_tax_requeues_the_order_whose_totals_differed(self):
        bystander = self.waiting_for_shipping()
        event, _mapping = self.waiting_for_totals()
        self.vat19.name = "VAT (renamed)"
        self.assertEqual(event.state, "needs_review", "a name computes nothing")
        self.vat19.amount = 20
        self.assert_requeued_alone(event, bystander)

    def test_a_tax_set_to_the_shops_price_convention_requeues_the_order(self):
        bystander = self.waiting_for_shipping()
        self.map_vat(self.vat20)
        self.vat20.price_include_override = "tax_included"
        event = self.new_order(self.taxed)
        self.assertEqual(event.state, "needs_mapping")
        self.assertIn("exclude taxes", event.error_message)
        self.vat20.price_include_override = "tax_excluded"
        self.assert_requeued_alone(event, bystander)

    def test_a_product_taxes_do_not_enter_the_order(self):
        """Odoo's taxes come from the tax mapping (Shopify's tax lines), never from
        the product: changing a product's taxes is no fix and re-queues nothing."""
        event, _mapping = self.waiting_for_totals()
        self.products.write({"taxes_id": [(6, 0, self.vat20.ids)]})
        self.assertEqual(event.state, "needs_review")
        self.assertFalse(self.jobs(states=("pending",)))

    # -- products, settings, currency --

    def test_creating_the_product_of_the_sku_requeues_the_order(self):
        bystander = self.waiting_for_shipping()

        def edit(order):
            order["lineItems"]["nodes"][1]["sku"] = "NEW-SKU-1"

        event = self.new_order(edit)
        self.assertEqual(event.state, "needs_mapping")
        self.assertEqual(event.missing_data[0]["kind"], "product")
        self.env["product.product"].create(
            {"name": "New", "default_code": "NEW-SKU-1", "type": "consu"}
        )
        self.assert_requeued_alone(event, bystander)

    def test_choosing_each_product_in_settings_requeues_the_orders_waiting_for_it(
        self,
    ):
        bystander = self.waiting_for_shipping()
        for field, edit in (
            ("tip_product_id", self.tip),
            ("custom_item_product_id", self.custom_item),
            ("gift_card_product_id", self.gift_card),
            ("duty_product_id", self.duties),
            ("fee_product_id", self.fee),
        ):
            with self.subTest(field=field):
                event = self.new_order(edit)
                self.assertEqual(event.state, "needs_mapping")
                self.assertEqual(
                    [need.get("field") for need in event.missing_data], [field]
                )
                self.env["res.config.settings"].create(
                    {
                        "shopify_shop_id": self.shop.id,
                        f"shopify_{field}": self.service.id,
                    }
                ).execute()
                self.assertEqual(self.shop[field], self.service)
                self.assert_requeued_alone(event, bystander)

    def variantless_line(self, order, name, amount, **values):
        line = copy.deepcopy(order["lineItems"]["nodes"][0])
        line.update(id=f"{order['id']}/{name}", name=name, title=name, sku=None)
        line.update(variant=None, taxLines=[], discountAllocations=[], **values)
        for field in ("originalUnitPriceSet", "priceAfterAllDiscountsBeforeTaxesSet"):
            line[field] = money(amount)
        order["lineItems"]["nodes"].append(line)
        self.add_to_totals(order, amount)
        return line

    def add_to_totals(self, order, amount):
        for field in ("currentSubtotalPriceSet", "currentTotalPriceSet"):
            total = float(order[field]["shopMoney"]["amount"]) + amount
            order[field] = money(total)

    def tip(self, order):
        line = self.variantless_line(order, "Tip", 5.0)
        order["totalTipReceivedSet"] = money(5.0)
        order["agreements"] = {
            "nodes": [
                {
                    "__typename": "OrderAgreement",
                    "id": f"gid://shopify/SalesAgreement/{self.next_id}",
                    "sales": {
                        "nodes": [
                            {
                                "__typename": "TipSale",
                                "id": f"gid://shopify/Sale/{self.next_id}",
                                "lineType": "TIP",
                                "lineItem": {"id": line["id"]},
                            }
                        ]
                    },
                }
            ]
        }

    def custom_item(self, order):
        self.variantless_line(order, "Engraving", 12.5)

    def gift_card(self, order):
        self.variantless_line(order, "Gift card", 50.0, isGiftCard=True)

    def duties(self, order):
        order["currentTotalDutiesSet"] = money(7.3)
        self.add_to_totals(order, 7.3)

    def fee(self, order):
        order["additionalFees"] = [
            {
                "id": f"gid://shopify/AdditionalFee/{self.next_id}",
                "name": "Import fee",
                "price": money(4.2),
                "taxLines": [],
            }
        ]
        self.add_to_totals(order, 4.2)

    def test_creating_the_pricelist_of_the_currency_requeues_the_order(self):
        bystander = self.waiting_for_shipping()

        def paid_in_euros(order):
            order["presentmentCurrencyCode"] = "EUR"
            for node in _money_bags(order):
                node["presentmentMoney"] = dict(node["shopMoney"], currencyCode="EUR")

        event = self.new_order(paid_in_euros)
        self.assertEqual(event.state, "needs_mapping")
        self.assertEqual(event.missing_data, [{"kind": "currency", "currency": "EUR"}])
        euro = self.env.ref("base.EUR")
        euro.active = True
        self.env["product.pricelist"].create(
            {"name": "Shopify EUR (requeue)", "currency_id": euro.id}
        )
        self.assert_requeued_alone(event, bystander)
        self.assertEqual(self.sale_orders().currency_id, euro)

    def test_mapping_the_shipping_method_requeues_only_what_waited_for_it(self):
        self.map_vat(self.vat19)
        taxed = self.new_order(self.taxed)
        self.assertEqual(taxed.state, "needs_review")
        event = self.waiting_for_shipping()
        self.env["shopify.shipping.mapping"].create(
            {
                "shop_id": self.shop.id,
                "name": "Drone Delivery",
                "product_id": self.shipping_product.id,
            }
        )
        self.env.invalidate_all()
        self.assertEqual(event.state, "queued")
        self.assertEqual(taxed.state, "needs_review", "its totals wait for a tax fix")
        self.assertEqual(
            self.jobs(states=("pending",)).mapped("uuid"), [event.job_uuid]
        )
        self.run_jobs()
        self.assertEqual(event.state, "done", event.error_message)


def _money_bags(node):
    if isinstance(node, dict):
        if "shopMoney" in node:
            yield node
        for value in node.values():
            yield from _money_bags(value)
    elif isinstance(node, list):
        for value in node:
            yield from _money_bags(value)
