"""API shapes of the clickstream besides the beacon itself (whose msgspec structs live in events.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.schemas import Input, WineRef


class AnonymousIdInput(Input):
    anonymous_id: str = Field(
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
        description="an id issued by POST /v1/anonymous-ids to this browser",
    )


class AnonymousIdRead(BaseModel):
    """A fresh anonymous id for this browser: keep it (localStorage) and put it on every beacon event."""

    anonymous_id: str


class LinkRead(BaseModel):
    """The outcome of linking the browser's anonymous id to the signed-in user."""

    linked: bool  # false without analytics consent: nothing is linked or stored then
    interactions: int  # earlier anonymous interactions now part of the user's history


class ViewedWine(BaseModel):
    wine_id: str
    name: str
    viewed_at: datetime


class SearchEntry(BaseModel):
    query: str
    results_count: int | None = None
    searched_at: datetime


HistoryKind = Literal["view", "search"]


class HistoryEntryRead(BaseModel):
    """One wine you looked at (`view`) or one search you ran (`search`)."""

    kind: HistoryKind
    at: datetime
    wine: WineRef | None = Field(default=None, description="The wine viewed (null on a search)")
    query: str | None = None  # searches
    results_count: int | None = None


class ConsumerRead(BaseModel):
    name: str
    pending: int
    idle_ms: int


class ClickstreamStats(BaseModel):
    """The stream's backlog as Redis sees it, and what this process's worker did since it started."""

    stream: str
    length: int  # entries held (bounded by the approximate MAXLEN)
    pending: int  # delivered to a consumer, not yet acknowledged
    lag: int | None  # appended but not yet delivered to any consumer (None when Redis cannot tell)
    dead_letter: int
    consumers: list[ConsumerRead]
    worker: dict[str, int] | None = None  # this process's worker counters, when it runs one
