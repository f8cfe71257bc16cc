"""Relevance on real tasting notes: the WineEnthusiast reviews (read from the shared data at test time, never
copied here) are indexed, and descriptive queries must return wines whose notes say so."""

from __future__ import annotations

import asyncio
import csv
import gzip
import os
import re
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from search import SearchIndex, SearchQuery, WineSearchDoc, open_index

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("CUVEE_SHARED_DATA", ROOT.parent / "shared" / "data"))
WINEMAG = DATA / "winemag" / "winemag-data-130k-v2_rows0-5809.csv.gz"
ES_URL = os.environ.get("CUVEE_SEARCH_URL", "")
STYLES = {"Rosé": "rosé", "Sparkling Blend": "sparkling", "Champagne Blend": "sparkling"}
WHITE = re.compile(r"blanc|chardonnay|riesling|gris|grigio|white|viognier|albari|verdejo|gewürz|grüner|chenin")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not WINEMAG.exists(), reason=f"WineEnthusiast reviews not found at {WINEMAG}"),
]


def reviews() -> Iterator[WineSearchDoc]:
    with gzip.open(WINEMAG, "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            variety = row["variety"]
            style = STYLES.get(variety) or ("white" if WHITE.search(variety.lower()) else "red")
            yield WineSearchDoc(
                id=f"wm{row['id']}",
                name=row["title"] or variety,
                winery=row["winery"] or "unknown",
                style=style,
                price_cents=int(float(row["price"] or 0) * 100),
                grapes=[variety] if variety else [],
                region=row["region_1"] or row["province"],
                country=row["country"],
                tasting_notes=row["description"],
                stock=5,
            )


NOTES: dict[str, str] = {}  # id -> name and notes, lower-cased: what a hit's words are checked against


@pytest.fixture(
    scope="module",
    params=[
        "tantivy",
        pytest.param(
            "elasticsearch",
            marks=pytest.mark.skipif(
                not ES_URL.startswith("http"),
                reason="set CUVEE_SEARCH_URL=http://host:9200 to run against Elasticsearch",
            ),
        ),
    ],
)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(url, namespace) of an index holding every review; built once per module and engine."""
    if request.param == "tantivy":
        url, namespace = f"tantivy://{tmp_path_factory.mktemp('winemag')}/search", "cuvee"
    else:
        url, namespace = ES_URL, f"t{uuid4().hex[:12]}"
    docs = list(reviews())
    NOTES.update({d.id: f"{d.name} {d.tasting_notes}".lower() for d in docs})

    async def build() -> None:
        index = open_index(url, namespace=namespace)
        await index.rebuild(docs, total=len(docs))
        await index.close()

    asyncio.run(build())
    yield url, namespace
    if request.param == "elasticsearch":

        async def drop() -> None:
            index = open_index(url, namespace=namespace)
            await index._es.indices.delete(index=f"{namespace}-wines*", ignore_unavailable=True)  # type: ignore[attr-defined]
            await index.close()

        asyncio.run(drop())


async def top(engine: tuple[str, str], q: str, n: int = 10) -> list[tuple[str, str, list[str]]]:
    index: SearchIndex = open_index(engine[0], namespace=engine[1])
    try:
        result = await index.search(SearchQuery(q=q, per_page=n))
    finally:
        await index.close()
    return [(h.id, NOTES[h.id], h.grapes) for h in result.hits]


@pytest.mark.parametrize(
    ("q", "stems"),
    [
        ("blackberry tannins", ("blackberr", "tannin")),
        ("crisp citrus minerality", ("crisp", "citrus", "mineral")),
        ("oak vanilla", ("oak", "vanilla")),
        ("tart cherry acidity", ("tart", "cherr", "acid")),
        ("pepper smoke", ("pepper", "smok")),
    ],
)
async def test_descriptive_queries_return_wines_whose_notes_say_so(
    engine: tuple[str, str], q: str, stems: tuple[str, ...]
):
    hits = await top(engine, q)

    assert len(hits) == 10
    for _, notes, _ in hits:
        assert all(stem in notes for stem in stems), (q, notes)


async def test_a_typo_in_a_descriptive_query_still_finds_the_notes(engine: tuple[str, str]):
    hits = await top(engine, "blackbery tanins")

    assert len(hits) == 10
    assert sum("blackberr" in notes and "tannin" in notes for _, notes, _ in hits) >= 8


async def test_a_grape_query_ranks_that_grape_first(engine: tuple[str, str]):
    for q, grape in (("pinot noir", "Pinot Noir"), ("riesling", "Riesling"), ("syrah", "Syrah")):
        hits = await top(engine, q)
        assert all(any(grape in g for g in grapes) for _, _, grapes in hits), (q, [g for _, _, g in hits])


async def test_a_grape_synonym_finds_the_other_name_but_ranks_it_after_the_typed_one(engine: tuple[str, str]):
    index = open_index(engine[0], namespace=engine[1])
    try:
        result = await index.search(SearchQuery(q="shiraz", per_page=5))
        wide = await index.search(SearchQuery(q="shiraz", per_page=100))
    finally:
        await index.close()

    spellings = {g for h in wide.hits for g in h.grapes}
    assert {"Syrah", "Shiraz"} <= spellings  # both names of the vine are found (and counted as one facet)
    assert result.facets.grape.get("Syrah", 0) > 0 and "Shiraz" not in result.facets.grape
    assert all("Shiraz" in h.grapes or "shiraz" in h.name.lower() for h in result.hits)
