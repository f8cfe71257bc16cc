"""What each user did, as the model's input: signal strengths on the 1..5 rating scale, and purchases.

A rating is its stars. Other behaviour is mapped onto the same scale by how much it says about liking a
wine: a view says little, a purchase a lot, buying again most. Dismissed wines are never an input (they
are a hard filter). Gift orders count as "already bought" but never as the buyer's own taste.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

VIEW = 2.5
VIEWED_OFTEN = 3.5  # three or more views
CLICK = 3.5  # clicked a recommendation
CART = 4.0
PURCHASE = 4.5
REPURCHASE = 5.0
VIEWS_FOR_OFTEN = 3


@dataclass
class Bought:
    """The user's own (non-gift) purchases of one wine: the basis of reorders."""

    times: int = 0
    bottles: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    orders: set[str] = field(default_factory=set)

    def add(self, order_id: str, quantity: int, at: datetime) -> None:
        if order_id in self.orders:  # the same order told twice (hook and retrain) counts once
            return
        self.orders.add(order_id)
        self.times += 1
        self.bottles += quantity
        self.first_at = at if self.first_at is None or at < self.first_at else self.first_at
        self.last_at = at if self.last_at is None or at > self.last_at else self.last_at


@dataclass
class UserSignals:
    ratings: dict[str, float] = field(default_factory=dict)
    views: dict[str, int] = field(default_factory=dict)
    clicks: set[str] = field(default_factory=set)
    carts: set[str] = field(default_factory=set)
    own: dict[str, Bought] = field(default_factory=dict)  # non-gift purchases
    any_bought: set[str] = field(default_factory=set)  # gifts included: never offered again as "for you"
    dismissed: set[str] = field(default_factory=set)  # "not for me" sent as a beacon event

    def add_purchase(self, order_id: str, wine_id: str, quantity: int, at: datetime, gift: bool) -> None:
        self.any_bought.add(wine_id)
        if not gift:
            self.own.setdefault(wine_id, Bought()).add(order_id, quantity, at)

    def remove_order(self, order_id: str) -> None:
        """A cancelled or refunded order: its wines stop counting as bought (if no other order has them)."""
        for wine_id, bought in list(self.own.items()):
            if order_id in bought.orders:
                bought.orders.discard(order_id)
                bought.times -= 1
                if bought.times <= 0:
                    del self.own[wine_id]
                    self.any_bought.discard(wine_id)

    def strengths(self) -> dict[str, float]:
        """The model's history: per wine the strongest signal (a rating always speaks for itself)."""
        out: dict[str, float] = {}
        for wine_id, n in self.views.items():
            out[wine_id] = VIEWED_OFTEN if n >= VIEWS_FOR_OFTEN else VIEW
        for wine_id in self.clicks:
            out[wine_id] = max(out.get(wine_id, 0.0), CLICK)
        for wine_id in self.carts:
            out[wine_id] = max(out.get(wine_id, 0.0), CART)
        for wine_id, bought in self.own.items():
            out[wine_id] = max(out.get(wine_id, 0.0), REPURCHASE if bought.times > 1 else PURCHASE)
        for wine_id in self.dismissed:  # a look that ended in "not for me" is no sign of liking
            out.pop(wine_id, None)
        out.update(self.ratings)
        return out

    def taste_evidence(self) -> dict[str, float]:
        """Weights for learning the taste profile: liked ratings and own purchases only (never gifts)."""
        weights: dict[str, float] = {}
        for wine_id, bought in self.own.items():
            weights[wine_id] = 1.5 * bought.times
        for wine_id, stars in self.ratings.items():
            weights[wine_id] = max(stars - 2.5, 0.0) + (weights.get(wine_id, 0.0) if stars >= 3 else 0.0)
        return {wine_id: w for wine_id, w in weights.items() if w > 0}

    @property
    def empty(self) -> bool:
        return not (self.ratings or self.views or self.clicks or self.carts or self.own or self.any_bought)

    def as_json(self) -> dict[str, Any]:
        """Everything held here, JSON-ready (the privacy export's `signals`)."""
        return {
            "ratings": self.ratings,
            "views": self.views,
            "clicks": sorted(self.clicks),
            "carts": sorted(self.carts),
            "bought": sorted(self.any_bought),
            "dismissed": sorted(self.dismissed),
            "own_purchases": {wine_id: {"times": b.times, "bottles": b.bottles} for wine_id, b in self.own.items()},
        }

    def with_visit(self, visit: Visit) -> UserSignals:
        """A copy with the visit's events added the way the next training will add them (so the fold-in
        scores what a retrain would, with the serving model's weights); the snapshot's own stays as it is."""
        views = dict(self.views)
        for wine_id, n in visit.views.items():
            views[wine_id] = views.get(wine_id, 0) + n
        return UserSignals(
            ratings=dict(self.ratings),
            views=views,
            clicks=self.clicks | visit.clicks,
            carts=self.carts | visit.carts,
            own=self.own,
            any_bought=self.any_bought,
            dismissed=self.dismissed | visit.dismissed,
        )


# interaction type -> what it is to the recommender (training and the within-visit fold-in alike)
INTERACTION_KINDS = {
    "wine_viewed": "view",
    "recommendation_clicked": "click",
    "cart_item_added": "cart",
    "recommendation_dismissed": "dismiss",
}


@dataclass
class Visit:
    """What a shopper (or an anonymous visitor) did since the serving snapshot read its history: the part
    a retrain has not learned yet, folded in at request time."""

    views: dict[str, int] = field(default_factory=dict)
    clicks: set[str] = field(default_factory=set)
    carts: set[str] = field(default_factory=set)
    dismissed: set[str] = field(default_factory=set)
    looked_at: list[str] = field(default_factory=list)  # viewed, clicked or carted, newest first, not dismissed

    @classmethod
    def of(cls, events: Iterable[tuple[str, str]]) -> Visit:
        """From (interaction type, wine id) pairs, newest first; other types are ignored."""
        visit = cls()
        seen: dict[str, None] = {}
        for type_, wine_id in events:
            kind = INTERACTION_KINDS.get(type_)
            if kind == "view":
                visit.views[wine_id] = visit.views.get(wine_id, 0) + 1
            elif kind == "click":
                visit.clicks.add(wine_id)
            elif kind == "cart":
                visit.carts.add(wine_id)
            elif kind == "dismiss":
                visit.dismissed.add(wine_id)
            if kind in ("view", "click", "cart"):
                seen.setdefault(wine_id)
        visit.looked_at = [wine_id for wine_id in seen if wine_id not in visit.dismissed]
        return visit

    @property
    def empty(self) -> bool:
        return not (self.looked_at or self.dismissed)
