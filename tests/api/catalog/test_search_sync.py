"""Coalesced search syncs: concurrent changes share flushes, and every caller waits for its own ids."""

from __future__ import annotations

import asyncio

from app.catalog.coalesce import Coalesced


async def test_concurrent_calls_share_flushes_and_each_returns_after_its_ids_are_flushed() -> None:
    flushed: list[list[str]] = []

    async def flush(ids: list[str]) -> None:
        await asyncio.sleep(0.01)  # a commit takes a while: callers pile up meanwhile
        flushed.append(ids)

    sync = Coalesced(flush)

    async def call(wine_id: str) -> bool:
        await sync([wine_id])
        return any(wine_id in batch for batch in flushed)

    seen = await asyncio.gather(*(call(f"w{i % 5}") for i in range(40)))
    assert all(seen)
    assert len(flushed) <= 3  # the first caller's flush, then one for everyone who queued behind it
    assert {w for batch in flushed for w in batch} == {f"w{i}" for i in range(5)}


async def test_a_failing_flush_is_logged_and_the_next_call_flushes_again() -> None:
    calls: list[list[str]] = []

    async def flush(ids: list[str]) -> None:
        calls.append(ids)
        if len(calls) == 1:
            raise RuntimeError("index down")

    sync = Coalesced(flush)
    await sync(["a"])  # does not raise
    await sync(["b"])
    assert calls == [["a"], ["b"]]
