"""The event bus: reactions run in their declared order, and each failure does what its reaction says."""

from __future__ import annotations

import logging

import pytest

from app.events import (
    EVENTS,
    ConsentChanged,
    EventBus,
    OnFailure,
    OrderPlaced,
    OrderStatusChanged,
    Reaction,
    Reactions,
    WinesChanged,
    describe,
)


class Shelf:
    """A reacting service: records what it was told, fails the first `failures` times."""

    def __init__(self, failures: int = 0) -> None:
        self.told: list[list[str]] = []
        self.failures = failures

    async def wines_changed(self, wine_ids: list[str]) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("search engine away")
        self.told.append(wine_ids)

    def forget(self, wine_ids: list[str]) -> None:  # a plain method: not awaited
        self.told.append(["forgot", *wine_ids])


def bus_with(*reactions: Reaction) -> EventBus:
    table: dict[type, list[Reaction]] = {event: [] for event in EVENTS}
    table[WinesChanged] = list(reactions)
    bus = EventBus()
    bus.declare(table)
    return bus


async def test_reactions_run_in_their_declared_order_with_the_fields_they_name() -> None:
    first, second = Shelf(), Shelf()
    bus = bus_with(
        Reaction(first.wines_changed, OnFailure.RAISE, args=("wine_ids",)),
        Reaction(second.forget, OnFailure.RAISE, args=("wine_ids",)),
    )
    await bus.publish(WinesChanged(["w1", "w2"]))
    assert first.told == [["w1", "w2"]] and second.told == [["forgot", "w1", "w2"]]


async def test_a_logged_failure_is_logged_and_the_next_reaction_still_runs(caplog: pytest.LogCaptureFixture) -> None:
    broken, after = Shelf(failures=5), Shelf()
    bus = bus_with(
        Reaction(broken.wines_changed, OnFailure.LOG, args=("wine_ids",)),
        Reaction(after.wines_changed, OnFailure.RAISE, args=("wine_ids",)),
    )
    with caplog.at_level(logging.ERROR, logger="cuvee.events"):
        await bus.publish(WinesChanged(["w1"]))
    assert after.told == [["w1"]]
    assert [r.getMessage() for r in caplog.records] == [
        "reaction Shelf.wines_changed to WinesChanged failed; the change stands"
    ]


async def test_a_raising_failure_reaches_the_publisher_and_stops_the_reactions_after_it() -> None:
    broken, after = Shelf(failures=1), Shelf()
    bus = bus_with(
        Reaction(broken.wines_changed, OnFailure.RAISE, args=("wine_ids",)),
        Reaction(after.wines_changed, OnFailure.LOG, args=("wine_ids",)),
    )
    with pytest.raises(RuntimeError, match="search engine away"):
        await bus.publish(WinesChanged(["w1"]))
    assert after.told == []


async def test_a_retried_reaction_gets_another_attempt_before_its_failure_counts() -> None:
    flaky = Shelf(failures=1)
    bus = bus_with(Reaction(flaky.wines_changed, OnFailure.RAISE, args=("wine_ids",), retries=1))
    await bus.publish(WinesChanged(["w1"]))
    assert flaky.told == [["w1"]]


async def test_publishing_before_the_reactions_are_declared_is_refused() -> None:
    with pytest.raises(RuntimeError, match="before the composition root declared"):
        await EventBus().publish(WinesChanged(["w1"]))


def test_the_table_is_declared_once_with_a_row_per_event_and_only_fields_the_events_have() -> None:
    shelf = Shelf()
    bus = bus_with()
    with pytest.raises(RuntimeError, match="declared once"):
        bus.declare({event: [] for event in EVENTS})
    with pytest.raises(ValueError, match="no reactions declared for ConsentChanged"):
        EventBus().declare({OrderPlaced: [], OrderStatusChanged: [], WinesChanged: []})
    wrong = Reaction(shelf.wines_changed, OnFailure.LOG, args=("wines",))
    with pytest.raises(ValueError, match=r"Shelf.wines_changed reads \['wines'\], which WinesChanged lacks"):
        EventBus().declare({**{event: [] for event in EVENTS}, WinesChanged: [wrong]})
    # a property of the event counts as a field
    EventBus().declare(
        {**{event: [] for event in EVENTS}, OrderPlaced: [Reaction(shelf.forget, OnFailure.LOG, args=("wine_ids",))]}
    )


def test_the_table_describes_each_reaction_and_its_failure() -> None:
    shelf = Shelf()
    table: Reactions = {
        **{event: [] for event in EVENTS},
        ConsentChanged: [Reaction(shelf.forget, OnFailure.RAISE, args=("user_id",))],
        WinesChanged: [Reaction(shelf.wines_changed, OnFailure.LOG, args=("wine_ids",), retries=2, repair="reindex")],
    }
    assert describe(table) == [
        ("WinesChanged", "Shelf.wines_changed(wine_ids)", "log after 2 retries; repair: reindex"),
        ("ConsentChanged", "Shelf.forget(user_id)", "raise"),
    ]
