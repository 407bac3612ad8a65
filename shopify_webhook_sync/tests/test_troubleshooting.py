"""Every reason the product can show an operator has its entry in the merchant's
troubleshooting guide (readme/USAGE.md): each state, each error kind of the sync
history, each missing-data kind, and each reason message the code writes."""

import ast
import re
from pathlib import Path

from odoo.tests import BaseCase, tagged

from ..models.shopify_sync_attempt import ERROR_KINDS
from ..models.shopify_webhook_event import STATES

ADDON = Path(__file__).resolve().parent.parent
GUIDE = ADDON / "readme" / "USAGE.md"
# functions that build a reason from parts (the rest are SyncBlocked messages and
# "- ..." lines of a list of what is missing)
REASON_BUILDERS = {
    "_shopify_mapping_message",
    "_shopify_credentials_message",
    "_shopify_line_taxes",
    "_shopify_deliver",
}
PLACEHOLDER = re.compile(r"%\(\w+\)(?:\.2f|[sd])|%%")


def _translated(node):
    """The message literals of the ``_(...)`` / ``env._(...)`` calls under node."""
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Call) or not sub.args:
            continue
        name = getattr(sub.func, "attr", getattr(sub.func, "id", None))
        first = sub.args[0]
        if name == "_" and isinstance(first, ast.Constant):
            yield first.value


def reasons() -> set[str]:
    found = set()
    for path in sorted((ADDON / "models").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == (
                "SyncBlocked"
            ):
                found.update(_translated(node))
            elif isinstance(node, ast.FunctionDef) and node.name in REASON_BUILDERS:
                found.update(_translated(node))
            elif isinstance(node, ast.Call):
                found.update(m for m in _translated(node) if m.startswith("- "))
    return found


def words(text: str) -> str:
    return " ".join(text.split()).lower()


def fixed_part(message: str) -> str:
    """The longest stretch of a message that does not depend on the object."""
    parts = PLACEHOLDER.split(message)
    return max((part.strip(" -'.:;,()") for part in parts), key=len)


@tagged("post_install", "-at_install")
class TestTroubleshootingGuide(BaseCase):
    def setUp(self):
        super().setUp()
        self.guide = words(GUIDE.read_text())

    def test_every_reason_message_has_an_entry(self):
        messages = reasons()
        self.assertGreater(len(messages), 25, "the reasons were found in the code")
        for message in sorted(messages):
            part = fixed_part(message)
            if len(part.split()) < 3:  # a word put into another message
                continue
            with self.subTest(message=message):
                self.assertIn(words(part), self.guide)

    def test_every_state_error_kind_and_missing_kind_has_an_entry(self):
        labels = [label for _key, label in STATES + ERROR_KINDS]
        kinds = ["product", "variant", "ambiguous", "tax", "shipping", "gateway"]
        for label in labels:
            with self.subTest(label=label):
                self.assertIn(f"**{words(label)}**", self.guide)
        for kind in kinds:
            with self.subTest(kind=kind):
                self.assertIn(f"`{kind}`", self.guide)
