from . import test_fake_shopify
from . import test_lib
from . import test_graphql_documents
from . import test_webhook_controller
from . import test_order_sync
