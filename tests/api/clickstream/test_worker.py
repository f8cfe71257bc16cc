"""The worker over the real Redis: history, view counts, crash recovery, dead letters, bounds, consent."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.clickstream.events import decode_event
from app.clickstream.history import Attributed, History, HistoryBounds
from app.clickstream.worker import ClickstreamWorker, WorkerConfig, run_until_signalled
from app.recommendations.logs import record_actions
from documents import Interaction, RecommendationLog, User, Wine, utcnow
from tests.api.clickstream.conftest import ago, event, post, signed_in_with_consent, worker_for
from tests.conftest import Shopper
from tests.factories import insert_wines, make_wine

pytestmark = pytest.mark.timing

AppClient = AsyncTestClient[Litestar]


async def eventually(poll: Callable[[], Awaitable[int]], want: int, deadline_s: float = 30.0) -> int:
    """What `poll` processed in all, polled until it reaches `want` or a generous deadline passes."""
    loop = asyncio.get_running_loop()
    end, done = loop.time() + deadline_s, 0
    while done < want and loop.time() < end:
        done += await poll()
        if done < want:
            await asyncio.sleep(0.02)
    return done


async def test_a_beacon_becomes_profile_history_through_the_worker(
    client: AppClient, shopper: Shopper, redis: Any
) -> None:
    merlot, syrah = await insert_wines(make_wine(name="Merlot One"), make_wine(name="Syrah Two"))
    await signed_in_with_consent(client, shopper)
    await post(
        client,
        [
            event(wine_id=merlot.id, occurred_at=ago(4)),
            event(wine_id=syrah.id, occurred_at=ago(3)),
            event(wine_id=merlot.id, occurred_at=ago(2)),
            event("search_performed", query="Syrah", results_count=3),
        ],
        shopper.headers,
    )
    worker = worker_for(client, redis, "w1")
    await worker.ensure_group()
    assert await worker.poll_once() == 4

    profile = (await client.get("/v1/me/profile", headers=shopper.headers)).json()
    assert [(w["wine"]["id"], w["wine"]["name"]) for w in profile["recently_viewed"]] == [
        (merlot.id, "Merlot One"),
        (syrah.id, "Syrah Two"),
    ]
    assert [(s["query"], s["results_count"]) for s in profile["search_history"]] == [("Syrah", 3)]
    assert (await Wine.get(merlot.id)).view_count == 2  # type: ignore[union-attr]
    stats = (await redis.xinfo_groups(client.app.state.services.clickstream.keys.stream))[0]
    assert stats["pending"] == 0 and stats["lag"] == 0


async def test_a_worker_killed_mid_batch_loses_nothing_and_counts_nothing_twice(client: AppClient, redis: Any) -> None:
    wines = await insert_wines(*(make_wine() for _ in range(3)))
    batch = [event(wine_id=wines[i % 3].id) for i in range(60)]
    await post(client, batch[:30])
    await post(client, batch[30:])
    doomed = worker_for(client, redis, "doomed")
    await doomed.ensure_group()
    entries = await doomed.read_new()
    assert len(entries) == 60
    # It wrote the first 25 events to MongoDB, then died before acknowledging anything.
    history: History = client.app.state.services.clickstream.history
    await history.apply([Attributed(decode_event(fields[b"e"]), None) for _, fields in entries[:25]])

    # A claim idle time far above what the lines above take, even on a loaded machine: nothing is taken yet.
    patient = worker_for(client, redis, "patient", claim_idle_ms=600_000, reclaim_every_s=0)
    assert await patient.poll_once() == 0
    rescuer = worker_for(client, redis, "rescuer", claim_idle_ms=50, reclaim_every_s=0)
    assert await eventually(rescuer.poll_once, 60) == 60  # once the entries have been idle 50 ms (Redis's clock)

    assert await Interaction.find({"_id": {"$in": [e["event_id"] for e in batch]}}).count() == 60
    counts = [(await Wine.get(w.id)).view_count for w in wines]  # type: ignore[union-attr]
    assert counts == [20, 20, 20]
    assert await redis.xpending(client.app.state.services.clickstream.keys.stream, "history-writers") == {
        "pending": 0,
        "min": None,
        "max": None,
        "consumers": [],
    }
    await asyncio.sleep(0.2)  # past the rescuer's idle time: anything still pending would be claimed now
    assert await rescuer.poll_once() == 0  # and nothing comes back a third time


async def test_a_poison_entry_is_dead_lettered_and_the_rest_flows(client: AppClient, redis: Any) -> None:
    (wine,) = await insert_wines(make_wine())
    keys = client.app.state.services.clickstream.keys
    await post(client, [event(wine_id=wine.id)])
    poison_id = await redis.xadd(keys.stream, {"e": b'{"event_id": 42}'})
    await post(client, [event(wine_id=wine.id)])
    worker = worker_for(client, redis, "w", claim_idle_ms=20, max_attempts=3, reclaim_every_s=0)
    await worker.ensure_group()
    for _ in range(4):
        await worker.poll_once()
        await asyncio.sleep(0.05)

    dead = await redis.xrange(keys.dead)
    assert len(dead) == 1
    fields = dead[0][1]
    assert fields[b"entry_id"] == poison_id
    assert fields[b"attempts"] == b"3"
    assert b"undecodable" in fields[b"error"]
    assert fields[b"e"] == b'{"event_id": 42}'
    assert (await Wine.get(wine.id)).view_count == 2  # type: ignore[union-attr]
    assert (await redis.xpending(keys.stream, keys.group))["pending"] == 0
    assert worker.counters["dead_lettered"] == 1


async def test_recommendation_feedback_is_recorded_once_per_event(client: AppClient, redis: Any) -> None:
    (wine,) = await insert_wines(make_wine())
    log = RecommendationLog(surface="for_you", model_version="v1")
    await log.insert()
    click = event("recommendation_clicked", rec_id=log.id, wine_id=wine.id, position=2)
    dismiss = event("recommendation_dismissed", rec_id=log.id, wine_id=wine.id)
    await post(client, [click, dismiss])
    worker = worker_for(client, redis, "w")
    await worker.ensure_group()
    await worker.poll_once()
    history: History = client.app.state.services.clickstream.history
    redelivered = [Attributed(decode_event(json.dumps(click).encode()), None)]
    await history.apply(redelivered)  # a redelivery of the click must not add a second action

    actions = (await RecommendationLog.get(log.id)).actions  # type: ignore[union-attr]
    assert sorted((a.type, a.ref) for a in actions) == sorted(
        [("click", click["event_id"]), ("dismiss", dismiss["event_id"])]
    )


async def test_feedback_on_someone_elses_list_is_not_recorded(client: AppClient, shopper: Shopper, redis: Any) -> None:
    """A rec_id is not a capability: clicks, cart adds and dismissals join a list's log only from the user
    (or, for an anonymous list, an anonymous visitor) it was served to."""
    (wine,) = await insert_wines(make_wine())
    victims = RecommendationLog(user_id="victim-user", surface="for_you", model_version="v1")
    await victims.insert()
    await signed_in_with_consent(client, shopper)
    attacks = [
        event(type_, rec_id=victims.id, wine_id=wine.id, **extra)
        for type_, extra in (
            ("recommendation_clicked", {"position": 0}),
            ("cart_item_added", {}),
            ("recommendation_dismissed", {}),
        )
    ]
    await post(client, attacks[:2], shopper.headers)  # signed in as someone else
    await post(client, attacks[2:])  # anonymous
    own = RecommendationLog(user_id=shopper.id, surface="for_you", model_version="v1")
    await own.insert()
    mine = event("recommendation_clicked", rec_id=own.id, wine_id=wine.id, position=1)
    await post(client, [mine], shopper.headers)
    worker = worker_for(client, redis, "w")
    await worker.ensure_group()
    assert await worker.poll_once() == 4

    assert (await RecommendationLog.get(victims.id)).actions == []  # type: ignore[union-attr]
    assert [a.ref for a in (await RecommendationLog.get(own.id)).actions] == [mine["event_id"]]  # type: ignore[union-attr]


async def test_each_users_history_stays_bounded_keeping_the_newest(client: AppClient, shopper: Shopper) -> None:
    services = client.app.state.services
    history = History(utcnow, services.catalog.counters, record_actions, HistoryBounds(per_user=10, slack=3))
    start_at = datetime.now(UTC) - timedelta(hours=1)
    events = [
        decode_event(
            json.dumps(event(wine_id=f"w{i:02d}", occurred_at=(start_at + timedelta(seconds=i)).isoformat())).encode()
        )
        for i in range(40)
    ]
    for start in range(0, 40, 4):
        await history.apply([Attributed(ev, shopper.id) for ev in events[start : start + 4]])
        assert await Interaction.find({"user_id": shopper.id}).count() <= 13
    kept = await history.recent(shopper.id, ("wine_viewed",), 50)
    assert [d["wine_id"] for d in kept][:10] == [f"w{i:02d}" for i in range(39, 29, -1)]


async def test_events_are_dropped_when_consent_is_withdrawn_before_the_worker_runs(
    client: AppClient, shopper: Shopper, redis: Any
) -> None:
    await signed_in_with_consent(client, shopper)
    await post(client, [event(), event()], shopper.headers)
    # Withdrawn elsewhere (another API process) before its clean-up reached the stream: the worker decides.
    await User.get_pymongo_collection().update_one({"_id": shopper.id}, {"$set": {"consent.analytics": False}})
    client.app.state.services.clickstream.consent_changed(shopper.id)
    worker = worker_for(client, redis, "w")
    await worker.ensure_group()
    assert await worker.poll_once() == 2
    assert worker.counters["dropped_no_consent"] == 2
    assert await Interaction.find({"user_id": shopper.id}).count() == 0
    assert (await redis.xpending(client.app.state.services.clickstream.keys.stream, "history-writers"))["pending"] == 0


class InstantServer:
    """A Redis that answers XREADGROUP … BLOCK at once with nothing (what fakeredis < 2.41 did), or, with
    `blocks`, one that waits out the block time; time is the test's clock, so no real waiting is measured."""

    def __init__(self, clock: list[float], *, blocks: bool, reads_wanted: int) -> None:
        self.clock, self.blocks, self.blocked_for = clock, blocks, []
        self.real_times: list[float] = []  # only ever compared from below: a loaded machine makes gaps longer
        self.enough = asyncio.Event()
        self._reads_wanted = reads_wanted

    async def xreadgroup(self, group: str, consumer: str, streams: Any, count: int, block: int | None) -> list[Any]:
        self.blocked_for.append(block)
        self.real_times.append(time.monotonic())
        if self.blocks:
            self.clock[0] += (block or 0) / 1000
        if len(self.blocked_for) >= self._reads_wanted:
            self.enough.set()
        await asyncio.sleep(0)
        return []

    async def xautoclaim(self, *args: Any, **kwargs: Any) -> list[Any]:
        return [b"0-0", [], []]

    async def xgroup_create(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def xinfo_consumers(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

    async def xpending_range(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

    async def xgroup_delconsumer(self, *args: Any, **kwargs: Any) -> None:
        return None


async def run_against(client: AppClient, server: InstantServer, clock: list[float]) -> ClickstreamWorker:
    clickstream = client.app.state.services.clickstream
    worker = ClickstreamWorker(
        server,
        clickstream.keys,
        clickstream.history,
        clickstream.gate,
        WorkerConfig(block_ms=1000, idle_sleep_s=0.01),
        consumer="w",
        clock=lambda: clock[0],
    )
    worker.start()
    await asyncio.wait_for(server.enough.wait(), 30)  # a generous deadline: only the count of reads matters
    await worker.stop()
    return worker


async def test_the_worker_does_not_spin_when_the_server_answers_at_once(client: AppClient) -> None:
    """A server that returns an empty XREADGROUP at once (no time passed): each such read is followed by a
    pause, so the loop never polls hot."""
    clock = [0.0]
    server = InstantServer(clock, blocks=False, reads_wanted=6)
    worker = await run_against(client, server, clock)
    assert set(server.blocked_for) == {1000}  # it did ask the server to block
    assert worker.counters["reads"] >= 6
    assert worker.counters["idle_sleeps"] >= worker.counters["reads"] - 1
    gaps = [b - a for a, b in zip(server.real_times, server.real_times[1:], strict=False)]
    assert min(gaps) >= 0.009  # idle_sleep_s = 0.01 between any two reads


async def test_the_worker_does_not_pause_when_the_server_blocks(client: AppClient) -> None:
    clock = [0.0]
    server = InstantServer(clock, blocks=True, reads_wanted=6)
    worker = await run_against(client, server, clock)
    assert worker.counters["reads"] >= 6
    assert worker.counters["idle_sleeps"] == 0


async def test_sigterm_stops_the_worker_process_loop_after_its_batch(client: AppClient, redis: Any) -> None:
    """What `cuvee worker` runs: SIGTERM ends it cleanly, with everything read written and acknowledged."""
    (wine,) = await insert_wines(make_wine())
    await post(client, [event(wine_id=wine.id) for _ in range(30)])
    worker = worker_for(client, redis, "proc", batch_size=10)
    await worker.ensure_group()
    running = asyncio.create_task(run_until_signalled(worker))
    for _ in range(100):
        if worker.counters["applied"] >= 30:
            break
        await asyncio.sleep(0.02)
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(running, 5)
    assert (await Wine.get(wine.id)).view_count == 30  # type: ignore[union-attr]
    stream = client.app.state.services.clickstream.keys.stream
    assert (await redis.xpending(stream, "history-writers"))["pending"] == 0
    assert await redis.xinfo_consumers(stream, "history-writers") == []


class Crash(BaseException):
    """The worker process dying at a chosen MongoDB call (a BaseException: nothing of ours may catch it)."""


@pytest.mark.parametrize("dies_at", ["the view count", "storing the interactions", "pulling the counting ids"])
async def test_a_worker_dying_anywhere_in_counting_views_counts_each_view_once(
    client: AppClient, redis: Any, monkeypatch: pytest.MonkeyPatch, dies_at: str
) -> None:
    wines = await insert_wines(*(make_wine() for _ in range(2)))
    batch = [event(wine_id=wines[i % 2].id) for i in range(10)]
    await post(client, batch)
    doomed = worker_for(client, redis, "doomed")
    await doomed.ensure_group()
    entries = await doomed.read_new()
    collection = type(Wine.get_pymongo_collection())  # the driver's class on a server, the engine's in-process
    name = "insert_many" if dies_at == "storing the interactions" else "bulk_write"
    original = getattr(collection, name)
    marker = {"the view count": "$inc", "storing the interactions": "wine_viewed", "pulling the counting ids": "$pull"}[
        dies_at
    ]

    async def dying(self: Any, *args: Any, **kwargs: Any) -> Any:
        if marker in repr(args):
            raise Crash
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(collection, name, dying)
    history: History = client.app.state.services.clickstream.history
    with pytest.raises(Crash):
        await history.apply([Attributed(decode_event(fields[b"e"]), None) for _, fields in entries])
    monkeypatch.setattr(collection, name, original)

    rescuer = worker_for(client, redis, "rescuer", claim_idle_ms=20, reclaim_every_s=0)
    await asyncio.sleep(0.05)
    assert await rescuer.poll_once() == 10

    assert [(await Wine.get(w.id)).view_count for w in wines] == [5, 5]  # type: ignore[union-attr]
    assert [(await Wine.get(w.id)).counting for w in wines] == [[], []]  # type: ignore[union-attr]
    assert await Interaction.find({"_id": {"$in": [e["event_id"] for e in batch]}}).count() == 10


async def test_one_event_id_twice_in_a_batch_is_one_view(client: AppClient) -> None:
    (wine,) = await insert_wines(make_wine())
    twice = decode_event(json.dumps(event(wine_id=wine.id)).encode())
    history: History = client.app.state.services.clickstream.history

    await history.apply([Attributed(twice, None), Attributed(twice, None)])

    assert (await Wine.get(wine.id)).view_count == 1  # type: ignore[union-attr]
    assert (await Wine.get(wine.id)).counting == []  # type: ignore[union-attr]
