"""Rehearsal: signed deliveries sent to the shop's public webhook URL over the network,
as Shopify would send them, so that what stands between Shopify and Odoo (a reverse
proxy that rewrites bodies or headers, a wrong ``web.base.url``, a firewall) shows up
before a real order is lost.

Three deliveries: one that must be accepted, the same delivery again (a duplicate),
and one with a wrong signature (refused). Their topic is one no handler takes, so the
accepted one becomes an ignored event, marked as a rehearsal: no business record. It
runs as a job (the request that sends them must not wait on its own server's workers);
the events are read and marked in a cursor of its own, since they were committed by
the webhook requests after the job's snapshot.
"""

import json
import time
import uuid

import requests

from odoo import SUPERUSER_ID, api, fields, models

from ..lib.webhook import sign
from .shopify_access import check_manager

REHEARSAL_TOPIC = "shopify_webhook_sync/rehearsal"
# Shopify's limits: 1 s to connect, 5 s in total.
TIMEOUT = (1.0, 5.0)


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    rehearsal_date = fields.Datetime(string="Last Rehearsal", readonly=True, copy=False)
    rehearsal_ok = fields.Boolean(string="Rehearsal Passed", readonly=True, copy=False)
    rehearsal_result = fields.Text(readonly=True, copy=False)

    def action_rehearse(self):
        check_manager(self)
        self._shopify_enqueue_per_shop(
            "_shopify_rehearse", "rehearsal", "rehearse deliveries", 1
        )
        return self._shopify_notify_info(
            self.env._(
                "Rehearsing: reload the shop in a few seconds to see what each "
                "delivery got."
            )
        )

    def _shopify_rehearse(self):
        """Job: send the three deliveries to the webhook URL; record what each got and
        where it landed."""
        self.ensure_one()
        run = uuid.uuid4().hex
        body = json.dumps(
            {"rehearsal": run, "note": "sent by Odoo's Rehearse button"}
        ).encode()
        secret = self.sudo().webhook_secret or ""
        accepted_id, refused_id = f"rehearsal-{run}", f"rehearsal-{run}-forged"
        sends = [
            ("accepted", accepted_id, sign(body, secret), 200),
            ("duplicate", accepted_id, sign(body, secret), 200),
            ("wrong signature", refused_id, sign(body, secret + "-wrong"), 401),
        ]
        outcomes = [
            (label, expected, self._shopify_send_rehearsal(body, webhook_id, hmac))
            for label, webhook_id, hmac, expected in sends
        ]
        landed = self._shopify_rehearsal_landing(accepted_id, refused_id)
        ok = all(
            got == f"HTTP {expected}" for _label, expected, (got, _ms) in outcomes
        ) and (landed["event"] and landed["duplicates"] == 1 and not landed["forged"])
        lines = [self.env._("Sent to %s", self.webhook_url)]
        for label, expected, (got, ms) in outcomes:
            lines.append(
                self.env._(
                    "%(label)s: %(got)s in %(ms)s ms (expected HTTP %(expected)s)",
                    label=label,
                    got=got,
                    ms=ms,
                    expected=expected,
                )
            )
        lines.append(
            self.env._(
                "Landed: event %(event)s; duplicates counted: %(duplicates)s; "
                "events of the forged delivery: %(forged)s",
                event=landed["event"] or self.env._("none"),
                duplicates=landed["duplicates"],
                forged=landed["forged"],
            )
        )
        result = "\n".join(lines)
        self.write(
            {
                "rehearsal_date": fields.Datetime.now(),
                "rehearsal_ok": ok,
                "rehearsal_result": result,
            }
        )
        return result

    def _shopify_send_rehearsal(self, body: bytes, webhook_id: str, hmac: str):
        """(what the delivery got: "HTTP 200" or the network error, milliseconds)."""
        headers = {
            "X-Shopify-Topic": REHEARSAL_TOPIC,
            "X-Shopify-Hmac-Sha256": hmac,
            "X-Shopify-Shop-Domain": self.shop_domain,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Event-Id": webhook_id,
            "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Triggered-At": fields.Datetime.now().isoformat() + "Z",
            "Content-Type": "application/json",
        }
        started = time.monotonic()
        try:
            response = requests.post(
                self.webhook_url,
                data=body,
                headers=headers,
                timeout=TIMEOUT,
                allow_redirects=False,  # Shopify counts a 3xx as a failure
            )
            got = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            got = self.env._("no answer (%s)", exc.__class__.__name__)
        return got, round((time.monotonic() - started) * 1000)

    def _shopify_rehearsal_landing(self, accepted_id: str, refused_id: str) -> dict:
        """Where the deliveries landed, read (and the event marked as a rehearsal) in
        a cursor that sees what the webhook requests committed."""
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            Event = env["shopify.webhook.event"]
            event = Event.search(
                [("shop_id", "=", self.id), ("webhook_id", "=", accepted_id)]
            )
            event.source = "rehearsal"
            return {
                "event": f"#{event.id} ({event.state})" if event else None,
                "duplicates": env["shopify.webhook.duplicate"].search_count(
                    [("shop_id", "=", self.id), ("webhook_id", "=", accepted_id)]
                ),
                "forged": Event.search_count(
                    [("shop_id", "=", self.id), ("webhook_id", "=", refused_id)]
                ),
            }
