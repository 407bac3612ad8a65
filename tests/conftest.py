import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from odoo_server import load_fake_shopify

FIGURES: list[str] = []


@pytest.fixture(scope="module")
def fake():
    """A fake Shopify server (shopify_webhook_sync/tests/fake_shopify.py) for a
    module's system tests."""
    server = load_fake_shopify().FakeShopify().start()
    yield server
    server.stop()


@pytest.fixture
def figures(request):
    """``figures(text)`` records a line that the run prints in its summary (the
    reliability and fuzz tests' counts), whatever pytest captures."""

    def record(text: str):
        FIGURES.append(f"{request.node.name}: {text}")
        print(text)

    return record


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
