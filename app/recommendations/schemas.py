"""Recommendation API models: lists with rec_id, match and reasons; dismissals; analytics and segments."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.catalog.schemas import WineCard
from app.recommendations.analytics import SurfaceStats
from app.recommendations.refresh.trainer import TrainReport
from app.recommendations.service import RecList, Served
from app.recommendations.serving.segments import Segment
from app.recommendations.surfaces.explain import Reason
from app.recommendations.surfaces.tailored import Brief, ForMe
from app.schemas import Input, Money, Page, WineRef, shop_currency
from documents import Wine

Surface = Field(default="home", pattern=r"^[a-z][a-z0-9_-]{0,39}$")


class ReasonRead(BaseModel):
    code: str = Field(description="Stable code, e.g. taste_match, region_you_like, bought_with, reorder_interval")
    text: str
    values: list[str]

    @classmethod
    def of(cls, reason: Reason) -> ReasonRead:
        return cls(code=reason.code, text=reason.text, values=reason.values)


def card_of(served: Served) -> WineCard:
    """The wine card of a served wine: catalog facts from the snapshot's table, live fields just read."""
    table, row, live = served.table, served.row, served.live
    count = int(table.rating_count[row])
    return WineCard(
        id=served.wine_id,
        name=table.names[row],
        winery=live.get("winery", table.wineries[row]),
        vintage=table.vintages[row],
        style=live.get("style", table.style_name(row)),
        region=table.regions[row],
        country=table.countries[row],
        grapes=list(live.get("grapes", table.grapes[row])),
        dietary=list(live.get("dietary", [])),
        price=Money.of(int(live["price_cents"]), live.get("currency", "EUR")),
        in_stock=int(live.get("stock", 0)) > 0,
        rating_mean=round(float(table.rating_mean[row]), 3) if count else None,
        rating_count=count,
        demo_fields=list(live.get("demo_fields", [])),
    )


class RecommendedWineRead(BaseModel):
    wine: WineCard
    match: int = Field(ge=0, le=100, description="How well the wine fits this list's purpose, 0 to 100")
    reasons: list[ReasonRead]
    conflicts: list[ReasonRead] = Field(
        default_factory=list,
        description="Reorder only: where a wine you bought before now crosses a stated need or dislike, "
        "e.g. conflicts_dietary \"no longer matches your 'vegan' need\"",
    )

    @classmethod
    def of(cls, served: Served) -> RecommendedWineRead:
        return cls(
            wine=card_of(served),
            match=served.match,
            reasons=[ReasonRead.of(r) for r in served.reasons],
            conflicts=[ReasonRead.of(r) for r in served.conflicts],
        )


class TasteAxisUsed(BaseModel):
    value: float
    source: str = Field(description="quiz, stated or learned")


class RecommendationsRead(Page[RecommendedWineRead]):
    """One ranked list: the list envelope (a ranked list is served as one page: `page` 1, `total` = items)
    with what recommendations add."""

    rec_id: str = Field(description="Echo it in clickstream events and cart adds for attribution")
    surface: str
    model_version: str
    personalised: bool
    note: str | None = None
    segment: int | None = None
    taste: dict[str, TasteAxisUsed] = Field(default_factory=dict, description="The taste axes used, by source")

    @classmethod
    def of(cls, rec: RecList, per_page: int) -> RecommendationsRead:
        return cls(
            page=1,
            per_page=per_page,
            total=len(rec.items),
            rec_id=rec.rec_id,
            surface=rec.surface,
            model_version=rec.model_version,
            personalised=rec.personalised,
            note=rec.note,
            segment=rec.segment,
            taste={axis: TasteAxisUsed(value=v, source=s) for axis, (v, s) in rec.taste.items()},
            items=[RecommendedWineRead.of(s) for s in rec.items],
        )


class FoodMatchRead(BaseModel):
    food: str = Field(description="One of your foods (preferences.foods), as you named it")
    pairings: list[str] = Field(description="This wine's pairings (from X-Wines) that the dish calls for")


class BasedOnRead(BaseModel):
    """What the tailored part was made from; nothing else about you was used."""

    taste_profile: list[str] = Field(description="Axes of your taste profile compared")
    purchases: int = Field(description="Wines you bought (not as gifts) whose mean taste was compared")
    foods: list[str]
    dietary: list[str]
    dislikes: list[str] = Field(description="Kinds of dislikes you stated: styles, grapes, wineries, wine_ids")


class ForMeRead(BaseModel):
    wine: WineRef
    personalised: bool = Field(description="false without personalisation consent: only warnings, nothing else")
    note: str | None
    palate: list[str] = Field(description="Sentences comparing the wine's taste with yours")
    pairs_with_your_foods: list[FoodMatchRead]
    warnings: list[ReasonRead] = Field(description="Where the wine crosses a dietary need or dislike you stated")
    based_on: BasedOnRead

    @classmethod
    def of(cls, answer: ForMe) -> ForMeRead:
        t, b = answer.tailored, answer.based_on
        return cls(
            wine=WineRef(id=answer.wine.id, name=answer.wine.name),
            personalised=answer.personalised,
            note=None if answer.personalised else NO_CONSENT_NOTE,
            palate=t.palate,
            pairs_with_your_foods=[FoodMatchRead(food=f.food, pairings=f.pairings) for f in t.foods],
            warnings=[ReasonRead.of(w) for w in t.warnings],
            based_on=BasedOnRead(
                taste_profile=b.taste_profile,
                purchases=b.purchases,
                foods=b.foods,
                dietary=b.dietary,
                dislikes=b.dislikes,
            ),
        )


NO_CONSENT_NOTE = "not personalised: allow personalisation to see how this wine compares with your taste and foods"


class ForMeCardRead(BaseModel):
    wine: WineRef
    line: str | None = Field(
        description="One short line for the wine's card: where it crosses a need or dislike you stated, how it "
        'sits against your palate, which of your foods it suits (e.g. "lighter than what you usually buy · suits '
        'your roast chicken"); null when there is nothing to say'
    )
    warning: bool = Field(description="true when the line names a dietary need or dislike the wine crosses")


class ForMeCardsRead(BaseModel):
    """The short form of GET /v1/wines/{wine_id}/for-me, one item per wine asked, in that order."""

    items: list[ForMeCardRead]
    personalised: bool = Field(description="false without personalisation consent: the lines only warn")
    note: str | None

    @classmethod
    def of(cls, personalised: bool, cards: list[tuple[Wine, Brief]]) -> ForMeCardsRead:
        return cls(
            items=[ForMeCardRead(wine=WineRef(id=w.id, name=w.name), line=b.line, warning=b.warning) for w, b in cards],
            personalised=personalised,
            note=None if personalised else NO_CONSENT_NOTE,
        )


class DismissInput(Input):
    wine_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class DismissRead(BaseModel):
    rec_id: str
    wine: WineRef
    dismissed: int = Field(description="Wines you have marked as not for you")


class SurfaceStatsRead(BaseModel):
    surface: str
    model_version: str
    lists: int
    impressions: int
    clicks: int
    ctr: float = Field(description="Distinct wines clicked per wine shown")
    lists_clicked: int
    carts: int
    purchases: int
    conversion: float = Field(description="Purchases attributed to a list per wine shown")
    dismissals: int

    @classmethod
    def of(cls, s: SurfaceStats) -> SurfaceStatsRead:
        return cls(
            surface=s.surface,
            model_version=s.model_version,
            lists=s.lists,
            impressions=s.impressions,
            clicks=s.clicks,
            ctr=s.ctr,
            lists_clicked=s.lists_clicked,
            carts=s.carts,
            purchases=s.purchases,
            conversion=s.conversion,
            dismissals=s.dismissals,
        )


class RecommendationReportRead(BaseModel):
    days: int
    rows: list[SurfaceStatsRead]


class SegmentRead(BaseModel):
    id: int = Field(description="Stable across trainings while the segment keeps its members or its taste")
    size: int
    label: str = Field(description="A short name from the members' taste, e.g. Full-bodied red lovers")
    summary: str
    styles: dict[str, float] = Field(description="Share of the members' wines by style")
    taste: dict[str, float] = Field(description="Mean taste axes of the members")
    typical_price: Money
    countries: list[str]

    @classmethod
    def of(cls, s: Segment) -> SegmentRead:
        return cls(
            id=s.id,
            size=s.size,
            label=s.label,
            summary=s.summary,
            styles=s.styles,
            taste=s.taste,
            typical_price=Money.of(s.typical_price_cents, shop_currency()),
            countries=s.countries,
        )


class SegmentsRead(BaseModel):
    customers: int = Field(description="Customers placed in a segment")
    trained_at: datetime | None
    segments: list[SegmentRead]


class MySegmentRead(BaseModel):
    segment: SegmentRead | None = Field(
        description="Your customer segment; null until a training places you (it needs purchases, ratings or "
        "a taste profile, and enough customers to form segments)"
    )
    trained_at: datetime | None = Field(description="When segments were last computed")


class TrainReportRead(BaseModel):
    model_version: str
    learned_from: dict[str, int]
    learned_tastes: int
    seconds: float

    @classmethod
    def of(cls, r: TrainReport) -> TrainReportRead:
        return cls(
            model_version=r.version, learned_from=r.counts, learned_tastes=r.learned_tastes, seconds=round(r.seconds, 3)
        )
