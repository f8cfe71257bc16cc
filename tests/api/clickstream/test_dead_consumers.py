"""Dead consumers leave the group: a worker removes the names of consumers idle past a threshold with nothing
pending, at start and then periodically, and takes over what the dead ones still held. The idle threshold and
the worker's clock are injected: nothing waits for real idle time."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.clickstream.worker import ClickstreamWorker, WorkerConfig
from documents import Wine
from tests.api.clickstream.conftest import event, post
from tests.factories import insert_wines, make_wine

AppClient = AsyncTestClient[Litestar]


def worker(client: AppClient, redis: Any, name: str, clock: list[float], **config: Any) -> ClickstreamWorker:
    clickstream = client.app.state.services.clickstream
    return ClickstreamWorker(
        redis,
        clickstream.keys,
        clickstream.history,
        clickstream.gate,
        WorkerConfig(**config),
        consumer=name,
        clock=lambda: clock[0],
    )


async def consumers(client: AppClient, redis: Any) -> dict[str, int]:
    keys = client.app.state.services.clickstream.keys
    return {c["name"].decode(): int(c["pending"]) for c in await redis.xinfo_consumers(keys.stream, keys.group)}


async def test_a_starting_worker_removes_dead_consumers_after_taking_over_their_entries(
    client: AppClient, redis: Any
) -> None:
    keys = client.app.state.services.clickstream.keys
    (wine,) = await insert_wines(make_wine())
    survivor = worker(client, redis, "survivor", [0.0], claim_idle_ms=0, consumer_idle_ms=0)
    await survivor.ensure_group()
    await post(client, [event(wine_id=wine.id)])
    # two workers that were killed: one had read nothing, one holds an entry it never acknowledged
    await redis.xgroup_createconsumer(keys.stream, keys.group, "killed-idle")
    assert await redis.xreadgroup(keys.group, "killed-busy", {keys.stream: ">"}, count=10)
    assert await consumers(client, redis) == {"killed-idle": 0, "killed-busy": 1}

    assert await survivor.poll_once() == 1  # the killed worker's entry, taken over and applied
    assert await consumers(client, redis) == {"survivor": 0}
    assert survivor.counters["consumers_removed"] == 2
    assert (await Wine.get(wine.id)).view_count == 1  # type: ignore[union-attr]


async def test_a_consumer_still_holding_entries_or_recently_active_is_never_removed(
    client: AppClient, redis: Any
) -> None:
    keys = client.app.state.services.clickstream.keys
    (wine,) = await insert_wines(make_wine())
    # the entries are not yet idle enough to take over: the consumer holding them must stay
    patient = worker(client, redis, "patient", [0.0], claim_idle_ms=3_600_000, consumer_idle_ms=0)
    await patient.ensure_group()
    await post(client, [event(wine_id=wine.id)])
    assert await redis.xreadgroup(keys.group, "holder", {keys.stream: ">"}, count=10)
    await patient.prune_consumers()
    assert await consumers(client, redis) == {"holder": 1}
    # XINFO may say "nothing pending" a moment before the consumer reads: the removal checks again, atomically
    assert not await patient._delete_consumer("holder")
    assert await consumers(client, redis) == {"holder": 1}

    # with the default threshold (minutes), a consumer active a moment ago is a live worker
    await redis.xgroup_createconsumer(keys.stream, keys.group, "alive")
    assert await worker(client, redis, "other", [0.0]).prune_consumers() == []
    assert "alive" in await consumers(client, redis)


async def test_the_worker_prunes_again_every_prune_interval_of_its_clock(client: AppClient, redis: Any) -> None:
    keys = client.app.state.services.clickstream.keys
    clock = [0.0]
    w = worker(client, redis, "w", clock, consumer_idle_ms=0, prune_every_s=60.0)
    await w.ensure_group()
    await w.poll_once()  # the first poll prunes (nothing to remove yet)
    await redis.xgroup_createconsumer(keys.stream, keys.group, "died-later")
    clock[0] += 59.0
    await w.poll_once()
    assert "died-later" in await consumers(client, redis)  # not due yet
    clock[0] += 1.0
    await w.poll_once()
    assert "died-later" not in await consumers(client, redis)
