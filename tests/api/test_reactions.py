"""The reactions the running app declares: the table docs/architecture.md shows, and what follows a checkout."""

from __future__ import annotations

import re
from pathlib import Path

from app.events import OnFailure, OrderPlaced, describe
from tests.conftest import AppClient

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


async def test_docs_show_the_reactions_the_app_declares_in_order(client: AppClient) -> None:
    declared = describe(client.app.state.services.events.reactions)
    section = re.search(r"<!-- reactions:.*?-->\n(.*?)<!-- /reactions -->", DOC.read_text(), re.DOTALL)
    assert section is not None
    rows = [line for line in section.group(1).splitlines() if line.startswith("| `")]
    assert rows == [f"| `{event}` | `{reaction}` | {failure} |" for event, reaction, failure in declared]


async def test_nothing_that_follows_a_checkout_can_undo_it(client: AppClient) -> None:
    """The order is placed and answered 201 whatever pricing or the recommender do with it."""
    after_checkout = client.app.state.services.events.reactions[OrderPlaced]
    assert after_checkout and all(r.on_failure is OnFailure.LOG for r in after_checkout)
