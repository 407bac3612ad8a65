"""Test fixtures: a shop wired to a fake Shopify on 127.0.0.1, signed deliveries of
Shopify's published example payloads, and a job runner that uses queue_job's own
code."""

import copy
import json
import uuid
from pathlib import Path

from odoo import SUPERUSER_ID, api
from odoo.tests import HttpCase, tagged

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

from ..lib.webhook import sign
from .fake_shopify import FakeShopify

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "whsec-test-7f3a"
DOMAIN = "john-smith.myshopify.com"
ORDER_ID = "820982911946154508"
ORDER_GID = f"gid://shopify/Order/{ORDER_ID}"
SKUS = [
    "SKU2006-001",
    "LENS-PROTECT-2YR",
    "CASE-LEATHER-PREM",
    "SKU2006-020",
    "SKU2006-035",
]


def fixture(path: str) -> dict:
    return json.loads((FIXTURES / path).read_text())


def webhook_body(topic: str) -> bytes:
    """Shopify's published example payload for ``topic``, as raw bytes."""
    return (FIXTURES / "webhooks" / f"{topic.replace('/', '__')}.json").read_bytes()


def run_pending_jobs(registry, models=("shopify.shop",)) -> list[str]:
    """Run every pending job of ``models`` through queue_job's own runner code
    (RunJobController._runjob), each in its own (test) cursor as the runner does; a
    failed job is recorded by _runjob. Returns the jobs' uuids."""
    with registry.cursor() as cr:
        uuids = (
            api.Environment(cr, SUPERUSER_ID, {})["queue.job"]
            .search([("model_name", "in", models), ("state", "=", "pending")])
            .mapped("uuid")
        )
    for job_uuid in uuids:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            job = Job.load(env, job_uuid)
            job.set_started()
            job.store()
            try:
                RunJobController._runjob(env, job)
            except Exception:  # a failed job is recorded by _runjob
                cr.rollback()
    return uuids


@tagged("post_install", "-at_install")
class ShopifyCase(HttpCase):
    """A shop pointing at a fake Shopify server, the products of the published example
    order, and helpers to deliver webhooks over real HTTP and run the queued jobs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeShopify()
        cls.fake.start()
        cls.addClassCleanup(cls.fake.stop)
        cls.shop = cls.env["shopify.shop"].create(
            {
                "name": "John Smith's store",
                "shop_domain": DOMAIN,
                "access_token": cls.fake.access_token,
                "webhook_secret": SECRET,
                "admin_api_url": cls.fake.url,
            }
        )
        cls.products = cls.env["product.product"].create(
            [
                {"name": f"Product {sku}", "default_code": sku, "type": "consu"}
                for sku in SKUS
            ]
        )
        cls.shipping_product = cls.env["product.product"].create(
            {"name": "Shopify shipping", "type": "service"}
        )
        cls.env["shopify.shipping.mapping"].create(
            {
                "shop_id": cls.shop.id,
                "name": "Generic Shipping",
                "product_id": cls.shipping_product.id,
            }
        )
        cls.order_data = fixture(f"graphql/order_{ORDER_ID}.json")

    @classmethod
    def map_money(cls, rates, test: str) -> dict:
        """What orders of ``shopify_order_model`` need mapped: an Odoo sale tax for
        each of ``rates`` (tax included when its title ends "incl.") and its tax
        mapping, a EUR pricelist, the payment gateway ("bogus") on a bank journal.
        Names end with ``(test)``; returns {rate: tax}."""
        taxes = {}
        for rate in rates:
            taxes[rate] = cls.env["account.tax"].create(
                {
                    "name": f"{rate.title} {rate.rate * 100}% ({test})",
                    "amount": float(rate.rate * 100),
                    "type_tax_use": "sale",
                    "price_include_override": "tax_included"
                    if rate.title.endswith("incl.")
                    else "tax_excluded",
                }
            )
            cls.env["shopify.tax.mapping"].create(
                {
                    "shop_id": cls.shop.id,
                    "title": rate.title,
                    "rate": float(rate.rate),
                    "tax_id": taxes[rate].id,
                }
            )
        eur = cls.env.ref("base.EUR")
        eur.active = True
        cls.env["product.pricelist"].create(
            {"name": f"EUR ({test})", "currency_id": eur.id}
        )
        bank = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.env["shopify.gateway.mapping"].create(
            {"shop_id": cls.shop.id, "gateway": "bogus", "journal_id": bank.id}
        )
        return taxes

    def setUp(self):
        super().setUp()
        self.fake.reset(objects=True)
        self.fake.throttle_available = 1990.0
        self.fake.add(copy.deepcopy(self.order_data))

    def tearDown(self):
        self.assertEqual(
            self.fake.invalid_documents, [], "a GraphQL document did not validate"
        )
        super().tearDown()

    # -- deliveries --

    def headers(self, topic="orders/create", body=b"", extra=None):
        """Headers Shopify sends with ``body``; ``extra`` overrides them (None
        removes)."""
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(body, SECRET),
            "X-Shopify-Shop-Domain": DOMAIN,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-API-Version": "2026-10",
            "X-Shopify-Triggered-At": "2026-11-27T10:00:00.123456789Z",
            "Content-Type": "application/json",
        }
        for name, value in (extra or {}).items():
            headers[name] = value
        return {name: value for name, value in headers.items() if value is not None}

    def deliver(self, topic="orders/create", body=None, extra=None, method="POST"):
        """Send a delivery to /shopify/webhook over real HTTP; returns the response."""
        body = webhook_body(topic) if body is None else body
        return self.opener.request(
            method,
            self.base_url() + "/shopify/webhook",
            data=body,
            headers=self.headers(topic, body, extra),
            timeout=20,
        )

    def add_order(self, number: int) -> bytes:
        """Another order in the fake Shopify: the example order as #100<number>, id
        ``number``. Returns the body of its orders/create delivery."""
        name = f"#{1000 + number}"
        self.fake.add(
            dict(
                self.order_data,
                id=f"gid://shopify/Order/{number}",
                legacyResourceId=str(number),
                name=name,
            )
        )
        return json.dumps({"id": number, "name": name}).encode()

    def events(self):
        return self.env["shopify.webhook.event"].search(
            [("shop_id", "=", self.shop.id)]
        )

    def jobs(self, states=("pending", "enqueued", "started", "done", "failed")):
        return self.env["queue.job"].search(
            [("model_name", "=", "shopify.shop"), ("state", "in", states)]
        )

    # -- jobs --

    def run_jobs(self):
        """Run every pending Shopify job (``run_pending_jobs``).

        In a test, the runner's separate transactions are savepoints of one transaction,
        so what a failed or postponed job records in its own cursor is rolled back with
        the job: the retry and failure bookkeeping is asserted by the system tests under
        tests/, against a real server and job runner."""
        self.env.flush_all()
        uuids = run_pending_jobs(self.registry)
        self.env.invalidate_all()
        return self.env["queue.job"].search([("uuid", "in", uuids)])

    def sale_orders(self):
        return (
            self.env["shopify.order.binding"]
            .search([("shop_id", "=", self.shop.id)])
            .sale_order_id
        )
