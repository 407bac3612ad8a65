"""Shopify's privacy webhooks (mandatory for every app) and the app's uninstall.

customers/data_request, customers/redact, shop/redact and app/uninstalled are not Admin
API objects: there is nothing to fetch, and shop/redact arrives when the app is long
uninstalled. Their job reads the event's stored payload instead, and runs even while
the shop is disconnected (``_shopify_needs_api = False``). Redaction anonymises and
archives; it never deletes a partner, so sale orders and accounting entries keep it.
A data request waits (needs mapping) while the shop has no active privacy responsible
who can open it: a 30-day legal deadline is not handed to no one.
A new access token on a disconnected shop (the app reinstalled) re-queues what failed.
"""

import json
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .shopify_shop import SyncBlocked

# Shopify expects the merchant to answer a customer's data request within 30 days.
DATA_REQUEST_DAYS = 30
PARTNER_FIELDS = (
    "name",
    "email",
    "phone",
    "mobile",
    "street",
    "street2",
    "city",
    "zip",
    "vat",
    "website",
    "function",
    "lang",
)
# What redaction clears on the partner and its contacts (the country stays: tax reports
# by country need it, and it identifies no one).
REDACTED_FIELDS = (
    "email",
    "phone",
    "mobile",
    "street",
    "street2",
    "city",
    "zip",
    "state_id",
    "vat",
    "website",
    "function",
    "comment",
    "company_name",
    "ref",
)


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    def write(self, vals):
        """A new access token on a disconnected shop means the app was reinstalled: the
        objects that failed meanwhile are synced again."""
        reconnected = self.browse()
        if vals.get("access_token"):
            reconnected = self.filtered(lambda s: s.connection_state == "disconnected")
        result = super().write(vals)
        Event = self.env["shopify.webhook.event"].sudo()
        Event.search(
            [("shop_id", "in", reconnected.ids), ("state", "=", "failed")]
        )._shopify_requeue()
        if vals.get("responsible_user_id"):
            Event.search(
                [
                    ("shop_id", "in", self.ids),
                    ("object_kind", "=", "customer_data_request"),
                    ("state", "=", "needs_mapping"),
                ]
            )._shopify_requeue()
        return result


class ShopifyPrivacyRequest(models.AbstractModel):
    """What the privacy handlers share: the stored payload of their event, and the
    partner bound to the customer it names."""

    _name = "shopify.privacy.request"
    _description = "Shopify Privacy Request Handler"
    _shopify_needs_api = False
    _shopify_kind = None

    @api.model
    def _shopify_payload(self, shop, shopify_id: str) -> dict | None:
        """The newest payload among the object's open events; None when no event is open
        (already handled). Fails when the payload was purged before the job ran."""
        events = self.env["shopify.webhook.event"]._shopify_open_events(
            shop, self._shopify_kind, shopify_id
        )
        if not events:
            return None
        for event in events:  # newest first
            if event.payload:
                return json.loads(event.payload)
        raise SyncBlocked(
            "failed",
            self.env._(
                "The stored payload of %(kind)s %(id)s is gone (a shop/redact purged "
                "it), so this request cannot be handled here: handle it in Shopify.",
                kind=self._shopify_kind,
                id=shopify_id,
            ),
        )

    @api.model
    def _shopify_customer_partner(self, shop, customer_id) -> models.Model:
        binding = (
            self.env["shopify.customer.binding"]
            .with_context(active_test=False)
            ._shopify_find(shop, str(customer_id or ""))
        )
        return binding.partner_id.with_context(active_test=False)

    @api.model
    def _shopify_purge_payloads(self, events):
        events.write(
            {
                "payload": False,
                "object_name": False,
                "customer_email": False,
                "object_skus": False,
            }
        )


class ShopifyPrivacyDataRequest(models.AbstractModel):
    """customers/data_request: the customer's data, gathered into a JSON file on the
    shop, and a To Do for the person who must send it to the store owner."""

    _name = "shopify.privacy.data.request"
    _inherit = "shopify.privacy.request"
    _description = "Shopify Customer Data Request Handler"
    _shopify_kind = "customer_data_request"

    @api.model
    def _shopify_import(self, shop, shopify_id: str):
        payload = self._shopify_payload(shop, shopify_id)
        if payload is None:
            return self.env["ir.attachment"]
        self._shopify_check_responsible(shop, shopify_id)
        customer = payload.get("customer") or {}
        partner = self._shopify_customer_partner(shop, customer.get("id"))
        data = self._shopify_customer_data(shop, partner, payload)
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"shopify-data-request-{shopify_id}.json",
                "mimetype": "application/json",
                "raw": json.dumps(data, indent=2, default=str).encode(),
                "res_model": shop._name,
                "res_id": shop.id,
            }
        )
        self._shopify_schedule_answer(shop, shopify_id, partner, attachment)
        return attachment

    @api.model
    def _shopify_customer_data(self, shop, partner, payload: dict) -> dict:
        contacts = partner.child_ids.with_context(active_test=False)
        return {
            "shop": shop.shop_domain,
            "data_request_id": (payload.get("data_request") or {}).get("id"),
            "shopify_customer": payload.get("customer"),
            "orders_requested": payload.get("orders_requested") or [],
            "partner": _partner_data(partner) if partner else None,
            "addresses": [_partner_data(contact) for contact in contacts],
            "sale_orders": [
                _order_data(binding)
                for binding in self._shopify_order_bindings(shop, partner, payload)
            ],
        }

    @api.model
    def _shopify_order_bindings(self, shop, partner, payload: dict):
        """This shop's orders of the customer, and the orders Shopify names."""
        requested = [
            str(order_id) for order_id in payload.get("orders_requested") or []
        ]
        domain = [("shopify_id", "in", requested)]
        if partner:
            domain = [
                "|",
                ("sale_order_id.partner_id", "child_of", partner.id),
                *domain,
            ]
        return self.env["shopify.order.binding"].search(
            [("shop_id", "=", shop.id), *domain], order="id"
        )

    @api.model
    def _shopify_check_responsible(self, shop, request_id: str):
        """A data request is a legal duty with a 30-day deadline: it waits for a
        person who can answer it rather than going to someone who will never see it
        (an empty field, a user who left, one who cannot open the shop's records).
        Setting the responsible handles the waiting requests again."""
        why = self._shopify_why_no_responsible(shop)
        if not why:
            return
        raise SyncBlocked(
            "needs_mapping",
            self.env._(
                "Customer data request %(request)s waits for someone to answer it: "
                "the shop %(shop)s has no Privacy Responsible who can (%(why)s). "
                "Choose an active user with access to Shopify as its Privacy "
                "Responsible: the waiting requests are then handled again. Shopify "
                "expects the answer within 30 days of the request.",
                request=request_id,
                shop=shop.shop_domain,
                why=why,
            ),
        )

    @api.model
    def _shopify_why_no_responsible(self, shop) -> str | None:
        """Why the shop's privacy responsible cannot answer; None when they can."""
        user = shop.responsible_user_id
        if not user:
            return self.env._("none is set")
        if not user.active:
            return self.env._("%s is archived", user.name)
        companies = user.sudo().company_ids.ids
        as_user = shop.with_user(user).with_context(allowed_company_ids=companies)
        if not as_user.has_access("read"):
            return self.env._("%s cannot open Shopify records", user.name)
        return None

    @api.model
    def _shopify_schedule_answer(self, shop, request_id: str, partner, attachment):
        """A To Do for the privacy responsible, due 30 days after the request
        arrived (not after this job ran: a request that waited keeps its date)."""
        events = self.env["shopify.webhook.event"]._shopify_open_events(
            shop, self._shopify_kind, request_id
        )
        arrived = min(
            (event.triggered_at or event.received_at for event in events),
            default=fields.Datetime.now(),
        )
        user = shop.responsible_user_id
        shop.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=fields.Date.context_today(shop, arrived)
            + timedelta(days=DATA_REQUEST_DAYS),
            summary=self.env._("Shopify customer data request %s", request_id),
            note=self.env._(
                "A customer asked Shopify for the data this store holds about them "
                "(%(customer)s). What Odoo holds is in the attachment %(file)s: check "
                "it and send it to the store owner, within 30 days of the request.",
                customer=partner.display_name or self.env._("no contact in Odoo"),
                file=attachment.name,
            ),
            user_id=user.id,
        )


class ShopifyPrivacyCustomerRedact(models.AbstractModel):
    """customers/redact: the customer's partner and its contacts anonymised and
    archived; the stored payloads about the customer and the named orders cleared."""

    _name = "shopify.privacy.customer.redact"
    _inherit = "shopify.privacy.request"
    _description = "Shopify Customer Redact Handler"
    _shopify_kind = "customer_redact"

    @api.model
    def _shopify_import(self, shop, shopify_id: str):
        payload = self._shopify_payload(shop, shopify_id)
        if payload is None:
            return self.env["res.partner"]
        partner = self._shopify_customer_partner(shop, shopify_id)
        if partner.user_ids:
            raise SyncBlocked(
                "needs_review",
                self.env._(
                    "Shopify asks to erase customer %(id)s, but its contact "
                    "%(partner)s is a user of this database: erase it by hand, then "
                    "retry.",
                    id=shopify_id,
                    partner=partner.display_name,
                ),
            )
        if partner:
            self._shopify_anonymise(partner, shopify_id)
        self._shopify_purge_payloads(
            self._shopify_customer_events(shop, shopify_id, payload)
        )
        return partner

    @api.model
    def _shopify_anonymise(self, partner, shopify_id: str):
        contacts = partner | partner.child_ids.with_context(active_test=False)
        name = self.env._("Redacted Shopify customer %s", shopify_id)
        contacts.write({field: False for field in REDACTED_FIELDS} | {"name": name})
        contacts.filtered("active").action_archive()

    @api.model
    def _shopify_customer_events(self, shop, shopify_id: str, payload: dict):
        """Every event of this shop that carries the customer's personal data."""
        orders = [str(order_id) for order_id in payload.get("orders_to_redact") or []]
        Event = self.env["shopify.webhook.event"]
        events = Event.search(
            [
                ("shop_id", "=", shop.id),
                "|",
                "|",
                "&",
                ("object_kind", "in", ("customer", "customer_redact")),
                ("object_id", "=", shopify_id),
                "&",
                ("object_kind", "=", "order"),
                ("object_id", "in", orders),
                ("object_kind", "=", "customer_data_request"),
            ]
        )
        return events.filtered(
            lambda e: (
                e.object_kind != "customer_data_request"
                or _payload_customer_id(e.payload) == shopify_id
            )
        )


class ShopifyPrivacyShopRedact(models.AbstractModel):
    """shop/redact (48 hours after the uninstall): every payload stored for the shop is
    purged. The records the sync made (orders, partners) belong to the merchant."""

    _name = "shopify.privacy.shop.redact"
    _inherit = "shopify.privacy.request"
    _description = "Shopify Shop Redact Handler"
    _shopify_kind = "shop_redact"

    @api.model
    def _shopify_import(self, shop, shopify_id: str):
        self.env.flush_all()
        for model in ("shopify.webhook.event", "shopify.webhook.duplicate"):
            Model = self.env[model]
            if "payload" not in Model._fields:
                continue
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET payload = NULL "
                    "WHERE shop_id = %s AND payload IS NOT NULL",
                    SQL.identifier(Model._table),
                    shop.id,
                )
            )
            Model.invalidate_model(["payload"])
        # What was read from the payloads to name the events is personal data too.
        self.env.cr.execute(
            "UPDATE shopify_webhook_event SET object_name = NULL, "
            "customer_email = NULL, object_skus = NULL WHERE shop_id = %s",
            [shop.id],
        )
        self.env["shopify.webhook.event"].invalidate_model(
            ["object_name", "customer_email", "object_skus"]
        )
        return shop


class ShopifyAppUninstalled(models.AbstractModel):
    """app/uninstalled: the shop's token is dead. The shop is marked disconnected so
    that its jobs stop asking Shopify; a new access token reconnects it."""

    _name = "shopify.app.uninstalled"
    _inherit = "shopify.privacy.request"
    _description = "Shopify App Uninstalled Handler"
    _shopify_kind = "app_uninstalled"

    @api.model
    def _shopify_import(self, shop, shopify_id: str):
        self._shopify_check_current(shop, shopify_id)
        if shop.connection_state != "disconnected":
            shop.connection_state = "disconnected"
            shop.message_post(
                body=self.env._(
                    "The app was uninstalled from Shopify: nothing is synced until "
                    "it is reinstalled and a new access token is set on this shop."
                )
            )
        return shop

    @api.model
    def _shopify_check_current(self, shop, shopify_id: str):
        """Deliveries can arrive a day late: an uninstall triggered before the current
        access token was set is about an earlier installation, and must not disconnect
        the reinstalled app."""
        events = self.env["shopify.webhook.event"]._shopify_open_events(
            shop, self._shopify_kind, shopify_id
        )
        triggered = max(
            (event.triggered_at or event.received_at for event in events), default=None
        )
        if (
            triggered
            and shop.access_token_set_at
            and triggered < shop.access_token_set_at
        ):
            raise SyncBlocked(
                "ignored",
                self.env._(
                    "Ignored: this uninstall was triggered on %(triggered)s, before "
                    "the current access token was set (%(token)s): it is about an "
                    "earlier installation.",
                    triggered=triggered,
                    token=shop.access_token_set_at,
                ),
            )


def _partner_data(partner) -> dict:
    data = {field: partner[field] or None for field in PARTNER_FIELDS}
    data |= {
        "type": partner.type,
        "state": partner.state_id.name or None,
        "country": partner.country_id.name or None,
        "active": partner.active,
    }
    return data


def _order_data(binding) -> dict:
    order = binding.sale_order_id
    return {
        "name": order.name,
        "shopify_order": binding.shopify_name,
        "shopify_id": binding.shopify_id,
        "date_order": fields.Datetime.to_string(order.date_order),
        "state": order.state,
        "currency": order.currency_id.name,
        "amount_untaxed": order.amount_untaxed,
        "amount_tax": order.amount_tax,
        "amount_total": order.amount_total,
    }


def _payload_customer_id(payload: str | None) -> str | None:
    try:
        customer = (json.loads(payload or "null") or {}).get("customer") or {}
    except ValueError:
        return None
    return str(customer.get("id") or "") or None
