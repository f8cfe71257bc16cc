"""Recommendation rules: every surface's list, hard filters, attribution, "not for me", search boosts.

Each request reads the user document (preferences, taste, consent) and, on a shared MongoDB, the user's
purchases; everything else comes from the in-memory snapshot. The wines picked are read fresh and checked
against the hard filters once more before they are served, and every list is logged under its rec_id.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from beanie.odm.enums import SortDirection
from pymongo import UpdateOne

from app.accounts.service import AccountService
from app.catalog.service import CatalogService
from app.commerce.service import CommerceService
from app.errors import Invalid, NotFound
from app.recommendations import diversity, ranking, tailored
from app.recommendations.analytics import SurfaceStats, recommendation_report
from app.recommendations.boost import personal_boost
from app.recommendations.content import TasteIntent
from app.recommendations.diversity import Focus
from app.recommendations.explain import Reason, conflict_reasons, reorder_reasons
from app.recommendations.filters import MAX_DISMISSED, HardFilters
from app.recommendations.ranking import Candidate
from app.recommendations.segments import Segment
from app.recommendations.signals import INTERACTION_KINDS, Bought, UserSignals, Visit
from app.recommendations.snapshot import Snapshot
from app.recommendations.tables import WineTable
from app.recommendations.tailored import BasedOn, Tailored
from app.recommendations.trainer import Trainer, TrainReport
from app.security import Principal
from documents import Order, OrderStatus, Preferences, RecommendationAction, RecommendationLog, User, Wine
from documents.models import TASTE_AXES, new_id
from search import Boost, SearchIndex, SearchQuery

log = logging.getLogger("cuvee.recommendations")
LIVE_FIELDS = {
    "demo_fields": 1,
    "stock": 1,
    "listed": 1,
    "price_cents": 1,
    "currency": 1,
    "dietary": 1,
    "style": 1,
    "grapes": 1,
    "winery": 1,
}
NO_CONSENT = "not personalised: you have not allowed personalisation; these are popular wines"
ANONYMOUS = "not personalised: popular in season; sign in for recommendations for you"
FROM_VISIT = "from what you looked at on this visit; sign in for recommendations that remember you"
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
class ForMe:
    wine: Wine
    personalised: bool
    tailored: Tailored
    based_on: BasedOn


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

    # ------------------------------------------------------------ surfaces
    async def for_you(self, principal: Principal, surface: str, limit: int) -> RecList:
        """The hybrid list; without personalisation consent, the popular list (and it says so)."""
        user = await self._accounts.get_user(principal.user_id)
        snap = await self.trainer.current()
        visit = await self._visit_of(snap, user, None)
        if not user.consent.personalisation:
            filters = _filters(snap, user, visit.dismissed)
            month = self._clock().month
            return await self._serve(
                snap,
                surface,
                user.id,
                filters,
                limit,
                NO_CONSENT,
                False,
                lambda n, skip: ranking.popular(snap, filters, month, n, skip),
                Focus(),
            )
        # the visit's wines are left out: they are in "recently viewed" and the cart already
        signals = (await self._signals(snap, user.id)).with_visit(visit)
        exclude = signals.any_bought | set(signals.ratings) | signals.dismissed | set(visit.looked_at)
        filters = _filters(snap, user, exclude)
        intent = TasteIntent.of(user.taste_profile, user.preferences)
        history = signals.strengths()
        looked = _rows(snap, visit.looked_at)
        served = await self._serve(
            snap,
            surface,
            user.id,
            filters,
            limit,
            None,
            True,
            lambda n, skip: ranking.for_you(snap, history, intent, filters, n, skip, looked),
            _focus(snap, user, history),
        )
        served.taste = intent.axes
        return served

    async def for_visitor(self, anonymous_id: str, surface: str, limit: int) -> RecList:
        """ "For you" for a visitor who is not signed in, from what this anonymous id did on this visit
        (views, clicks, cart adds, dismissals); the popular list until it did something."""
        snap = await self.trainer.current()
        visit = await self._visit(snap, anonymous_id=anonymous_id)
        filters = HardFilters.of(None, visit.dismissed | set(visit.looked_at))
        if not visit.looked_at:
            month = self._clock().month
            return await self._serve(
                snap,
                surface,
                None,
                filters,
                limit,
                ANONYMOUS,
                False,
                lambda n, skip: ranking.popular(snap, filters, month, n, skip),
                anonymous_id=anonymous_id,
            )
        history = UserSignals().with_visit(visit).strengths()
        intent, looked = TasteIntent(), _rows(snap, visit.looked_at)
        return await self._serve(
            snap,
            surface,
            None,
            filters,
            limit,
            FROM_VISIT,
            True,
            lambda n, skip: ranking.for_you(snap, history, intent, filters, n, skip, looked),
            anonymous_id=anonymous_id,
        )

    async def popular(self, principal: Principal | None, limit: int) -> RecList:
        """Popular in season for anyone; a signed-in caller's dietary needs and dislikes still hold."""
        snap = await self.trainer.current()
        user = await self._find_user(principal)
        filters = _filters(snap, user)
        month = self._clock().month
        return await self._serve(
            snap,
            "popular",
            user.id if user else None,
            filters,
            limit,
            ANONYMOUS,
            False,
            lambda n, skip: ranking.popular(snap, filters, month, n, skip),
            _focus(snap, user),
        )

    async def similar(
        self, wine_id: str, principal: Principal | None, limit: int, anonymous_id: str | None = None
    ) -> RecList:
        """Neighbours of the wine, varied in winery, grapes and region but in the wine's own style, tilted
        towards the other wines of the caller's visit."""
        return await self._around(wine_id, principal, limit, "similar", ranking.similar, anonymous_id, diverse=True)

    async def bought_together(self, wine_id: str, principal: Principal | None, limit: int) -> RecList:
        """Co-purchases in the order of how often: a fact about orders, never re-ranked."""
        return await self._around(
            wine_id,
            principal,
            limit,
            "bought_together",
            lambda snap, seed, filters, n, _looked: ranking.bought_together(snap, seed, filters, n),
            None,
        )

    async def _around(
        self,
        wine_id: str,
        principal: Principal | None,
        limit: int,
        surface: str,
        rank: Callable[[Snapshot, int, HardFilters, int, list[int]], list[Candidate]],
        anonymous_id: str | None,
        *,
        diverse: bool = False,
    ) -> RecList:
        await self._catalog.get_wine(wine_id)  # 404 for an unknown wine
        snap = await self.trainer.current()
        user = await self._find_user(principal)
        visit = await self._visit_of(snap, user, anonymous_id)
        filters = _filters(snap, user, {wine_id} | visit.dismissed)
        seed, looked = snap.table.index.get(wine_id), _rows(snap, visit.looked_at)
        focus = None
        if diverse:
            style = int(snap.attributes.style[seed]) if seed is not None else -1
            focus = Focus(style=style if style >= 0 else None, winery=_focus(snap, user).winery)
        return await self._serve(
            snap,
            surface,
            user.id if user else None,
            filters,
            limit,
            None,
            False,
            lambda n, skip: rank(snap, seed, filters, n + skip, looked)[skip:] if seed is not None else [],
            focus,
            anonymous_id=None if user else anonymous_id,
        )

    async def for_me(self, principal: Principal, wine_id: str) -> ForMe:
        """The wine against the caller's palate, foods and stated needs. Without personalisation consent only
        the warnings (stated needs and dislikes hold without it, as on every list); no palate, no foods."""
        wine = await self._catalog.get_wine(wine_id)
        user = await self._accounts.get_user(principal.user_id)
        snap = await self.trainer.current()
        filters = _filters(snap, user)
        prefs = user.preferences
        dietary, dislikes = [str(d) for d in prefs.dietary], _dislike_kinds(prefs)
        if not user.consent.personalisation:
            return ForMe(
                wine,
                False,
                Tailored(warnings=tailored.warnings(wine, filters)),
                BasedOn(dietary=dietary, dislikes=dislikes),
            )
        profile = {axis: value for axis, (value, _) in TasteIntent.of(user.taste_profile, None).axes.items()}
        own = (await self._signals(snap, user.id)).own
        bought = await self._catalog.find_wines([w for w in own if w != wine_id])
        weights = {w: own[w].times for w in bought}
        purchased = {
            axis: sum(getattr(bought[w].taste, axis) * n for w, n in weights.items()) / sum(weights.values())
            for axis in TASTE_AXES
            if weights
        }
        result = tailored.tailor(wine, profile=profile, purchased=purchased, foods=prefs.foods, filters=filters)
        based_on = BasedOn(list(profile), len(bought), list(prefs.foods), dietary, dislikes)
        return ForMe(wine, True, result, based_on)

    async def trending(self, segment: int | None, principal: Principal | None, limit: int) -> RecList:
        """Time-decayed activity, in the whole shop or within one customer segment."""
        snap = await self.trainer.current()
        if segment is not None and segment not in {s.id for s in snap.segments.segments}:
            raise NotFound("segment", str(segment))
        user = await self._find_user(principal)
        filters = _filters(snap, user)
        # "customers like you" only for a signed-in member of that segment; anyone else hears its name
        yours = user is not None and segment is not None and snap.segments.members.get(user.id) == segment
        served = await self._serve(
            snap,
            "trending",
            user.id if user else None,
            filters,
            limit,
            None,
            False,
            lambda n, skip: ranking.trending(snap, segment, filters, n, skip, yours=yours),
            _focus(snap, user),
        )
        served.segment = segment
        return served

    async def my_segment(self, principal: Principal) -> tuple[Segment | None, datetime | None]:
        """The caller's segment at the last training (None until a training places them) and when that was."""
        snap = await self.trainer.current()
        segment_id = snap.segments.members.get(principal.user_id)
        found = next((s for s in snap.segments.segments if s.id == segment_id), None)
        return found, snap.trained_at

    async def reorder(self, principal: Principal, limit: int) -> RecList:
        """Wines bought at least twice, most due first, from the user's own interval between purchases.

        The user's own repeat buys stay even where they now cross a need or dislike stated since (each is
        marked in `conflicts`); only what cannot be bought or was dismissed as "not for me" is left out."""
        user = await self._accounts.get_user(principal.user_id)
        snap = await self.trainer.current()
        signals = await self._signals(snap, user.id)
        needs = _filters(snap, user)
        filters = HardFilters(wine_ids=needs.wine_ids, exclude_ids=needs.exclude_ids)
        now = self._clock()
        due = []
        for wine_id, bought in signals.own.items():
            row = snap.table.index.get(wine_id)
            if bought.times < 2 or row is None or bought.first_at is None or bought.last_at is None:
                continue
            interval = max((bought.last_at - bought.first_at) / (bought.times - 1), timedelta(days=1))
            overdue = (now - bought.last_at) / interval
            score = min(1.0, overdue) * 0.9 + 0.1 * min(1.0, bought.times / 10)
            due.append((overdue, Candidate(row, score, reorder_reasons(bought.times, interval, bought.last_at, now))))
        due.sort(key=lambda pair: -pair[0])
        ranked = [candidate for _, candidate in due]
        served = await self._serve(
            snap, "reorder", user.id, filters, limit, None, True, lambda n, skip: ranked[skip : skip + n]
        )
        for item in served.items:
            item.conflicts = conflict_reasons(needs.conflicts(item.live))
        return served

    # ------------------------------------------------------------ serving and logging
    async def _serve(
        self,
        snap: Snapshot,
        surface: str,
        user_id: str | None,
        filters: HardFilters,
        limit: int,
        note: str | None,
        personalised: bool,
        rank: Callable[[int, int], list[Candidate]],
        focus: Focus | None = None,
        *,
        anonymous_id: str | None = None,
    ) -> RecList:
        """Take candidates best first, re-check each against its fresh document, log what is served.

        With a `focus` (every list but reorder and bought-together) the list is picked for variety from a
        pool of the best servable candidates (`diversity.diversify`); the best one always leads."""
        want = limit if focus is None else diversity.pool_size(limit)
        picked: list[Served] = []
        skip, batch = 0, want + 3  # most candidates pass: the table is rarely stale
        while len(picked) < want:
            candidates = rank(batch, skip)
            if not candidates:
                break
            live = await _live_fields([snap.table.ids[c.row] for c in candidates])
            for candidate in candidates:
                doc = live.get(snap.table.ids[candidate.row])
                if doc is not None and len(picked) < want and not filters.violations(doc):
                    picked.append(
                        Served(snap.table, candidate.row, doc, round(candidate.score * 100), candidate.reasons)
                    )
            skip += len(candidates)
            batch *= 2
        if focus is not None:
            picked = [picked[n] for n in diversity.diversify(snap.attributes, [s.row for s in picked], limit, focus)]
        rec_id = new_id()
        # a plain insert (no document model round trip): this write is on every list's path
        await RecommendationLog.get_pymongo_collection().insert_one(
            {
                "_id": rec_id,
                "user_id": user_id,
                "anonymous_id": anonymous_id,
                "surface": surface,
                "model_version": snap.version,
                "served_at": self._clock(),
                "actions": [],
                "items": [{"wine_id": s.wine_id, "position": n, "score": s.match / 100} for n, s in enumerate(picked)],
            }
        )
        return RecList(rec_id, surface, snap.version, personalised, picked, note)

    async def _find_user(self, principal: Principal | None) -> User | None:
        if principal is None:
            return None
        try:
            return await self._accounts.get_user(principal.user_id)
        except NotFound:  # a token outliving its account: serve as anonymous
            return None

    async def _visit(self, snap: Snapshot, *, user_id: str | None = None, anonymous_id: str | None = None) -> Visit:
        """The shopper's interactions recorded since the snapshot read its history (one indexed read)."""
        if self._visit_events is None:
            return Visit()
        events = await self._visit_events(
            tuple(INTERACTION_KINDS),
            snap.history_until,
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

    # ------------------------------------------------------------ feedback and attribution
    async def dismiss(self, user_id: str, rec_id: str, wine_id: str) -> list[str]:
        """ "Not for me": the wine joins the user's dislikes (every list honours it) and the list's log."""
        entry = await RecommendationLog.get(rec_id)
        if entry is None or entry.user_id != user_id:
            raise NotFound("recommendation list", rec_id)
        if wine_id not in {item.wine_id for item in entry.items}:
            raise Invalid(
                f"wine {wine_id} was not in recommendation list {rec_id}",
                code="wine_not_in_list",
                errors=[{"field": "wine_id", "source": "body", "message": "not in this list"}],
            )
        user = await self._accounts.get_user(user_id)
        dismissed = [w for w in user.preferences.dislikes.wine_ids if w != wine_id] + [wine_id]
        preferences = await self._accounts.update_preferences(
            user_id, {"dislikes": {"wine_ids": dismissed[-MAX_DISMISSED:]}}
        )
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

    # ------------------------------------------------------------ privacy requests
    async def export_user(self, user_id: str, anonymous_ids: list[str]) -> dict[str, Any]:
        """{logs, segment, signals}: every list served to the user and what followed, their customer segment,
        and the history the serving snapshot holds for them in memory; JSON-ready."""
        logs = (
            await RecommendationLog.find(_served_to(user_id, anonymous_ids))
            .sort([("served_at", SortDirection.ASCENDING), ("_id", SortDirection.ASCENDING)])
            .to_list()
        )
        snap = self.trainer.snapshot
        signals = snap.signals.get(user_id) if snap is not None else None
        return {
            "logs": [entry.model_dump(mode="json") for entry in logs],
            "segment": snap.segments.members.get(user_id) if snap is not None else None,
            "signals": _signals_json(signals) if signals is not None else None,
        }

    async def forget_user(
        self, user_id: str, anonymous_ids: list[str], event_ids: set[str], *, behaviour_only: bool
    ) -> dict[str, int]:
        """Delete the logs of lists served to the user and the actions their events left on any list; drop
        them from the snapshot in memory — only their views, clicks and carts when `behaviour_only` (analytics
        consent withdrawn), everything on erasure. The saved model keeps no per-user state."""
        collection = RecommendationLog.get_pymongo_collection()
        deleted = await collection.delete_many(_served_to(user_id, anonymous_ids))
        refs = sorted(event_ids)
        pulled = (
            await collection.update_many({"actions.ref": {"$in": refs}}, {"$pull": {"actions": {"ref": {"$in": refs}}}})
            if refs
            else None
        )
        snap = self.trainer.snapshot
        if snap is not None:
            if behaviour_only:
                if (signals := snap.signals.get(user_id)) is not None:
                    signals.views, signals.clicks, signals.carts = {}, set(), set()
            else:
                snap.signals.pop(user_id, None)
                snap.segments.members.pop(user_id, None)
        return {
            "recommendation_logs": int(deleted.deleted_count),
            "actions_on_other_lists": int(pulled.modified_count) if pulled else 0,
        }

    # ------------------------------------------------------------ search and analytics
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

    async def segments(self) -> tuple[list[Segment], int, datetime | None]:
        snap = await self.trainer.current()
        return snap.segments.segments, len(snap.segments.members), snap.trained_at


def _dislike_kinds(prefs: Preferences) -> list[str]:
    d = prefs.dislikes
    named = {"styles": d.styles, "grapes": d.grapes, "wineries": d.wineries, "wine_ids": d.wine_ids}
    return [kind for kind, values in named.items() if values]


def _filters(snap: Snapshot, user: User | None, exclude: set[str] | None = None) -> HardFilters:
    """The user's hard filters; wines dismissed through a beacon event (not the dismiss route) count too."""
    if user is None:
        return HardFilters.of(None, exclude or ())
    signals = snap.signals.get(user.id)
    dismissed = signals.dismissed if signals is not None else set()
    return HardFilters.of(user.preferences, (exclude or set()) | dismissed)


def _focus(snap: Snapshot, user: User | None, history: dict[str, float] | None = None) -> Focus:
    """The style or winery the shopper likes only (stated, else learned from their history), which the
    re-ranking keeps; nothing personal without personalisation consent."""
    if user is None or not user.consent.personalisation:
        return Focus()
    if history is None:
        signals = snap.signals.get(user.id)
        history = signals.strengths() if signals is not None else {}
    liked = [snap.table.index[w] for w, s in history.items() if s >= diversity.LIKED and w in snap.table.index]
    stated = TasteIntent.of(None, user.preferences)
    return snap.attributes.focus(stated.styles, stated.wineries, liked)


def _rows(snap: Snapshot, wine_ids: Sequence[str]) -> list[int]:
    return [row for w in wine_ids if (row := snap.table.index.get(w)) is not None]


def _served_to(user_id: str, anonymous_ids: list[str]) -> dict[str, Any]:
    return {"$or": [{"user_id": user_id}, {"anonymous_id": {"$in": anonymous_ids}}]}


def _signals_json(signals: UserSignals) -> dict[str, Any]:
    return {
        "ratings": signals.ratings,
        "views": signals.views,
        "clicks": sorted(signals.clicks),
        "carts": sorted(signals.carts),
        "bought": sorted(signals.any_bought),
        "dismissed": sorted(signals.dismissed),
        "own_purchases": {wine_id: {"times": b.times, "bottles": b.bottles} for wine_id, b in signals.own.items()},
    }


async def _live_fields(wine_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The candidates as they are now: one read by id of the few fields that change or that filters check.

    Read here rather than through CatalogService.find_wines: whole validated documents cost ~1 ms a wine on
    the in-process MongoDB, and everything else shown comes from the snapshot's table."""
    cursor = Wine.get_pymongo_collection().find({"_id": {"$in": wine_ids}}, LIVE_FIELDS)
    return {doc["_id"]: doc async for doc in cursor}
