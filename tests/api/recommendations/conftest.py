"""Helpers for the recommendation tests: a small varied cellar, consent, and retraining on demand."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from app.recommendations.refresh.trainer import TrainReport
from documents import Dietary, Style, TasteStructure, Wine
from tests.conftest import AppClient, Shopper
from tests.factories import insert_wines, make_wine


def _taste(sweetness: float, acidity: float, tannin: float, body: float, fizz: float) -> TasteStructure:
    return TasteStructure(sweetness=sweetness, acidity=acidity, tannin=tannin, body=body, fizz=fizz)


BIG_RED = _taste(0.05, 0.45, 0.8, 0.85, 0.0)
LIGHT_RED = _taste(0.05, 0.6, 0.35, 0.4, 0.0)
CRISP_WHITE = _taste(0.05, 0.85, 0.0, 0.3, 0.0)
BUBBLES = _taste(0.1, 0.75, 0.0, 0.35, 0.9)
SWEET = _taste(0.9, 0.5, 0.0, 0.7, 0.0)


def cellar_wines() -> list[Wine]:
    """Twenty wines across styles, grapes, regions, dietary flags; two of them cannot be bought."""
    specs: list[dict[str, Any]] = [
        {
            "style": Style.red,
            "grapes": ["Cabernet Sauvignon"],
            "region": "Napa Valley",
            "country": "United States",
            "taste": BIG_RED,
            "dietary": [Dietary.vegan],
        },
        {"style": Style.red, "grapes": ["Syrah"], "region": "Barossa Valley", "country": "Australia", "taste": BIG_RED},
        {
            "style": Style.red,
            "grapes": ["Tempranillo"],
            "region": "Rioja",
            "country": "Spain",
            "taste": BIG_RED,
            "dietary": [Dietary.organic, Dietary.vegan],
        },
        {"style": Style.red, "grapes": ["Malbec"], "region": "Mendoza", "country": "Argentina", "taste": BIG_RED},
        {
            "style": Style.red,
            "grapes": ["Nebbiolo"],
            "region": "Piedmont",
            "country": "Italy",
            "taste": BIG_RED,
            "dietary": [Dietary.organic],
        },
        {"style": Style.red, "grapes": ["Pinot Noir"], "region": "Burgundy", "country": "France", "taste": LIGHT_RED},
        {
            "style": Style.red,
            "grapes": ["Gamay"],
            "region": "Beaujolais",
            "country": "France",
            "taste": LIGHT_RED,
            "dietary": [Dietary.vegan],
        },
        {
            "style": Style.red,
            "grapes": ["Tempranillo"],
            "region": "Rioja",
            "country": "Spain",
            "taste": BIG_RED,
            "stock": 0,
        },
        {
            "style": Style.red,
            "grapes": ["Merlot"],
            "region": "Bordeaux",
            "country": "France",
            "taste": BIG_RED,
            "listed": False,
        },
        {
            "style": Style.white,
            "grapes": ["Sauvignon Blanc"],
            "region": "Marlborough",
            "country": "New Zealand",
            "taste": CRISP_WHITE,
            "dietary": [Dietary.vegan],
        },
        {"style": Style.white, "grapes": ["Riesling"], "region": "Mosel", "country": "Germany", "taste": CRISP_WHITE},
        {
            "style": Style.white,
            "grapes": ["Albariño"],
            "region": "Rías Baixas",
            "country": "Spain",
            "taste": CRISP_WHITE,
            "dietary": [Dietary.organic, Dietary.vegan],
        },
        {
            "style": Style.white,
            "grapes": ["Chardonnay"],
            "region": "Burgundy",
            "country": "France",
            "taste": _taste(0.05, 0.5, 0.0, 0.75, 0.0),
        },
        {
            "style": Style.white,
            "grapes": ["Grüner Veltliner"],
            "region": "Wachau",
            "country": "Austria",
            "taste": CRISP_WHITE,
            "dietary": [Dietary.sulfite_free],
        },
        {
            "style": Style.sparkling,
            "grapes": ["Chardonnay", "Pinot Noir"],
            "region": "Champagne",
            "country": "France",
            "taste": BUBBLES,
        },
        {
            "style": Style.sparkling,
            "grapes": ["Glera"],
            "region": "Veneto",
            "country": "Italy",
            "taste": BUBBLES,
            "dietary": [Dietary.vegan],
        },
        {
            "style": Style.sparkling,
            "grapes": ["Macabeo"],
            "region": "Penedès",
            "country": "Spain",
            "taste": BUBBLES,
            "dietary": [Dietary.organic],
        },
        {
            "style": Style.rose,
            "grapes": ["Grenache"],
            "region": "Provence",
            "country": "France",
            "taste": _taste(0.05, 0.7, 0.1, 0.35, 0.0),
            "dietary": [Dietary.vegan],
        },
        {"style": Style.dessert, "grapes": ["Sémillon"], "region": "Sauternes", "country": "France", "taste": SWEET},
        {
            "style": Style.fortified,
            "grapes": ["Touriga Nacional"],
            "region": "Douro",
            "country": "Portugal",
            "taste": _taste(0.75, 0.4, 0.6, 0.9, 0.0),
        },
    ]
    # each with a source_id: the in-process MongoDB cannot reload a snapshot with two null ones (its
    # unique index on source_id ignores the partial filter when the snapshot is read back)
    return [
        make_wine(
            name=f"{spec['grapes'][0]} of {spec['region']} {n}",
            winery=f"Winery {n}",
            price_cents=900 + 150 * n,
            source_id=f"cellar:{n}:{uuid4().hex[:8]}",
            **spec,
        )
        for n, spec in enumerate(specs)
    ]


@pytest.fixture
async def cellar(client: AppClient) -> list[Wine]:
    wines = await insert_wines(*cellar_wines())
    assert await client.app.state.services.catalog.sync_to_index([w.id for w in wines], strict=True)
    return wines


async def retrain(client: AppClient) -> TrainReport:
    report: TrainReport = await client.app.state.services.recommendations.retrain()
    return report


async def allow(client: AppClient, shopper: Shopper, *, personalisation: bool = True, analytics: bool = True) -> None:
    response = await client.put(
        "/v1/me/consent", json={"personalisation": personalisation, "analytics": analytics}, headers=shopper.headers
    )
    assert response.status_code == 200, response.text
    client.app.state.services.clickstream.consent_changed(shopper.id)


async def for_you(client: AppClient, shopper: Shopper, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/me/recommendations", params=params, headers=shopper.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
