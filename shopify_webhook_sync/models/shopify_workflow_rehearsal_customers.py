"""Launch rehearsal of the customers workflow (Shopify → Odoo).

Each scenario creates a real Shopify customer through the Admin API
(``customerCreate``: tagged ``odoo-rehearsal``, its own ``rehearsal+<hex>@example.com``
email, no marketing consent — Shopify's default, which the API cannot even set) and
records its signed ``customers/create`` delivery through the webhook's own receiving
code; the customer's sync job fetches it fresh and makes (or binds) the contact, as for
a customer who signs up in the shop.

Normal: a customer with a name and an email becomes a new contact. Edge cases: a
default address in another country, with its province (the contact's country and state
come from Shopify's codes); or *Match Customers by Email*: the rehearsal first creates
the one Odoo contact with the customer's email, and the sync must bind the customer to
it instead of making a second contact. Each outcome also checks that result (a "done"
event whose contact lacks the state, or is a second contact, is a failed rehearsal).

No controlled failure: the customers sync needs no mapping, and the one failure a
shop's setup can cause (an app without the customers scopes) cannot be caused on a live
shop without taking the scope away. The failure button says so instead of staging one.

Remove deletes the Shopify customer (``customerDelete``: it has no orders) and the
rehearsal's contacts (archived instead when something references them); the events
stay, as the record of the rehearsal.
"""

import uuid

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from ..lib.queries import REHEARSAL_CUSTOMER_CREATE, REHEARSAL_CUSTOMER_DELETE
from .shopify_workflow_rehearsal import REHEARSAL_TAG

# Public addresses (city halls) for the foreign-address edge case: the first one not
# in the company's country.
FOREIGN_ADDRESSES = (
    {
        "address1": "275 Rue Notre-Dame Est",
        "city": "Montréal",
        "provinceCode": "QC",
        "countryCode": "CA",
        "zip": "H2Y 1C6",
    },
    {
        "address1": "1 Centre Street",
        "city": "New York",
        "provinceCode": "NY",
        "countryCode": "US",
        "zip": "10007",
    },
)
CUSTOMER_FLOWS = ("customers", "privacy")


class ShopifyWorkflowRehearsal(models.Model):
    _inherit = "shopify.workflow.rehearsal"  # pylint: disable=consider-merging-classes-inherited

    shopify_customer_gid = fields.Char(string="Shopify Customer", readonly=True)
    shopify_customer_name = fields.Char(readonly=True)
    customer_email = fields.Char(
        string="Rehearsal Email",
        readonly=True,
        help="Customers and privacy: the rehearsal customer's own email.",
    )
    shopify_country_code = fields.Char(
        readonly=True,
        help="Customers: the country of the default address Shopify holds for the "
        "rehearsal customer.",
    )
    shopify_province_code = fields.Char(readonly=True)
    match_partner_id = fields.Many2one(
        "res.partner",
        string="Contact to Match",
        readonly=True,
        check_company=True,
        help="Match Customers by Email: the contact the rehearsal made first, with "
        "the customer's email; the customer must be bound to it.",
    )

    def _shopify_expectations(self) -> dict:
        _ = self.env._
        return super()._shopify_expectations() | {
            "customers": (
                _(
                    "A contact bound to the Shopify customer (edge: its foreign "
                    "address and province, or the existing contact with its email)"
                ),
                _("No controlled failure: the customers sync needs no mapping"),
            ),
        }

    @api.depends("shopify_customer_name")
    def _compute_shopify_name(self):
        result = super()._compute_shopify_name()
        for rehearsal in self.filtered(lambda r: r.flow in CUSTOMER_FLOWS):
            rehearsal.shopify_name = rehearsal.shopify_customer_name
        return result

    @api.depends("event_id.res_id", "match_partner_id")
    def _compute_outcome(self):
        """A "done" event passes only when its result is the one rehearsed
        (``_shopify_result_ok_<flow>``)."""
        result = super()._compute_outcome()
        for rehearsal in self.filtered(
            lambda r: r.outcome == "passed" and r.scenario != "failure"
        ):
            check = getattr(rehearsal, f"_shopify_result_ok_{rehearsal.flow}", None)
            if check and not check():
                rehearsal.outcome = "failed"
        return result

    def _shopify_result_ok_customers(self) -> bool:
        partner = self._shopify_event_record("res.partner")
        if self.edge_case == "customer_email_match" and self.scenario == "edge":
            return partner == self.match_partner_id
        if self.edge_case == "customer_foreign_address" and self.scenario == "edge":
            return (partner.country_id.code, partner.state_id.code or None) == (
                self.shopify_country_code,
                self.shopify_province_code or None,
            )
        return partner.email == self.customer_email

    def _shopify_event_record(self, model: str):
        event = self.event_id
        if event.res_model != model or not event.res_id:
            return self.env[model]
        return (
            self.env[model]
            .sudo()
            .with_context(active_test=False)
            .browse(event.res_id)
            .exists()
        )

    # -- running (jobs) --

    def _shopify_run_customers(self):
        """Create the Shopify customer, then record its delivery (the sync job it
        enqueues makes or binds the contact)."""
        customer, event = self._shopify_customer_delivered()
        if not customer:
            return self.error
        self.event_id = event
        return f"rehearsal customer {customer['id']}: event {event.id}"

    def _shopify_customer_delivered(self):
        """The Shopify rehearsal customer and the event of its customers/create
        delivery; (None, None) when Shopify refused the customer (reason recorded)."""
        customer_input = self._shopify_customer_input()
        if self.scenario == "edge" and self.edge_case == "customer_email_match":
            self.match_partner_id = (
                self.env["res.partner"]
                .sudo()
                .create(
                    {
                        "name": self.env._("Rehearsal contact %s", self.customer_email),
                        "email": self.customer_email,
                        "company_id": self.company_id.id,
                    }
                )
            )
        customer = self._shopify_create_customer(customer_input)
        if not customer:
            return None, None
        legacy_id = customer["legacyResourceId"]
        event = self._shopify_deliver(
            "customers/create",
            {
                "id": int(legacy_id),
                "email": self.customer_email,
                "first_name": customer_input["firstName"],
                "last_name": customer_input["lastName"],
                "tags": REHEARSAL_TAG,
                "admin_graphql_api_id": customer["id"],
            },
            ("customer", legacy_id),
        )
        return customer, event

    def _shopify_customer_input(self) -> dict:
        """The rehearsal customer: its own email (Shopify's emails are unique per
        shop), the rehearsal tag; the foreign-address edge case adds a default
        address outside the company's country."""
        token = uuid.uuid4().hex[:10]
        self.customer_email = f"rehearsal+{token}@example.com"
        customer = {
            "email": self.customer_email,
            "firstName": "Odoo Rehearsal",
            "lastName": token,
            "tags": [REHEARSAL_TAG],
            "note": self.env._("Launch rehearsal from Odoo: %s", self.display_name),
        }
        if self.scenario == "edge" and self.edge_case == "customer_foreign_address":
            home = self.company_id.country_id.code
            address = next(a for a in FOREIGN_ADDRESSES if a["countryCode"] != home)
            customer["addresses"] = [
                address | {"firstName": "Odoo Rehearsal", "lastName": token}
            ]
        return customer

    def _shopify_create_customer(self, customer_input: dict) -> dict | None:
        payload = self._shopify_mutate(
            REHEARSAL_CUSTOMER_CREATE,
            {"input": customer_input},
            "customerCreate",
            lambda error: self.env._(
                "Shopify refused the rehearsal customer (the app needs the "
                "write_customers scope to rehearse): %(error)s",
                error=error,
            ),
        )
        if payload is None:
            return None
        customer = payload["customer"]
        address = customer.get("defaultAddress") or {}
        self.write(
            {
                "shopify_customer_gid": customer["id"],
                "shopify_customer_name": f"{customer['displayName']} "
                f"({self.customer_email})",
                "shopify_country_code": address.get("countryCodeV2"),
                "shopify_province_code": address.get("provinceCode"),
            }
        )
        return customer

    # -- afterwards: remove --

    def _shopify_remove_customers(self):
        self._shopify_delete_customer()
        self._shopify_remove_contacts()

    def _shopify_delete_customer(self):
        """Delete the rehearsal customer in Shopify (it has no orders)."""
        if not self.shopify_customer_gid:
            return
        self._shopify_mutate(
            REHEARSAL_CUSTOMER_DELETE,
            {"input": {"id": self.shopify_customer_gid}},
            "customerDelete",
            lambda error: self.env._(
                "The Shopify customer %(customer)s could not be deleted (delete it "
                "in Shopify): %(error)s",
                customer=self.shopify_customer_name,
                error=error,
            ),
        )

    def _shopify_rehearsal_partner(self):
        """The contact the rehearsal customer is bound to (archived ones too)."""
        Binding = self.env["shopify.customer.binding"].sudo()
        if not self.shopify_customer_gid:
            return self.env["res.partner"]
        binding = Binding.with_context(active_test=False)._shopify_find(
            self.shop_id, self.shopify_customer_gid.split("/")[-1]
        )
        return binding.partner_id.with_context(active_test=False)

    def _shopify_remove_contacts(self):
        """The rehearsal's contacts deleted, their addresses first; one that is used
        since (an order, an invoice, anything that refuses its deletion) is
        archived instead."""
        partners = (self._shopify_rehearsal_partner() | self.match_partner_id).sudo()
        partners = partners.with_context(active_test=False)
        for partner in (partners.child_ids | partners).exists():
            if self._shopify_contact_in_use(partner):
                partner.filtered("active").action_archive()
                continue
            try:
                with self.env.cr.savepoint():
                    partner.unlink()
            except (UserError, psycopg2.IntegrityError):
                partner.filtered("active").action_archive()

    def _shopify_contact_in_use(self, partner) -> bool:
        """Odoo deletes a contact's draft quotations with it and empties its
        invoices' customer: those are the merchant's, so such a contact stays."""
        orders = expression.OR(
            [[(field, "=", partner.id)]
             for field in ("partner_id", "partner_invoice_id", "partner_shipping_id")]
        )  # fmt: skip
        return bool(
            self.env["sale.order"].sudo().search_count(orders, limit=1)
            or self.env["account.move"]
            .sudo()
            .search_count([("partner_id", "=", partner.id)], limit=1)
        )


class ShopifyWorkflow(models.Model):
    _inherit = "shopify.workflow"  # pylint: disable=consider-merging-classes-inherited

    def _shopify_check_rehearsal_customers(self, scenario: str):
        if scenario == "failure":
            raise UserError(
                self.env._(
                    "The customers workflow has no controlled failure to rehearse: "
                    "its sync needs no mapping, and the failure a shop's setup can "
                    "cause (the app without the customers scopes) cannot be caused "
                    "on a live shop without taking the scope away. Its test cases "
                    "are the normal record and the edge cases."
                )
            )
        if (
            scenario == "edge"
            and self.rehearsal_edge_case == "customer_email_match"
            and not self.shop_id.customer_merge_by_email
        ):
            raise UserError(
                self.env._(
                    "Turn on Match Customers by Email on the shop %(shop)s first: "
                    "this edge case rehearses it.",
                    shop=self.shop_id.display_name,
                )
            )
