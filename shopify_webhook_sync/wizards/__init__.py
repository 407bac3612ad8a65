from . import shopify_event_close_wizard
from . import shopify_event_reject_wizard
