"""Every GraphQL document the addon sends to Shopify, in one place.

A test validates each of them against Shopify's published Admin schema (API_VERSION),
and the fake Shopify server used by the tests refuses any document that does not
validate.
"""

API_VERSION = "2026-10"

MONEY = """
fragment Money on MoneyBag {
  shopMoney { amount currencyCode }
  presentmentMoney { amount currencyCode }
}
"""

ADDRESS = """
fragment Address on MailingAddress {
  firstName lastName name company
  address1 address2 city zip provinceCode countryCodeV2
  phone
}
"""

TAX_LINE = """
fragment TaxLine on TaxLine {
  title rate priceSet { ...Money }
}
"""

# An order's line item, as ORDER and ORDER_LINES read it.
LINE_ITEM = """
fragment OrderLineItem on LineItem {
  id name title sku quantity currentQuantity isGiftCard
  variant { id legacyResourceId sku barcode }
  originalUnitPriceSet { ...Money }
  priceAfterAllDiscountsBeforeTaxesSet { ...Money }
  discountAllocations { allocatedAmountSet { ...Money } }
  taxLines { ...TaxLine }
}
"""

# One page of an order's line items with the order. Pages of 50 keep the query's cost
# under Shopify's single-query limit (1000 points); a big order takes more pages (read
# with ORDER_LINES). Every
# amount comes in both currencies: the order is written in the customer's (presentment)
# one. An order has one shipping line, rarely a few: 10 keeps the cost down.
ORDER = (
    """
query Order($id: ID!, $after: String) {
  order(id: $id) {
    id legacyResourceId name
    createdAt updatedAt processedAt cancelledAt cancelReason
    currencyCode presentmentCurrencyCode taxesIncluded email phone note tags test
    displayFinancialStatus displayFulfillmentStatus
    customer {
      id legacyResourceId firstName lastName displayName phone updatedAt
      defaultEmailAddress { emailAddress }
    }
    billingAddress { ...Address }
    shippingAddress { ...Address }
    currentSubtotalPriceSet { ...Money }
    currentTotalTaxSet { ...Money }
    currentTaxLines { ...TaxLine }
    currentTotalPriceSet { ...Money }
    totalTipReceivedSet { ...Money }
    currentTotalDutiesSet { ...Money }
    additionalFees { id name price { ...Money } taxLines { ...TaxLine } }
    shippingLines(first: 10) {
      pageInfo { hasNextPage }
      nodes {
        id title code isRemoved
        discountedPriceSet { ...Money }
        currentDiscountedPriceSet { ...Money }
        taxLines { ...TaxLine }
      }
    }
    lineItems(first: 50, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...OrderLineItem }
    }
  }
}
"""
    + LINE_ITEM
    + MONEY
    + ADDRESS
    + TAX_LINE
)

# The next pages of an order's line items: only the lines (and updatedAt, which tells
# that the order changed while it was read), so that the pages after the first cost
# what their lines cost (Shopify takes a query's requested cost up front).
ORDER_LINES = (
    """
query OrderLines($id: ID!, $after: String) {
  order(id: $id) {
    id updatedAt
    lineItems(first: 50, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...OrderLineItem }
    }
  }
}
"""
    + LINE_ITEM
    + MONEY
    + TAX_LINE
)

# The line items that are tips: Shopify marks them only in the order's sales (a TipSale
# of an agreement), read when the order received a tip. Agreements and their sales are
# paged: a page of agreements (each with its first sales), and an agreement whose sales
# go on is read again alone ($agreements: 1, after the cursor before it) from its sales'
# cursor, so that no tip beyond a page is taken for a custom item.
ORDER_TIPS = """
query OrderTips(
  $id: ID!, $agreements: Int!, $after: String, $salesAfter: String
) {
  order(id: $id) {
    id
    agreements(first: $agreements, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id
          sales(first: 50, after: $salesAfter) {
            pageInfo { hasNextPage endCursor }
            nodes { lineType ... on TipSale { lineItem { id } } }
          }
        }
      }
    }
  }
}
"""

# -- products, stock and fulfillment
#    (shopify.product.binding, stock out, fulfillment out)

# One page of a product's variants, with the product (a product can have up to 2048).
PRODUCT = """
query Product($id: ID!, $after: String) {
  product(id: $id) {
    id legacyResourceId title status updatedAt
    variants(first: 250, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id legacyResourceId title sku barcode price
        inventoryItem { id }
      }
    }
  }
}
"""

# Odoo owns stock: the quantity is set, not adjusted. changeFromQuantity must be sent;
# null skips Shopify's compare-and-swap because Odoo is the source of truth. Since
# 2026-04 the mutation requires an @idempotent key, so a retried request applies once.
INVENTORY_SET_QUANTITIES = """
mutation InventorySetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""

# What Shopify holds: an item's available quantity at one location (null: the item is
# not stocked there). The stock rehearsal reads it back after the push.
INVENTORY_AVAILABLE = """
query InventoryAvailable($itemId: ID!, $locationId: ID!) {
  inventoryItem(id: $itemId) {
    id
    inventoryLevel(locationId: $locationId) {
      quantities(names: ["available"]) { name quantity }
    }
  }
}
"""

# One page of an order's fulfillment orders, each with its first page of line items
# (page sizes keep the query's cost well under Shopify's 1,000-point limit; a longer
# fulfillment order is read on with FULFILLMENT_ORDER_LINES).
FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!, $after: String) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 10, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id status
        assignedLocation { location { id } }
        lineItems(first: 25) {
          pageInfo { hasNextPage endCursor }
          nodes { id remainingQuantity lineItem { id } }
        }
      }
    }
  }
}
"""

# The next pages of one fulfillment order's line items.
FULFILLMENT_ORDER_LINES = """
query FulfillmentOrderLines($id: ID!, $after: String) {
  fulfillmentOrder(id: $id) {
    id
    lineItems(first: 250, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { id remainingQuantity lineItem { id } }
    }
  }
}
"""

FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!, $message: String) {
  fulfillmentCreate(fulfillment: $fulfillment, message: $message) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""

# A customer as the partner it becomes; null when it was deleted in Shopify.
CUSTOMER = (
    """
query Customer($id: ID!) {
  customer(id: $id) {
    id legacyResourceId firstName lastName displayName phone note updatedAt
    defaultEmailAddress { emailAddress }
    defaultAddress { ...Address }
  }
}
"""
    + ADDRESS
)

# A refund with one page of its refunded lines (the rest paged like order lines); a
# refund has one shipping refund and a few transactions at most.
REFUND_LINE_ITEM = """
fragment RefundLineItem on RefundLineItem {
  id quantity restockType
  subtotalSet { ...Money }
  totalTaxSet { ...Money }
  lineItem { id name }
}
"""

REFUND = (
    """
query Refund($id: ID!, $after: String) {
  refund(id: $id) {
    id legacyResourceId createdAt note
    order { id legacyResourceId name }
    totalRefundedSet { ...Money }
    refundShippingLines(first: 10) {
      pageInfo { hasNextPage }
      nodes {
        shippingLine { id title }
        subtotalAmountSet { ...Money }
        taxAmountSet { ...Money }
      }
    }
    transactions(first: 20) {
      pageInfo { hasNextPage }
      nodes { id gateway kind status amountSet { ...Money } }
    }
    refundLineItems(first: 50, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...RefundLineItem }
    }
  }
}
"""
    + REFUND_LINE_ITEM
    + MONEY
)

# The next pages of a refund's lines, alone (the rest read with REFUND_LINES).
REFUND_LINES = (
    """
query RefundLines($id: ID!, $after: String) {
  refund(id: $id) {
    id
    refundLineItems(first: 50, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...RefundLineItem }
    }
  }
}
"""
    + REFUND_LINE_ITEM
    + MONEY
)

# The lean document that reads the pages after the first, per document (see
# ShopifyClient.fetch_all).
NEXT_PAGES = {ORDER: ORDER_LINES, REFUND: REFUND_LINES}

# "Test connection": who the token belongs to and what it may do.
CONNECTION_TEST = """
query ConnectionTest {
  shop { name myshopifyDomain plan { publicDisplayName } }
  currentAppInstallation { accessScopes { handle } }
}
"""

# Reconciliation: one page of the objects updated since a date (search syntax
# "updated_at:>='2026-11-30T10:00:00Z'"), oldest first. Only ids and updatedAt: each
# object is then synced by its own job, which fetches it whole.
RECONCILE_TEMPLATE = """
query Reconcile%(name)s($query: String!, $first: Int!, $after: String) {
  %(root)s(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { id legacyResourceId updatedAt }
  }
}
"""
# object kind -> (root connection, document)
RECONCILE = {
    kind: (root, RECONCILE_TEMPLATE % {"name": root.title(), "root": root})
    for kind, root in (
        ("order", "orders"),
        ("customer", "customers"),
        ("product", "products"),
    )
}

WEBHOOK_SUBSCRIPTION = """
fragment Subscription on WebhookSubscription {
  id topic uri format apiVersion { handle }
}
"""

WEBHOOK_SUBSCRIPTIONS = (
    """
query WebhookSubscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { ...Subscription }
  }
}
"""
    + WEBHOOK_SUBSCRIPTION
)

WEBHOOK_SUBSCRIPTION_CREATE = (
    """
mutation WebhookSubscriptionCreate(
  $topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!
) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { ...Subscription }
    userErrors { field message }
  }
}
"""
    + WEBHOOK_SUBSCRIPTION
)

WEBHOOK_SUBSCRIPTION_UPDATE = (
    """
mutation WebhookSubscriptionUpdate(
  $id: ID!, $webhookSubscription: WebhookSubscriptionInput!
) {
  webhookSubscriptionUpdate(id: $id, webhookSubscription: $webhookSubscription) {
    webhookSubscription { ...Subscription }
    userErrors { field message }
  }
}
"""
    + WEBHOOK_SUBSCRIPTION
)

WEBHOOK_SUBSCRIPTION_DELETE = """
mutation WebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}
"""

# Fulfillments made in Shopify (a 3PL, the Shopify admin): what each line shipped. Sized
# under the single-query cost limit: FULFILLMENTS_READ fulfillments of 50 lines each.
# One more fulfillment is asked for, so that an order with more (or a fulfillment with
# more lines) is told apart and waits for review instead of being read in part.
FULFILLMENTS_READ = 5
ORDER_FULFILLMENTS = """
query OrderFulfillments($id: ID!) {
  order(id: $id) {
    id name
    fulfillments(first: FULFILLMENTS_ASKED) {
      id status createdAt
      trackingInfo(first: 1) { number company }
      fulfillmentLineItems(first: 50) {
        pageInfo { hasNextPage }
        nodes { quantity lineItem { id } }
      }
    }
  }
}
""".replace("FULFILLMENTS_ASKED", str(FULFILLMENTS_READ + 1))

# Launch rehearsal of the orders workflow: a test order (``test: true``: no payment, no
# fulfilment) created in Shopify, then deleted if the merchant does not keep it.
REHEARSAL_ORDER_CREATE = """
mutation RehearsalOrderCreate(
  $order: OrderCreateOrderInput!
  $options: OrderCreateOptionsInput
) {
  orderCreate(order: $order, options: $options) {
    order {
      id legacyResourceId name
      transactions(first: 5) { id gateway kind }
    }
    userErrors { field message }
  }
}
"""

# Launch rehearsal of the refunds workflow: a refund of the rehearsal's test order.
# Since 2026-04 refundCreate requires an idempotency key: a retried job sends the
# same one, so Shopify refunds once.
REHEARSAL_REFUND_CREATE = """
mutation RehearsalRefundCreate($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { id legacyResourceId }
    userErrors { field message }
  }
}
"""

REHEARSAL_ORDER_DELETE = """
mutation RehearsalOrderDelete($orderId: ID!) {
  orderDelete(orderId: $orderId) {
    deletedId
    userErrors { field message }
  }
}
"""

# Launch rehearsal of the products workflow: a draft product (never shown to customers)
# whose variants' SKUs are Odoo Internal References, made at once (``synchronous``:
# the product comes back in the answer), then deleted if the merchant does not keep it.
# productSet's variant input takes the SKU itself (productVariantsBulkCreate's takes it
# on the inventory item).
REHEARSAL_PRODUCT_SET = """
mutation RehearsalProductSet($input: ProductSetInput!) {
  productSet(input: $input, synchronous: true) {
    product {
      id legacyResourceId title
      variants(first: 10) { nodes { id legacyResourceId sku barcode } }
    }
    userErrors { field message code }
  }
}
"""

REHEARSAL_PRODUCT_DELETE = """
mutation RehearsalProductDelete($id: ID!) {
  productDelete(input: { id: $id }, synchronous: true) {
    deletedProductId
    userErrors { field message }
  }
}
"""

# The customers and privacy rehearsals' customer (tagged, its own email, no marketing
# consent), deleted by Remove.
REHEARSAL_CUSTOMER_CREATE = """
mutation RehearsalCustomerCreate($input: CustomerInput!) {
  customerCreate(input: $input) {
    customer {
      id legacyResourceId displayName
      defaultAddress { countryCodeV2 provinceCode }
    }
    userErrors { field message }
  }
}
"""

REHEARSAL_CUSTOMER_DELETE = """
mutation RehearsalCustomerDelete($input: CustomerDeleteInput!) {
  customerDelete(input: $input) {
    deletedCustomerId
    userErrors { field message }
  }
}
"""

DOCUMENTS = {
    "Order": ORDER,
    "OrderLines": ORDER_LINES,
    "OrderTips": ORDER_TIPS,
    "Refund": REFUND,
    "RefundLines": REFUND_LINES,
    "Customer": CUSTOMER,
    "Product": PRODUCT,
    "InventorySetQuantities": INVENTORY_SET_QUANTITIES,
    "InventoryAvailable": INVENTORY_AVAILABLE,
    "FulfillmentOrders": FULFILLMENT_ORDERS,
    "FulfillmentOrderLines": FULFILLMENT_ORDER_LINES,
    "FulfillmentCreate": FULFILLMENT_CREATE,
    "ConnectionTest": CONNECTION_TEST,
    "OrderFulfillments": ORDER_FULFILLMENTS,
    "WebhookSubscriptions": WEBHOOK_SUBSCRIPTIONS,
    "WebhookSubscriptionCreate": WEBHOOK_SUBSCRIPTION_CREATE,
    "WebhookSubscriptionUpdate": WEBHOOK_SUBSCRIPTION_UPDATE,
    "WebhookSubscriptionDelete": WEBHOOK_SUBSCRIPTION_DELETE,
    "RehearsalOrderCreate": REHEARSAL_ORDER_CREATE,
    "RehearsalOrderDelete": REHEARSAL_ORDER_DELETE,
    "RehearsalRefundCreate": REHEARSAL_REFUND_CREATE,
    "RehearsalProductSet": REHEARSAL_PRODUCT_SET,
    "RehearsalProductDelete": REHEARSAL_PRODUCT_DELETE,
    "RehearsalCustomerCreate": REHEARSAL_CUSTOMER_CREATE,
    "RehearsalCustomerDelete": REHEARSAL_CUSTOMER_DELETE,
    **{f"Reconcile {kind}": document for kind, (_r, document) in RECONCILE.items()},
}
