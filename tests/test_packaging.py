"""The addon ships as Odoo addons do on PyPI (queue_job's way): a wheel
``odoo-addon-shopify_webhook_sync`` built by whool from the addon's pyproject.toml,
that installs the addon under odoo/addons/ with its dependencies declared."""

import ast
import subprocess
import sys
from email.parser import Parser

from odoo_server import ADDON


def pip(*args):
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, timeout=300)


def test_the_addon_builds_as_a_wheel_that_installs(tmp_path):
    manifest = ast.literal_eval((ADDON / "__manifest__.py").read_text())
    pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ADDON))
    [wheel] = tmp_path.glob("odoo_addon_shopify_webhook_sync-*.whl")
    assert wheel.name.startswith(
        f"odoo_addon_shopify_webhook_sync-{manifest['version']}"
    )

    target = tmp_path / "site-packages"
    pip("install", "--no-deps", "--target", str(target), str(wheel))
    installed = target / "odoo" / "addons" / "shopify_webhook_sync"
    assert ast.literal_eval((installed / "__manifest__.py").read_text()) == manifest
    for path in ("README.rst", "static/description/icon.png", "views", "security"):
        assert (installed / path).exists(), path
    [dist_info] = target.glob("odoo_addon_shopify_webhook_sync-*.dist-info")
    metadata = Parser().parsestr((dist_info / "METADATA").read_text())
    assert metadata["Name"] == "odoo-addon-shopify_webhook_sync"
    requires = metadata.get_all("Requires-Dist")
    assert "odoo-addon-queue_job==18.0.*" in requires
    assert "odoo==18.0.*" in requires
    assert "requests" in requires
