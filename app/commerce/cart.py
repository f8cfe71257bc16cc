"""The cart: one open cart per user, changed with atomic updates, and the abandoned carts report."""

from __future__ import annotations

from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from app.accounts.service import AccountService
from app.catalog.service import CatalogService
from app.commerce.views import ASC, DESC, AbandonedCart, CartLine, CartView, Clock
from app.errors import Conflict, NotFound
from documents import Cart, CartItem, Wine, new_id

MAX_LINES = 100  # distinct wines in one cart: keeps the document and a checkout bounded


def ensure_buyable(wine: Wine, quantity: int) -> None:
    """Refuse a delisted wine or more bottles than are in stock, naming the wine."""
    if not wine.listed:
        raise Conflict(f"«{wine.name}» is no longer sold", code="wine_unavailable")
    if wine.stock < quantity:
        detail = (
            f"«{wine.name}» is out of stock"
            if wine.stock == 0
            else f"only {wine.stock} bottles of «{wine.name}» are left (asked for {quantity})"
        )
        raise Conflict(detail, code="insufficient_stock")


class CartService:
    def __init__(
        self, catalog: CatalogService, accounts: AccountService, clock: Clock, abandoned_after_hours: float
    ) -> None:
        self._catalog = catalog
        self._accounts = accounts
        self._clock = clock
        self._abandoned_after = timedelta(hours=abandoned_after_hours)

    async def view(self, user_id: str) -> CartView:
        """The caller's cart joined with current catalog prices (an empty view when there is none)."""
        cart = await Cart.find_one({"user_id": user_id})
        return (await self._views([cart]))[0] if cart is not None else CartView(cart=None, lines=[])

    async def set_item(self, user_id: str, wine_id: str, quantity: int, rec_id: str | None = None) -> CartView:
        """Put `quantity` bottles of a wine in the cart (0 removes the line)."""
        if quantity == 0:
            return await self.remove_item(user_id, wine_id)
        wine = await self._catalog.get_wine(wine_id)
        ensure_buyable(wine, quantity)
        seen = wine.price_cents  # the price the shopper is shown as they choose: checkout never charges more
        if (
            not await self._set_quantity(user_id, wine_id, quantity, rec_id, seen)
            and not await self._push(
                user_id,
                CartItem(
                    wine_id=wine_id, quantity=quantity, added_at=self._clock(), rec_id=rec_id, seen_price_cents=seen
                ),
            )
            and not await self._set_quantity(user_id, wine_id, quantity, rec_id, seen)
        ):
            # neither there nor pushed, and still not there: the cart is full
            raise Conflict(f"a cart holds at most {MAX_LINES} different wines", code="cart_full")
        return await self.view(user_id)

    async def remove_item(self, user_id: str, wine_id: str) -> CartView:
        """Take a wine out of the cart; removing one that is not there changes nothing."""
        await self.remove_lines(user_id, [wine_id])
        return await self.view(user_id)

    async def remove_lines(self, user_id: str, wine_ids: list[str]) -> None:
        await Cart.get_pymongo_collection().update_one(
            {"user_id": user_id, "items.wine_id": {"$in": wine_ids}},
            {"$pull": {"items": {"wine_id": {"$in": wine_ids}}}, "$set": {"updated_at": self._clock()}},
        )

    async def list_abandoned(self, *, page: int, per_page: int) -> tuple[list[AbandonedCart], int]:
        """Carts with items and no change for the configured hours, most recently abandoned first."""
        now = self._clock()
        query = {"items.0": {"$exists": True}, "updated_at": {"$lt": now - self._abandoned_after}}
        total = await Cart.find(query).count()
        carts = (
            await Cart.find(query)
            .sort([("updated_at", DESC), ("_id", ASC)])
            .skip((page - 1) * per_page)
            .limit(per_page)
            .to_list()
        )
        rows = []
        for view in await self._views(carts):
            assert view.cart is not None
            email, consent = await self._contact(view.cart.user_id)
            idle = (now - view.cart.updated_at).total_seconds() / 3600
            rows.append(
                AbandonedCart(
                    view=view,
                    user_id=view.cart.user_id,
                    email=email,
                    marketing_consent=consent,
                    idle_hours=round(idle, 2),
                )
            )
        return rows, total

    async def _contact(self, user_id: str) -> tuple[str | None, bool]:
        """Email and marketing consent of a cart's owner (None when the account is gone)."""
        try:
            user = await self._accounts.get_user(user_id)
        except NotFound:
            return None, False
        return user.email, user.consent.marketing

    async def _views(self, carts: list[Cart]) -> list[CartView]:
        wines = await self._catalog.find_wines([i.wine_id for c in carts for i in c.items])
        return [CartView(cart=c, lines=[CartLine(item=i, wine=wines.get(i.wine_id)) for i in c.items]) for c in carts]

    async def _push(self, user_id: str, item: CartItem) -> bool:
        """Add a line if the wine is not in the cart and there is room, creating the cart if needed.

        False when the line was not added: a concurrent request added this wine first, or the cart is full
        (the filter then misses an existing cart, and the upsert's insert hits the unique user_id index)."""
        now = self._clock()
        room = {"items.wine_id": {"$ne": item.wine_id}, f"items.{MAX_LINES - 1}": {"$exists": False}}
        try:
            await Cart.get_pymongo_collection().update_one(
                {"user_id": user_id, **room},
                {
                    "$push": {"items": item.model_dump()},
                    "$set": {"updated_at": now},
                    "$setOnInsert": {"_id": new_id(), "created_at": now},
                },
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True

    async def _set_quantity(
        self, user_id: str, wine_id: str, quantity: int, rec_id: str | None, seen: int | None = None
    ) -> bool:
        changes: dict[str, object] = {
            "items.$.quantity": quantity,
            "updated_at": self._clock(),
            "items.$.seen_price_cents": seen,
        }
        if rec_id is not None:  # a later change without a rec_id keeps the attribution already there
            changes["items.$.rec_id"] = rec_id
        result = await Cart.get_pymongo_collection().update_one(
            {"user_id": user_id, "items.wine_id": wine_id}, {"$set": changes}
        )
        return result.matched_count > 0
