"""Catalog rules: reading wines (admin writes and search sync build on this)."""

from __future__ import annotations

from documents import Style, Wine

from app.errors import NotFound


class CatalogService:
    async def get_wine(self, wine_id: str) -> Wine:
        wine = await Wine.get(wine_id)
        if wine is None:
            raise NotFound("wine", wine_id)
        return wine

    async def find_wines(self, wine_ids: list[str]) -> dict[str, Wine]:
        """The wines among `wine_ids` that exist, by id (one query)."""
        if not wine_ids:
            return {}
        found = await Wine.find({"_id": {"$in": list(set(wine_ids))}}).to_list()
        return {w.id: w for w in found}

    async def list_wines(self, *, page: int, per_page: int, style: Style | None = None,
                         country: str | None = None) -> tuple[list[Wine], int]:
        query: dict[str, object] = {"listed": True}
        if style is not None:
            query["style"] = style.value
        if country:
            query["country"] = country
        total = await Wine.find(query).count()
        # plain str sort keys: mongomock orders Beanie's ExpressionField keys by _id (DESIGN §3)
        wines = await Wine.find(query).sort([("name", 1), ("_id", 1)]).skip((page - 1) * per_page) \
            .limit(per_page).to_list()
        return wines, total
