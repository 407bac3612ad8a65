from . import shopify_shop
from . import shopify_webhook_event
from . import shopify_webhook_duplicate
from . import shopify_binding
from . import shopify_customer_binding
from . import shopify_order_binding
from . import sale_order
