"""Every MongoDB behaviour the product relies on, pinned on the in-process engine and, when
CUVEE_MONGODB_URL is a mongodb:// URL, on a real server too."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from uuid import uuid4

import pytest
from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from documents import Order, OrderItem, Review, Style, User, Wine, WishlistEntry
from documents.database import Database, connect, drop_retired_indexes
from documents.memory import memory_client
from tests.factories import make_wine

BACKENDS = ["memory://"]
if os.environ.get("CUVEE_MONGODB_URL", "").startswith("mongodb"):
    BACKENDS.append(os.environ["CUVEE_MONGODB_URL"])


@pytest.fixture(params=BACKENDS, ids=lambda url: url.split(":")[0])
async def db(request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    database = await connect(request.param, name=f"conf{uuid4().hex[:10]}")
    yield database
    if not database.in_process:
        await database.client.drop_database(database.name)
    await database.close()


async def test_unique_index_refuses_a_second_user_with_the_same_email(db: Database) -> None:
    await User(email="ann@example.com", password_hash="x").insert()
    with pytest.raises(DuplicateKeyError):
        await User(email="ann@example.com", password_hash="y").insert()
    assert await User.find({"email": "ann@example.com"}).count() == 1


async def test_compound_unique_index_allows_same_wine_for_other_users_only(db: Database) -> None:
    await WishlistEntry(user_id="u1", wine_id="w1", price_cents_at_add=100, in_stock_at_add=True).insert()
    await WishlistEntry(user_id="u2", wine_id="w1", price_cents_at_add=100, in_stock_at_add=True).insert()
    with pytest.raises(DuplicateKeyError):
        await WishlistEntry(user_id="u1", wine_id="w1", price_cents_at_add=90, in_stock_at_add=True).insert()
    await Review(user_id="u1", wine_id="w1", rating=4).insert()
    with pytest.raises(DuplicateKeyError):
        await Review(user_id="u1", wine_id="w1", rating=2).insert()


async def test_conditional_decrement_racing_from_50_tasks_never_goes_below_zero(db: Database) -> None:
    wine = make_wine(stock=5)
    await wine.insert()
    collection = Wine.get_pymongo_collection()

    async def buy() -> bool:
        result = await collection.find_one_and_update(
            {"_id": wine.id, "stock": {"$gte": 1}}, {"$inc": {"stock": -1}}, return_document=ReturnDocument.AFTER
        )
        return result is not None

    outcomes = await asyncio.gather(*(buy() for _ in range(50)))
    assert sum(outcomes) == 5
    fresh = await Wine.get(wine.id)
    assert fresh is not None and fresh.stock == 0


async def test_update_operators_inc_set_nested_push_each_slice_addtoset_pull(db: Database) -> None:
    user = User(email=f"{uuid4().hex}@example.com", password_hash="x")
    await user.insert()
    users = User.get_pymongo_collection()
    await users.update_one(
        {"_id": user.id},
        {
            "$set": {"preferences.price_range.max_cents": 5000, "username": "ann"},
            "$push": {"anonymous_ids": {"$each": ["a1", "a2", "a3", "a4"], "$slice": -3}},
            "$addToSet": {"roles": "admin"},
        },
    )
    await users.update_one({"_id": user.id}, {"$addToSet": {"roles": "admin"}, "$pull": {"anonymous_ids": "a3"}})
    raw = await users.find_one({"_id": user.id})
    assert raw["preferences"]["price_range"]["max_cents"] == 5000
    assert raw["anonymous_ids"] == ["a2", "a4"]
    assert raw["roles"] == ["customer", "admin"]
    wine = make_wine()
    await wine.insert()
    wines = Wine.get_pymongo_collection()
    await wines.update_one({"_id": wine.id}, {"$inc": {"rating.count": 1, "rating.total": 4.5, "view_count": 2}})
    fresh = await Wine.get(wine.id)
    assert fresh is not None
    assert (fresh.rating.count, fresh.rating.total, fresh.view_count) == (1, 4.5, 2)


async def test_aggregation_match_unwind_group_sort_limit_and_lookup(db: Database) -> None:
    a, b = make_wine(name="Alpha"), make_wine(name="Beta")
    await a.insert()
    await b.insert()
    for user, qty_a, qty_b in [("u1", 2, 1), ("u2", 1, 0), ("u3", 3, 0)]:
        items = [OrderItem(wine_id=a.id, name="Alpha", unit_price_cents=100, quantity=qty_a)]
        if qty_b:
            items.append(OrderItem(wine_id=b.id, name="Beta", unit_price_cents=100, quantity=qty_b))
        await Order(user_id=user, items=items, total_cents=100).insert()
    pipeline = [
        {"$match": {"status": "pending"}},
        {"$unwind": "$items"},
        {"$group": {"_id": "$items.wine_id", "bottles": {"$sum": "$items.quantity"}, "buyers": {"$sum": 1}}},
        {"$sort": {"bottles": -1}},
        {"$limit": 5},
        {"$lookup": {"from": "wines", "localField": "_id", "foreignField": "_id", "as": "wine"}},
    ]
    rows = await (await Order.get_pymongo_collection().aggregate(pipeline)).to_list()
    assert [(r["_id"], r["bottles"], r["buyers"]) for r in rows] == [(a.id, 6, 3), (b.id, 1, 1)]
    assert rows[0]["wine"][0]["name"] == "Alpha"


async def test_sorted_pages_with_skip_and_limit_through_beanie(db: Database) -> None:
    for price in range(8):
        await make_wine(price_cents=price).insert()
    page = (
        await Wine.find(Wine.price_cents >= 2, Wine.price_cents <= 6).sort(-Wine.price_cents).skip(1).limit(2).to_list()
    )
    assert [w.price_cents for w in page] == [5, 4]
    page = await Wine.find({}).sort([("price_cents", 1)]).skip(6).limit(5).to_list()
    assert [w.price_cents for w in page] == [6, 7]


async def test_aware_utc_datetimes_round_trip(db: Database) -> None:
    placed = datetime(2026, 3, 1, 12, 30, 15, 123000, tzinfo=timezone(timedelta(hours=2)))
    order = Order(
        user_id="u",
        items=[OrderItem(wine_id="w", name="W", unit_price_cents=1, quantity=1)],
        total_cents=1,
        placed_at=placed,
    )
    await order.insert()
    fresh = await Order.get(order.id)
    assert fresh is not None
    assert fresh.placed_at == placed
    assert fresh.placed_at.utcoffset() == timedelta(0)
    assert fresh.created_at.tzinfo is not None
    recent = await Order.find({"placed_at": {"$gte": datetime(2026, 3, 1, 10, 0, tzinfo=UTC)}}).count()
    assert recent == 1


async def test_partial_unique_index_ignores_missing_values_but_refuses_duplicates(db: Database) -> None:
    await make_wine(source_id=None).insert()
    await make_wine(source_id=None).insert()
    await make_wine(source_id="xwines:1").insert()
    with pytest.raises(DuplicateKeyError):
        await make_wine(source_id="xwines:1").insert()
    assert await Wine.find({}).count() == 3


async def test_bulk_updates_keep_working_after_thousands_of_in_process_clients() -> None:
    """Each test opens its own in-process client; pymongo-async-mock used to stack one wrapper per client."""
    for _ in range(1200):
        collection = memory_client()["many"]["wines"]
    await collection.insert_one({"_id": "w", "stock": 1})
    result = await collection.bulk_write([UpdateOne({"_id": "w"}, {"$inc": {"stock": 2}})])
    assert result.modified_count == 1
    assert (await collection.find_one({"_id": "w"}))["stock"] == 3


async def test_an_update_onto_a_taken_unique_key_is_refused_while_counter_updates_pass(db: Database) -> None:
    """The in-process engine skips its unique re-check for updates that touch no unique field: pin both sides."""
    first, second = make_wine(source_id="xwines:7"), make_wine(source_id="xwines:8")
    await first.insert()
    await second.insert()
    collection = Wine.get_pymongo_collection()
    with pytest.raises(DuplicateKeyError):
        await collection.update_one({"_id": second.id}, {"$set": {"source_id": "xwines:7"}})
    await collection.update_one({"_id": second.id}, {"$inc": {"view_count": 3}})
    fresh = await Wine.get(second.id)
    assert fresh is not None
    assert (fresh.source_id, fresh.view_count) == ("xwines:8", 3)


async def test_a_snapshot_with_wines_lacking_a_source_id_reloads(tmp_path: Path) -> None:
    path = tmp_path / "snap"
    database = await connect("memory://", name="snap", snapshot_path=path)
    await make_wine(source_id=None).insert()
    await make_wine(source_id=None).insert()
    await make_wine(source_id="xwines:7").insert()
    await database.close()
    reloaded = await connect("memory://", name="snap", snapshot_path=path)
    assert await Wine.find({}).count() == 3
    with pytest.raises(DuplicateKeyError):
        await make_wine(source_id="xwines:7").insert()
    await reloaded.close()


async def test_guarded_array_markers_for_holds_and_view_counts(db: Database) -> None:
    """What checkout holds and exact view counts rest on: a guard on an array member ($ne / $nin) decides
    whether an $inc happens, bulk matched_count tells a failed guard, and $pull removes by subdocument
    field or by $in; an array of subdocuments is queried by member field, datetimes included."""
    wine = make_wine(stock=5)
    await wine.insert()
    wines = Wine.get_pymongo_collection()
    at = datetime.now(UTC).replace(microsecond=0)

    await wines.update_one(
        {"_id": wine.id}, {"$inc": {"stock": -2}, "$push": {"holds": {"order_id": "o1", "quantity": 2, "at": at}}}
    )
    assert await wines.count_documents({"holds.order_id": "o1", "holds.at": {"$lt": at + timedelta(seconds=1)}}) == 1
    assert await wines.count_documents({"holds.at": {"$lt": at}}) == 0
    back = await wines.find_one_and_update(
        {"_id": wine.id, "holds.order_id": "o1"},
        {"$inc": {"stock": 2}, "$pull": {"holds": {"order_id": "o1"}}},
        return_document=ReturnDocument.AFTER,
    )
    assert (back["stock"], back["holds"]) == (5, [])
    assert (
        await wines.find_one_and_update({"_id": wine.id, "holds.order_id": "o1"}, {"$inc": {"stock": 2}}) is None
    )  # given back once only

    guarded = UpdateOne(
        {"_id": wine.id, "counting": {"$nin": ["e1", "e2"]}},
        {"$inc": {"view_count": 2}, "$push": {"counting": {"$each": ["e1", "e2"]}}},
    )
    assert (await wines.bulk_write([guarded])).matched_count == 1
    assert (await wines.bulk_write([guarded])).matched_count == 0  # e1 is there: no second $inc
    one = UpdateOne(
        {"_id": wine.id, "counting": {"$ne": "e2"}}, {"$inc": {"view_count": 1}, "$push": {"counting": "e2"}}
    )
    assert (await wines.bulk_write([one])).matched_count == 0
    await wines.update_one({"_id": wine.id}, {"$pull": {"counting": {"$in": ["e1", "e2", "e3"]}}})
    after = await wines.find_one({"_id": wine.id})
    assert (after["view_count"], after["counting"]) == (2, [])


async def test_a_user_with_styles_and_regions_is_stored_once_the_parallel_array_index_is_retired(db: Database) -> None:
    """MongoDB refuses a document with two array fields under one compound index ("cannot index parallel
    arrays", code 171; MongoDB manual, Multikey Indexes > Compound Multikey Indexes). A database an earlier
    version set up still has that index (init_beanie never drops one): start-up drops it."""
    users = db.db["users"]
    await users.create_index([("preferences.styles", 1), ("preferences.regions", 1)], name="pref_style_region")
    await drop_retired_indexes(db.db)  # what connect() runs before binding the documents
    assert "pref_style_region" not in {index["name"] async for index in await users.list_indexes()}
    user = User(email=f"{uuid4().hex}@example.com", password_hash="x")
    user.preferences.styles = [Style.red, Style.white]
    user.preferences.regions = ["Rioja", "Douro"]
    await user.insert()
    assert await User.find({"preferences.regions": "Douro"}).count() == 1
