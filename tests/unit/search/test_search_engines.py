"""Opening engines by URL, failing clearly, and the tantivy engine's on-disk generations."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from search import SearchQuery, SearchUnavailable, WineSearchDoc, open_index
from search.tantivy_index import TantivyIndex
from search.tantivy_store import POINTER


def doc(id: str, name: str) -> WineSearchDoc:
    return WineSearchDoc(id=id, name=name, winery="W", style="red", price_cents=1000)


def test_open_index_picks_the_engine_by_url(tmp_path: Path):
    from search.elastic import ElasticsearchIndex

    assert isinstance(open_index(f"tantivy://{tmp_path}/a"), TantivyIndex)
    es = open_index("http://127.0.0.1:9", namespace="shop1")
    assert isinstance(es, ElasticsearchIndex) and es.alias == "shop1-wines"
    with pytest.raises(SearchUnavailable, match="unsupported search URL"):
        open_index("solr://x")


async def test_an_unreachable_elasticsearch_is_reported_as_unavailable():
    index = open_index("http://127.0.0.1:9", namespace="nobody")  # nothing listens on port 9
    try:
        with pytest.raises(SearchUnavailable, match="cannot be reached"):
            await index.ping()
    finally:
        await index.close()


async def test_an_index_of_another_schema_version_is_replaced_by_an_empty_one(tmp_path: Path):
    index = TantivyIndex(tmp_path)
    await index.upsert([doc("a", "Old Layout")])
    await index.close()
    gen = (tmp_path / POINTER).read_text()
    next((tmp_path / gen).glob("cuvee-schema-*")).rename(tmp_path / gen / "cuvee-schema-0")

    reopened = TantivyIndex(tmp_path)

    assert await reopened.count() == 0
    assert (tmp_path / POINTER).read_text() != gen


async def test_a_server_follows_a_rebuild_done_by_another_process(tmp_path: Path):
    server, cli = TantivyIndex(tmp_path), TantivyIndex(tmp_path)
    await server.upsert([doc("a", "Before")])
    await server.close()  # the server would keep writing; the rebuild uses its own generation anyway
    server = TantivyIndex(tmp_path)

    await cli.rebuild([doc("b", "After")])
    server._followed_at = 0.0  # do not wait for the next check

    assert [h.id for h in (await server.search(SearchQuery(q="after"))).hits] == ["b"]


async def test_a_second_writer_on_the_same_index_gets_a_clear_error(tmp_path: Path):
    first, second = TantivyIndex(tmp_path), TantivyIndex(tmp_path)
    await first.upsert([doc("a", "One")])

    with pytest.raises(SearchUnavailable, match="locked by another process"):
        await second.upsert([doc("b", "Two")])
    await first.close()


async def test_rebuild_removes_the_old_generation(tmp_path: Path):
    index = TantivyIndex(tmp_path)
    old = (tmp_path / POINTER).read_text()

    await index.rebuild([doc("a", "New")])

    assert not (tmp_path / old).exists()
    assert (tmp_path / (tmp_path / POINTER).read_text()).is_dir()


async def test_a_write_after_another_process_rebuilt_lands_in_the_new_generation(tmp_path: Path):
    server, cli = TantivyIndex(tmp_path), TantivyIndex(tmp_path)
    await cli.rebuild([doc("a", "Rebuilt")])
    await cli.close()

    await server.upsert([doc("b", "Written Later")])  # no waiting for the once-a-second check

    reopened = TantivyIndex(tmp_path)
    assert {h.id for h in (await reopened.search(SearchQuery())).hits} == {"a", "b"}


async def test_suggestions_see_another_process_s_commits_within_a_second(tmp_path: Path):
    server, cli = TantivyIndex(tmp_path), TantivyIndex(tmp_path)
    assert await server.suggest("zeph") == []

    await cli.upsert([WineSearchDoc(id="a", name="Morgon", winery="Domaine Zephyrine", style="red", price_cents=1000)])
    await cli.close()
    for _ in range(100):  # tantivy's reader picks up another process's commit about half a second later
        if await server.count() == 1:
            break
        await asyncio.sleep(0.05)
    server._memo_of = (server._memo_of[0], 0.0)  # as if FOLLOW_EVERY_S had passed

    assert [(s.text, s.kind) for s in await server.suggest("zeph")] == [("Domaine Zephyrine", "winery")]
