"""Search analytics for merchants: what shoppers ask for, where search lets them down, what they click.

Read from the clickstream the shop already keeps (`interactions`: only events stored with the shopper's
consent, trimmed and erased as the privacy rules say): `search_performed` carries the query and how many wines
it found, `search_result_clicked` the query, the wine and its rank. Queries are grouped by their folded words
("Rosé  for SUMMER" and "rose for summer" are one). What the shop understands of a query, and what it has to let
go of to find anything, is read again now by the live search, so the report shows today's answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from documents import Interaction
from vocabulary import words

SEARCHED, CLICKED = "search_performed", "search_result_clicked"
MAX_EVENTS = 200_000  # read at most this many of the newest events: a report, not a warehouse

# (query) -> (total found now, understood) — the live search, supplied by the caller.
Understand = Callable[[str], Awaitable[tuple[int | None, dict[str, str]]]]


@dataclass
class QueryStats:
    query: str  # the most recent wording shoppers used
    searches: int = 0
    empty: int = 0  # searches that found nothing at the time
    clicks: int = 0
    searchers: set[str] = field(default_factory=set, repr=False)
    last_at: datetime | None = None
    found_now: int | None = None
    understood: dict[str, str] = field(default_factory=dict)

    @property
    def shoppers(self) -> int:
        return len(self.searchers)

    @property
    def click_through(self) -> float:
        """Clicks on a result per search (a shopper may click several results of one search)."""
        return round(self.clicks / self.searches, 4) if self.searches else 0.0


@dataclass
class SearchReport:
    searches: int
    distinct_queries: int
    empty_searches: int
    clicks: int
    top: list[QueryStats]
    no_results: list[QueryStats]  # queries whose searches found nothing, most frequent first
    no_clicks: list[QueryStats]  # queries that found wines that nobody clicked

    @property
    def click_through(self) -> float:
        return round(self.clicks / self.searches, 4) if self.searches else 0.0


def query_key(query: str) -> str:
    """One key per query however it was cased, accented or spaced."""
    return " ".join(words(query))


async def search_report(since: datetime, limit: int, understand: Understand) -> SearchReport:
    cursor = (
        Interaction.get_pymongo_collection()
        .find(
            {"type": {"$in": [SEARCHED, CLICKED]}, "occurred_at": {"$gte": since}},
            {"type": 1, "query": 1, "results_count": 1, "user_id": 1, "anonymous_id": 1, "occurred_at": 1},
        )
        .sort("occurred_at", -1)
        .limit(MAX_EVENTS)
    )
    stats: dict[str, QueryStats] = {}
    n = 0
    async for doc in cursor:
        key = query_key(doc.get("query") or "")
        if not key:
            continue
        row = stats.get(key) or stats.setdefault(key, QueryStats(query=doc["query"].strip()))
        if doc["type"] == SEARCHED:
            row.searches += 1
            row.empty += doc.get("results_count") == 0
            row.searchers.add(str(doc.get("user_id") or doc.get("anonymous_id")))
            row.last_at = row.last_at or doc["occurred_at"]
        else:
            row.clicks += 1
        n += 1
        if n % 1000 == 0:
            await asyncio.sleep(0)
    searched = [s for s in stats.values() if s.searches]
    top = sorted(searched, key=lambda s: (-s.searches, s.query))[:limit]
    no_results = sorted((s for s in searched if s.empty), key=lambda s: (-s.empty, -s.searches, s.query))[:limit]
    no_clicks = sorted(
        (s for s in searched if not s.clicks and s.empty < s.searches), key=lambda s: (-s.searches, s.query)
    )[:limit]
    for row in {id(s): s for s in (*top, *no_results, *no_clicks)}.values():
        row.found_now, row.understood = await understand(row.query)
    return SearchReport(
        searches=sum(s.searches for s in searched),
        distinct_queries=len(searched),
        empty_searches=sum(s.empty for s in searched),
        clicks=sum(s.clicks for s in stats.values()),
        top=top,
        no_results=no_results,
        no_clicks=no_clicks,
    )
