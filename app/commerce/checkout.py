"""Checkout: claim the idempotency key, reserve stock line by line (never below zero), place the order.

MongoDB here has no multi-document transactions (DESIGN §3), so correctness rests on three atomic steps:
1. the order is inserted first in the `reserving` state; the unique (user_id, idempotency_key) index makes
   it the claim, so two requests with one key can never both reserve;
2. each line is reserved with a conditional `$inc` that only matches while enough stock is left, and the
   lines already reserved are given back if a later one fails;
3. the order moves from `reserving` to `pending` with a conditional update.

Each reservation also leaves a hold (order id, bottles) on the wine, in the same update as the decrement;
placing the order drops the holds. A checkout that dies half-way (a crash, a kill) leaves its claim and
holds behind: `release_stale` gives back exactly the bottles held by claims older than `stale_after` and
drops the claims, so the stock comes back and the idempotency key works again. The stock and hold updates
are the catalog's (it owns `wines`): app/catalog/inventory.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from datetime import timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.catalog.service import CatalogService
from app.commerce.cart import CartService
from app.commerce.views import CartView, Clock
from app.errors import AppError, Conflict, Invalid
from app.events import OrderPlaced, Publisher, WinesChanged
from app.schemas import Money
from documents import GiftInfo, Order, OrderItem, OrderStatus, new_id

log = logging.getLogger("cuvee.commerce")


def request_fingerprint(gift: GiftInfo | None) -> str:
    """A stable hash of what the checkout asked for: a retried key must carry the same request."""
    body = {"v": 1, "gift": gift.model_dump(mode="json") if gift else None}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def order_items(view: CartView) -> tuple[list[OrderItem], str]:
    """Snapshot the cart into order lines, refusing lines that cannot be bought; sorted by wine id so
    concurrent checkouts reserve shared wines in the same order (no two buyers each holding half)."""
    if not view.lines:
        raise Conflict("your cart is empty: add a wine before checking out", code="cart_empty")
    items = []
    for line in sorted(view.lines, key=lambda ln: ln.item.wine_id):
        if line.wine is None or not line.available:
            name = f"«{line.wine.name}»" if line.wine is not None else f"wine {line.item.wine_id}"
            raise Conflict(
                f"{name} is no longer sold; remove it from your cart",
                code="wine_unavailable",
                errors=[_line_error(line.item.wine_id, "no longer sold")],
            )
        items.append(
            OrderItem(
                wine_id=line.wine.id,
                name=line.wine.name,
                unit_price_cents=line.unit_price_cents,
                quantity=line.item.quantity,
                rec_id=line.item.rec_id,
                list_price_cents=line.wine.list_price_cents,
                price_rule=line.wine.price_rule,
            )
        )
    currencies = {line.wine.currency for line in view.lines if line.wine is not None}
    if len(currencies) > 1:
        raise Conflict("the cart mixes currencies; check out each currency separately", code="mixed_currencies")
    return items, currencies.pop()


def _line_error(wine_id: str, message: str) -> dict[str, str]:
    return {"field": f"items.{wine_id}", "source": "cart", "message": message}


def check_seen_prices(view: CartView, items: list[OrderItem], seen: dict[str, int] | None) -> None:
    """Refuse to charge more than the shopper was shown: `seen` is what the client displayed (wine id ->
    unit price in cents), else the price each line had when it was put in the cart. A lower price is fine."""
    remembered = {line.item.wine_id: line.item.seen_price_cents for line in view.lines}
    dearer = []
    for item in items:
        shown = (seen or {}).get(item.wine_id, remembered.get(item.wine_id))
        if shown is not None and item.unit_price_cents > shown:
            was, now = Money.of(shown, view.currency), Money.of(item.unit_price_cents, view.currency)
            dearer.append(
                {
                    **_line_error(item.wine_id, f"price changed from {was.amount} to {now.amount} {now.currency}"),
                    "seen_price": was.model_dump(mode="json"),
                    "price": now.model_dump(mode="json"),
                }
            )
    if dearer:
        names = ", ".join(f"«{i.name}»" for i in items if any(e["field"] == f"items.{i.wine_id}" for e in dearer))
        raise Conflict(
            f"the price of {names} went up since your cart was shown; nothing was charged: review "
            "the cart and check out again",
            code="price_changed",
            errors=dearer,
        )


class _PriceMoved(Exception):
    """A line's price changed between reading the cart and reserving it: work the checkout out again."""


class CheckoutService:
    def __init__(
        self,
        carts: CartService,
        catalog: CatalogService,
        clock: Clock,
        events: Publisher,
        *,
        claim_wait_s: float = 2.0,
        stale_after: timedelta = timedelta(minutes=5),
    ) -> None:
        self._carts = carts
        self._catalog = catalog
        self._inventory = catalog.inventory
        self._clock = clock
        self._events = events  # OrderPlaced, WinesChanged (sold out, back in stock): app/container.py reacts
        self._claim_wait_s = claim_wait_s
        self.stale_after = stale_after  # far above any live checkout (they take milliseconds)
        self._sweeper: asyncio.Task[None] | None = None

    async def checkout(
        self,
        user_id: str,
        *,
        gift: GiftInfo | None,
        idempotency_key: str | None,
        seen_prices: dict[str, int] | None = None,
    ) -> tuple[Order, bool]:
        """Turn the cart into an order at the effective prices of this moment; returns (order, created). A
        repeated key returns the first order. A price above the one the shopper saw is a 409 price_changed."""
        attempts = 0
        fingerprint = request_fingerprint(gift)
        key = idempotency_key or new_id()  # without a key every call is a new checkout
        deadline = time.monotonic() + self._claim_wait_s
        while True:
            existing = await Order.find_one({"user_id": user_id, "idempotency_key": key})
            if existing is not None:
                if existing.request_hash != fingerprint:
                    raise Invalid(
                        "this Idempotency-Key was already used for a different checkout request; "
                        "use a new key for a new request",
                        code="idempotency_key_reused",
                    )
                if existing.status != OrderStatus.reserving:
                    return existing, False
                if existing.placed_at < self._clock() - self.stale_after:
                    await self._release(existing)  # its checkout died: give back, then run this one
                    continue
                await self._wait_for_claim(deadline)  # the same request is still in flight
                continue
            try:
                view = await self._carts.view(user_id)
                items, currency = order_items(view)
                check_seen_prices(view, items, seen_prices)
            except AppError:
                # the cart may be empty because a request with this key has just completed: replay it
                if await Order.find_one({"user_id": user_id, "idempotency_key": key}) is not None:
                    continue
                raise
            claim = self._claim(user_id, key, fingerprint, gift, items, currency)
            try:
                await claim.insert()
            except DuplicateKeyError:
                continue  # a request with the same key claimed it first
            try:
                return await self._place(claim), True
            except _PriceMoved:
                attempts += 1  # the claim is released: read the new prices and check them against the seen ones
                if attempts >= 3:
                    raise Conflict(
                        "prices are changing right now; please check out again in a moment", code="price_changed"
                    ) from None

    def _claim(
        self, user_id: str, key: str, fingerprint: str, gift: GiftInfo | None, items: list[OrderItem], currency: str
    ) -> Order:
        now = self._clock()
        return Order(
            user_id=user_id,
            status=OrderStatus.reserving,
            items=items,
            total_cents=sum(i.unit_price_cents * i.quantity for i in items),
            currency=currency,
            gift=gift,
            placed_at=now,
            created_at=now,
            updated_at=now,
            idempotency_key=key,
            request_hash=fingerprint,
        )

    async def _wait_for_claim(self, deadline: float) -> None:
        if time.monotonic() >= deadline:
            raise Conflict(
                "a checkout with this Idempotency-Key is still in progress; retry in a moment",
                code="checkout_in_progress",
                headers={"Retry-After": "1"},
            )
        await asyncio.sleep(0.02)

    async def _place(self, claim: Order) -> Order:
        sold_out = await self._reserve(claim)
        now = self._clock()
        raw = await Order.get_pymongo_collection().find_one_and_update(
            {"_id": claim.id, "status": OrderStatus.reserving.value},
            {
                "$set": {"status": OrderStatus.pending.value, "placed_at": now, "updated_at": now},
                "$push": {"history": {"status": OrderStatus.pending.value, "at": now}},
            },
            return_document=ReturnDocument.AFTER,
        )
        if raw is None:  # released as stale meanwhile (this request stalled for minutes): undo, say so
            await self._release(claim)
            raise Conflict(
                "this checkout took too long and was cancelled; nothing was charged or reserved, "
                "please check out again",
                code="checkout_expired",
            )
        order: Order = Order.model_validate(raw)  # Beanie types model_validate as Any
        await self._inventory.drop_holds(order.id, [i.wine_id for i in order.items])
        await self._carts.remove_lines(claim.user_id, [i.wine_id for i in order.items])
        if sold_out:
            await self._events.publish(WinesChanged(sold_out))
        await self._events.publish(OrderPlaced(order))
        return order

    async def _reserve(self, claim: Order) -> list[str]:
        """Reserve every line or none: on any failure give back what was taken and release the claim.

        Returns the wines this checkout sold out (search shows in-stock, not counts: only they change)."""
        sold_out = []
        try:
            for item in claim.items:
                # only at the price the order snapshotted: a price changed meanwhile is never charged unseen
                left = await self._inventory.reserve(
                    claim.id, item.wine_id, item.quantity, item.unit_price_cents, self._clock()
                )
                if left is None:
                    raise await self._shortage(item)
                if left == 0:
                    sold_out.append(item.wine_id)
        except BaseException:
            await self._release(claim)
            raise
        return sold_out

    async def _release(self, claim: Order) -> None:
        """Give back the bottles `claim` holds (each line's give-back is one atomic update, done at most
        once), then drop the claim. Safe to repeat, and to race with another release of the same claim."""
        back = [i.wine_id for i in claim.items if await self._inventory.give_back(claim.id, i.wine_id, i.quantity)]
        await Order.get_pymongo_collection().delete_one({"_id": claim.id, "status": OrderStatus.reserving.value})
        if back:
            await self._events.publish(WinesChanged(back))

    async def release_stale(self) -> int:
        """Repair what dead checkouts left: claims older than `stale_after` give back their bottles and go;
        holds of orders that were placed (the process died before dropping them) are dropped. Returns how
        many claims were released."""
        cutoff = self._clock() - self.stale_after
        claims = await Order.find({"status": OrderStatus.reserving.value, "placed_at": {"$lt": cutoff}}).to_list()
        for claim in claims:
            log.warning(
                "checkout claim %s of user %s died mid-checkout: giving back its stock", claim.id, claim.user_id
            )
            await self._release(claim)
        async for hold in self._inventory.holds_older_than(cutoff):
            order = await Order.get(hold.order_id)
            if order is not None and order.status != OrderStatus.reserving:
                await self._inventory.drop_holds(order.id, [i.wine_id for i in order.items])
            elif order is None and await self._inventory.give_back(hold.order_id, hold.wine_id, hold.quantity):
                # its claim went without it (a release raced a late reservation)
                await self._events.publish(WinesChanged([hold.wine_id]))
        return len(claims)

    def start_sweeper(self, every_s: float = 60.0) -> None:
        """Run release_stale every `every_s` seconds in this process (each API process may: it is idempotent)."""
        if self._sweeper is None and every_s > 0:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep(every_s), name="checkout-sweeper")

    async def stop_sweeper(self) -> None:
        task, self._sweeper = self._sweeper, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _sweep(self, every_s: float) -> None:
        while True:
            try:
                await self.release_stale()
            except asyncio.CancelledError:
                raise
            except Exception:  # MongoDB away: the next round tries again
                log.exception("could not release stale checkout claims; retrying in %.0f s", every_s)
            await asyncio.sleep(every_s)

    async def _shortage(self, item: OrderItem) -> Exception:
        wine = (await self._catalog.find_wines([item.wine_id])).get(item.wine_id)
        if (
            wine is not None
            and wine.listed
            and wine.stock >= item.quantity
            and wine.price_cents != item.unit_price_cents
        ):
            return _PriceMoved()
        if wine is None or not wine.listed:
            message = "no longer sold"
            detail = f"«{item.name}» is no longer sold; remove it from your cart"
        else:
            message = f"{wine.stock} left" if wine.stock else "out of stock"
            detail = (
                f"not enough stock of «{item.name}»: {message}, your cart asks for {item.quantity}; "
                "nothing was charged or reserved"
            )
        return Conflict(detail, code="insufficient_stock", errors=[_line_error(item.wine_id, message)])
