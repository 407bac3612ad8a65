"""Workflows: each shop has one per flow, with defaults, from its creation; the error
owner is the shop's owner of the topic group, whichever side it is changed from."""

import psycopg2

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..models.shopify_shop import MAX_RETRIES
from ..models.shopify_subscription import FULFILLMENT_TOPICS, TOPICS
from ..models.shopify_workflow import (
    FLOW_REQUIREMENTS,
    FLOW_TOPICS,
    FLOWS,
    PLAN_FIELDS,
)

COMPLIANCE_TOPICS = {"customers/data_request", "customers/redact", "shop/redact"}


@tagged("post_install", "-at_install")
class TestWorkflowDefaults(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env,
            "shopify_wf_user",
            groups="base.group_user,shopify_webhook_sync.group_shopify_user",
        )
        cls.manager = new_test_user(
            cls.env,
            "shopify_wf_manager",
            groups="base.group_user,shopify_webhook_sync.group_shopify_manager",
        )
        cls.shop = cls.env["shopify.shop"].create(
            {"name": "Workflow store", "shop_domain": "wf-store.myshopify.com"}
        )

    def _workflow(self, flow, shop=None):
        return (shop or self.shop).workflow_ids.filtered(lambda w: w.flow == flow)

    def test_a_new_shop_has_one_workflow_per_flow_with_defaults(self):
        self.assertEqual(
            sorted(self.shop.workflow_ids.mapped("flow")),
            sorted(flow for flow, _label in FLOWS),
        )
        orders = self._workflow("orders")
        self.assertEqual(orders.source, "shopify")
        self.assertEqual(orders.target_model_id.model, "sale.order")
        self.assertIn("SKU", orders.matching_key)
        self.assertIn("review", orders.guardrail)
        self.assertEqual(orders.retry_max, MAX_RETRIES)
        self.assertGreater(orders.retry_delay_max, orders.retry_delay)
        self.assertEqual(orders.topics.split(", ")[0], "orders/create")
        self.assertEqual(orders.company_id, self.shop.company_id)
        targets = {"refunds": "account.move", "products": "product.product"}
        for flow, model in targets.items():
            self.assertEqual(self._workflow(flow).target_model_id.model, model)
        stock = self._workflow("stock")
        self.assertEqual(stock.source, "odoo")
        self.assertFalse(stock.topics)
        self.assertEqual(self._workflow("fulfillments").source, "odoo")
        self.assertEqual(self.shop.workflow_count, len(FLOWS))

    def test_fulfillments_follow_who_fulfils(self):
        shop = self.env["shopify.shop"].create(
            {
                "name": "3PL store",
                "shop_domain": "wf-3pl.myshopify.com",
                "fulfilled_by": "shopify",
            }
        )
        fulfillments = self._workflow("fulfillments", shop)
        self.assertEqual(fulfillments.source, "shopify")
        self.assertIn("validate the Odoo delivery", fulfillments.guardrail)

    def test_the_topics_are_those_the_shop_subscribes_to(self):
        listened = {topic for topics in FLOW_TOPICS.values() for topic in topics}
        self.assertEqual(listened - COMPLIANCE_TOPICS, {*TOPICS, *FULFILLMENT_TOPICS})

    def test_the_error_owner_is_the_shops_owner_of_the_topic_group(self):
        alice = new_test_user(self.env, "wf_alice", groups="base.group_user")
        bob = new_test_user(self.env, "wf_bob", groups="base.group_user")
        self.shop.owner_orders_id = alice
        self.assertEqual(self._workflow("orders").owner_id, alice)
        self.assertEqual(self._workflow("fulfillments").owner_id, alice)
        # set on the workflow: the shop's owner changes (one source of truth)
        self._workflow("refunds").with_user(self.manager).owner_id = bob
        self.assertEqual(self.shop.owner_refunds_id, bob)
        self.assertEqual(self.shop._shopify_owner("refund"), bob)
        self._workflow("privacy").owner_id = bob
        self.assertEqual(self.shop.responsible_user_id, bob)
        self.shop.owner_products_id = alice
        self.assertEqual(self._workflow("products").owner_id, alice)
        self.assertEqual(self._workflow("stock").owner_id, alice)

    def test_one_workflow_per_shop_and_flow(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError):
            with self.env.cr.savepoint():
                self.env["shopify.workflow"].create(
                    {"shop_id": self.shop.id, "flow": "orders"}
                )

    def test_shops_that_existed_before_get_their_workflows(self):
        self._workflow("orders").unlink()
        self._workflow("privacy").unlink()
        self.shop.action_archive()
        self.env["shopify.workflow"]._shopify_ensure_all()
        self.assertEqual(len(self.shop.workflow_ids), len(FLOWS))
        self.assertEqual(self._workflow("orders").target_model_id.model, "sale.order")
        before = self.env["shopify.workflow"].search_count([])
        self.env["shopify.workflow"]._shopify_ensure_all()
        self.assertEqual(self.env["shopify.workflow"].search_count([]), before)

    def test_an_upgrade_fills_what_workflows_lack_never_what_a_merchant_set(self):
        """Workflows made by the first workflow step had no required mappings and no
        recovery plan: updating the module adds them; a merchant's own plan stays."""
        alice = new_test_user(self.env, "wf_plan_alice", groups="base.group_user")
        bob = new_test_user(self.env, "wf_plan_bob", groups="base.group_user")
        self.shop.owner_orders_id = alice
        orders, stock = self._workflow("orders"), self._workflow("stock")
        orders.requirement_ids.unlink()
        stock.requirement_ids.filtered(lambda r: r.kind == "location").unlink()
        orders.write(
            dict.fromkeys(PLAN_FIELDS, False)
            | {"plan_day": "Ana calls the shop at 9.", "mapping_fixer_id": bob.id}
        )
        self.assertFalse(orders.requirement_ids)
        self.env["shopify.workflow"]._shopify_ensure_all()
        self.assertEqual(
            set(orders.requirement_ids.mapped("kind")), set(FLOW_REQUIREMENTS["orders"])
        )
        self.assertEqual(
            sorted(stock.requirement_ids.mapped("kind")), ["location", "product"]
        )
        self.assertIn("Nothing is lost", orders.plan_hour)
        self.assertIn("Check Webhooks", orders.plan_weekend)
        self.assertEqual(orders.queue_reviewer_id, alice)
        self.assertEqual(orders.retry_approver_id, alice)
        # what the merchant wrote or chose stays
        self.assertEqual(orders.plan_day, "Ana calls the shop at 9.")
        self.assertEqual(orders.mapping_fixer_id, bob)
        # run again: nothing is added twice
        self.env["shopify.workflow"]._shopify_ensure_all()
        self.assertEqual(len(orders.requirement_ids), len(FLOW_REQUIREMENTS["orders"]))

    def test_users_read_workflows_managers_set_their_rules(self):
        orders = self._workflow("orders")
        self.assertEqual(orders.with_user(self.user).source, "shopify")
        with self.assertRaises(AccessError):
            orders.with_user(self.user).write({"retry_max": 3})
        orders.with_user(self.manager).write({"retry_max": 3})
        self.assertEqual(orders.retry_max, 3)

    def test_the_shops_smart_button_opens_its_workflows(self):
        action = self.shop.action_open_workflows()
        self.assertEqual(
            self.env["shopify.workflow"].search(action["domain"]),
            self.shop.workflow_ids,
        )
