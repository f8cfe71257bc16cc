"""Why a wine is recommended: reason codes with values, in words a shopper reads, and the 0-100 match."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.accounts.vocabulary import fold
from app.recommendations.serving.segments import Segment
from app.recommendations.serving.tables import WineTable, grape_keys
from app.recommendations.surfaces.content import TasteIntent, close_axes


@dataclass(frozen=True)
class Reason:
    code: str  # stable, for the storefront to pick an icon or a translation
    text: str
    values: list[str] = field(default_factory=list)


def match_score(score: float) -> int:
    """A 0..1 ranking score as the 0..100 match shown to the shopper."""
    return max(0, min(100, round(score * 100)))


def taste_reasons(table: WineTable, row: int, intent: TasteIntent) -> list[Reason]:
    """What of the user's taste and liked attributes this wine has."""
    out = []
    axes = close_axes(table, row, intent)
    if axes:
        out.append(Reason("taste_match", f"matches your taste: {', '.join(axes)}", axes))
    style = table.style_name(row)
    if style in intent.styles:
        out.append(Reason("style_you_like", f"a style you like: {style}", [style]))
    grapes = [g for g in table.grapes[row] if grape_keys(g) & intent.grapes]
    if grapes:
        out.append(Reason("grape_you_like", f"a grape you like: {', '.join(grapes)}", grapes))
    region, country, winery = table.regions[row], table.countries[row], table.wineries[row]
    if region and fold(region) in intent.regions:
        out.append(Reason("region_you_like", f"from a region you like: {region}", [region]))
    elif country and fold(country) in intent.countries:
        out.append(Reason("country_you_like", f"from a country you like: {country}", [country]))
    if winery and fold(winery) in intent.wineries:
        out.append(Reason("winery_you_like", f"from a winery you like: {winery}", [winery]))
    return out


def price_reason(table: WineTable, row: int, intent: TasteIntent) -> Reason | None:
    price = int(table.price_cents[row])
    low, high = intent.price_min_cents, intent.price_max_cents
    if low is None and high is None:
        return None
    if (low is None or price >= low) and (high is None or price <= high):
        return Reason("in_price_range", "within your price range", [f"{price / 100:.2f}"])
    return None  # a caveat is not a reason to buy; the wine page shows the price beside her range


def because_reason(table: WineTable, liked_row: int) -> Reason:
    name = table.names[liked_row]
    return Reason("because_you_liked", f"because you liked {name}", [name])


def looked_at_reason(table: WineTable, seen_row: int) -> Reason:
    """A wine of the current visit (viewed, clicked or put in the cart) that led to this one."""
    name = table.names[seen_row]
    return Reason("because_you_looked_at", f"because you looked at {name}", [name])


LOVED_MIN_RATERS = 20  # fewer raters and a share of 5-star ratings says little
LOVED_MIN_LIFT = 1.5  # a 5-star share this many times the catalogue's before it is worth saying


def rating_reason(
    table: WineTable, row: int, raters: int = 0, loved: int = 0, typical_share: float = 0.0
) -> Reason | None:
    """Our customers' rating; else, for a wine the model learned from many raters, how many gave it 5 stars —
    only when that share is well above the share of 5-star ratings across all wines (a good sign, never
    a low-sounding "loved by 14%")."""
    count, mean = int(table.rating_count[row]), float(table.rating_mean[row])
    if count >= 3 and mean >= 4.0:
        return Reason("highly_rated", f"rated {mean:.1f}/5 by {count} customers", [f"{mean:.1f}", str(count)])
    if raters < LOVED_MIN_RATERS or typical_share <= 0 or loved <= 0:
        return None
    lift = loved / raters / typical_share
    if lift < LOVED_MIN_LIFT:
        return None
    return Reason(
        "loved_by_raters",
        f"5 stars from {loved} of {raters} raters, {lift:.1f} times the usual share",
        [str(loved), str(raters), f"{lift:.1f}"],
    )


def popular_reason() -> Reason:
    # True whatever the popularity was learned from (the shop's own customers or the bundled X-Wines ratings).
    return Reason("popular", "a popular choice", [])


def bought_with_reason(table: WineTable, seed_row: int, together: int) -> Reason:
    name = table.names[seed_row]
    return Reason(
        "bought_with", f"bought with {name} in {together} order{'s' * (together != 1)}", [name, str(together)]
    )


def similar_reasons(table: WineTable, seed_row: int, row: int) -> list[Reason]:
    """What a similar wine shares with the one being looked at."""
    shared = []
    if table.style[row] == table.style[seed_row]:
        shared.append(table.style_name(row))
    grapes = [g for g in table.grapes[row] if any(grape_keys(g) & grape_keys(s) for s in table.grapes[seed_row])]
    shared += grapes[:2]
    if table.regions[row] and table.regions[row] == table.regions[seed_row]:
        shared.append(table.regions[row])
    out = [
        Reason(
            "similar_to",
            f"like {table.names[seed_row]}: {', '.join(shared)}"
            if shared
            else f"liked by people who liked {table.names[seed_row]}",
            [table.names[seed_row], *shared],
        )
    ]
    gaps = abs(table.taste[row] - table.taste[seed_row]).max()
    if gaps <= 0.15:
        out.append(Reason("same_structure", "a similar structure on every taste axis", []))
    return out


def trending_reason(activity: float, segment: Segment | None, *, yours: bool = False) -> Reason:
    """ "Like you" only for a signed-in shopper in that segment; any other caller hears which segment it is."""
    if segment is None:
        return Reason("trending", "trending in the shop", [f"{activity:.1f}"])
    if yours:
        return Reason("trending_like_you", "trending among customers like you", [str(segment.id), f"{activity:.1f}"])
    return Reason(
        "trending_in_segment",
        f"trending among {segment.label.lower()}",
        [str(segment.id), f"{activity:.1f}"],
    )


CONFLICT_TEXT = {
    "dietary": "no longer matches your '{}' need",
    "style": "a style you now avoid: {}",
    "grape": "a grape you now avoid: {}",
    "winery": "a winery you now avoid: {}",
}


def conflict_reasons(conflicts: list[tuple[str, str]]) -> list[Reason]:
    """A wine the shopper bought before stating a need or dislike it crosses, in words (see HardFilters)."""
    return [Reason(f"conflicts_{kind}", CONFLICT_TEXT[kind].format(value), [value]) for kind, value in conflicts]


def human_interval(interval: timedelta) -> str:
    days = interval.total_seconds() / 86_400
    if days < 14:
        return f"~{max(1, round(days))} days"
    if days < 70:
        return f"~{round(days / 7)} weeks"
    return f"~{round(days / 30.4)} months"


def reorder_reasons(times: int, interval: timedelta, last_at: datetime, now: datetime) -> list[Reason]:
    every = human_interval(interval)
    out = [Reason("reorder_interval", f"you reorder this every {every}", [every, str(times)])]
    due_in = last_at + interval - now
    if due_in.total_seconds() <= 0:
        late = human_interval(-due_in) if -due_in >= timedelta(days=1) else None
        out.append(Reason("reorder_due", f"due now{f' ({late} later than usual)' if late else ''}", [late or "0 days"]))
    else:
        soon = human_interval(due_in)
        out.append(Reason("reorder_soon", f"due in {soon}", [soon]))
    return out
