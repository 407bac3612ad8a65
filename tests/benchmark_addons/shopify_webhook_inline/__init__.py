"""Exists only to measure the inline alternative (scripts/benchmark): a webhook endpoint
that syncs the order inside the request, as an integration without a job queue does.
Never install it in a real database."""

from . import controllers
