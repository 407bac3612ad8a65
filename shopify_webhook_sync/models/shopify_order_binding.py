"""Shopify order -> sale.order: fetch fresh, resolve every mapping, then create or
update, and check that Odoo's totals equal Shopify's to the cent."""

from decimal import Decimal

from odoo import api, fields, models
from odoo.tools import float_compare, html2plaintext

from ..lib.client import ShopifyTransientError
from ..lib.order_taxes import TaxedLine, current_taxes, tax_key
from ..lib.queries import ORDER, ORDER_TIPS
from ..lib.webhook import to_gid
from .sale_order import DISCOUNT_DIGITS
from .shopify_shop import FIXES, SyncBlocked

# Context key: the order is held for manual review (its workflow's): created as a
# quotation, confirmed when a person approves it.
REVIEW_HOLD = "shopify_review_hold"


class ShopifyOrderBinding(models.Model):
    _name = "shopify.order.binding"
    _inherit = "shopify.binding"
    _description = "Shopify Order Binding"

    sale_order_id = fields.Many2one(
        "sale.order", required=True, ondelete="cascade", index=True, check_company=True
    )
    shopify_name = fields.Char(string="Shopify Order")

    _sql_constraints = [
        (
            "sale_order_uniq",
            "UNIQUE(sale_order_id)",
            "This sale order is already bound.",
        ),
    ]

    @api.model
    def _shopify_import(self, shop, shopify_id: str, fetched=None):
        """Bring the order's sale order to Shopify's current state (``fetched``: the
        order and its lines when the caller already fetched them, e.g. a refund).

        Only an older fetch than the one applied is skipped: a fetch with the same
        updatedAt goes through the diff, which writes nothing when Odoo already
        matches, so a change Odoo has not applied is never skipped."""
        order, lines = fetched or self._shopify_fetch(shop, shopify_id)
        binding = self._shopify_find(shop, shopify_id)
        updated_at = _datetime(order["updatedAt"])
        if binding and binding._shopify_is_older(updated_at):
            return binding.sale_order_id
        line_vals, pricelist = self._shopify_resolve(shop, order, lines)
        kept = binding._shopify_kept_units() if binding else {}
        _add_kept(line_vals, kept, lines, order.get("taxesIncluded"))
        if binding:
            binding._shopify_update(order, line_vals)
        else:
            binding = self._shopify_create(shop, order, line_vals, pricelist)
        binding._shopify_check_totals(order, kept)
        if not binding._shopify_is_uptodate(updated_at):
            binding.shopify_updated_at = updated_at
        return binding.sale_order_id

    def _shopify_is_older(self, updated_at) -> bool:
        return bool(
            self.shopify_updated_at
            and updated_at
            and updated_at < self.shopify_updated_at
        )

    @api.model
    def _shopify_fetch(self, shop, shopify_id: str) -> tuple[dict, list[dict]]:
        """The order and all its line items (paged: an order can have more than 250);
        ``order["tipLineIds"]``: the ids of the line items that are tips."""
        client = shop._shopify_client()
        gid = to_gid("order", shopify_id)
        order, lines = client.fetch_all(ORDER, {"id": gid}, ("order", "lineItems"))
        if order:
            self._shopify_check_read_whole(order)
            order["tipLineIds"] = _tip_line_ids(client, order)
        if not order:
            raise SyncBlocked(
                "failed",
                self.env._(
                    "Shopify has no order %(id)s in %(shop)s (deleted, or not visible "
                    "to the app's access token).",
                    id=shopify_id,
                    shop=shop.shop_domain,
                ),
            )
        return order, lines

    def _shopify_check_read_whole(self, order: dict):
        """More shipping lines than the order query reads: review, never an order
        written without some of them."""
        if _has_more(order.get("shippingLines")):
            raise SyncBlocked(
                "needs_review",
                self.env._(
                    "Shopify order %(order)s has more than 10 shipping lines: they "
                    "are not read in full, so it was not written. Create it by hand, "
                    "then resolve this event.",
                    order=order["name"],
                ),
            )

    # -- mappings: everything resolved before anything is written --

    @api.model
    def _shopify_resolve(self, shop, order: dict, lines: list[dict]):
        """({Shopify line gid: sale.order.line values}, pricelist) for the order's item
        and shipping lines. Every missing mapping is collected, then the order stops
        with one reason listing them all: nothing is guessed, nothing partial is
        written."""
        missing = []
        needs = []  # the same, structured for the buttons that fix it
        values = {}
        taxed = []  # each line's Shopify taxes, carried as they are (below)
        for line in lines:
            product, problem = self._shopify_product(shop, line, order)
            taxes = self._shopify_line_taxes(shop, order, line, missing, needs)
            if problem:
                missing.append(problem)
                needs.append(self._shopify_product_need(shop, line, order))
                continue
            values[line["id"]] = _line_vals(
                line, product, taxes, order.get("taxesIncluded")
            )
            taxed.append(_taxed_item(line))
        for shipping in (order.get("shippingLines") or {}).get("nodes", []):
            product = self.env["shopify.shipping.mapping"]._shopify_product(
                shop, shipping
            )
            taxes = self._shopify_line_taxes(shop, order, shipping, missing, needs)
            if not product:
                missing.append(self._shopify_missing_shipping(shipping))
                needs.append(
                    {
                        "kind": "shipping",
                        "title": shipping.get("title"),
                        "code": shipping.get("code"),
                    }
                )
                continue
            values[shipping["id"]] = _shipping_vals(shipping, product, taxes)
            taxed.append(_taxed_shipping(shipping))
        values.update(self._shopify_duty_and_fee_vals(shop, order, missing, needs))
        taxed += [_taxed(fee) for fee in order.get("additionalFees") or []]
        pricelist = self._shopify_pricelist(shop, order, missing, needs)
        if missing:
            raise SyncBlocked(
                "needs_mapping",
                "\n".join(
                    [
                        self.env._(
                            "Shopify order %(order)s (%(gid)s) cannot be synced yet:",
                            order=order["name"],
                            gid=order["id"],
                        ),
                        *missing,
                    ]
                ),
                needs=needs,
            )
        self._shopify_carry_taxes(shop, order, lines, values, taxed)
        return values, pricelist

    def _shopify_carry_taxes(self, shop, order, lines, values, taxed):
        """Each line carries Shopify's tax amounts (``shopify_tax_amounts``) rather
        than Odoo's, which round otherwise (Odoo's rounding method, a partly refunded
        line's tax less its removed part's): for the taxes mapped to an Odoo tax of
        the same rate, as long as they add up to Shopify's current figures. A line
        whose prices include taxes and whose units were partly removed then takes
        Shopify's amount before taxes plus those taxes."""
        by_key = self._shopify_mapped_taxes(shop)
        other_rate = {
            key
            for line in taxed
            for key, _amount in line.taxes
            if not _same_rate(by_key.get(key), key[1])
        }
        carried = current_taxes(
            taxed,
            [
                (tax_key(tax_line), _decimal(tax_line["priceSet"]))
                for tax_line in order.get("currentTaxLines") or []
            ],
            _decimal(order.get("currentTotalTaxSet")),
            excluded=other_rate,
        )
        items = {line["id"]: line for line in lines}
        keys = {line.gid: {key for key, _amount in line.taxes} for line in taxed}
        for gid, amounts in carried.items():
            taxes = {}
            for key, amount in amounts.items():
                tax_id = str(by_key[key].id)
                taxes[tax_id] = float(Decimal(str(taxes.get(tax_id, 0))) + amount)
            vals = values[gid]
            all_carried = set(amounts) == keys[gid]
            if gid in items and order.get("taxesIncluded") and all_carried:
                _carry_included(vals, items[gid], sum(amounts.values()))
            vals["shopify_tax_amounts"] = {
                "amount": _vals_amount(vals),
                "taxes": taxes,
            }

    def _shopify_mapped_taxes(self, shop) -> dict:
        """{(Shopify title, rate): Odoo tax} of the shop's tax mappings."""
        return {
            tax_key({"title": mapping.title, "rate": mapping.rate}): mapping.tax_id
            for mapping in self.env["shopify.tax.mapping"].search(
                [("shop_id", "=", shop.id)]
            )
        }

    @api.model
    def _shopify_product_need(self, shop, line: dict, order: dict) -> dict:
        """What a line without a product needs: the shop's product for tips, gift
        cards and custom items without a SKU (a setting), else a product with its SKU
        (or the variant mapped by hand), unless several products share it."""
        variant = line.get("variant") or {}
        setting = (
            "tip_product_id"
            if not variant and line["id"] in order.get("tipLineIds", ())
            else "gift_card_product_id"
            if line.get("isGiftCard") and not variant
            else "custom_item_product_id"
            if not variant and not (line.get("sku") or "").strip()
            else None
        )
        if setting:
            return {"kind": "setting", "field": setting, "name": line.get("name")}
        sku = (variant.get("sku") or line.get("sku") or "").strip()
        barcode = (variant.get("barcode") or "").strip()
        Product = self.env["product.product"].with_company(shop.company_id)
        company = ("company_id", "in", (False, shop.company_id.id))
        ambiguous = any(
            value and Product.search_count([(field, "=", value), company], limit=2) > 1
            for field, value in (("default_code", sku), ("barcode", barcode))
        )
        return {
            "kind": "ambiguous" if ambiguous else "product" if sku else "variant",
            "sku": sku or None,
            "barcode": barcode or None,
            "name": line.get("name"),
            "variant": variant.get("id"),
            "price": _money(line.get("originalUnitPriceSet")),
        }

    @api.model
    def _shopify_product(self, shop, line: dict, order: dict | None = None):
        """(product, None) for a line item, or (empty, reason). A line with a variant
        is matched by variant mapping, then SKU (the product's Internal Reference),
        then barcode. A gift card sold, unless its variant is mapped, and a line
        without a variant (a tip, a custom item) take the shop's product for it
        (Settings); a custom item is matched by its SKU first."""
        variant = line.get("variant") or {}
        if variant.get("id") and "shopify.product.binding" in self.env:
            product = self.env["shopify.product.binding"]._shopify_product_for_variant(
                shop, variant["id"]
            )
            if product:
                return product, None
        if not variant and line["id"] in (order or {}).get("tipLineIds", ()):
            return self._shopify_setting_product(shop, line, "tip_product_id")
        if line.get("isGiftCard") and (shop.gift_card_product_id or not variant):
            return self._shopify_setting_product(shop, line, "gift_card_product_id")
        product, problem = self._shopify_product_by_code(shop, line)
        unmatched = problem and not self._shopify_code_is_ambiguous(shop, line)
        if unmatched and not variant and shop.custom_item_product_id:
            return shop.custom_item_product_id, None
        return product, problem

    def _shopify_code_is_ambiguous(self, shop, line: dict) -> bool:
        """Several products have the line's SKU: that is fixed in Odoo, never
        settled by the custom item product."""
        sku = (line.get("sku") or "").strip()
        return bool(sku) and (
            self.env["product.product"]
            .with_company(shop.company_id)
            .search_count(
                [
                    ("default_code", "=", sku),
                    ("company_id", "in", (False, shop.company_id.id)),
                ],
                limit=2,
            )
            > 1
        )

    def _shopify_setting_product(self, shop, line: dict, field: str):
        product = shop[field]
        if product:
            return product, None
        return product, self.env._(
            "- '%(line)s': choose the %(setting)s of shop %(shop)s (Settings > "
            "Shopify, or the shop's form).",
            line=line["name"],
            setting=shop._fields[field].string,
            shop=shop.name,
        )

    @api.model
    def _shopify_product_by_code(self, shop, line: dict):
        _ = self.env._
        Product = self.env["product.product"].with_company(shop.company_id)
        variant = line.get("variant") or {}
        company = ("company_id", "in", (False, shop.company_id.id))
        sku = (variant.get("sku") or line.get("sku") or "").strip()
        barcode = (variant.get("barcode") or "").strip()
        for field, value in (("default_code", sku), ("barcode", barcode)):
            found = value and Product.search([(field, "=", value), company], limit=2)
            if found and len(found) == 1:
                return found, None
            if found:
                return Product, _(
                    "- '%(line)s': '%(value)s' is the %(field)s of several Odoo "
                    "products: keep it on one product only.",
                    line=line["name"],
                    value=value,
                    field=Product._fields[field].string,
                )
        if not sku and not barcode and not variant:
            return Product, _(
                "- '%(line)s' is a custom item (no variant) without a SKU: choose the "
                "Custom Item Product of the shop (Settings > Shopify, or the shop's "
                "form), or give the item a SKU equal to an Internal Reference.",
                line=line["name"],
            )
        if not sku and not barcode:
            return Product, _(
                "- '%(line)s' has no SKU in Shopify: give the variant a SKU equal to "
                "an Odoo product's Internal Reference (or map the variant).",
                line=line["name"],
            )
        return Product, _(
            "- '%(line)s': no Odoo product has the Internal Reference '%(sku)s'. "
            "Create the product (or set that Internal Reference on the existing one), "
            "then retry.",
            line=line["name"],
            sku=sku or barcode,
        )

    @api.model
    def _shopify_line_taxes(
        self, shop, order: dict, line: dict, missing: list, needs: list | None = None
    ):
        taxes, unmapped = self.env["shopify.tax.mapping"]._shopify_taxes(
            shop, line.get("taxLines") or [], order.get("taxesIncluded")
        )
        included = order.get("taxesIncluded")
        for title, rate, tax in unmapped:
            problem = self.env._(
                "- tax '%(title)s' at %(rate)s%%: ",
                title=title,
                rate=round(float(rate or 0) * 100, 3),
            )
            if tax:
                problem += self.env._(
                    "it is mapped to '%(tax)s', but Shopify's prices %(are)s taxes "
                    "and that tax is %(state)s in the price. Map a tax that matches.",
                    tax=tax.display_name,
                    are=self.env._("include") if included else self.env._("exclude"),
                    state=self.env._("included")
                    if tax.price_include
                    else self.env._("not included"),
                )
                need = {
                    "kind": "tax_included",
                    "title": title,
                    "rate": float(rate or 0),
                }
                if needs is not None and need not in needs:
                    needs.append(need)
            else:
                problem += self.env._(
                    "no tax mapping. Add it in Shopify > Configuration > Tax Mappings."
                )
                need = {"kind": "tax", "title": title, "rate": float(rate or 0)}
                if needs is not None and need not in needs:
                    needs.append(need)
            if problem not in missing:
                missing.append(problem)
        return taxes

    def _shopify_duty_and_fee_vals(
        self, shop, order: dict, missing: list, needs: list
    ) -> dict:
        """Sale line values for the order's duties (their current total, on the
        shop's Duty Product) and each additional fee (on its Fee Product, with its
        taxes through the tax mapping)."""
        values = {}
        duties = _money(order.get("currentTotalDutiesSet"))
        if duties:
            line = {"name": self.env._("Duties"), "id": f"{order['id']}/duties"}
            no_taxes = self.env["account.tax"]
            values |= self._shopify_setting_line_vals(
                shop, line, "duty_product_id", duties, no_taxes, missing, needs
            )
        for fee in order.get("additionalFees") or []:
            taxes = self._shopify_line_taxes(shop, order, fee, missing, needs)
            values |= self._shopify_setting_line_vals(
                shop, fee, "fee_product_id", _money(fee["price"]), taxes, missing, needs
            )
        return values

    def _shopify_setting_line_vals(
        self, shop, line: dict, field: str, amount: float, taxes, missing, needs
    ) -> dict:
        """{line id: sale line values} of ``line`` on the shop's product ``field``
        (Settings), or {} with what is missing recorded when that product is unset."""
        product, problem = self._shopify_setting_product(shop, line, field)
        if problem:
            missing.append(problem)
            needs.append({"kind": "setting", "field": field})
            return {}
        return {line["id"]: _extra_vals(line, product, amount, taxes)}

    def _shopify_missing_shipping(self, shipping: dict) -> str:
        return self.env._(
            "- shipping '%(title)s' (code %(code)s): no shipping mapping. Add it in "
            "Shopify > Configuration > Shipping Mappings.",
            title=shipping.get("title"),
            code=shipping.get("code") or "-",
        )

    @api.model
    def _shopify_pricelist(self, shop, order: dict, missing: list, needs: list):
        """A pricelist in the currency the customer paid in (presentment currency),
        required when it is not the company's: the order is written in it."""
        currency = order.get("presentmentCurrencyCode") or order.get("currencyCode")
        if not currency or currency == shop.company_id.currency_id.name:
            return self.env["product.pricelist"]
        pricelist = self.env["product.pricelist"].search(
            [
                ("currency_id.name", "=", currency),
                ("company_id", "in", (False, shop.company_id.id)),
            ],
            limit=1,
        )
        if not pricelist:
            missing.append(
                self.env._(
                    "- currency %(currency)s: no active pricelist in %(currency)s for "
                    "%(company)s. Create one (Sales > Products > Pricelists).",
                    currency=currency,
                    company=shop.company_id.name,
                )
            )
            needs.append({"kind": "currency", "currency": currency})
        return pricelist

    # -- writing --

    @api.model
    def _shopify_create(self, shop, order: dict, line_vals: dict, pricelist):
        Customer = self.env["shopify.customer.binding"]
        partner = Customer._shopify_partner_for_order(shop, order)
        vals = {
            "partner_id": partner.id,
            "partner_invoice_id": Customer._shopify_address(
                partner, order.get("billingAddress"), "invoice"
            ).id,
            "partner_shipping_id": Customer._shopify_address(
                partner, order.get("shippingAddress"), "delivery"
            ).id,
            "company_id": shop.company_id.id,
            "client_order_ref": order["name"],
            "origin": order["name"],
            "date_order": _datetime(order.get("processedAt") or order["createdAt"]),
            "order_line": [
                fields.Command.create(vals)
                for vals in line_vals.values()
                if vals["product_uom_qty"]
            ],
        } | self._shopify_header_vals(order)
        if pricelist:
            vals["pricelist_id"] = pricelist.id
        sale_order = self.env["sale.order"].with_company(shop.company_id).create(vals)
        binding = self.create(
            {
                "shop_id": shop.id,
                "shopify_id": order["legacyResourceId"],
                "shopify_name": order["name"],
                "sale_order_id": sale_order.id,
            }
        )
        if order.get("cancelledAt"):
            sale_order._action_cancel()
        elif shop.confirm_orders and not self.env.context.get(REVIEW_HOLD):
            sale_order.action_confirm()
            # action_confirm dates the order now; the order date is Shopify's.
            sale_order.date_order = vals["date_order"]
        return binding

    def _shopify_header_vals(self, order: dict) -> dict:
        Tag = self.env["crm.tag"]
        tags = Tag.browse()
        for name in order.get("tags") or []:
            tags |= Tag.search([("name", "=", name)], limit=1) or Tag.create(
                {"name": name}
            )
        return {"note": order.get("note") or False, "tag_ids": tags}

    def _shopify_update(self, order: dict, line_vals: dict):
        """Bring the bound sale order to Shopify's current state, writing only what
        differs. Quantities are set from Shopify's current ones. What Odoo cannot
        apply (a quantity below what was delivered, a new price on an invoiced line,
        cancelling a delivered or invoiced order) is not written: the event waits for
        review with both figures."""
        sale_order = self.sale_order_id
        if sale_order.state == "cancel" and order.get("cancelledAt"):
            return
        cancel = (
            bool(order.get("cancelledAt"))
            and sale_order.state != "cancel"
            and not _is_invoiced(sale_order)
        )
        if cancel and not _is_delivered(sale_order):
            sale_order._action_cancel()
            return
        commands = _line_commands(sale_order, line_vals)
        problems = self._shopify_unapplicable(sale_order, commands)
        if cancel:
            problems.insert(
                0,
                self.env._(
                    "- Shopify cancelled the order, but %(so)s is already "
                    "delivered: return the items, then retry.",
                    so=sale_order.name,
                ),
            )
        if problems:
            raise SyncBlocked(
                "needs_review",
                "\n".join(
                    [
                        self.env._(
                            "Shopify order %(order)s changed but %(so)s cannot follow "
                            "it, so nothing was written:",
                            order=order["name"],
                            so=sale_order.name,
                        ),
                        *problems,
                        self.env._("Adjust it by hand, then retry the event."),
                    ]
                ),
            )
        vals = self._shopify_header_vals(order)
        if vals["tag_ids"] == sale_order.tag_ids:
            del vals["tag_ids"]
        else:
            vals["tag_ids"] = [fields.Command.set(vals["tag_ids"].ids)]
        note = html2plaintext(sale_order.note or "").strip()
        if note == (vals["note"] or "").strip():
            del vals["note"]
        if commands:
            vals["order_line"] = commands
        if vals:
            sale_order.write(vals)

    def _shopify_unapplicable(self, sale_order, commands: list) -> list[str]:
        """What of ``commands`` Odoo cannot apply, one line each with both figures:
        a quantity below what was delivered (sale_stock refuses it: the items must
        come back first), or another price, product or taxes on an invoiced line."""
        problems = []
        for command, sol_id, vals in commands:
            if command != fields.Command.UPDATE:
                continue
            sol = sale_order.order_line.browse(sol_id)
            qty = vals["product_uom_qty"]
            if sol.product_id.type == "consu" and qty < sol.qty_delivered:
                problems.append(
                    self.env._(
                        "- '%(line)s': Shopify %(shopify)s, delivered in Odoo "
                        "%(odoo)s (return the items first; a refund that leaves them "
                        "with the customer settles it when it is synced).",
                        line=sol.name,
                        shopify=format(qty, "g"),
                        odoo=format(sol.qty_delivered, "g"),
                    )
                )
            if (
                sol.qty_invoiced
                and len(vals) > 1
                and _line_differs(sol, vals, qty, tax_amounts=False)
            ):
                problems.append(
                    self.env._(
                        "- '%(line)s' is invoiced at %(odoo).2f; Shopify now says "
                        "%(shopify).2f (or other taxes or product).",
                        line=sol.name,
                        odoo=sol.price_unit,
                        shopify=vals["price_unit"],
                    )
                )
        return problems

    def _shopify_check_totals(self, order: dict, kept: dict | None = None):
        """Odoo's untaxed amount, tax and total must equal Shopify's current ones to the
        cent, in the currency the customer paid in; otherwise nothing is written and
        the event waits for review with both. Units the customer kept after a refund
        without restock stay on the order (delivered, and paid back by a credit
        note): Shopify's figures count them too here."""
        sale_order = self.sale_order_id
        if sale_order.state == "cancel":
            return
        kept_amount = sum(units[1] for units in (kept or {}).values())
        kept_tax = sum(units[2] for units in (kept or {}).values())
        if not order.get("taxesIncluded"):  # else the amounts include their taxes
            kept_amount += kept_tax
        total = _money(order["currentTotalPriceSet"]) + kept_amount
        tax = _money(order["currentTotalTaxSet"]) + kept_tax
        figures = [
            (self.env._("untaxed"), sale_order.amount_untaxed, total - tax),
            (self.env._("tax"), sale_order.amount_tax, tax),
            (self.env._("total"), sale_order.amount_total, total),
        ]
        digits = sale_order.currency_id.decimal_places
        if all(
            float_compare(odoo, shopify, precision_digits=digits) == 0
            for _n, odoo, shopify in figures
        ):
            return
        raise SyncBlocked(
            "needs_review",
            self.env._(
                "Shopify order %(order)s: Odoo's totals differ from Shopify's, so it "
                "was not written. %(figures)s. Check the tax mappings and their Odoo "
                "taxes: saving one retries the order.",
                order=order["name"],
                figures="; ".join(
                    self.env._(
                        "%(name)s Odoo %(odoo).2f / Shopify %(shopify).2f",
                        name=name,
                        odoo=odoo,
                        shopify=shopify,
                    )
                    for name, odoo, shopify in figures
                ),
            ),
            needs=[
                {"kind": "totals", "figure": name, "odoo": odoo, "shopify": shopify}
                for name, odoo, shopify in figures
            ],
        )


def _decimal(money_bag: dict | None) -> Decimal:
    """An amount in the currency the customer paid in, exactly as Shopify wrote it."""
    money_bag = money_bag or {}
    money = money_bag.get("presentmentMoney") or money_bag.get("shopMoney") or {}
    return Decimal(str(money.get("amount") or 0))


def _taxed(line: dict, size: Decimal = Decimal(0)) -> TaxedLine:
    """A line's Shopify taxes, all of it left (an additional fee)."""
    return TaxedLine(
        line["id"],
        [(tax_key(t), _decimal(t["priceSet"])) for t in line.get("taxLines") or []],
        size=size or abs(_decimal(line.get("price"))),
    )


def _taxed_item(line: dict) -> TaxedLine:
    """A line item's tax lines are for all its units, ``currentQuantity`` are left
    (each unit removed at most one rounding)."""
    taxed = _taxed(line, abs(_decimal(line["priceAfterAllDiscountsBeforeTaxesSet"])))
    taxed.whole = Decimal(line["quantity"])
    taxed.current = Decimal(line["currentQuantity"])
    taxed.removals = line["quantity"] - line["currentQuantity"]
    return taxed


def _taxed_shipping(shipping: dict) -> TaxedLine:
    """A shipping line's tax lines are for its discounted price; a refund of part of
    it leaves its current price (a removed line: nothing)."""
    current = _decimal(shipping.get("currentDiscountedPriceSet"))
    taxed = _taxed(shipping, abs(current) or Decimal("0.01"))
    taxed.whole = _decimal(shipping.get("discountedPriceSet")) or current
    taxed.current = Decimal(0) if shipping.get("isRemoved") else current
    taxed.removals = int(taxed.current != taxed.whole)
    return taxed


def _same_rate(tax, rate: Decimal) -> bool:
    """Whether an Odoo tax computes Shopify's ``rate`` (a percentage of it): only
    such a tax carries Shopify's amounts."""
    return bool(
        tax
        and tax.amount_type == "percent"
        and abs(Decimal(str(tax.amount)) - rate * 100) < Decimal("0.0001")
    )


def _carry_included(vals: dict, line: dict, taxes: Decimal) -> None:
    """With prices that include taxes, a partly removed line's amount is Shopify's
    amount before taxes plus the taxes it carries (Shopify gives no current amount
    with taxes per line)."""
    if line["currentQuantity"] in (0, line["quantity"]):
        return
    amount = _decimal(line["priceAfterAllDiscountsBeforeTaxesSet"]) + taxes
    original = vals["price_unit"] * vals["product_uom_qty"]
    vals["discount"] = _discount(original, float(amount))


def _vals_amount(vals: dict) -> float:
    """The line amount ``vals`` give (price, quantity and discount), to the cent."""
    amount = vals["price_unit"] * vals["product_uom_qty"]
    return round(amount * (1 - vals.get("discount", 0.0) / 100), 2)


def _money(money_bag: dict | None) -> float:
    """An amount in the currency the customer paid in (presentment): the order is
    written in it, so nothing is converted amount by amount."""
    money_bag = money_bag or {}
    money = money_bag.get("presentmentMoney") or money_bag.get("shopMoney") or {}
    return float(money.get("amount") or 0)


def _has_more(connection: dict | None) -> bool:
    """A connection read in part (its first page only)."""
    return bool(((connection or {}).get("pageInfo") or {}).get("hasNextPage"))


def _add_kept(line_vals: dict, kept: dict, lines: list[dict], taxes_included):
    """The units the customer kept (refunded without restock after delivery) stay on
    their line, at the amount Shopify paid back for them."""
    by_gid = {line["id"]: line for line in lines}
    for gid, (quantity, amount, _tax) in kept.items():
        vals, line = line_vals.get(gid), by_gid.get(gid)
        if not vals or not line:
            continue
        vals["product_uom_qty"] += quantity
        vals["discount"] = _discount(
            vals["price_unit"] * vals["product_uom_qty"],
            _line_amount(line, taxes_included) + amount,
        )


def _line_vals(line: dict, product, taxes, taxes_included: bool) -> dict:
    """One sale line per Shopify line: Shopify's original unit price and the discount
    that makes the line's amount Shopify's discounted line amount (its line and order
    discounts, allocated to it), so Odoo's per-line tax is computed on the amount
    Shopify taxed."""
    quantity = line["currentQuantity"]
    price = _money(line["originalUnitPriceSet"])
    return {
        "product_id": product.id,
        "name": line["name"],
        "product_uom_qty": quantity,
        "price_unit": price,
        "discount": _discount(price * quantity, _line_amount(line, taxes_included)),
        "tax_id": [fields.Command.set(taxes.ids)],
        "shopify_line_gid": line["id"],
        "shopify_tax_amounts": False,
    }


def _line_amount(line: dict, taxes_included: bool) -> float:
    """The line's current amount after all its discounts. Shopify gives it before
    taxes (priceAfterAllDiscountsBeforeTaxesSet, current quantity: the amount of a
    line without taxes); with prices that include taxes, it is the original amount of
    the current quantity less the discounts allocated to it (in proportion when part
    of the line was removed, unless it carries Shopify's taxes: _carry_included)."""
    if not taxes_included or not line.get("taxLines"):
        return _money(line["priceAfterAllDiscountsBeforeTaxesSet"])
    quantity, current = line["quantity"], line["currentQuantity"]
    discounts = sum(
        _money(allocation["allocatedAmountSet"])
        for allocation in line.get("discountAllocations") or []
    )
    original = _money(line["originalUnitPriceSet"]) * current
    return round(original - (discounts * current / quantity if quantity else 0), 2)


def _discount(original: float, amount: float) -> float:
    """The percentage that turns ``original`` into ``amount`` (DISCOUNT_DIGITS
    decimals). The totals check verifies the result to the cent."""
    if not original or round(original - amount, 2) == 0:
        return 0.0
    return round(100 * (1 - amount / original), DISCOUNT_DIGITS)


def _tip_line_ids(client, order: dict) -> list[str]:
    """The ids of the order's line items that are tips, from all its agreements and
    all their sales (paged)."""
    if not _money(order.get("totalTipReceivedSet")):
        return []
    tips, after = [], None
    while True:
        page = _agreements(client, order["id"], 5, after)
        before = after  # the cursor before each agreement of the page
        for edge in page.get("edges") or []:
            sales = edge["node"]["sales"]
            tips += _tips(sales)
            while sales["pageInfo"]["hasNextPage"]:
                again = _agreements(
                    client, order["id"], 1, before, sales["pageInfo"]["endCursor"]
                )["edges"]
                if not again or again[0]["node"]["id"] != edge["node"]["id"]:
                    raise ShopifyTransientError(
                        f"the agreements of order {order['name']} changed while "
                        "their tips were read"
                    )
                sales = again[0]["node"]["sales"]
                tips += _tips(sales)
            before = edge["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return tips
        after = page["pageInfo"]["endCursor"]


def _agreements(client, order_gid, first, after, sales_after=None) -> dict:
    data = client.query(
        ORDER_TIPS,
        {
            "id": order_gid,
            "agreements": first,
            "after": after,
            "salesAfter": sales_after,
        },
    )
    return (data.get("order") or {}).get("agreements") or {
        "edges": [],
        "pageInfo": {"hasNextPage": False},
    }


def _tips(sales: dict) -> list[str]:
    return [
        sale["lineItem"]["id"]
        for sale in sales.get("nodes") or []
        if sale.get("lineType") == "TIP" and sale.get("lineItem")
    ]


def _extra_vals(line: dict, product, amount: float, taxes) -> dict:
    return {
        "product_id": product.id,
        "name": line["name"],
        "product_uom_qty": 1,
        "price_unit": amount,
        "discount": 0.0,
        "tax_id": [fields.Command.set(taxes.ids)],
        "shopify_line_gid": line["id"],
        "shopify_tax_amounts": False,
    }


def _shipping_vals(shipping: dict, product, taxes) -> dict:
    return {
        "product_id": product.id,
        "name": shipping.get("title") or product.display_name,
        "product_uom_qty": 0 if shipping.get("isRemoved") else 1,
        "price_unit": _money(shipping["currentDiscountedPriceSet"]),
        "discount": 0.0,
        "tax_id": [fields.Command.set(taxes.ids)],
        "shopify_line_gid": shipping["id"],
        "shopify_tax_amounts": False,
    }


def _line_commands(sale_order, line_vals: dict) -> list:
    """Commands that make the order lines equal Shopify's; empty when they already
    are."""
    existing = {
        sol.shopify_line_gid: sol
        for sol in sale_order.order_line
        if sol.shopify_line_gid
    }
    commands = []
    for gid, vals in line_vals.items():
        sol = existing.pop(gid, None)
        if sol is None:
            if vals["product_uom_qty"]:
                commands.append(fields.Command.create(vals))
        elif _line_differs(sol, vals):
            commands.append(fields.Command.update(sol.id, vals))
    commands += [
        fields.Command.update(sol.id, {"product_uom_qty": 0})
        for sol in existing.values()
        if sol.product_uom_qty
    ]
    return commands


def _line_differs(sol, vals: dict, qty=None, tax_amounts=True) -> bool:
    """Whether ``sol`` differs from ``vals`` (with quantity ``qty`` when given; with
    the tax amounts it carries unless ``tax_amounts`` is false)."""
    return (
        (
            tax_amounts
            and (sol.shopify_tax_amounts or False)
            != (vals.get("shopify_tax_amounts") or False)
        )
        or sol.product_id.id != vals["product_id"]
        or (qty if qty is not None else sol.product_uom_qty) != vals["product_uom_qty"]
        or float_compare(sol.discount, vals.get("discount", 0), precision_digits=9)
        or float_compare(
            sol.price_unit,
            vals["price_unit"],
            precision_digits=sol._fields["price_unit"].get_digits(sol.env)[1],
        )
        or set(sol.tax_id.ids) != set(vals["tax_id"][0][2])
    )


def _is_delivered(sale_order) -> bool:
    return any(p.state == "done" for p in sale_order.picking_ids)


def _is_invoiced(sale_order) -> bool:
    return any(
        m.state == "posted" and m.move_type == "out_invoice"
        for m in sale_order.invoice_ids
    )


def _datetime(value: str | None):
    """Shopify's ISO 8601 UTC timestamp ('2026-01-02T03:04:05Z') as a naive UTC
    datetime."""
    return (
        fields.Datetime.to_datetime(value.replace("T", " ").rstrip("Z")[:19])
        if value
        else False
    )


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    tip_product_id = fields.Many2one(
        "product.product",
        string="Tip Product",
        help="Tips added to Shopify orders become a line of this product (a service).",
    )
    custom_item_product_id = fields.Many2one(
        "product.product",
        string="Custom Item Product",
        help="Custom items (lines without a variant) whose SKU is no product's "
        "Internal Reference become a line of this product, with the item's title.",
    )
    gift_card_product_id = fields.Many2one(
        "product.product",
        string="Gift Card Product",
        help="Gift cards sold in Shopify become a line of this product.",
    )
    duty_product_id = fields.Many2one(
        "product.product",
        string="Duty Product",
        help="The order's duties become a line of this product.",
    )
    fee_product_id = fields.Many2one(
        "product.product",
        string="Fee Product",
        help="Each additional fee of an order (import fees...) becomes a line of "
        "this product.",
    )

    def write(self, vals):
        result = super().write(vals)
        if set(vals) & set(ORDER_LINE_PRODUCT_FIELDS):
            self._shopify_requeue_blocked(FIXES["setting"])
        return result


ORDER_LINE_PRODUCT_FIELDS = (
    "tip_product_id",
    "custom_item_product_id",
    "gift_card_product_id",
    "duty_product_id",
    "fee_product_id",
)
