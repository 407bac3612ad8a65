"""Launch rehearsal of the stock workflow (Odoo -> Shopify).

No webhook brings stock: Odoo pushes it. So a scenario runs the real push job
(``shopify.shop._shopify_enqueue_stock``, the job every quant change enqueues) for the
rehearsal product's inventory item, then a second job waits for that push and reads
back from Shopify the item's available quantity at each location: the scenario passes
when Shopify holds Odoo's free quantity of the mapped warehouse. Nothing in Odoo's
stock is created or moved: the edge cases use what exists (a delivery's reservation,
the mapped locations).

The controlled failure pushes the item to a Shopify location no warehouse is mapped
to: the push must stop, saying so on the variant (``last_stock_error``), without
sending anything to Shopify.

Remove puts nothing back in Shopify: Odoo is the stock's source of truth, and the
quantities pushed are Odoo's own. It only clears the failure's reason from the variant;
the rehearsal stays as the record.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.client import ShopifyError, ShopifyTransientError
from ..lib.queries import INVENTORY_AVAILABLE
from .shopify_shop import retryable

# A Shopify location no warehouse is mapped to: the stock's controlled failure.
MISSING_LOCATION = "gid://shopify/Location/0"
# The check waits for the pushes: a retry every WAIT seconds, at most TRIES.
PUSH_WAIT_SECONDS = 15
PUSH_WAIT_TRIES = 40
PUSH_RUNNING = ("wait_dependencies", "pending", "enqueued", "started")


class ShopifyWorkflowRehearsal(models.Model):
    _inherit = "shopify.workflow.rehearsal"  # pylint: disable=consider-merging-classes-inherited

    inventory_item_gid = fields.Char(
        string="Shopify Inventory Item",
        readonly=True,
        help="Stock: the rehearsal product's inventory item, its quantity pushed.",
    )
    stock_item_name = fields.Char(readonly=True)
    stock_location_gids = fields.Char(
        readonly=True, help="Stock: the Shopify locations pushed to (space separated)."
    )
    stock_job_uuids = fields.Char(
        readonly=True, help="Stock: the push jobs the rehearsal waits for."
    )
    stock_state = fields.Selection(
        [
            ("matched", "Shopify holds Odoo's quantity"),
            ("differs", "Shopify's quantity differs"),
            ("stopped", "Push stopped"),
        ],
        readonly=True,
    )
    stock_figures = fields.Text(
        string="Quantities",
        readonly=True,
        help="Stock: per location, Odoo's free quantity (on hand, reserved) and the "
        "available quantity Shopify holds after the push.",
    )

    def _shopify_expectations(self) -> dict:
        _ = self.env._
        return super()._shopify_expectations() | {
            "stock": (
                _(
                    "Shopify's available quantity at each location equals Odoo's "
                    "free quantity in its warehouse"
                ),
                _(
                    "The push stops on a location no warehouse is mapped to, the "
                    "reason on the variant; nothing sent to Shopify"
                ),
            )
        }

    @api.depends("stock_item_name")
    def _compute_shopify_name(self):
        result = super()._compute_shopify_name()
        for rehearsal in self.filtered("stock_item_name"):
            rehearsal.shopify_name = rehearsal.stock_item_name
        return result

    @api.depends("stock_state")
    def _compute_outcome(self):
        stock = self.filtered(lambda r: r.workflow_id.flow == "stock")
        result = super(ShopifyWorkflowRehearsal, self - stock)._compute_outcome()
        for rehearsal in stock:
            wanted = "stopped" if rehearsal.scenario == "failure" else "matched"
            if not rehearsal.stock_state:
                rehearsal.outcome = "failed" if rehearsal.error else "running"
            else:
                rehearsal.outcome = (
                    "passed" if rehearsal.stock_state == wanted else "failed"
                )
        return result

    # -- running (jobs) --

    def _shopify_run_stock(self):
        """Enqueue the real push of the item to each location of the scenario, then
        the job that checks what Shopify holds once they ran."""
        workflow = self.workflow_id
        try:
            binding = workflow._shopify_rehearsal_stock_binding()
            locations = workflow._shopify_rehearsal_stock_locations(
                self.scenario, self.edge_case
            )
        except UserError as exc:  # changed since the button was pressed
            self.error = exc.args[0]
            return self.error
        shop = self.shop_id.sudo()
        jobs = [
            shop._shopify_enqueue_stock(binding.inventory_item_gid, location)
            for location in locations
        ]
        self.write(
            {
                "inventory_item_gid": binding.inventory_item_gid,
                "stock_item_name": binding.display_name,
                "stock_location_gids": " ".join(locations),
                "stock_job_uuids": " ".join(job.uuid for job in jobs),
            }
        )
        self.with_delay(
            max_retries=PUSH_WAIT_TRIES,
            description=f"Shopify: check the stock rehearsal of {binding.display_name}",
        )._shopify_verify_stock()
        return f"{binding.inventory_item_gid}: pushed to {', '.join(locations)}"

    def _shopify_verify_stock(self):
        """Job (stock): once the pushes ran, what Shopify holds. A push that failed,
        or stopped on a missing mapping (its reason on the variant), stops the
        scenario with its reason; otherwise Shopify's available quantity at each
        location is compared with Odoo's free quantity in its warehouse. A later push
        of the same item and location (stock changed meanwhile) is waited for too:
        Shopify is compared with Odoo's latest quantity."""
        self.ensure_one()
        if self.stock_state or self.error or self.cleanup:
            return "nothing to do"
        Job = self.env["queue.job"].sudo()
        uuids = (self.stock_job_uuids or "").split()
        jobs = Job.search([("uuid", "in", uuids)])
        keys = [key for key in jobs.mapped("identity_key") if key]
        if Job.search_count(
            ["|", ("uuid", "in", uuids), ("identity_key", "in", keys)]
            + [("state", "in", PUSH_RUNNING)]
        ):
            raise RetryableJobError(
                self.env._("Waiting for the stock push of %s.", self.stock_item_name),
                seconds=PUSH_WAIT_SECONDS,
            )
        failed = jobs.filtered(lambda job: job.state != "done")
        reasons = [job.exc_message or job.state for job in failed]
        reasons = reasons or self._shopify_stock_stops()
        if reasons:
            self.write({"stock_state": "stopped", "error": "\n".join(reasons)})
            return self.error
        figures, matched = self._shopify_stock_figures()
        if figures is None:
            return self.error
        self.write(
            {
                "stock_state": "matched" if matched else "differs",
                "stock_figures": figures,
            }
        )
        return figures

    def _shopify_stock_stops(self) -> list:
        """Why a push ended without setting a quantity (a location no warehouse is
        mapped to): the reason it left on the item's variants."""
        errors = (
            self.env["shopify.product.binding"]
            .sudo()
            .search(
                [
                    ("shop_id", "=", self.shop_id.id),
                    ("inventory_item_gid", "=", self.inventory_item_gid),
                ]
            )
            .mapped("last_stock_error")
        )
        locations = tuple(f"{gid}:" for gid in self.stock_location_gids.split())
        return sorted({e for e in errors if e and e.startswith(locations)})

    def _shopify_stock_figures(self):
        """(text, all matched) of each pushed location: Odoo's free quantity in the
        mapped warehouse beside Shopify's available quantity; (None, False) when
        Shopify refused the read (the reason recorded)."""
        shop = self.shop_id.sudo()
        mappings = shop._shopify_location_mappings()
        product = (
            self.env["shopify.product.binding"]
            .sudo()
            .search(
                [
                    ("shop_id", "=", shop.id),
                    ("inventory_item_gid", "=", self.inventory_item_gid),
                    ("product_id", "!=", False),
                ],
                limit=1,
            )
            .product_id
        )
        lines, matched = [], True
        for location in self.stock_location_gids.split():
            mapping = mappings.filtered(lambda m, loc=location: m.location_gid == loc)
            warehouse = mapping.warehouse_id
            odoo = shop._shopify_free_quantity(product, warehouse)
            shopify = self._shopify_available(location)
            if shopify is False:
                return None, False
            matched = matched and shopify == odoo
            stock = product.sudo().with_context(warehouse_id=warehouse.id)
            lines.append(
                self.env._(
                    "%(location)s (%(warehouse)s): Odoo %(free)s free (%(on_hand)s "
                    "on hand, %(reserved)s reserved), Shopify %(shopify)s available",
                    location=mapping.name or location,
                    warehouse=warehouse.name,
                    free=odoo,
                    on_hand=format(stock.qty_available, "g"),
                    reserved=format(stock.qty_available - stock.free_qty, "g"),
                    shopify=self.env._("none") if shopify is None else shopify,
                )
            )
        return "\n".join(lines), matched

    def _shopify_available(self, location_gid: str):
        """Shopify's available quantity of the item at the location (None: not
        stocked there; False: the read was refused, the reason recorded)."""
        try:
            data = (
                self.shop_id.sudo()
                ._shopify_client()
                .query(
                    INVENTORY_AVAILABLE,
                    {"itemId": self.inventory_item_gid, "locationId": location_gid},
                )
            )
        except ShopifyTransientError as exc:
            raise retryable(exc) from exc
        except ShopifyError as exc:
            self.error = self.env._(
                "Shopify refused to show the stock of %(item)s (the app needs the "
                "read_inventory scope): %(error)s",
                item=self.stock_item_name,
                error=exc,
            )
            return False
        level = (data.get("inventoryItem") or {}).get("inventoryLevel")
        quantities = {
            q["name"]: q["quantity"] for q in (level or {}).get("quantities", [])
        }
        return quantities.get("available")

    # -- afterwards --

    def _shopify_remove_stock(self):
        """Nothing to delete in Shopify: the quantities pushed are Odoo's own (the
        source of truth), and putting an older figure back would make Shopify wrong.
        The failure's reason is cleared from the variant it was written on."""
        if self.scenario != "failure" or not self.inventory_item_gid:
            return
        bindings = (
            self.env["shopify.product.binding"]
            .sudo()
            .search(
                [
                    ("shop_id", "=", self.shop_id.id),
                    ("inventory_item_gid", "=", self.inventory_item_gid),
                    ("last_stock_error", "=like", f"{MISSING_LOCATION}:%"),
                ]
            )
        )
        bindings.write({"last_stock_error": False})


class ShopifyWorkflow(models.Model):
    _inherit = "shopify.workflow"  # pylint: disable=consider-merging-classes-inherited

    def _shopify_check_rehearsal_stock(self, scenario: str):
        self._shopify_rehearsal_stock_binding()
        self._shopify_rehearsal_stock_locations(scenario, self.rehearsal_edge_case)

    def _shopify_rehearsal_stock_binding(self):
        """The Shopify variant of the rehearsal product, with its inventory item."""
        self.ensure_one()
        product = self._shopify_rehearsal_product()
        if not product.is_storable:
            raise UserError(
                self.env._(
                    "Odoo does not track the stock of %(product)s: choose a Rehearsal "
                    "Product whose inventory is tracked.",
                    product=product.display_name,
                )
            )
        binding = (
            self.env["shopify.product.binding"]
            .sudo()
            .search(
                [
                    ("shop_id", "=", self.shop_id.id),
                    ("product_id", "=", product.id),
                    ("inventory_item_gid", "!=", False),
                ],
                limit=1,
            )
        )
        if not binding:
            raise UserError(
                self.env._(
                    "%(product)s is not sold as a Shopify variant with an inventory "
                    "item: sync the shop's products (Shopify > Variants to map maps a "
                    "variant to it), or choose another Rehearsal Product.",
                    product=product.display_name,
                )
            )
        return binding

    def _shopify_rehearsal_stock_locations(self, scenario: str, edge_case) -> list:
        """The Shopify locations the scenario pushes to: normal, the first mapped
        one; edge, every mapped one, or those whose warehouse has some of the
        product reserved for a delivery; failure, one no warehouse is mapped to."""
        self.ensure_one()
        mappings = self.shop_id.sudo()._shopify_location_mappings()
        if not mappings:
            raise UserError(
                self.env._(
                    "Map a Shopify location to an Odoo warehouse first (Shopify > "
                    "Configuration > Locations): stock is pushed to mapped locations "
                    "only."
                )
            )
        if scenario == "failure":
            return [MISSING_LOCATION]
        if scenario == "normal":
            return mappings[:1].mapped("location_gid")
        if edge_case == "stock_locations":
            if len(mappings) < 2:
                raise UserError(
                    self.env._(
                        "This edge case needs two Shopify locations mapped to "
                        "warehouses (Shopify > Configuration > Locations); choose the "
                        "other one."
                    )
                )
            return mappings.mapped("location_gid")
        product = self._shopify_rehearsal_product().sudo()
        reserved = mappings.filtered(
            lambda m: (
                product.with_context(warehouse_id=m.warehouse_id.id).free_qty
                < product.with_context(warehouse_id=m.warehouse_id.id).qty_available
            )
        )
        if not reserved:
            raise UserError(
                self.env._(
                    "%(product)s has no stock reserved for a delivery in a mapped "
                    "warehouse: choose a Rehearsal Product with a delivery waiting "
                    "(the rehearsal does not reserve stock itself).",
                    product=product.display_name,
                )
            )
        return reserved.mapped("location_gid")
