from odoo import api, fields, models


class ShopifyCustomerBinding(models.Model):
    _name = "shopify.customer.binding"
    _inherit = "shopify.binding"
    _description = "Shopify Customer Binding"

    partner_id = fields.Many2one(
        "res.partner", required=True, ondelete="cascade", index=True
    )

    @api.model
    def _shopify_partner_for_order(self, shop, order: dict, sale_order=None):
        """The commercial partner of a Shopify order: its bound customer (created on first
        sight), the partner the order already has, or a new partner for a guest checkout."""
        customer = order.get("customer")
        if customer:
            binding = self._shopify_find(shop, customer["legacyResourceId"])
            vals = _customer_vals(customer, order)
            if binding:
                binding.partner_id.write(vals)
                return binding.partner_id
            partner = self.env["res.partner"].create(
                vals | {"company_id": shop.company_id.id}
            )
            self.create(
                {
                    "shop_id": shop.id,
                    "shopify_id": customer["legacyResourceId"],
                    "partner_id": partner.id,
                }
            )
            return partner
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


def _customer_vals(customer: dict, order: dict) -> dict:
    email = (customer.get("defaultEmailAddress") or {}).get(
        "emailAddress"
    ) or order.get("email")
    name = customer.get("displayName") or " ".join(
        filter(None, (customer.get("firstName"), customer.get("lastName")))
    )
    return {
        "name": name or email or order["name"],
        "email": email,
        "phone": customer.get("phone"),
    }


def _address_vals(env, address: dict) -> dict:
    country = env["res.country"].search(
        [("code", "=", address.get("countryCodeV2"))], limit=1
    )
    state = country and env["res.country.state"].search(
        [("country_id", "=", country.id), ("code", "=", address.get("provinceCode"))],
        limit=1,
    )
    return {
        "street": address.get("address1"),
        "street2": address.get("address2"),
        "city": address.get("city"),
        "zip": address.get("zip"),
        "country_id": country.id,
        "state_id": state.id if state else False,
        "phone": address.get("phone"),
    }
