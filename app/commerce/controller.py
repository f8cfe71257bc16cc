"""Commerce API for the signed-in customer: cart, checkout, orders, purchases and wishlist."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, post, put
from litestar.di import Provide
from litestar.openapi import ResponseSpec
from litestar.params import Parameter

from app.commerce.schemas import (
    CartItemInput,
    CartRead,
    CheckoutInput,
    OrderRead,
    PurchasedWineRead,
    WishlistEntryRead,
    WishlistStatusRead,
)
from app.commerce.service import CommerceService
from app.deps import provide_commerce, provide_principal
from app.errors import problems
from app.schemas import Page, PageNo, PerPage, WineRef
from app.security import USER, Principal

IdempotencyKey = Annotated[
    str | None,
    Parameter(
        header="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        required=False,
        description="One fresh key per checkout attempt (e.g. a UUID). Sending the same key again returns the "
        "order it created instead of buying twice; the same key with a different body is a 422.",
    ),
]

_DEPENDENCIES = {
    "commerce": Provide(provide_commerce, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
}


class CartController(Controller):
    """Your one open cart; prices and availability are always the catalog's current ones."""

    path = "/v1/me/cart"
    tags = ["commerce"]
    opt = USER
    dependencies = _DEPENDENCIES

    @get("/")
    async def get_cart(self, commerce: CommerceService, principal: Principal) -> CartRead:
        """Your cart with line and grand totals in the wines' currency."""
        return CartRead.of(await commerce.carts.view(principal.user_id))

    @put(
        "/items/{wine_id:str}",
        responses=problems("wine_not_found", "wine_unavailable", "insufficient_stock", "cart_full"),
    )
    async def set_item(
        self, commerce: CommerceService, principal: Principal, wine_id: str, data: CartItemInput
    ) -> CartRead:
        """Set how many bottles of a wine the cart holds (0 removes it). 404 for an unknown wine, 409 when
        it is no longer sold or fewer bottles are in stock."""
        return CartRead.of(await commerce.carts.set_item(principal.user_id, wine_id, data.quantity, data.rec_id))

    @delete("/items/{wine_id:str}", status_code=200)
    async def remove_item(self, commerce: CommerceService, principal: Principal, wine_id: str) -> CartRead:
        """Take a wine out of the cart (removing one that is not there is not an error)."""
        return CartRead.of(await commerce.carts.remove_item(principal.user_id, wine_id))


class OrderController(Controller):
    """Checkout and your orders."""

    path = "/v1/me"
    tags = ["commerce"]
    opt = USER
    dependencies = _DEPENDENCIES

    @post(
        "/checkout",
        responses={
            200: ResponseSpec(OrderRead, description="The order an earlier request with this Idempotency-Key placed"),
            **problems(
                "cart_empty",
                "wine_unavailable",
                "insufficient_stock",
                "mixed_currencies",
                "price_changed",
                "checkout_in_progress",
                "checkout_expired",
                "idempotency_key_reused",
            ),
        },
    )
    async def checkout(
        self,
        commerce: CommerceService,
        principal: Principal,
        idempotency_key: IdempotencyKey,
        data: CheckoutInput | None = None,
    ) -> Response[OrderRead]:
        """Buy what is in the cart: stock is reserved for every line or for none (409 naming the wine that
        is short), the order keeps each wine's name, effective price and the rule behind it as they are now, and
        the cart is emptied. A price higher than the one you were shown (`seen_prices`) is a 409 price_changed
        with both prices; a lower one is charged as it is.
        201 with the new order; 200 with the same order when an Idempotency-Key is repeated."""
        gift = data.gift_info() if data else None
        order, created = await commerce.checkouts.checkout(
            principal.user_id,
            gift=gift,
            idempotency_key=idempotency_key,
            seen_prices=data.seen_prices if data else None,
        )
        return Response(OrderRead.of(order), status_code=201 if created else 200)

    @get("/orders")
    async def list_orders(
        self, commerce: CommerceService, principal: Principal, page: PageNo = 1, per_page: PerPage = 20
    ) -> Page[OrderRead]:
        """Your orders, newest first."""
        orders, total = await commerce.orders.list_orders(principal.user_id, page=page, per_page=per_page)
        return Page(items=[OrderRead.of(o) for o in orders], page=page, per_page=per_page, total=total)

    @get("/orders/{order_id:str}", responses=problems("order_not_found"))
    async def get_order(self, commerce: CommerceService, principal: Principal, order_id: str) -> OrderRead:
        """One of your orders with its status history."""
        return OrderRead.of(await commerce.orders.get_order(order_id, principal.user_id))

    @post(
        "/orders/{order_id:str}/cancel",
        status_code=200,
        responses=problems("order_not_found", "order_not_cancellable", "order_changed"),
    )
    async def cancel_order(self, commerce: CommerceService, principal: Principal, order_id: str) -> OrderRead:
        """Cancel an order that is pending or paid; its bottles go back in stock. 409 once it has shipped."""
        return OrderRead.of(await commerce.orders.cancel(principal.user_id, order_id))

    @get("/purchases")
    async def list_purchases(
        self,
        commerce: CommerceService,
        principal: Principal,
        min_times: Annotated[int, Parameter(ge=1, le=1000)] = 1,
        page: PageNo = 1,
        per_page: PerPage = 20,
    ) -> Page[PurchasedWineRead]:
        """Wines you bought for yourself (gifts left out), most often and most recently bought first, with
        how many times: the basis of "buy again". `min_times=2` lists only repeat purchases."""
        counts, total = await commerce.orders.list_purchases(
            principal.user_id, min_times=min_times, page=page, per_page=per_page
        )
        return Page(items=[PurchasedWineRead.of(c) for c in counts], page=page, per_page=per_page, total=total)


class WishlistController(Controller):
    """Wines you want to remember, with a note when they come back in stock or get cheaper."""

    path = "/v1/me/wishlist"
    tags = ["commerce"]
    opt = USER
    dependencies = _DEPENDENCIES

    @get("/")
    async def list_wishlist(
        self, commerce: CommerceService, principal: Principal, page: PageNo = 1, per_page: PerPage = 20
    ) -> Page[WishlistEntryRead]:
        """Your wishlist, most recently added first."""
        lines, total = await commerce.wishlists.list_entries(principal.user_id, page=page, per_page=per_page)
        return Page(items=[WishlistEntryRead.of(x) for x in lines], page=page, per_page=per_page, total=total)

    @get("/{wine_id:str}", operation_id="getWishlistEntry", responses=problems("wine_not_found"))
    async def get_entry(self, commerce: CommerceService, principal: Principal, wine_id: str) -> WishlistStatusRead:
        """Whether this wine is on your wishlist: its entry, or `entry: null` when it is not. 404 only for a
        wine that does not exist."""
        wine, line = await commerce.wishlists.find_entry(principal.user_id, wine_id)
        return WishlistStatusRead(
            wine=WineRef(id=wine.id, name=wine.name), entry=None if line is None else WishlistEntryRead.of(line)
        )

    @put(
        "/{wine_id:str}",
        operation_id="addToWishlist",
        status_code=201,
        responses={
            200: ResponseSpec(WishlistEntryRead, description="The wine was on the wishlist already"),
            **problems("wine_not_found", "wine_unavailable"),
        },
    )
    async def add_entry(
        self, commerce: CommerceService, principal: Principal, wine_id: str
    ) -> Response[WishlistEntryRead]:
        """Add a wine: 201 the first time, 200 after that (nothing changes, the price first seen is kept)."""
        line, created = await commerce.wishlists.add(principal.user_id, wine_id)
        return Response(WishlistEntryRead.of(line), status_code=201 if created else 200)

    @delete("/{wine_id:str}", operation_id="removeFromWishlist")
    async def remove_entry(self, commerce: CommerceService, principal: Principal, wine_id: str) -> None:
        """Remove a wine from your wishlist (204 whether or not it was there)."""
        await commerce.wishlists.remove(principal.user_id, wine_id)
