import unittest

from ..lib.queries import DOCUMENTS
from .fake_shopify import MAX_QUERY_COST, requested_cost, validate_document


class TestGraphQLDocuments(unittest.TestCase):
    def test_every_document_validates_against_the_2026_10_admin_schema(self):
        self.assertTrue(DOCUMENTS)
        for name, document in DOCUMENTS.items():
            with self.subTest(document=name):
                self.assertEqual(validate_document(document), [])

    def test_every_document_fits_the_single_query_cost_limit(self):
        for name, document in DOCUMENTS.items():
            with self.subTest(document=name):
                self.assertLessEqual(requested_cost(document), MAX_QUERY_COST)
