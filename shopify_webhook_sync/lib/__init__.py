"""Framework-free Shopify code: the GraphQL client, the documents it sends and the
webhook rules (signature, topics). Nothing here imports Odoo, so it is tested without a
database."""
