"""Retraining on a schedule: a new snapshot is swapped in while requests keep being answered."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.main import create_app
from documents import Wine
from tests.api.recommendations.conftest import cellar_wines
from tests.conftest import make_settings, running
from tests.factories import insert_wines


async def test_the_background_trainer_picks_up_new_wines_and_serving_never_stops(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, retrain_interval_s=0.2))
    async with running(app) as client:
        trainer = app.state.services.recommendations.trainer
        wines: list[Wine] = await insert_wines(*cellar_wines())
        answered = []
        for _ in range(200):  # the loop notices unknown wines at its next stock refresh and retrains
            response = await client.get("/v1/recommendations/popular", params={"per_page": 3})
            answered.append(response.status_code)
            snap = trainer.snapshot
            if snap is not None and len(snap.table) == len(wines) and response.json()["items"]:
                break
            await asyncio.sleep(0.05)
        assert set(answered) == {200}
        assert trainer.snapshot is not None and len(trainer.snapshot.table) == len(wines)
