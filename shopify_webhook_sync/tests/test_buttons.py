"""Every button a group sees works for that group: each group logs in, loads the views
the web client loads (so their ``groups`` apply), and presses every object button and
every Actions-menu entry the view shows it on a real record, then opens what the button
returns (a record, a list, a dialog) as the web client would. A button shown to a group
that ends in an AccessError fails the test."""

from lxml import etree

from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval
from odoo.tools.view_validation import get_expression_field_names

from .test_operate import OperatorCase, money

ROLES = ("reviewer", "user", "manager")


@tagged("post_install", "-at_install")
class TestEveryButtonWorks(OperatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for role in ROLES:
            new_test_user(
                cls.env,
                f"rights_{role}",
                password=f"rights_{role}_pw",
                groups=f"base.group_user,shopify_webhook_sync.group_shopify_{role}",
                name=f"Shopify {role}",
            )

    def setUp(self):
        super().setUp()
        # A done order (its event opens the sale order), an update of it waiting for
        # review, and another order waiting for a product (the reason's buttons).
        self.assertEqual(self.deliver().status_code, 200)
        self.run_jobs()
        self.done = self.events()
        self.assertEqual(self.done.state, "done")
        self.order()["currentTotalPriceSet"] = money("420.00")
        self.order()["updatedAt"] = "2030-01-01T00:00:00Z"
        self.assertEqual(self.deliver("orders/updated").status_code, 200)
        self.run_jobs()
        self.review = self.events() - self.done
        self.assertEqual(self.review.state, "needs_review")
        body = self.add_order(2)
        self.products[1].default_code = "RENAMED"
        self.assertEqual(self.deliver(body=body).status_code, 200)
        self.run_jobs()
        self.mapping = self.events() - self.done - self.review
        self.assertEqual(self.mapping.state, "needs_mapping")
        self.assertTrue(self.mapping.fix_sku)

    # -- the web client's moves --

    def view(self, model, view_type):
        result = self.call_kw(
            model, "get_views", [[[False, view_type]]], {"options": {"toolbar": True}}
        )
        return result["views"][view_type]

    def shown(self, arch, record):
        """The object buttons of ``arch`` that show on ``record``, read as the logged
        in user: (method, context)."""
        buttons = []
        for node in etree.fromstring(arch).iter("button"):
            if node.get("type") != "object":
                continue
            invisible = node.get("invisible") or "False"
            names = sorted(get_expression_field_names(invisible) - {"context", "uid"})
            values = {}
            if names:
                [values] = self.call_kw(record._name, "read", [record.ids, names])
                values = {
                    name: value[0] if isinstance(value, list) and value else value
                    for name, value in values.items()
                }
            if safe_eval(invisible, values | {"context": {}}):
                continue
            buttons.append((node.get("name"), safe_eval(node.get("context") or "{}")))
        return buttons

    def open_result(self, result):
        """What the web client does with a button's result: open the record, the
        list or the dialog it names (all read as the logged in user)."""
        if not isinstance(result, dict) or result.get("type") != (
            "ir.actions.act_window"
        ):
            return
        model = result["res_model"]
        if result.get("res_id"):
            self.call_kw(model, "web_read", [[result["res_id"]]], {"specification": {}})
            return
        if "form" in (result.get("view_mode") or "").split(",")[:1]:
            form = self.view(model, "form")
            spec = {name: {} for name in self.fields_of(form["arch"])}
            self.call_kw(
                model,
                "onchange",
                [[], {}, [], spec],
                {"context": result.get("context") or {}},
            )
            return
        self.call_kw(model, "search", [result.get("domain") or []])

    @staticmethod
    def fields_of(arch):
        return {node.get("name") for node in etree.fromstring(arch).iter("field")}

    def press_all(self, records, view_type, only=""):
        """Press every button the view shows on ``records`` (one by one for a form, all
        selected for a list) and every entry of its Actions menu; returns the methods
        pressed (``only``: those whose method names contain it)."""
        view = self.view(records._name, view_type)
        pressed = set()
        targets = records if view_type == "list" else list(records)
        for target in [targets] if view_type == "list" else targets:
            for method, context in self.shown(view["arch"], target[:1]):
                if only not in method:
                    continue
                with self.subTest(model=records._name, button=method, context=context):
                    self.open_result(self.call_button(target, method, context=context))
                    pressed.add(method)
        for action in view.get("toolbar", {}).get("action", []):
            if "res_model" in action or only:  # a window action: opens, runs nothing
                continue
            with self.subTest(model=records._name, action=action["name"]):
                result = self.make_jsonrpc_request(
                    "/web/action/run",
                    {
                        "action_id": action["id"],
                        "context": {
                            "active_model": records._name,
                            "active_id": records[:1].id,
                            "active_ids": records.ids,
                        },
                    },
                )
                self.env.invalidate_all()
                self.open_result(result)
                pressed.add(action["name"])
        return pressed

    # -- the test --

    def press_everything(self, role):
        self.authenticate(f"rights_{role}", f"rights_{role}_pw")
        events = self.done | self.mapping | self.review
        overview = self.env["shopify.event.overview"].search(
            [("shop_id", "=", self.shop.id)]
        )
        pressed = set()
        pressed |= self.press_all(self.done | self.mapping | self.review, "form")
        pressed |= self.press_all(events, "list")
        pressed |= self.press_all(self.shop, "kanban")
        pressed |= self.press_all(overview, "kanban")
        if role == "manager":
            pressed |= self.press_all(self.shop, "form")
        pressed |= self.press_all(self.sale_orders().partner_id, "form", "shopify")
        return pressed

    def test_reviewer_reads_and_every_button_it_sees_works(self):
        pressed = self.press_everything("reviewer")
        self.assertIn("action_open_figure", pressed)
        self.assertIn("action_open_events", pressed)
        self.assertIn("action_open_shopify_events", pressed, "the contact's button")
        self.assertFalse(
            {"action_retry", "action_open_close_wizard", "action_fix_create_product"}
            & pressed,
            "reviewers act on nothing",
        )
        self.assertNotIn(
            "action_open_record", pressed, "no sales rights: no Odoo Record button"
        )
        self.assertEqual(self.mapping.state, "needs_mapping")

    def test_user_every_button_it_sees_works(self):
        pressed = self.press_everything("user")
        self.assertTrue(
            {
                "action_retry",
                "action_open_close_wizard",
                "action_fix_create_product",
                "Retry",
                "Ignore…",
            }
            <= pressed,
            pressed,
        )
        self.assertNotIn("action_test_connection", pressed)
        self.assertEqual(self.mapping.state, "queued", "retried")

    def test_manager_every_button_it_sees_works(self):
        pressed = self.press_everything("manager")
        self.assertTrue(
            {
                "action_test_connection",
                "action_register_webhooks",
                "action_check_webhooks",
                "action_rehearse",
                "action_open_reconcile_wizard",
                "action_retry",
            }
            <= pressed,
            pressed,
        )

    def test_a_seller_opens_the_odoo_record(self):
        """Odoo Record shows to whom may read the sale order, and opens it."""
        self.env["res.users"].search(
            [("login", "=", "rights_user")]
        ).groups_id |= self.env.ref("sales_team.group_sale_salesman_all_leads")
        self.authenticate("rights_user", "rights_user_pw")
        self.assertIn("action_open_record", self.press_all(self.done, "form"))
