"""Every GraphQL document the addon sends to Shopify, in one place.

A test validates each of them against Shopify's published Admin schema (API_VERSION), and
the fake Shopify server used by the tests refuses any document that does not validate.
"""

API_VERSION = "2026-10"

MONEY = """
fragment Money on MoneyBag {
  shopMoney { amount currencyCode }
}
"""

ADDRESS = """
fragment Address on MailingAddress {
  firstName lastName name company
  address1 address2 city zip provinceCode countryCodeV2
  phone
}
"""

# One page of an order's line items (250 is the API's maximum page size), with the order.
ORDER = (
    """
query Order($id: ID!, $after: String) {
  order(id: $id) {
    id legacyResourceId name
    createdAt updatedAt processedAt cancelledAt cancelReason
    currencyCode email phone note tags test
    displayFinancialStatus displayFulfillmentStatus
    statusPageUrl
    customer {
      id legacyResourceId firstName lastName displayName phone updatedAt
      defaultEmailAddress { emailAddress }
    }
    billingAddress { ...Address }
    shippingAddress { ...Address }
    currentSubtotalPriceSet { ...Money }
    currentTotalTaxSet { ...Money }
    currentTotalPriceSet { ...Money }
    lineItems(first: 250, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id name title sku quantity currentQuantity
        variant { id legacyResourceId sku barcode }
        originalUnitPriceSet { ...Money }
        discountedUnitPriceAfterAllDiscountsSet { ...Money }
      }
    }
  }
}
"""
    + MONEY
    + ADDRESS
)

DOCUMENTS = {
    "Order": ORDER,
}
