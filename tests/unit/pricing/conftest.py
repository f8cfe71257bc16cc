"""Pricing unit tests build `Wine` and `PriceRule` documents: the catalog's database fixture binds Beanie."""

from tests.unit.catalog.conftest import db

__all__ = ["db"]
