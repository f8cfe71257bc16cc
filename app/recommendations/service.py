"""The recommender's facade for the controller and other domains: lists served and logged, feedback, privacy.

What each list is lives in its surface module (`surfaces/`); here are the reads a request needs (the user, their
visit, live purchases on a shared MongoDB; the rest is the in-memory snapshot) and `_serve`, which re-reads the
picked wines, serves only those that still pass the hard filters and logs the list under its rec_id.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pymongo import UpdateOne

from app.accounts.service import AccountService
from app.catalog.service import CatalogService
from app.commerce.service import CommerceService
from app.errors import Invalid, NotFound
from app.recommendations import logs
from app.recommendations.analytics import SurfaceStats, recommendation_report
from app.recommendations.model import diversity
from app.recommendations.model.signals import INTERACTION_KINDS, Bought, UserSignals, Visit
from app.recommendations.refresh.trainer import Trainer, TrainReport
from app.recommendations.serving.segments import Segment
from app.recommendations.serving.snapshot import Snapshot
from app.recommendations.serving.tables import WineTable
from app.recommendations.surfaces import bought_together, for_you, popular, reorder, similar, tailored, trending
from app.recommendations.surfaces.boost import personal_boost
from app.recommendations.surfaces.candidates import Plan, shopper_filters
from app.recommendations.surfaces.explain import Reason, conflict_reasons
from app.recommendations.surfaces.filters import MAX_DISMISSED
from app.recommendations.surfaces.tailored import Brief, ForMe
from app.security import Principal
from documents import Order, OrderStatus, RecommendationAction, RecommendationLog, User, Wine
from documents.models import new_id
from search import Boost, SearchIndex, SearchQuery

log = logging.getLogger("cuvee.recommendations")
LIVE_FIELDS = dict.fromkeys(
    ("demo_fields", "stock", "listed", "price_cents", "currency", "dietary", "style", "grapes", "winery"), 1
)
MAX_VISIT_EVENTS = 50  # the newest interactions since the last training that are folded in
VisitEvents = Callable[..., Awaitable[list[tuple[str, str]]]]


@dataclass
class Served:
    """One wine of a list: catalog facts from the snapshot's table, live fields from `live` (just read)."""

    table: WineTable
    row: int
    live: dict[str, Any]  # stock, listing, price and the fields the hard filters check
    match: int
    reasons: list[Reason]
    conflicts: list[Reason] = field(default_factory=list)  # reorder: needs or dislikes stated since buying it

    @property
    def wine_id(self) -> str:
        return self.table.ids[self.row]


@dataclass
class RecList:
    rec_id: str
    surface: str
    model_version: str
    personalised: bool
    items: list[Served]
    note: str | None = None
    segment: int | None = None
    taste: dict[str, tuple[float, str]] = field(default_factory=dict)


class RecommendationService:
    def __init__(
        self,
        catalog: CatalogService,
        accounts: AccountService,
        commerce: CommerceService,
        index: SearchIndex,
        trainer: Trainer,
        clock: Callable[[], datetime],
        *,
        live_purchases: bool,
        visit_events: VisitEvents | None = None,
    ) -> None:
        self._catalog = catalog
        self._accounts = accounts
        self._commerce = commerce
        self._index = index
        self.trainer = trainer
        self._clock = clock
        self._live_purchases = live_purchases  # a shared MongoDB: other processes place orders too
        self._visit_events = visit_events  # ClickstreamService.visit: interactions since the last training

    # ------------------------------------------------------------ surfaces (surfaces/<name>.py)
    async def for_you(self, principal: Principal, surface: str, limit: int) -> RecList:
        """The hybrid list; without personalisation consent, the popular list (and it says so)."""
        user = await self._accounts.get_user(principal.user_id)
        snap = await self.trainer.current()
        visit = await self._visit_of(snap, user, None)
        signals = await self._signals(snap, user.id) if user.consent.personalisation else None
        return await self._serve(snap, for_you.plan(snap, user, visit, signals, surface, self._clock().month), limit)

    async def for_visitor(self, anonymous_id: str, surface: str, limit: int) -> RecList:
        """ "For you" for a visitor who is not signed in, from what this anonymous id did on this visit."""
        snap = await self.trainer.current()
        visit = await self._visit(snap, anonymous_id=anonymous_id)
        month = self._clock().month
        return await self._serve(snap, for_you.visitor_plan(snap, anonymous_id, visit, surface, month), limit)

    async def popular(self, principal: Principal | None, limit: int, anonymous_id: str | None = None) -> RecList:
        """Popular in season for anyone; a signed-in caller's dietary needs and dislikes still hold, and the
        visit's "not for me" (the caller's, or the anonymous id's) at once."""
        snap = await self.trainer.current()
        user = await self._find_user(principal)
        visit = await self._visit_of(snap, user, anonymous_id)
        plan = popular.plan(snap, user, self._clock().month, visit.dismissed, None if user else anonymous_id)
        return await self._serve(snap, plan, limit)

    async def similar(
        self, wine_id: str, principal: Principal | None, limit: int, anonymous_id: str | None = None
    ) -> RecList:
        """Neighbours of the wine in its own style, tilted towards the other wines of the caller's visit."""
        await self._catalog.get_wine(wine_id)  # 404 for an unknown wine
        snap = await self.trainer.current()
        user = await self._find_user(principal)
        visit = await self._visit_of(snap, user, anonymous_id)
        return await self._serve(snap, similar.plan(snap, wine_id, user, visit, anonymous_id), limit)

    async def bought_together(self, wine_id: str, principal: Principal | None, limit: int) -> RecList:
        """Co-purchases in the order of how often: a fact about orders, never re-ranked."""
        await self._catalog.get_wine(wine_id)  # 404 for an unknown wine
        snap = await self.trainer.current()
        user = await self._find_user(principal)
        visit = await self._visit_of(snap, user, None)
        return await self._serve(snap, bought_together.plan(snap, wine_id, user, visit), limit)

    async def trending(
        self, segment: int | None, principal: Principal | None, limit: int, anonymous_id: str | None = None
    ) -> RecList:
        """Time-decayed activity, in the whole shop or within one customer segment; the visit's "not for me"
        drops a wine at once, as on every list."""
        snap = await self.trainer.current()
        user = await self._find_user(principal)
        visit = await self._visit_of(snap, user, anonymous_id)
        plan = trending.plan(snap, segment, user, visit.dismissed, None if user else anonymous_id)
        return await self._serve(snap, plan, limit)

    async def reorder(self, principal: Principal, limit: int) -> RecList:
        """Wines bought at least twice, most due first, from the user's own interval between purchases."""
        user = await self._accounts.get_user(principal.user_id)
        snap = await self.trainer.current()
        signals = await self._signals(snap, user.id)
        return await self._serve(snap, reorder.plan(snap, user, signals, self._clock()), limit)

    async def for_me(self, principal: Principal, wine_id: str) -> ForMe:
        """The wine against the caller's palate, foods and stated needs (only the warnings without consent)."""
        wine = await self._catalog.get_wine(wine_id)
        user = await self._accounts.get_user(principal.user_id)
        snap = await self.trainer.current()
        bought = {w: pair for w, pair in (await self._bought(snap, user)).items() if w != wine_id}
        return tailored.for_me(wine, user, shopper_filters(snap, user), bought)

    async def for_me_cards(
        self, principal: Principal, wine_ids: Sequence[str]
    ) -> tuple[bool, list[tuple[Wine, Brief]]]:
        """The short form of `for_me` for the cards of a list or results page, in the order asked (each wine
        once): the same sources and consent rule (without consent, only the warnings)."""
        wanted = list(dict.fromkeys(wine_ids))
        wines = await self._catalog.find_wines(wanted)
        if (unknown := next((w for w in wanted if w not in wines or wines[w].missing), None)) is not None:
            raise NotFound("wine", unknown)  # as GET /v1/wines/{id}: a draft is no wine to a shopper
        user = await self._accounts.get_user(principal.user_id)
        snap = await self.trainer.current()
        bought = await self._bought(snap, user)
        cards = tailored.cards([wines[w] for w in wanted], user, shopper_filters(snap, user), bought)
        return user.consent.personalisation, cards

    async def my_segment(self, principal: Principal) -> tuple[Segment | None, datetime | None]:
        """The caller's segment at the last training (None until a training places them) and when that was."""
        snap = await self.trainer.current()
        segment_id = snap.segments.members.get(principal.user_id)
        found = next((s for s in snap.segments.segments if s.id == segment_id), None)
        return found, snap.trained_at

    async def segments(self) -> tuple[list[Segment], int, datetime | None]:
        snap = await self.trainer.current()
        return snap.segments.segments, len(snap.segments.members), snap.trained_at

    # ------------------------------------------------------------ serving and logging
    async def _serve(self, snap: Snapshot, plan: Plan, limit: int) -> RecList:
        """Take the plan's candidates best first, re-check each against its fresh document, log what is served.

        With a focus (every list but reorder and bought-together) the list is picked for variety from a pool
        of the best servable candidates (`diversity.diversify`); the best one always leads."""
        want = limit if plan.focus is None else diversity.pool_size(limit)
        picked: list[Served] = []
        skip, batch = 0, want + 3  # most candidates pass: the table is rarely stale
        while len(picked) < want:
            candidates = plan.rank(batch, skip)
            if not candidates:
                break
            live = await _live_fields([snap.table.ids[c.row] for c in candidates])
            for candidate in candidates:
                doc = live.get(snap.table.ids[candidate.row])
                if doc is not None and len(picked) < want and not plan.filters.violations(doc):
                    picked.append(
                        Served(snap.table, candidate.row, doc, round(candidate.score * 100), candidate.reasons)
                    )
            skip += len(candidates)
            batch *= 2
        if plan.focus is not None:
            rows = [s.row for s in picked]
            picked = [picked[n] for n in diversity.diversify(snap.attributes, rows, limit, plan.focus)]
        if plan.conflicts is not None:
            for item in picked:
                item.conflicts = conflict_reasons(plan.conflicts.conflicts(item.live))
        rec_id = new_id()
        # a plain insert (no document model round trip): this write is on every list's path
        await RecommendationLog.get_pymongo_collection().insert_one(
            {
                "_id": rec_id,
                "user_id": plan.user_id,
                "anonymous_id": plan.anonymous_id,
                "surface": plan.surface,
                "model_version": snap.version,
                "served_at": self._clock(),
                "actions": [],
                "items": [{"wine_id": s.wine_id, "position": n, "score": s.match / 100} for n, s in enumerate(picked)],
            }
        )
        return RecList(
            rec_id, plan.surface, snap.version, plan.personalised, picked, plan.note, plan.segment, plan.taste
        )

    async def _find_user(self, principal: Principal | None) -> User | None:
        if principal is None:
            return None
        try:
            return await self._accounts.get_user(principal.user_id)
        except NotFound:  # a token outliving its account: serve as anonymous
            return None

    async def _visit(self, snap: Snapshot, *, user_id: str | None = None, anonymous_id: str | None = None) -> Visit:
        """A member's interactions recorded since the snapshot read its history (the older ones are in it); a
        visitor's newest ones whenever recorded, since no training ever learns an anonymous id (one indexed read)."""
        if self._visit_events is None:
            return Visit()
        events = await self._visit_events(
            tuple(INTERACTION_KINDS),
            snap.history_until if user_id is not None else None,
            MAX_VISIT_EVENTS,
            user_id=user_id,
            anonymous_id=anonymous_id,
        )
        return Visit.of(events)

    async def _visit_of(self, snap: Snapshot, user: User | None, anonymous_id: str | None) -> Visit:
        """A signed-in caller's own visit (only its dismissals without personalisation consent); else the
        anonymous id's, whose holder it is (an id the shop did not issue is refused)."""
        if user is None:
            return await self._visit(snap, anonymous_id=anonymous_id) if anonymous_id else Visit()
        visit = await self._visit(snap, user_id=user.id)
        return visit if user.consent.personalisation else Visit(dismissed=visit.dismissed)

    async def _signals(self, snap: Snapshot, user_id: str) -> UserSignals:
        """The user's history: from the snapshot, with purchases read live where they may be stale."""
        known = snap.signals.get(user_id) if snap.signals_ready else None
        if known is not None and not self._live_purchases:
            return known
        if known is None and snap.signals_ready and not self._live_purchases:
            return snap.signals.setdefault(user_id, UserSignals())
        live = UserSignals(
            ratings=dict(known.ratings) if known else {},
            views=dict(known.views) if known else {},
            clicks=set(known.clicks) if known else set(),
            carts=set(known.carts) if known else set(),
            dismissed=set(known.dismissed) if known else set(),
        )
        live.any_bought = set(await self._commerce.orders.purchase_counts(user_id, include_gifts=True))
        live.own = {
            wine_id: Bought(
                times=c.times_bought, bottles=c.bottles, first_at=c.first_bought_at, last_at=c.last_bought_at
            )
            for wine_id, c in (await self._commerce.purchase_counts(user_id)).items()
        }
        return live

    async def _bought(self, snap: Snapshot, user: User) -> dict[str, tuple[Wine, int]]:
        """The shopper's own purchases, each wine with how often it was bought (none without consent)."""
        if not user.consent.personalisation:
            return {}
        own = (await self._signals(snap, user.id)).own
        found = await self._catalog.find_wines(list(own))
        return {w: (found[w], own[w].times) for w in found}

    # ------------------------------------------------------------ feedback and attribution
    async def dismiss(self, user_id: str, rec_id: str, wine_id: str) -> list[str]:
        """ "Not for me": the wine joins the user's dislikes (every list honours it) and the list's log.

        The dislike is one atomic change of the stored list (`AccountService.dislike_wine`), so two dismissals
        at the same moment are both kept."""
        entry = await RecommendationLog.get(rec_id)
        if entry is None or entry.user_id != user_id:
            raise NotFound("recommendation list", rec_id)
        if wine_id not in {item.wine_id for item in entry.items}:
            raise Invalid(
                f"wine {wine_id} was not in recommendation list {rec_id}",
                code="wine_not_in_list",
                errors=[{"field": "wine_id", "source": "body", "message": "not in this list"}],
            )
        preferences = await self._accounts.dislike_wine(user_id, wine_id, keep_last=MAX_DISMISSED)
        action = RecommendationAction(type="dismiss", wine_id=wine_id, at=self._clock(), ref=f"dismiss:{wine_id}")
        await RecommendationLog.get_pymongo_collection().update_one(
            {"_id": rec_id, "actions.ref": {"$ne": action.ref}}, {"$push": {"actions": action.model_dump()}}
        )
        return list(preferences.dislikes.wine_ids)

    async def order_placed(self, order: Order) -> None:
        """Checkout listener: the order counts as bought at once; lines with a rec_id join that list's log."""
        self.trainer.order_placed(order)
        # lists served to the buyer, or to an anonymous visitor (who may have signed in to check out)
        updates = [
            UpdateOne(
                {
                    "_id": item.rec_id,
                    "user_id": {"$in": [order.user_id, None]},
                    "actions.ref": {"$ne": f"order:{order.id}:{item.wine_id}"},
                },
                {
                    "$push": {
                        "actions": RecommendationAction(
                            type="purchase",
                            wine_id=item.wine_id,
                            at=order.placed_at,
                            ref=f"order:{order.id}:{item.wine_id}",
                        ).model_dump()
                    }
                },
            )
            for item in order.items
            if item.rec_id
        ]
        if updates:
            await RecommendationLog.get_pymongo_collection().bulk_write(updates, ordered=False)

    async def order_changed(self, order: Order) -> None:
        """Order status listener: a cancelled or refunded order no longer counts as bought."""
        snap = self.trainer.snapshot
        if snap is not None and order.status in (OrderStatus.cancelled, OrderStatus.refunded):
            signals = snap.signals.get(order.user_id)
            if signals is not None:
                signals.remove_order(order.id)

    # ------------------------------------------------------------ privacy requests (logs.py)
    async def export_user(self, user_id: str, anonymous_ids: list[str]) -> dict[str, Any]:
        return await logs.export_user(self.trainer.snapshot, user_id, anonymous_ids)

    async def forget_user(
        self, user_id: str, anonymous_ids: list[str], event_ids: set[str], *, behaviour_only: bool
    ) -> dict[str, int]:
        return await logs.forget_user(
            self.trainer.snapshot, user_id, anonymous_ids, event_ids, behaviour_only=behaviour_only
        )

    # ------------------------------------------------------------ search, analytics, retraining
    async def boost_for(self, principal: Principal, query: SearchQuery) -> Boost | None:
        """Personal ranking for vague searches only ("red under 30", browsing), never for a name."""
        user = await self._find_user(principal)
        if user is None or not user.consent.personalisation:
            return None
        snap = await self.trainer.current()
        return await personal_boost(self._index, query, user, snap)

    async def retrain(self) -> TrainReport:
        return await self.trainer.retrain()

    async def report(self, days: int) -> list[SurfaceStats]:
        return await recommendation_report(self._clock() - timedelta(days=days))


async def _live_fields(wine_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The candidates as they are now: one read by id of the few fields that change or that filters check.

    Read here rather than through CatalogService.find_wines: whole validated documents cost ~1 ms a wine on
    the in-process MongoDB, and everything else shown comes from the snapshot's table."""
    cursor = Wine.get_pymongo_collection().find({"_id": {"$in": wine_ids}}, LIVE_FIELDS)
    return {doc["_id"]: doc async for doc in cursor}
