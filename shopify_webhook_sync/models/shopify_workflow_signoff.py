"""Sign-offs: the owner, finance, operations and support each sign a workflow (who,
when, comment). A sign-off keeps a fingerprint of the workflow's rules and mappings as
signed: when they change afterwards, the workflow shows "changed since sign-off". The
first sign-off schedules the owner's quarterly review."""

from markupsafe import Markup

from odoo import api, fields, models

ROLES = [
    ("owner", "Owner"),
    ("finance", "Finance"),
    ("operations", "Operations"),
    ("support", "Support"),
]
REVIEW_ACTIVITY = "shopify_webhook_sync.mail_activity_type_shopify_workflow_review"


class ShopifyWorkflowSignoff(models.Model):
    _name = "shopify.workflow.signoff"
    _description = "Shopify Workflow Sign-off"
    _order = "signed_at desc, id desc"
    _rec_name = "role"

    workflow_id = fields.Many2one(
        "shopify.workflow", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="workflow_id.company_id", store=True)
    role = fields.Selection(ROLES, required=True)
    user_id = fields.Many2one(
        "res.users", string="Signed By", required=True, readonly=True
    )
    signed_at = fields.Datetime(required=True, readonly=True)
    comment = fields.Text()
    fingerprint = fields.Char(readonly=True, copy=False)
    changed = fields.Boolean(
        string="Changed Since",
        compute="_compute_changed",
        help="The workflow's rules or mappings changed after this sign-off.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        """Whoever signs, signs as themselves, now, for the workflow as it is."""
        for vals in vals_list:
            workflow = self.env["shopify.workflow"].browse(vals["workflow_id"])
            vals |= {
                "user_id": self.env.uid,
                "signed_at": fields.Datetime.now(),
                "fingerprint": workflow.sudo()._shopify_fingerprint(),
            }
        signoffs = super().create(vals_list)
        for signoff in signoffs:
            signoff.workflow_id.sudo()._shopify_signed(signoff)
        return signoffs

    @api.depends("fingerprint", "workflow_id")
    def _compute_changed(self):
        for signoff in self:
            signoff.changed = (
                signoff.fingerprint != signoff.workflow_id.sudo()._shopify_fingerprint()
            )


class ShopifyWorkflow(models.Model):
    # one file per concern (requirements, sign-offs), as the shop's extensions
    _inherit = "shopify.workflow"  # pylint: disable=consider-merging-classes-inherited

    signoff_ids = fields.One2many(
        "shopify.workflow.signoff", "workflow_id", string="Sign-offs"
    )
    signoff_state = fields.Selection(
        [
            ("none", "Not Signed"),
            ("partial", "Partly Signed"),
            ("signed", "Signed"),
            ("changed", "Changed Since Sign-off"),
        ],
        string="Sign-off",
        compute="_compute_signoff_state",
    )
    changed_since_signoff = fields.Boolean(compute="_compute_signoff_state")

    def _compute_signoff_state(self):
        for workflow in self:
            latest = workflow._shopify_latest_signoffs()
            changed = any(signoff.changed for signoff in latest)
            workflow.changed_since_signoff = changed
            if changed:
                workflow.signoff_state = "changed"
            elif len(latest) == len(ROLES):
                workflow.signoff_state = "signed"
            else:
                workflow.signoff_state = "partial" if latest else "none"

    def _shopify_latest_signoffs(self):
        """The last sign-off of each role (a role signs again after a change)."""
        latest = {}
        for signoff in self.sudo().signoff_ids:  # newest first
            latest.setdefault(signoff.role, signoff)
        return self.env["shopify.workflow.signoff"].union(*latest.values())

    def action_sign(self):
        """The sign-off dialog for this workflow."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Sign %s", self.display_name),
            "res_model": "shopify.workflow.signoff",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_workflow_id": self.id},
        }

    def _shopify_signed(self, signoff):
        """Log the sign-off; the first one schedules the owner's quarterly review."""
        roles = dict(signoff._fields["role"]._description_selection(self.env))
        self.message_post(
            body=Markup("<p><b>%s</b></p><p>%s</p>")
            % (
                self.env._(
                    "Signed off by %(user)s as %(role)s",
                    user=signoff.user_id.name,
                    role=roles[signoff.role],
                ),
                signoff.comment or "",
            ),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        self._shopify_schedule_review()

    def _shopify_schedule_review(self):
        """One open quarterly review per workflow, for its owner; marking it done
        schedules the next one (the activity type's chaining)."""
        review_type = self.env.ref(REVIEW_ACTIVITY, raise_if_not_found=False)
        if not review_type or self.activity_ids.filtered(
            lambda a: a.activity_type_id == review_type
        ):
            return
        self.activity_schedule(
            REVIEW_ACTIVITY,
            date_deadline=review_type._get_date_deadline(),
            summary=self.env._("Quarterly review: %s", self.display_name),
            user_id=(self.owner_id or self.env.user).id,
        )
