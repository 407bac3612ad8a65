"""Manual review, temporary by design: while a workflow's review is on, each new
Shopify order becomes a quotation and its events wait "To Approve", with Shopify's
figures beside Odoo's. Approving (one or many orders) confirms it; rejecting says why
and counts as a manual correction. Review ends by itself at its end date or after N
orders approved unchanged in a row, or by hand in one click; each end is logged in
the workflow's chatter. The refunds workflow reviews refunds the same way
(models/shopify_refund_review.py: how a refund waits); Approve and Reject act on each
event's object by its kind, through its binding (``REVIEW_BINDINGS``).

An order waiting for approval stays so whatever arrives later: Shopify's changes
update the quotation (its figures too) and the events stay To Approve, so nothing is
confirmed behind the reviewer's back, even once review has ended.
"""

from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from .shopify_access import check_operator
from .shopify_order_binding import REVIEW_HOLD, _money
from .shopify_shop import SyncBlocked
from .shopify_workflow import FLOW_KINDS, KIND_FLOWS

# flows whose records can be held for review
REVIEW_FLOWS = ("orders", "refunds")
# object kind of a held event -> the binding that holds it (review_state,
# review_figures, _shopify_approve...)
REVIEW_BINDINGS = {
    "order": "shopify.order.binding",
    "refund": "shopify.refund.binding",
}
# How review ends is a rule the signers sign; whether it is on now is not.
REVIEW_RULE_FIELDS = ("review_until", "review_clean_target")


class ShopifyWorkflow(models.Model):
    _inherit = "shopify.workflow"  # pylint: disable=consider-merging-classes-inherited

    review_active = fields.Boolean(
        string="Manual Review",
        readonly=True,
        copy=False,
        tracking=True,
        help="New orders are created as quotations (new refunds: their credit notes "
        "as drafts, or not applied yet) and wait To Approve until a person approves "
        "them. Start and end it with the buttons.",
    )
    review_until = fields.Date(
        tracking=True,
        help="Review ends by itself after this day.",
    )
    review_clean_target = fields.Integer(
        string="End After Clean Approvals",
        default=20,
        tracking=True,
        help="Review ends by itself once this many records (orders, refunds) in a "
        "row were approved unchanged (0: only the date or a person ends it).",
    )
    review_clean_count = fields.Integer(
        string="Approved Unchanged in a Row",
        readonly=True,
        copy=False,
        help="Records approved as the sync built them, since the last rejection or "
        "correction: when it reaches the target, review ends.",
    )
    review_waiting_count = fields.Integer(
        string="To Approve", compute="_compute_review_waiting_count"
    )
    review_can = fields.Boolean(compute="_compute_review_can")

    _sql_constraints = [
        (
            "review_clean_target_positive",
            "CHECK(review_clean_target >= 0)",
            "The number of clean approvals cannot be negative.",
        ),
    ]

    @api.depends("flow")
    def _compute_review_can(self):
        for workflow in self:
            workflow.review_can = workflow.flow in REVIEW_FLOWS

    def _compute_review_waiting_count(self):
        counts = {
            (shop, kind): count
            for shop, kind, count in self.env["shopify.webhook.event"]._read_group(
                [
                    ("shop_id", "in", self.shop_id.ids),
                    ("object_kind", "in", list(REVIEW_BINDINGS)),
                    ("state", "=", "to_approve"),
                ],
                ["shop_id", "object_kind"],
                ["__count"],
            )
        }
        for workflow in self:
            workflow.review_waiting_count = (
                counts.get((workflow.shop_id, FLOW_KINDS[workflow.flow]), 0)
                if workflow.review_can
                else 0
            )

    def _shopify_rule_fields(self) -> list[str]:
        """How review ends (its date, its number of clean approvals) is part of the
        rules a signer reads: changing it marks the workflow changed since sign-off.
        Whether review is on is not: it ends by itself (its date passed, N clean
        approvals in a row), and each start and end is logged in the chatter."""
        rules = super()._shopify_rule_fields()
        if self.flow not in REVIEW_FLOWS:  # one workflow (its fingerprint)
            return rules
        return [*rules, *REVIEW_RULE_FIELDS]

    def action_review_start(self):
        for workflow in self:
            if not workflow.review_can:
                raise UserError(
                    self.env._(
                        "Manual review applies to orders and refunds only for now."
                    )
                )
            if workflow.review_until and workflow.review_until < fields.Date.today():
                raise UserError(
                    self.env._("Choose a review end date from today on, or none.")
                )
        self.write({"review_active": True, "review_clean_count": 0})
        for workflow in self:
            workflow._shopify_review_log(
                self.env._("Manual review started"),
                self.env._("New refunds wait To Approve until a person approves them.")
                if workflow.flow == "refunds"
                else self.env._(
                    "New orders wait To Approve until a person approves them."
                ),
            )
        return True

    def action_review_end(self):
        """End review now (one click): new orders (refunds) are confirmed (applied)
        again; those already waiting still wait for their approval."""
        self._shopify_review_end(
            self.env._("Ended by %(user)s.", user=self.env.user.name)
        )
        return True

    def action_open_review_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_webhook_sync.action_shopify_webhook_event"
        )
        action["domain"] = [
            ("shop_id", "=", self.shop_id.id),
            ("object_kind", "=", FLOW_KINDS[self.flow]),
            ("state", "=", "to_approve"),
        ]
        action["context"] = {}
        return action

    def _shopify_review_on(self) -> bool:
        """Whether this workflow holds new records for review now; past its end date,
        review ends (logged) and it does not."""
        self.ensure_one()
        if not self.review_active:
            return False
        if self.review_until and self.review_until < fields.Date.context_today(self):
            self._shopify_review_end(
                self.env._(
                    "Ended by itself: the review date (%(date)s) has passed.",
                    date=self.review_until,
                )
            )
            return False
        return True

    def _shopify_review_end(self, why: str):
        ending = self.filtered("review_active")
        ending.sudo().write({"review_active": False})
        ending._shopify_review_log(self.env._("Manual review ended"), why)

    def _shopify_review_log(self, title: str, body: str):
        for workflow in self.sudo():
            workflow.message_post(
                body=Markup("<p><b>%s</b></p><p>%s</p>") % (title, body),
                author_id=self.env.user.partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )

    def _shopify_review_approved(self, clean: bool):
        """One more record approved: unchanged, the streak grows (and review ends at
        its target); changed by hand, it starts again."""
        for workflow in self.sudo():
            count = workflow.review_clean_count + 1 if clean else 0
            workflow.review_clean_count = count
            target = workflow.review_clean_target
            if clean and workflow.review_active and target and count >= target:
                workflow._shopify_review_end(
                    self.env._(
                        "Ended by itself: %(count)s refunds in a row approved "
                        "unchanged.",
                        count=count,
                    )
                    if workflow.flow == "refunds"
                    else self.env._(
                        "Ended by itself: %(count)s orders in a row approved "
                        "unchanged.",
                        count=count,
                    )
                )

    @api.model
    def _cron_end_reviews(self):
        """Reviews whose end date has passed end, even on a day without orders."""
        for workflow in self.search(
            [
                ("review_active", "=", True),
                ("review_until", "<", fields.Date.context_today(self)),
            ]
        ):
            workflow._shopify_review_on()


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    def _shopify_review_workflow(self, flow: str):
        self.ensure_one()
        return (
            self.env["shopify.workflow"]
            .sudo()
            .search([("shop_id", "=", self.id), ("flow", "=", flow)], limit=1)
        )


class ShopifyOrderBinding(models.Model):
    _inherit = "shopify.order.binding"  # pylint: disable=consider-merging-classes-inherited

    review_state = fields.Selection(
        [
            ("to_approve", "To Approve"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
        ],
        readonly=True,
        copy=False,
        index=True,
    )
    review_figures = fields.Json(
        readonly=True,
        copy=False,
        help="Shopify's untaxed amount, tax and total, and the lines the sync built, "
        "when the order was last held for review.",
    )

    @api.model
    def _shopify_import(self, shop, shopify_id: str, fetched=None):
        """A new order while its workflow reviews, or an order already waiting for
        approval: built as (or kept) a quotation, and its events wait To Approve."""
        if fetched is not None:  # another object's import (a refund) reads it
            return super()._shopify_import(shop, shopify_id, fetched)
        binding = self._shopify_find(shop, shopify_id)
        held = binding.review_state == "to_approve"
        if not held and (
            binding or not shop._shopify_review_workflow("orders")._shopify_review_on()
        ):
            return super()._shopify_import(shop, shopify_id)
        fetched = self._shopify_fetch(shop, shopify_id)
        sale_order = super(
            ShopifyOrderBinding, self.with_context(**{REVIEW_HOLD: True})
        )._shopify_import(shop, shopify_id, fetched)
        binding = self._shopify_find(shop, shopify_id)
        if sale_order.state not in ("draft", "sent"):  # cancelled in Shopify
            binding.review_state = False
            return sale_order
        binding._shopify_hold(fetched[0])
        return sale_order

    def _shopify_hold(self, order: dict):
        """Keep what was built and stop with the events To Approve, linked to the
        quotation, with Shopify's figures beside Odoo's."""
        raise self._shopify_held(order)

    def _shopify_held(self, order: dict) -> SyncBlocked:
        """Record Shopify's figures of the quotation waiting for approval and link
        its open events to it; the outcome its events take (To Approve, the
        figures in the reason)."""
        sale_order = self.sale_order_id
        total = _money(order["currentTotalPriceSet"])
        tax = _money(order["currentTotalTaxSet"])
        self.write(
            {
                "review_state": "to_approve",
                "review_figures": {
                    "untaxed": total - tax,
                    "tax": tax,
                    "total": total,
                    "lines": _lines_signature(sale_order),
                },
            }
        )
        self.env["shopify.webhook.event"]._shopify_open_events(
            self.shop_id, "order", self.shopify_id
        ).write({"res_model": sale_order._name, "res_id": sale_order.id})
        return SyncBlocked(
            "to_approve",
            self.env._(
                "Shopify order %(order)s waits for approval (manual review of the "
                "orders workflow): %(so)s is a quotation. %(figures)s. Approve it to "
                "confirm it, or reject it saying why.",
                order=order["name"],
                so=sale_order.name,
                figures=self._shopify_review_figures_text(),
            ),
            keep_changes=True,
        )

    def _shopify_review_figures_text(self) -> str:
        sale_order = self.sale_order_id
        figures = self.review_figures or {}
        return "; ".join(
            self.env._(
                "%(name)s Shopify %(shopify).2f / Odoo %(odoo).2f",
                name=name,
                shopify=figures.get(key, 0.0),
                odoo=odoo,
            )
            for name, key, odoo in (
                (self.env._("untaxed"), "untaxed", sale_order.amount_untaxed),
                (self.env._("tax"), "tax", sale_order.amount_tax),
                (self.env._("total"), "total", sale_order.amount_total),
            )
        )

    def _shopify_review_totals_match(self) -> bool:
        sale_order = self.sale_order_id
        figures = self.review_figures or {}
        digits = sale_order.currency_id.decimal_places
        return all(
            float_compare(odoo, figures.get(key, 0.0), precision_digits=digits) == 0
            for key, odoo in (
                ("untaxed", sale_order.amount_untaxed),
                ("tax", sale_order.amount_tax),
                ("total", sale_order.amount_total),
            )
        )

    def _shopify_approve(self) -> bool:
        """Confirm the held quotation (keeping Shopify's order date); True when it was
        approved as the sync built it."""
        self.ensure_one()
        sale_order = self.sale_order_id.sudo().with_company(self.shop_id.company_id)
        clean = _lines_signature(sale_order) == (self.review_figures or {}).get("lines")
        if self.shop_id.confirm_orders and sale_order.state in ("draft", "sent"):
            date_order = sale_order.date_order
            sale_order.action_confirm()
            # action_confirm dates the order now; the order date is Shopify's.
            sale_order.date_order = date_order
        self.review_state = "approved"
        return clean

    def _shopify_review_record(self):
        return self.sale_order_id

    def _shopify_approved_note(self, clean: bool) -> str:
        if clean:
            return self.env._("Confirmed as built from Shopify.")
        return self.env._("Confirmed after a change by hand.")


def _lines_signature(sale_order) -> list:
    """What a reviewer could change on the quotation."""
    lines = sale_order.order_line.filtered(lambda line: not line.display_type)
    return held_lines_signature(lines, "product_uom_qty", "tax_id")


def held_lines_signature(lines, quantity: str, taxes: str) -> list:
    """What a reviewer could change on held lines (a quotation's, a draft credit
    note's): each line's product, quantity, price, discount and taxes, JSON-comparable
    (the figures an approval compares with those kept when the record was held)."""
    return sorted(
        [
            line.product_id.id,
            line[quantity],
            line.price_unit,
            line.discount,
            sorted(line[taxes].ids),
        ]
        for line in lines
    )


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    review_shopify_total = fields.Float(
        string="Shopify Total",
        compute="_compute_review_figures",
        compute_sudo=True,
        digits=(16, 2),
        help="Held for review: the order's total in Shopify; for a refund, what "
        "Shopify refunded (of an order not invoiced: the order's total after it).",
    )
    review_odoo_total = fields.Float(
        string="Odoo Total",
        compute="_compute_review_figures",
        compute_sudo=True,
        digits=(16, 2),
        help="Held for review: the quotation's total; for a refund, its draft credit "
        "note's (of an order not invoiced: the sale order's total now).",
    )

    @api.depends("state", "res_id")
    def _compute_review_figures(self):
        for event in self:
            binding = event._shopify_review_binding()
            event.review_shopify_total = (binding.review_figures or {}).get(
                "total", 0.0
            )
            event.review_odoo_total = (
                binding._shopify_review_record().amount_total if binding else 0.0
            )

    def _shopify_review_binding(self):
        """The binding of this event's object when its kind can be held for review
        (REVIEW_BINDINGS), else an empty recordset."""
        self.ensure_one()
        model = REVIEW_BINDINGS.get(self.object_kind, "shopify.order.binding")
        Binding = self.env[model].sudo()
        if self.object_kind not in REVIEW_BINDINGS or not self.object_id:
            return Binding
        return Binding._shopify_find(self.shop_id, self.object_id)

    def action_approve(self):
        """Approve the objects of these events (one or many): each quotation is
        confirmed, each draft credit note posted and paid back, and their events
        are done; a refund not applied yet is re-queued, and its job applies it. An
        object whose Odoo totals no longer equal Shopify's (changed by hand since) is
        not approved: it is skipped, and said."""
        check_operator(self)
        waiting = self.filtered(lambda e: e.state == "to_approve")
        by_object = defaultdict(lambda: self.browse())
        for event in waiting._shopify_with_siblings():
            by_object[(event.shop_id, event.object_kind, event.object_id)] |= event
        approved, differ = self.browse(), []
        for (shop, kind, _object_id), events in by_object.items():
            binding = events[:1]._shopify_review_binding()
            if not binding or not binding._shopify_review_totals_match():
                differ.append(events[:1].display_name)
                continue
            clean = binding._shopify_approve()
            events = events.sudo()
            if binding.review_state == "to_apply":
                events._shopify_requeue()
            elif clean:
                events._shopify_set_outcome(
                    "done", record=binding._shopify_review_record()
                )
            else:
                events._shopify_close_reviewed(
                    "resolved",
                    "fixed",
                    self.env._("Approved after a change by hand."),
                )
            events._shopify_log_action(
                self.env._("Approved"), binding._shopify_approved_note(clean)
            )
            shop._shopify_review_workflow(KIND_FLOWS[kind])._shopify_review_approved(
                clean
            )
            approved |= events
        count = len({(e.shop_id, e.object_kind, e.object_id) for e in approved})
        message = self.env._("%(count)s approved", count=count)
        if differ:
            message += self.env._(
                "; not approved, since Odoo's totals no longer equal Shopify's (fix "
                "the quotation or the credit note, or reject it): %(orders)s",
                orders=", ".join(differ),
            )
        skipped = self - waiting
        return self._shopify_notify(message, skipped)

    def action_reject(self, reason: str):
        """Odoo's record is not right: the events close as rejected (a manual
        correction, with why); the quotation (draft credit note) stays for a person
        to correct or cancel, a refund not applied yet is not applied, and the
        workflow's clean streak starts again."""
        check_operator(self)
        if not (reason or "").strip():
            raise UserError(self.env._("Say why these are rejected."))
        rejected = self.filtered(
            lambda e: e.state == "to_approve"
        )._shopify_with_siblings()
        for (shop, kind), events in rejected.grouped(
            lambda e: (e.shop_id, e.object_kind)
        ).items():
            for event in events:
                binding = event._shopify_review_binding()
                if binding.review_state == "to_approve":
                    binding.review_state = "rejected"
            shop._shopify_review_workflow(KIND_FLOWS[kind])._shopify_review_approved(
                False
            )
        rejected.sudo()._shopify_close_reviewed("resolved", "rejected", reason)
        rejected._shopify_log_action(self.env._("Rejected"), reason)
        return self._shopify_notify(
            self.env._(
                "%(count)s rejected",
                count=len({(e.shop_id, e.object_kind, e.object_id) for e in rejected}),
            ),
            self - rejected,
        )

    def _shopify_with_siblings(self):
        """These events and the other events of their objects waiting for approval
        (an order or a refund is approved or rejected as a whole)."""
        siblings = self
        for event in self:
            siblings |= self.search(
                [
                    ("shop_id", "=", event.shop_id.id),
                    ("object_kind", "=", event.object_kind),
                    ("object_id", "=", event.object_id),
                    ("state", "=", "to_approve"),
                ]
            )
        return siblings

    def _shopify_close_reviewed(self, state: str, resolution: str, note: str):
        self.write(
            {
                "state": state,
                "resolution": resolution,
                "resolution_note": note,
                "resolved_by_id": self.env.uid,
                "resolved_at": fields.Datetime.now(),
            }
        )
        self._shopify_close_activities(note)

    def action_open_reject_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject"),
            "res_model": "shopify.event.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_event_ids": self.ids},
        }
