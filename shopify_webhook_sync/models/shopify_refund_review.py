"""Manual review of the refunds workflow: while it is on, a new Shopify refund is not
applied behind the reviewer's back. Its events wait "To Approve" with Shopify's figures
beside what Odoo did or will do; Approve, Reject, the clean streak and the end of review
are the workflow's (models/shopify_workflow_review.py), as for orders.

How a refund waits follows what it becomes in Odoo (models/shopify_refund_binding.py):

- On an invoiced order its document is the credit note. The sync builds it as without
  review (the return of what Shopify restocked, the order synced again, the credit
  note checked against Shopify's refunded amounts, its gateways mapped) but leaves it
  a draft the reviewer can open, and pays nothing back. Approving posts the draft and
  registers what Shopify paid back through the journals mapped when it was built (a
  refund never changes in Shopify), in the request itself: no Shopify call, nothing to
  re-queue. A draft changed by hand is approved while its total is still Shopify's
  (not counted as unchanged); otherwise it is not approved, and said.
- On an order not invoiced yet, the refund changes the order itself (a validated
  return, the units the customer keeps, the order synced again). Nothing of it is
  applied while it waits: its binding only records the hold and the figures
  (Shopify's order total after the refund beside Odoo's now). Approving re-queues its
  events and the same job applies it, as without review (on an order invoiced
  meanwhile, its credit note is posted at once).

Why two ways: the draft credit note is the real document, one flag away from the
unreviewed path (not posted, not paid); the changes to an order not invoiced have no
draft form, and applying them later needs Shopify's current order, which only a job
may fetch. The order's own deliveries still bring it to Shopify's current state: what
a held refund holds back is what the refund itself does.

A held refund's binding stays To Approve whatever arrives later, so neither another
delivery of the refund nor the end of review releases it: only Approve. Reject closes
its events as a manual correction; the draft credit note stays for a person to correct
and post, or delete; a refund of an order not invoiced is then never applied by the
sync.
"""

from odoo import api, fields, models
from odoo.tools import float_compare

from .shopify_order_binding import _money
from .shopify_refund_binding import _refunded_total
from .shopify_shop import SyncBlocked
from .shopify_workflow_review import held_lines_signature


class ShopifyRefundBinding(models.Model):
    _inherit = "shopify.refund.binding"

    review_state = fields.Selection(
        [
            ("to_approve", "To Approve"),
            ("to_apply", "Approved, to Apply"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
        ],
        readonly=True,
        copy=False,
        index=True,
        help="Manual review of the refunds workflow. Approved, to Apply: a refund of "
        "an order not invoiced, approved; its job applies it.",
    )
    review_figures = fields.Json(
        readonly=True,
        copy=False,
        help="When the refund was held: Shopify's total (what it refunded, or for an "
        "order not invoiced the order's total after the refund), the money it paid "
        "back by journal, and the credit note's lines as the sync built them.",
    )

    @api.model
    def _shopify_review_on(self, shop) -> bool:
        workflow = shop._shopify_review_workflow("refunds")
        return bool(workflow) and workflow._shopify_review_on()

    @api.model
    def _shopify_hold_unapplied(self, shop, shopify_id, refund, order, order_binding):
        """A refund of an order not invoiced, in review: only its binding is written,
        to hold it."""
        binding = self.create(
            {
                "shop_id": shop.id,
                "shopify_id": shopify_id,
                "order_binding_id": order_binding.id,
                "review_state": "to_approve",
                "review_figures": {
                    "refund": refund["id"],
                    "order": refund["order"]["name"],
                    "total": _money(order[0]["currentTotalPriceSet"]),
                },
            }
        )
        binding._shopify_hold()

    def _shopify_hold_draft(self, refund: dict, lines: list[dict], journals: dict):
        """A refund of an invoiced order, in review: its credit note stays a draft."""
        self.write(
            {
                "review_state": "to_approve",
                "review_figures": {
                    "refund": refund["id"],
                    "order": refund["order"]["name"],
                    "total": _refunded_total(refund, lines),
                    "payments": [
                        [journal.id, amount] for journal, amount in journals.values()
                    ],
                    "lines": _move_signature(self.move_id),
                },
            }
        )
        self._shopify_hold()

    def _shopify_hold(self):
        """Stop with the refund's events To Approve, linked to its draft credit note
        (or its order), Shopify's figures beside Odoo's in the reason."""
        figures = self.review_figures
        record = self._shopify_review_record()
        self.env["shopify.webhook.event"]._shopify_open_events(
            self.shop_id, "refund", self.shopify_id
        ).write({"res_model": record._name, "res_id": record.id})
        if self.move_id:
            raise SyncBlocked(
                "to_approve",
                self.env._(
                    "Shopify refund %(refund)s of order %(order)s waits for approval "
                    "(manual review of the refunds workflow): its credit note is a "
                    "draft of %(odoo).2f, Shopify refunded %(shopify).2f and paid "
                    "back %(paid).2f. Approve it to post the credit note and register "
                    "the money paid back, or reject it saying why.",
                    refund=figures["refund"],
                    order=figures["order"],
                    odoo=record.amount_total,
                    shopify=figures["total"],
                    paid=sum(amount for _journal, amount in figures["payments"]),
                ),
                keep_changes=True,
            )
        raise SyncBlocked(
            "to_approve",
            self.env._(
                "Shopify refund %(refund)s of order %(order)s waits for approval "
                "(manual review of the refunds workflow): %(so)s is not invoiced, so "
                "the refund changes the order itself and nothing of it is applied "
                "yet. Approve it to apply it (returns of what Shopify restocked; "
                "%(so)s to Shopify's total %(shopify).2f, %(odoo).2f in Odoo now), "
                "or reject it saying why.",
                refund=figures["refund"],
                order=figures["order"],
                so=record.name,
                shopify=figures["total"],
                odoo=record.amount_total,
            ),
            keep_changes=True,
        )

    def _shopify_review_record(self):
        """What the reviewer opens: the draft credit note, else the refunded order."""
        return self.move_id or self.order_binding_id.sale_order_id

    def _shopify_review_totals_match(self) -> bool:
        """A draft credit note is approved while its total is Shopify's refunded
        total; a refund not applied yet has nothing a person could have changed."""
        move = self.move_id
        if not move:
            return True
        return move.state != "cancel" and not float_compare(
            move.amount_total,
            (self.review_figures or {}).get("total", 0.0),
            precision_digits=move.currency_id.decimal_places,
        )

    def _shopify_approve(self) -> bool:
        """Post the draft credit note and pay back what Shopify paid back (once: a
        paid credit note owes nothing more), or, for a refund not applied yet, let its
        job apply it. True when approved as the sync built it."""
        self.ensure_one()
        figures = self.review_figures or {}
        move = self.move_id.with_company(self.shop_id.company_id)
        if not move:
            self.review_state = "to_apply"
            return True
        clean = _move_signature(move) == figures.get("lines")
        if move.state == "draft":
            move.action_post()
        Journal = self.env["account.journal"]
        self.with_company(move.company_id)._shopify_register_payments(
            move,
            None,
            {
                index: (Journal.browse(journal_id), amount)
                for index, (journal_id, amount) in enumerate(
                    figures.get("payments", [])
                )
            },
        )
        self.review_state = "approved"
        return clean

    def _shopify_approved_note(self, clean: bool) -> str:
        if self.review_state == "to_apply":
            return self.env._("Approved: its job applies it to the order.")
        if clean:
            return self.env._("Credit note posted as built from Shopify.")
        return self.env._("Credit note posted after a change by hand.")


def _move_signature(move) -> list:
    """What a reviewer could change on a draft credit note."""
    lines = move.invoice_line_ids.filtered(lambda line: line.display_type == "product")
    return held_lines_signature(lines, "quantity", "tax_ids")
