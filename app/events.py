"""Domain events (what happened, past tense) and the bus that runs the reactions app/container.py declares."""

from __future__ import annotations

import dataclasses
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from documents import ConsentState, Order, OrderStatus

log = logging.getLogger("cuvee.events")


# ---------------------------------------------------------------- the events
@dataclass(frozen=True, slots=True)
class OrderPlaced:
    """A checkout completed: the order is pending, its bottles are sold (commerce)."""

    order: Order

    @property
    def wine_ids(self) -> list[str]:
        return [i.wine_id for i in self.order.items]


@dataclass(frozen=True, slots=True)
class OrderStatusChanged:
    """An order moved from `previous` to `order.status` (commerce: a cancellation, an admin's transition)."""

    order: Order
    previous: OrderStatus


@dataclass(frozen=True, slots=True)
class WinesChanged:
    """What search shows of these wines changed outside the catalog's own writes: stock, rating or price."""

    wine_ids: list[str]


@dataclass(frozen=True, slots=True)
class ConsentChanged:
    """A consent request was stored (accounts): every request, changed or not, so a withdrawal asked again
    re-runs its clean-up."""

    user_id: str
    requested: dict[str, bool]
    state: ConsentState


Event = OrderPlaced | OrderStatusChanged | WinesChanged | ConsentChanged
EVENTS: tuple[type[Event], ...] = (OrderPlaced, OrderStatusChanged, WinesChanged, ConsentChanged)


# ---------------------------------------------------------------- reactions and the bus
class OnFailure(StrEnum):
    """What a reaction's exception does."""

    RAISE = "raise"  # part of the request: the error reaches the caller, the reactions after it do not run
    LOG = "log"  # the change stands: the failure is logged and the next reaction runs


@dataclass(frozen=True)
class Reaction:
    """`handler(*[getattr(event, a) for a in args])` (or `handler(event)` without args), awaited if async.

    `retries`: attempts after the first before `on_failure` applies (only for idempotent handlers)."""

    handler: Callable[..., Awaitable[object] | None]
    on_failure: OnFailure
    args: tuple[str, ...] = ()
    retries: int = 0
    repair: str = ""  # what mends a failure that was only logged

    @property
    def name(self) -> str:
        """`ClassName.method` of a bound method: how the reactions table names it."""
        owner = getattr(self.handler, "__self__", None)
        method = getattr(self.handler, "__name__", repr(self.handler))
        return f"{type(owner).__name__}.{method}" if owner is not None else method

    async def run(self, event: Event) -> None:
        call_args = [getattr(event, a) for a in self.args] if self.args else [event]
        for attempt in range(self.retries + 1):
            try:
                result = self.handler(*call_args)
                if inspect.isawaitable(result):
                    await result
                return
            except Exception:
                if attempt < self.retries:
                    log.warning("reaction %s to %s failed; trying again", self.name, type(event).__name__)
                    continue
                if self.on_failure is OnFailure.RAISE:
                    raise
                log.exception("reaction %s to %s failed; the change stands", self.name, type(event).__name__)


Reactions = Mapping[type[Event], Sequence[Reaction]]


class Publisher(Protocol):
    """What a service publishes to (the EventBus the composition root builds)."""

    async def publish(self, event: Event) -> None: ...


class EventBus:
    """Runs each event's reactions in their declared order, in the publishing request (no queue: a reaction
    that must survive a crash is a repair job, named in its `repair`)."""

    def __init__(self) -> None:
        self._reactions: Reactions | None = None

    def declare(self, reactions: Reactions) -> None:
        """Set the one table (app/container.py), once; every event type must be in it, every `args` a field."""
        if self._reactions is not None:
            raise RuntimeError("the reactions are declared once, in the composition root")
        for event_type in EVENTS:
            fields = {f.name for f in dataclasses.fields(event_type)} | {
                name for name, value in vars(event_type).items() if isinstance(value, property)
            }
            for reaction in reactions.get(event_type, ()):
                unknown = set(reaction.args) - fields
                if unknown:
                    raise ValueError(f"{reaction.name} reads {sorted(unknown)}, which {event_type.__name__} lacks")
        missing = [t.__name__ for t in EVENTS if t not in reactions]
        if missing:
            raise ValueError(f"no reactions declared for {', '.join(missing)} (an empty list says 'none')")
        self._reactions = reactions

    @property
    def reactions(self) -> Reactions:
        if self._reactions is None:
            raise RuntimeError("an event was published before the composition root declared the reactions")
        return self._reactions

    async def publish(self, event: Event) -> None:
        for reaction in self.reactions[type(event)]:
            await reaction.run(event)


def describe(reactions: Reactions) -> list[tuple[str, str, str]]:
    """(event, reaction, on failure) rows, in order: the table docs/architecture.md shows."""
    rows = []
    for event_type in EVENTS:
        for reaction in reactions[event_type]:
            failure = str(reaction.on_failure)
            if reaction.retries:
                failure += f" after {reaction.retries} retr{'y' if reaction.retries == 1 else 'ies'}"
            if reaction.repair:
                failure += f"; repair: {reaction.repair}"
            args = ", ".join(reaction.args) if reaction.args else "event"
            rows.append((event_type.__name__, f"{reaction.name}({args})", failure))
    return rows
