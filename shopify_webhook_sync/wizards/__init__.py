from . import shopify_event_close_wizard
