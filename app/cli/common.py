"""What every `cuvee` command shares: running its coroutine, opening the services, a progress bar."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import click

from app.backends import BackendUnavailable, open_backends
from app.container import Services, build_services
from app.settings import Settings

T = TypeVar("T")

log = logging.getLogger("cuvee.cli")
MAX_STARTUP_BACKOFF_S = 10.0


def run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except BackendUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


async def wait_for_backends(open_: Callable[[], Awaitable[T]], wait_s: float) -> T:
    """`open_()`, retried with exponential backoff while a backend does not answer, for up to `wait_s`
    (CUVEE_STARTUP_WAIT_S): services started together come up in any order."""
    loop = asyncio.get_running_loop()
    deadline, delay = loop.time() + wait_s, 1.0
    while True:
        try:
            return await open_()
        except BackendUnavailable as exc:
            left = deadline - loop.time()
            if not exc.retryable:
                raise
            if left <= 0:
                if wait_s > 0:
                    raise BackendUnavailable(f"{exc} (gave up after {wait_s:g} s: CUVEE_STARTUP_WAIT_S)") from exc
                raise
            pause = min(delay, left)
            log.warning("waiting for %s; retrying in %g s", exc.waiting_for, pause)
            await asyncio.sleep(pause)
            delay = min(delay * 2, MAX_STARTUP_BACKOFF_S)


@asynccontextmanager
async def open_services(settings: Settings | None = None) -> AsyncIterator[Services]:
    """The same services the API builds, for one command; closed (and snapshotted) afterwards."""
    settings = settings or Settings()
    backends = await wait_for_backends(lambda: open_backends(settings, batch=True), settings.startup_wait_s)
    try:
        yield build_services(settings, backends)
    finally:
        await backends.close()


def progress_bar(total: int | None, desc: str) -> tuple[Callable[[int], None], Callable[[], None]]:
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="doc", file=sys.stderr)
    return bar.update, bar.close
