"""Every message the product shows can be translated: Odoo's extractor reads each of
the addon's files (a file it cannot read is skipped whole, with an error in the log,
and every message of it stays English) and the addon's .pot template holds them."""

from pathlib import Path

from babel.messages.pofile import read_po

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

POT = Path(__file__).resolve().parent.parent / "i18n" / "shopify_webhook_sync.pot"


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    def test_every_file_is_read_by_odoos_extractor(self):
        with self.assertNoLogs("odoo.tools.translate", "ERROR"):
            reader = TranslationModuleReader(self.env.cr, ["shopify_webhook_sync"])
            terms = {source for _m, _t, _n, _r, source, _v, _c in reader}
        # a message of each of the files that an f-string argument once made unreadable
        for message in (
            "- '%(line)s': %(qty)s kept, refunded %(amount).2f "
            "(delivered in Odoo %(delivered)s).",
            ", %(count)s skipped because they wait for no fix: %(states)s",
        ):
            self.assertIn(message, terms)
        with POT.open("rb") as pot:
            template = {message.id for message in read_po(pot)}
        missing = sorted(terms - template)
        self.assertFalse(
            missing,
            f"i18n/{POT.name} lacks {len(missing)} messages, e.g. {missing[:3]}: "
            "regenerate it: odoo -c <conf> -d <db with the addon> "
            f"--i18n-export=shopify_webhook_sync/i18n/{POT.name} "
            "--modules=shopify_webhook_sync --stop-after-init",
        )
