"""Shopify refund -> credit note against the order's invoice (posted, and paid back
through the gateway's journal); a refund of an order not invoiced yet makes no credit
note: the order's current quantities already carry it. Returned items come back in
stock; then the order is synced again from Shopify's current state (quantities are set,
never adjusted by the refund), so its totals are checked after every refund.

A refund without restock of items Odoo delivered (NO_RESTOCK): the money goes back,
the goods stay with the customer. The credit note pays them back without lowering the
order's invoiced quantity (not linked to the order line, so nothing is to invoice
again), no return is made, and the order keeps the delivered quantity: those units
("kept") are added to Shopify's current quantities and totals when the order is checked.
An order not invoiced yet cannot pay them back: the refund waits for review.

While the refunds workflow is in manual review, a new refund waits for approval: its
credit note as a draft, or, on an order not invoiced, before anything of it is applied
(models/shopify_refund_review.py)."""

from odoo import api, fields, models
from odoo.tools import float_compare

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.queries import REFUND
from ..lib.webhook import gid_id, to_gid
from .shopify_order_binding import _has_more, _money
from .shopify_shop import SyncBlocked


class ShopifyRefundBinding(models.Model):
    _name = "shopify.refund.binding"
    _inherit = "shopify.binding"
    _description = "Shopify Refund Binding"

    move_id = fields.Many2one(
        "account.move",
        string="Credit Note",
        ondelete="cascade",
        index=True,
        check_company=True,
        help="Empty when the order was not invoiced at the refund: its sale order's "
        "quantities and totals carry the refund.",
    )
    order_binding_id = fields.Many2one(
        "shopify.order.binding", required=True, ondelete="cascade", check_company=True
    )
    kept_lines = fields.Json(
        readonly=True,
        help="Units refunded without restock that Odoo had delivered (the customer "
        "keeps them): {line item gid: [quantity, amount, tax]}.",
    )

    @api.model
    def _shopify_import(self, shop, shopify_id: str):
        """Apply a new refund once; with the refunds workflow in review, it waits
        for approval instead (models/shopify_refund_review.py): as a draft credit
        note, or, on an order not invoiced, before anything is applied."""
        binding = self._shopify_find(shop, shopify_id)
        if binding.review_state == "to_approve":  # only Approve releases it
            binding._shopify_hold()
        if binding and binding.review_state != "to_apply":
            # a refund never changes once made
            return binding.move_id or binding.order_binding_id.sale_order_id
        refund, lines = self._shopify_fetch(shop, shopify_id)
        order_binding = self._shopify_order_binding(shop, refund)
        # The order is synced again below, in this transaction: under its lock.
        shop._shopify_lock("order", order_binding.shopify_id)
        Order = self.env["shopify.order.binding"]
        order = Order._shopify_fetch(shop, order_binding.shopify_id)
        sale_order = order_binding.sale_order_id
        review = not binding and self._shopify_review_on(shop)
        if review and not _posted_invoice(sale_order):
            self._shopify_hold_unapplied(shop, shopify_id, refund, order, order_binding)
        move = self.env["account.move"]
        self._shopify_restock(sale_order, lines, order[1], order_binding)
        kept = self._shopify_kept(sale_order, lines, order[1], order_binding)
        journals = {}
        if _posted_invoice(sale_order):
            journals = self._shopify_journals(shop, refund)
            move = self._shopify_credit_note(sale_order, refund, lines, kept)
            self._shopify_check_total(move, refund, lines)
            if not review:  # in review: a draft, nothing paid back until approved
                move.action_post()
                self._shopify_register_payments(move, refund, journals)
        elif kept:
            self._shopify_cannot_pay_back(sale_order, refund, kept)
        vals = {"move_id": move.id, "kept_lines": kept or False}
        if binding:  # approved while the order was not invoiced: applied now
            binding.write(vals | {"review_state": "approved"})
        else:
            binding = self.create(
                vals
                | {
                    "shop_id": shop.id,
                    "shopify_id": shopify_id,
                    "order_binding_id": order_binding.id,
                }
            )
        self._shopify_converge_order(shop, order_binding, order)
        if review:
            binding._shopify_hold_draft(refund, lines, journals)
        return move or sale_order

    def _shopify_converge_order(self, shop, order_binding, order: tuple):
        """The refunded order synced again from Shopify's current state, in the
        refund's transaction: a refund commits only with its order checked equal to
        Shopify's (or the refund waits for review with the order's reason). The
        order's open events were received before this fetch: they are settled too,
        or, for an order waiting for approval (the orders workflow's review), keep
        waiting with Shopify's new figures: its quotation followed, its
        confirmation stays the reviewer's."""
        sale_order = self.env["shopify.order.binding"]._shopify_import(
            shop, order_binding.shopify_id, fetched=order
        )
        events = self.env["shopify.webhook.event"]._shopify_open_events(
            shop, "order", order_binding.shopify_id
        )
        if order_binding.review_state == "to_approve" and sale_order.state != "cancel":
            held = order_binding._shopify_held(order[0])
            events._shopify_set_outcome(held.state, str(held))
        else:
            events._shopify_set_outcome("done", record=sale_order)

    @api.model
    def _shopify_fetch(self, shop, shopify_id: str):
        refund, lines = shop._shopify_client().fetch_all(
            REFUND, {"id": to_gid("refund", shopify_id)}, ("refund", "refundLineItems")
        )
        if not refund:
            raise SyncBlocked(
                "failed",
                self.env._(
                    "Shopify has no refund %(id)s in %(shop)s.",
                    id=shopify_id,
                    shop=shop.shop_domain,
                ),
            )
        if _has_more(refund.get("transactions")) or _has_more(
            refund.get("refundShippingLines")
        ):
            raise SyncBlocked(
                "needs_review",
                self.env._(
                    "Shopify refund %(refund)s of order %(order)s has more than 20 "
                    "transactions or 10 shipping refunds: they are not read in full, "
                    "so no credit note was made. Make it by hand, then resolve this "
                    "event.",
                    refund=refund["id"],
                    order=refund["order"]["name"],
                ),
            )
        return refund, lines

    @api.model
    def _shopify_order_binding(self, shop, refund: dict):
        """The refunded order's binding. A refund can arrive before its order was synced
        (orders/create and refunds/create are delivered independently): then the order
        is synced by its own delivery and the refund retries until it is."""
        order_id = refund["order"]["legacyResourceId"]
        binding = self.env["shopify.order.binding"]._shopify_find(shop, order_id)
        if binding:
            return binding
        raise RetryableJobError(
            self.env._(
                "Waiting for Shopify order %(order)s to be synced before its refund.",
                order=refund["order"]["name"],
            )
        )

    @api.model
    def _shopify_journals(self, shop, refund: dict) -> dict:
        """{transaction gid: (journal, amount)} for the refund's successful refund
        transactions; every gateway must be mapped to a journal."""
        journals, missing = {}, []
        Mapping = self.env["shopify.gateway.mapping"]
        for transaction in (refund.get("transactions") or {}).get("nodes", []):
            if transaction["kind"] != "REFUND" or transaction["status"] != "SUCCESS":
                continue
            mapping = Mapping.search(
                [("shop_id", "=", shop.id), ("gateway", "=", transaction["gateway"])],
                limit=1,
            )
            if not mapping:
                missing.append(transaction["gateway"])
                continue
            journals[transaction["id"]] = (
                mapping.journal_id,
                _money(transaction["amountSet"]),
            )
        if missing:
            raise SyncBlocked(
                "needs_mapping",
                self.env._(
                    "Shopify refund %(refund)s of order %(order)s: no journal for the "
                    "payment gateway(s) %(gateways)s. Add them in Shopify > "
                    "Configuration > Payment Gateway Mappings.",
                    refund=refund["id"],
                    order=refund["order"]["name"],
                    gateways=", ".join(sorted(set(missing))),
                ),
                needs=[
                    {"kind": "gateway", "gateway": gateway}
                    for gateway in sorted(set(missing))
                ],
            )
        return journals

    @api.model
    def _shopify_kept(self, sale_order, lines, order_lines, order_binding) -> dict:
        """{line gid: [quantity, amount, tax]} of the units this refund pays back
        without restock that Odoo delivered beyond Shopify's current quantity and what
        earlier refunds already kept (after this refund's returns)."""
        by_gid = _lines_by_gid(sale_order)
        current = {line["id"]: line["currentQuantity"] for line in order_lines}
        already = order_binding._shopify_kept_units()
        kept = {}
        for line in lines:
            gid = line["lineItem"]["id"]
            sol = by_gid.get(gid)
            if not sol or line["restockType"] != "NO_RESTOCK" or not line["quantity"]:
                continue
            excess = sol.qty_delivered - current.get(gid, 0) - already.get(gid, [0])[0]
            quantity = min(line["quantity"], excess - kept.get(gid, [0])[0])
            if quantity <= 0 or sol.product_id.type != "consu":
                continue
            share = quantity / line["quantity"]
            units = kept.setdefault(gid, [0, 0.0, 0.0])
            units[0] += quantity
            units[1] += round(_money(line["subtotalSet"]) * share, 2)
            units[2] += round(_money(line["totalTaxSet"]) * share, 2)
        return kept

    def _shopify_cannot_pay_back(self, sale_order, refund: dict, kept: dict):
        by_gid = _lines_by_gid(sale_order)
        raise SyncBlocked(
            "needs_review",
            "\n".join(
                [
                    self.env._(
                        "Shopify refund %(refund)s of order %(order)s pays back items "
                        "without restocking them (the customer keeps them), but Odoo "
                        "delivered them and %(so)s is not invoiced, so no credit note "
                        "can pay them back and the order cannot go below what was "
                        "delivered:",
                        refund=refund["id"],
                        order=refund["order"]["name"],
                        so=sale_order.name,
                    ),
                    *(
                        self.env._(
                            "- '%(line)s': %(qty)s kept, refunded %(amount).2f "
                            "(delivered in Odoo %(delivered)s).",
                            line=by_gid[gid].name,
                            qty=format(quantity, "g"),
                            amount=amount + tax,
                            delivered=format(by_gid[gid].qty_delivered, "g"),
                        )
                        for gid, (quantity, amount, tax) in kept.items()
                    ),
                    self.env._(
                        "Invoice %(so)s as delivered, then retry: the refund becomes "
                        "its credit note.",
                        so=sale_order.name,
                    ),
                ]
            ),
        )

    @api.model
    def _shopify_credit_note(
        self, sale_order, refund: dict, lines: list[dict], kept: dict | None = None
    ):
        by_gid = {
            sol.shopify_line_gid: sol
            for sol in sale_order.order_line
            if sol.shopify_line_gid
        }
        invoice = _posted_invoice(sale_order)
        move_lines = []
        kept = {gid: units[0] for gid, units in (kept or {}).items()}
        for line in lines:
            sol = by_gid.get(line["lineItem"]["id"])
            if not sol:
                raise SyncBlocked(
                    "needs_review",
                    self.env._(
                        "Shopify refund %(refund)s refunds '%(line)s', which is not "
                        "on %(so)s: resync the order, then retry.",
                        refund=refund["id"],
                        line=line["lineItem"]["name"],
                        so=sale_order.name,
                    ),
                )
            unit_price = _money(line["subtotalSet"]) / line["quantity"]
            # Units the customer keeps are paid back without lowering the invoiced
            # quantity: not linked to the order line, nothing is to invoice again.
            keeps = min(kept.pop(line["lineItem"]["id"], 0), line["quantity"])
            if line["quantity"] - keeps:
                move_lines.append(
                    _refund_line(sol, line["quantity"] - keeps, unit_price)
                )
            if keeps:
                move_lines.append(_refund_line(sol, keeps, unit_price, linked=False))
        for shipping in (refund.get("refundShippingLines") or {}).get("nodes", []):
            sol = by_gid.get((shipping.get("shippingLine") or {}).get("id"))
            if sol and _money(shipping["subtotalAmountSet"]):
                move_lines.append(
                    _refund_line(sol, 1, _money(shipping["subtotalAmountSet"]))
                )
        move = (
            self.env["account.move"]
            .with_company(sale_order.company_id)
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": sale_order.partner_invoice_id.id,
                    "currency_id": sale_order.currency_id.id,
                    "invoice_origin": sale_order.name,
                    "ref": self.env._(
                        "Shopify refund %(id)s of %(order)s",
                        id=gid_id(refund["id"]),
                        order=refund["order"]["name"],
                    ),
                    "narration": refund.get("note") or False,
                    "reversed_entry_id": invoice.id or False,
                    "invoice_line_ids": move_lines,
                }
            )
        )
        return move

    def _shopify_check_total(self, move, refund: dict, lines: list[dict]):
        expected = _refunded_total(refund, lines)
        digits = move.currency_id.decimal_places
        if float_compare(move.amount_total, expected, precision_digits=digits):
            raise SyncBlocked(
                "needs_review",
                self.env._(
                    "Shopify refund %(refund)s of order %(order)s: the credit note "
                    "would total %(odoo).2f but Shopify refunded %(shopify).2f for "
                    "these lines, so nothing was written. Check the order's taxes, "
                    "then retry.",
                    refund=refund["id"],
                    order=refund["order"]["name"],
                    odoo=move.amount_total,
                    shopify=expected,
                ),
                needs=[
                    {"kind": "totals", "odoo": move.amount_total, "shopify": expected}
                ],
            )

    def _shopify_register_payments(self, move, refund: dict, journals: dict):
        """The money Shopify paid back, through each gateway's journal, up to what the
        credit note still owes: a credit note that offsets an unpaid invoice owes
        nothing."""
        for journal, amount in journals.values():
            amount = min(amount, move.amount_residual)
            if move.currency_id.is_zero(amount):
                continue
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=move.ids
            ).create({"journal_id": journal.id, "amount": amount})._create_payments()

    def _shopify_restock(
        self, sale_order, lines: list[dict], order_lines: list[dict], order_binding
    ):
        """Items Shopify restocked as returned (RETURN, LEGACY_RESTOCK) come back
        through a validated return of the delivery, up to what Odoo delivered beyond
        Shopify's current quantity: repeating it (or a later refund of the same line)
        never returns more. CANCEL needs nothing here: the order's current quantity,
        synced next, already asks for fewer."""
        by_gid = {
            sol.shopify_line_gid: sol
            for sol in sale_order.order_line
            if sol.shopify_line_gid
        }
        current = {line["id"]: line["currentQuantity"] for line in order_lines}
        kept = order_binding._shopify_kept_units()
        returns = {}
        for line in lines:
            sol = by_gid.get(line["lineItem"]["id"])
            if not sol or line["restockType"] not in ("RETURN", "LEGACY_RESTOCK"):
                continue
            gid = sol.shopify_line_gid
            excess = sol.qty_delivered - current.get(gid, 0) - kept.get(gid, [0])[0]
            excess -= returns.get(sol, 0)
            quantity = min(line["quantity"], excess)
            if quantity > 0:
                returns[sol] = returns.get(sol, 0) + quantity
        if returns:
            by_product = {}
            for sol, quantity in returns.items():
                product = sol.product_id
                by_product[product] = by_product.get(product, 0) + quantity
            self._shopify_return(sale_order, by_product)

    def _shopify_return(self, sale_order, quantities: dict):
        picking = sale_order.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )[:1]
        if not picking:
            return
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({"picking_id": picking.id})
        )
        for return_line in wizard.product_return_moves:
            return_line.quantity = min(
                quantities.get(return_line.product_id, 0), return_line.move_id.quantity
            )
        returned = wizard._create_return()
        returned.move_ids.picked = True
        returned.button_validate()


def _posted_invoice(sale_order):
    return sale_order.invoice_ids.filtered(
        lambda move: move.move_type == "out_invoice" and move.state == "posted"
    )[:1]


def _refunded_total(refund: dict, lines: list[dict]) -> float:
    """What Shopify refunded for the refund's lines and shipping, taxes included."""
    total = sum(
        _money(line["subtotalSet"]) + _money(line["totalTaxSet"]) for line in lines
    )
    return total + sum(
        _money(s["subtotalAmountSet"]) + _money(s["taxAmountSet"])
        for s in (refund.get("refundShippingLines") or {}).get("nodes", [])
    )


def _lines_by_gid(sale_order) -> dict:
    return {
        sol.shopify_line_gid: sol
        for sol in sale_order.order_line
        if sol.shopify_line_gid
    }


def _refund_line(sol, quantity: float, price_unit: float, linked=True):
    return fields.Command.create(
        {
            "product_id": sol.product_id.id,
            "name": sol.name,
            "quantity": quantity,
            "price_unit": price_unit,
            "tax_ids": [fields.Command.set(sol.tax_id.ids)],
            "sale_line_ids": [fields.Command.link(sol.id)] if linked else [],
        }
    )


class ShopifyOrderBinding(models.Model):
    _inherit = "shopify.order.binding"

    refund_binding_ids = fields.One2many("shopify.refund.binding", "order_binding_id")

    def _shopify_kept_units(self) -> dict:
        """{line gid: [quantity, amount, tax]} kept by the customer over the order's
        refunds (refunded without restock after Odoo delivered them)."""
        kept = {}
        for refund in self.refund_binding_ids:
            for gid, units in (refund.kept_lines or {}).items():
                total = kept.setdefault(gid, [0, 0.0, 0.0])
                for index, value in enumerate(units):
                    total[index] += value
        return kept
