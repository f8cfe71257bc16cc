"""The shipped demo catalog, its idempotent seeding into MongoDB, and catalog expansion for benchmarks."""

from __future__ import annotations

from importlib import resources

import pytest
from pymongo.errors import BulkWriteError

from app.catalog.demo import (
    DATA_FILE,
    SHIPPED_FIELDS,
    dump_wine,
    expand_catalog,
    load_demo_wines,
    read_demo_rows,
    seed_demo_catalog,
)
from documents.database import Database
from documents.models import Style, Wine


def test_the_shipped_file_is_small_and_holds_the_catalog_facts_only() -> None:
    size = resources.files("app.catalog").joinpath("data", DATA_FILE).stat().st_size  # type: ignore[attr-defined]
    rows = read_demo_rows()
    assert size < 300_000
    assert len(rows) >= 1000
    assert all(set(row) == SHIPPED_FIELDS for row in rows)


async def test_the_shipped_catalog_loads_as_valid_wines_with_unique_ids(db: Database) -> None:
    wines = load_demo_wines()
    assert len(wines) >= 1000
    assert len({w.id for w in wines}) == len(wines)
    assert len({w.source_id for w in wines}) == len(wines)
    assert {w.style for w in wines} == set(Style)
    assert all(w.tasting_notes and w.price_cents > 0 and w.currency == "EUR" for w in wines)
    assert 0 < sum(w.stock == 0 for w in wines) < len(wines) * 0.2  # some sold out, most on the shelf
    assert [dump_wine(Wine.model_validate(dump_wine(w))) for w in wines] == [dump_wine(w) for w in wines]


async def test_seeding_twice_inserts_the_catalog_once(db: Database) -> None:
    first = await seed_demo_catalog(progress=False)
    second = await seed_demo_catalog(progress=False)
    assert first.inserted >= 1000
    assert (first.updated, first.unchanged) == (0, 0)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, first.inserted)
    assert await Wine.count() == first.inserted
    assert str(second) == f"0 inserted, 0 updated, {first.inserted} unchanged"


async def test_seeding_never_resets_live_shop_data(db: Database) -> None:
    wines = load_demo_wines()[:20]
    await seed_demo_catalog(progress=False, wines=wines)
    wine = await Wine.get("xw100003")
    assert wine is not None
    await wine.set({"stock": 0, "price_cents": 1, "rating.count": 3, "rating.total": 12.0, "tasting_notes": "Mine."})

    plain = await seed_demo_catalog(progress=False, wines=wines)
    kept = await Wine.get("xw100003")
    assert plain.inserted == 0
    assert kept is not None
    assert (kept.stock, kept.price_cents, kept.rating.count, kept.tasting_notes) == (0, 1, 3, "Mine.")

    refreshed = await seed_demo_catalog(progress=False, wines=wines, refresh_facts=True)
    after = await Wine.get("xw100003")
    assert (refreshed.inserted, refreshed.updated) == (0, 1)
    assert after is not None
    assert after.tasting_notes != "Mine."  # catalog facts come back from the shipped file …
    assert (after.stock, after.price_cents, after.rating.count) == (0, 1, 3)  # … live data stays


async def test_seeding_only_adds_the_wines_that_are_missing(db: Database) -> None:
    wines = load_demo_wines()
    await seed_demo_catalog(progress=False, wines=wines[:100])
    report = await seed_demo_catalog(progress=False, wines=wines, batch_size=250)
    assert (report.inserted, report.unchanged) == (len(wines) - 100, 100)
    assert await Wine.count() == len(wines)


async def test_a_wine_whose_source_is_already_in_the_catalog_is_not_seeded_again(db: Database) -> None:
    wines = load_demo_wines()[:3]
    clash = wines[0].model_copy(update={"id": "imported-by-hand"})
    await Wine.insert_many([clash])
    report = await seed_demo_catalog(progress=False, wines=wines)
    assert (report.inserted, report.unchanged) == (2, 1)


async def test_the_in_process_engine_still_refuses_duplicate_sources_in_one_bulk_insert(db: Database) -> None:
    wines = load_demo_wines()[:2]
    await Wine.insert_many([wines[0]])
    twin = wines[0].model_copy(update={"id": "other-id"})
    with pytest.raises(BulkWriteError) as caught:
        await Wine.insert_many([wines[1], twin], ordered=False)
    assert caught.value.details["nInserted"] == 1
    assert await Wine.count() == 2


async def test_expanding_the_catalog_makes_many_varied_reproducible_wines(db: Database) -> None:
    base = load_demo_wines()
    expanded = list(expand_catalog(base, 1000, seed=7))
    again = [dump_wine(w) for w in expand_catalog(base, 1000, seed=7)]
    other_seed = {w.id for w in expand_catalog(base, 50, seed=8)}

    assert [dump_wine(w) for w in expanded] == again
    assert len({w.id for w in expanded}) == 1000
    assert len({w.source_id for w in expanded}) == 1000
    assert not other_seed & {w.id for w in expanded}
    assert not {w.id for w in expanded} & {w.id for w in base}
    assert len({w.tasting_notes for w in expanded}) == 1000
    assert len({(w.winery, w.vintage, w.price_cents) for w in expanded}) > 800
    assert all(Wine.model_validate(dump_wine(w)) for w in expanded[:300])
    assert base[0].id == "xw100001"  # the originals are left as they were


async def test_an_expanded_catalog_seeds_in_full(db: Database) -> None:
    wines = list(expand_catalog(load_demo_wines(), 2000))
    report = await seed_demo_catalog(progress=False, wines=wines)
    assert report.inserted == 2000 and await Wine.count() == 2000  # its speed: bench/seeding.py
