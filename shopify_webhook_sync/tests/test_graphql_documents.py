import unittest

from ..lib.queries import DOCUMENTS
from .fake_shopify import validate_document


class TestGraphQLDocuments(unittest.TestCase):
    def test_every_document_validates_against_the_2026_10_admin_schema(self):
        self.assertTrue(DOCUMENTS)
        for name, document in DOCUMENTS.items():
            with self.subTest(document=name):
                self.assertEqual(validate_document(document), [])
