"""Shopify customer -> res.partner: fetched fresh, bound once per shop, never deleted.

A customer becomes a partner either through its own webhooks (customers/create, update,
delete) or through the first order that brings it. Both paths bind through
``_shopify_bind_new``, so the shop's email-matching rule applies the same way to both.
"""

from odoo import api, fields, models

from ..lib.queries import CUSTOMER
from ..lib.webhook import to_gid

ADDRESS_FIELDS = ("street", "street2", "city", "zip", "country_id", "state_id")


class ShopifyCustomerBinding(models.Model):
    _name = "shopify.customer.binding"
    _inherit = "shopify.binding"
    _description = "Shopify Customer Binding"

    partner_id = fields.Many2one(
        "res.partner", required=True, ondelete="cascade", index=True, check_company=True
    )

    # -- customers/create, customers/update, customers/delete

    @api.model
    def _shopify_import(self, shop, shopify_id: str):
        """Apply the customer as Shopify has it now. A customer Shopify no longer has
        (deleted) archives its partner: the partner keeps its orders and invoices."""
        customer = self._shopify_fetch(shop, shopify_id)
        binding = self._shopify_find(shop, shopify_id)
        if customer is None:
            if binding.partner_id.active:
                binding.partner_id.action_archive()
            return binding.partner_id
        updated_at = _datetime(customer["updatedAt"])
        if binding and binding._shopify_is_uptodate(updated_at):
            return binding.partner_id
        vals = _customer_vals(customer) | _default_address_vals(self.env, customer)
        if binding:
            _write_changed(binding.partner_id, vals)
        else:
            binding = self._shopify_bind_new(shop, shopify_id, vals)
        binding.shopify_updated_at = updated_at
        return binding.partner_id

    @api.model
    def _shopify_fetch(self, shop, shopify_id: str) -> dict | None:
        data = shop._shopify_client().query(
            CUSTOMER, {"id": to_gid("customer", shopify_id)}
        )
        return data.get("customer")

    @api.model
    def _shopify_bind_new(self, shop, shopify_id: str, vals: dict):
        """Bind a customer seen for the first time: to the one existing partner with its
        email when the shop matches by email, else to a new partner.

        A customer job and an order job can bind the same new customer at once: the
        loser of the unique constraint retries (shopify.shop._shopify_sync), and then
        finds the binding."""
        partner = self._shopify_partner_by_email(shop, vals.get("email"))
        if partner:
            _fill_empty(partner, vals)
        else:
            partner = self.env["res.partner"].create(
                vals | {"company_id": shop.company_id.id}
            )
        return self.create(
            {"shop_id": shop.id, "shopify_id": shopify_id, "partner_id": partner.id}
        )

    @api.model
    def _shopify_partner_by_email(self, shop, email: str | None):
        """The existing partner a new customer is merged into: only when the shop says
        so, and only when exactly one partner of the company, not yet bound to another
        customer of this shop, has that exact email. Anything else is no match."""
        if not (shop.customer_merge_by_email and email):
            return self.env["res.partner"]
        bound = self.search([("shop_id", "=", shop.id)]).partner_id
        partners = self.env["res.partner"].search(
            [
                ("email_normalized", "=", email.strip().lower()),
                ("company_id", "in", (False, shop.company_id.id)),
                ("id", "not in", bound.ids),
            ],
            limit=2,
        )
        return partners if len(partners) == 1 else self.env["res.partner"]

    # -- customers brought by orders

    @api.model
    def _shopify_partner_for_order(self, shop, order: dict, sale_order=None):
        """The commercial partner of a Shopify order: its bound customer (bound on
        first sight), the partner the order already has, or a new partner for a guest
        checkout.

        The order only carries the customer's name, email and phone: they refresh the
        partner when the customer changed since its last sync, but the customer's own
        sync (with its address) stays the one that records ``shopify_updated_at``."""
        customer = order.get("customer")
        if customer:
            shopify_id = customer["legacyResourceId"]
            binding = self._shopify_find(shop, shopify_id)
            vals = _customer_vals(customer, fallback_email=order.get("email"))
            vals["name"] = vals["name"] or order["name"]
            if not binding:
                return self._shopify_bind_new(shop, shopify_id, vals).partner_id
            if not binding._shopify_is_uptodate(_datetime(customer.get("updatedAt"))):
                _write_changed(binding.partner_id, vals)
            return binding.partner_id
        if sale_order:
            return sale_order.partner_id
        address = order.get("billingAddress") or order.get("shippingAddress") or {}
        return self.env["res.partner"].create(
            _address_vals(self.env, address)
            | {"name": address.get("name") or order.get("email") or order["name"]}
            | {"email": order.get("email"), "company_id": shop.company_id.id}
        )

    @api.model
    def _shopify_address(self, partner, address: dict | None, address_type: str):
        """The child contact of ``partner`` holding ``address`` (found or created)."""
        if not address:
            return partner
        vals = _address_vals(self.env, address) | {
            "type": address_type,
            "parent_id": partner.id,
        }
        vals["name"] = address.get("name") or partner.name
        domain = [(key, "=", value or False) for key, value in vals.items()]
        return self.env["res.partner"].search(domain, limit=1) or self.env[
            "res.partner"
        ].create(vals)


def _customer_vals(customer: dict, fallback_email: str | None = None) -> dict:
    email = (customer.get("defaultEmailAddress") or {}).get(
        "emailAddress"
    ) or fallback_email
    name = customer.get("displayName") or " ".join(
        filter(None, (customer.get("firstName"), customer.get("lastName")))
    )
    return {
        "name": name or email or f"Shopify customer {customer['legacyResourceId']}",
        "email": email or False,
        "phone": customer.get("phone") or False,
    }


def _default_address_vals(env, customer: dict) -> dict:
    """The customer's default address, as the partner's own address. The customer's
    phone wins over the address's."""
    address = customer.get("defaultAddress")
    if not address:
        return {}
    vals = _address_vals(env, address)
    vals["phone"] = customer.get("phone") or vals["phone"]
    return vals


def _address_vals(env, address: dict) -> dict:
    country = env["res.country"].search(
        [("code", "=", address.get("countryCodeV2"))], limit=1
    )
    state = country and env["res.country.state"].search(
        [("country_id", "=", country.id), ("code", "=", address.get("provinceCode"))],
        limit=1,
    )
    return {
        "street": address.get("address1") or False,
        "street2": address.get("address2") or False,
        "city": address.get("city") or False,
        "zip": address.get("zip") or False,
        "country_id": country.id,
        "state_id": state.id if state else False,
        "phone": address.get("phone") or False,
    }


def _fill_empty(partner, vals: dict):
    """Complete an existing partner without overwriting what the merchant entered; its
    address is taken as a whole or not at all (no Canadian province on a US address)."""
    has_address = any(partner[field] for field in ADDRESS_FIELDS)
    _write_changed(
        partner,
        {
            key: value
            for key, value in vals.items()
            if not partner[key] and not (has_address and key in ADDRESS_FIELDS)
        },
    )


def _write_changed(partner, vals: dict):
    """Write only what differs: an unchanged customer leaves no trace on the partner."""
    changed = {
        key: value
        for key, value in vals.items()
        if (partner[key].id if hasattr(partner[key], "_name") else partner[key])
        != value
    }
    if changed:
        partner.write(changed)


def _datetime(value: str | None):
    """Shopify's ISO 8601 UTC timestamp ('2026-01-02T03:04:05Z'), naive UTC."""
    return (
        fields.Datetime.to_datetime(value.replace("T", " ").rstrip("Z")[:19])
        if value
        else False
    )
