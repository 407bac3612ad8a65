"""Who may change what: nobody writes events, duplicates or bindings by hand; a
person acts through the product's methods, which check the caller first."""

from odoo.exceptions import AccessError

REVIEWER_GROUP = "shopify_webhook_sync.group_shopify_reviewer"
USER_GROUP = "shopify_webhook_sync.group_shopify_user"
MANAGER_GROUP = "shopify_webhook_sync.group_shopify_manager"


def check_operator(records):
    """Nobody writes events, duplicates or bindings: a person acts on them through the
    product's methods (retry, ignore, resolve, map), which call this first and then
    change the records with sudo. Raises AccessError unless the caller is a Shopify
    user who can read ``records`` (their companies' shops)."""
    env = records.env
    if not env.su and not env.user.has_group(USER_GROUP):
        raise AccessError(
            env._(
                "Only Shopify users (not reviewers) can act on %(model)s.",
                model=records._description,
            )
        )
    records.check_access("read")


def check_moved(records):
    """``records`` were moved onto another shop: the company follows the shop, so
    what they point at is checked again (check_company), and so is the caller's right
    to write them where they now are (record rules are checked before a write only)."""
    records._check_company()
    records.check_access("write")


def check_manager(shops):
    """A shop's configuration buttons (test the connection, register or check the
    webhooks, rehearse, reconcile) are for Shopify managers of the shop's company:
    those who may write the shop."""
    shops.check_access("write")
