"""Group commit for search-index syncs: calls that arrive while one sync runs share the next one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("cuvee.catalog")


class Coalesced:
    """Wraps `flush(wine_ids)` so that concurrent callers are served by as few flushes as possible.

    A tantivy commit costs ~100 ms whatever it holds, so 20 concurrent reviews of one wine would queue for
    two seconds one by one; coalesced they cost two commits. Each call returns only after a flush that
    started after its ids were added has finished, so a change is visible to search when the call returns.
    Flush errors are logged and never raised: the caller's write stands and `cuvee reindex` repairs search.
    """

    def __init__(self, flush: Callable[[list[str]], Awaitable[object]]) -> None:
        self._flush = flush
        self._pending: dict[str, None] = {}  # insertion-ordered set
        self._started = 0
        self._finished = 0
        self._running: asyncio.Task[None] | None = None

    async def __call__(self, wine_ids: list[str]) -> None:
        self._pending.update(dict.fromkeys(wine_ids))
        target = self._started + 1  # the first flush to start from now on carries these ids
        while self._finished < target:
            if self._running is None:
                batch, self._pending = list(self._pending), {}
                self._started += 1
                self._running = asyncio.ensure_future(self._run(batch))
            await asyncio.wait([self._running])  # a cancelled caller never cancels the shared flush

    async def _run(self, batch: list[str]) -> None:
        try:
            if batch:
                await self._flush(batch)
        except Exception:
            log.exception("search sync of %d wine(s) failed; `cuvee reindex` repairs it", len(batch))
        finally:
            self._finished += 1
            self._running = None
