"""Every request our Elasticsearch engine sends, type-checked with `tsc --strict` against the official client's
TypeScript types (`@elastic/elasticsearch`, pinned in es_types/package.json; only its .d.ts files are used).

No Elasticsearch runs here, so the real ElasticsearchIndex is driven through a corpus of searches, suggestions,
writes and a rebuild against a recording stand-in for the Python client; each recorded call becomes a typed
constant. A body passed as `body=` is checked twice: as the whole request, and as a `Pick` of only the keys the
API accepts in its body (from the client's `acceptedParams`), so a query-string parameter put in a body fails too.
Skips when node or the npm packages are missing (`npm ci --ignore-scripts --prefix tests/contract/es_types`)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.catalog.query_intent import apply, read
from app.catalog.search_service import SearchParams, to_query
from search import Boost, SearchQuery, WineSearchDoc
from search.base import Sort
from search.elastic import ElasticsearchIndex

ES_TYPES = Path(__file__).parent / "es_types"
CLIENT = ES_TYPES / "node_modules" / "@elastic" / "elasticsearch" / "lib" / "api"
TSC = ES_TYPES / "node_modules" / "typescript" / "bin" / "tsc"
# Where the types are narrower than Elasticsearch, each with its reason: (constant name suffix, tsc message).
KNOWN_GAPS = {
    # A rebuild turns refreshes back on with null, which resets the setting to its default (keeping search-idle
    # shards unrefreshed, which an explicit "1s" would not); the types have no null: elastic/elasticsearch-js#2014.
    ("indices_put_settings", "error TS2322: Type 'null' is not assignable to type 'Duration | undefined'."),
}
CORRECTIONS = {"chardonay": "chardonnay", "tempranilo": "tempranillo"}  # what the fake term suggester offers


# ---------------------------------------------------------------- a recording stand-in for AsyncElasticsearch
class _Recorder:
    """Records (api, kwargs) for each call and answers with the smallest response our engine reads."""

    def __init__(self, calls: list[tuple[str, dict[str, Any]]], prefix: str = "") -> None:
        self._calls = calls
        self._prefix = prefix
        if not prefix:
            self.indices = _Recorder(calls, "indices.")

    def __getattr__(self, name: str) -> Callable[..., Any]:
        api = self._prefix + name

        async def call(**kwargs: Any) -> Any:
            self._calls.append((api, kwargs))
            return _answer(api, kwargs)

        return call


def _answer(api: str, kwargs: dict[str, Any]) -> Any:
    if api == "info":
        return {"version": {"number": "9.1.0"}}
    if api == "indices.exists_alias":
        return False  # a new namespace: the engine creates its first index and alias
    if api == "indices.get_alias":
        return {"cuvee-wines-0000000000001": {"aliases": {"cuvee-wines": {}}}}
    if api == "count":
        return {"count": 7}
    if api == "bulk":
        return {"errors": False, "items": []}
    if api == "search":
        body = kwargs.get("body", {})
        agg = {"buckets": [], "count": 0, "values": [], "m": {"v": {"buckets": []}}}
        words = body.get("suggest", {}).get("spelling", {}).get("text", "").split()
        spelling = [
            {"text": w, "options": [{"text": CORRECTIONS[w], "freq": 9}] if w in CORRECTIONS else []} for w in words
        ]
        return {
            "hits": {"total": {"value": 0}, "hits": []},
            "aggregations": dict.fromkeys(body.get("aggs", {}), agg),
            "suggest": {"spelling": spelling},
        }
    return {"acknowledged": True}


def _wine(n: int, **extra: Any) -> WineSearchDoc:
    return WineSearchDoc(
        id=f"w{n}",
        name=f"Château Test {n}",
        winery="Domaine d'Essai",
        style="red",
        price_cents=1500 + n,
        grapes=["Syrah", "Grenache"],
        created_at=datetime(2024, 5, 1, tzinfo=UTC),
        **extra,
    )


def _shopper(q: str) -> SearchQuery:
    """A query as the API runs it: the words the vocabulary knows read as filters (app/catalog/query_intent)."""
    return to_query(apply(SearchParams(), read(q)))


SEARCHES = [
    SearchQuery(q="merlot"),
    SearchQuery(q="crisp citrus minerality"),
    SearchQuery(q="shiraz"),  # a grape synonym
    SearchQuery(q="pinot grigio"),  # a phrase
    SearchQuery(q="chardonay"),  # a typo: fuzzy clauses, then did-you-mean and its count
    SearchQuery(q="rioja tempranilo 2015"),  # a vintage
    SearchQuery(),  # browse
    SearchQuery(
        style="red",
        country="USA",  # two spellings: a terms filter
        region="Napa Valley",
        grape="Shiraz",
        price_min_cents=1000,
        price_max_cents=5000,
        vintage_min=2010,
        dietary=["vegan", "organic"],
        in_stock=True,
        sort=Sort.price_asc,
        page=3,
        per_page=10,
    ),
    SearchQuery(country="France", vintage_max=2018, in_stock=False, sort=Sort.rating),
    SearchQuery(q="bubbles", sort=Sort.newest),
    SearchQuery(sort=Sort.price_desc, boost=Boost(styles={"red": 2}, countries={"Italy": 1.5}, grapes={"Syrah": 1})),
    _shopper("french red for duck under 30"),
    _shopper("full-bodied tuscan red for steak"),
    _shopper("cheap sweet white with dessert"),
]
SUGGESTIONS = ["chat", "chateau m", "merlot", "cabernet s", "chardonay", "tempranilo rio"]


async def _record() -> list[tuple[str, dict[str, Any]]]:
    calls: list[tuple[str, dict[str, Any]]] = []
    index = ElasticsearchIndex("http://es.invalid:9200", client=_Recorder(calls))  # type: ignore[arg-type]
    await index.ping()
    await index.upsert([_wine(1, region="Rhône", country="France", vintage=2019, taste={"body": 0.8}), _wine(2)])
    await index.delete(["w1"])
    for query in SEARCHES:
        await index.search(query)
    for prefix in SUGGESTIONS:
        await index.suggest(prefix)
    await index.price_quantiles([25, 50, 75])
    await index.count()
    await index.rebuild([_wine(3), _wine(4, tasting_notes="Black cherry and pepper.")])
    await index.close()
    return calls


# ---------------------------------------------------------------- TypeScript
def _type_name(api: str) -> str:
    """indices.put_settings -> IndicesPutSettingsRequest (the client's naming)."""
    return "".join(part.capitalize() for part in re.split(r"[._]", api)) + "Request"


def _body_keys(api: str) -> list[str]:
    """The keys `api` accepts in its body, from the client's generated `acceptedParams`."""
    namespace, _, _ = api.rpartition(".")
    source = (CLIENT / "api" / f"{namespace or api}.js").read_text()
    found = re.search(rf"\s'?{re.escape(api)}'?: \{{\s*path: \[[^\]]*\],\s*body: \[([^\]]*)\]", source)
    assert found, f"no acceptedParams for {api} in the installed client"
    return re.findall(r"'([^']+)'", found.group(1))


def _constants(calls: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str]]:
    """(name, TypeScript declaration) for each call: the whole request, its body alone, bulk action lines."""
    out = []
    for n, (api, kwargs) in enumerate(calls):
        if api == "close":
            continue
        request_type = f"estypes.{_type_name(api)}"
        body = kwargs.get("body")
        request = {k: v for k, v in kwargs.items() if k != "body"} | (body or {})
        out.append((f"c{n}_{api.replace('.', '_')}", f"{request_type} = {json.dumps(request)}"))
        if body is not None:
            keys = " | ".join(json.dumps(k) for k in _body_keys(api))
            out.append((f"c{n}_body", f"Pick<{request_type}, {keys}> = {json.dumps(body)}"))
        if api == "bulk":
            actions = json.dumps(_bulk_actions(kwargs["operations"]))
            out.append((f"c{n}_actions", f"estypes.BulkOperationContainer[] = {actions}"))
    return out


def _bulk_actions(operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The action lines of a bulk request: each is followed by its document, except a delete."""
    actions, lines = [], iter(operations)
    for action in lines:
        actions.append(action)
        if "delete" not in action:
            next(lines)
    return actions


def _tsc(tmp_path: Path, constants: list[tuple[str, str]]) -> tuple[str, dict[str, list[str]]]:
    """tsc's output and the errors of each constant (tsc reports the line; each constant sits on one)."""
    lines = ['import type { estypes } from "@elastic/elasticsearch"', ""]
    lines += [f"export const {name}: {decl}" for name, decl in constants]
    (tmp_path / "node_modules").symlink_to(ES_TYPES / "node_modules")  # so the import resolves
    source = tmp_path / "requests.ts"
    source.write_text("\n".join(lines) + "\n")
    done = subprocess.run(
        [
            shutil.which("node") or "node",
            str(TSC),
            "--noEmit",
            "--strict",
            "--target",
            "es2022",
            "--module",
            "nodenext",
            "--skipLibCheck",
            source.name,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    errors: dict[str, list[str]] = {}
    for line_no, message in re.findall(rf"{re.escape(source.name)}\((\d+),\d+\): (error .*)", done.stdout):
        name = lines[int(line_no) - 1].split(":")[0].removeprefix("export const ")
        errors.setdefault(name, []).append(message)
    assert (done.returncode == 0) == (not errors), done.stdout + done.stderr
    return done.stdout + done.stderr, errors


@pytest.fixture(scope="module")
def typescript() -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the Elasticsearch type check needs node and npm")
    if not (TSC.is_file() and (CLIENT / "types.d.ts").is_file()):
        pytest.skip(
            "the Elasticsearch types are not installed: npm ci --ignore-scripts --prefix tests/contract/es_types "
            "(scripts/test.sh does it when npm is there)"
        )


async def test_every_request_our_elasticsearch_engine_sends_passes_the_official_types(
    typescript: None, tmp_path: Path
) -> None:
    calls = await _record()
    sent = json.dumps(calls)
    # The corpus reaches every call and every feature the engine has (a change that drops one fails here).
    assert {api for api, _ in calls} >= {
        "info",
        "search",
        "count",
        "bulk",
        "indices.create",
        "indices.put_settings",
        "indices.refresh",
        "indices.update_aliases",
        "indices.delete",
        "indices.get_alias",
        "indices.exists_alias",
    }
    for feature in (
        '"dis_max"',
        '"match_phrase"',
        '"constant_score"',
        '"fuzziness"',
        '"terms"',
        '"range"',
        '"highlight"',
        '"spelling"',
        '"percentiles"',
        '"global"',
        '"bool_prefix"',
        '._index_prefix"',
        '"prefix"',
        '"sort"',
        '"taste.',
        '"food_pairings"',
        '"synonym_graph"',
        '"search_as_you_type"',
        '"aliases"',
        '"remove"',
        '"delete"',
    ):
        assert feature in sent, f"no request in the corpus uses {feature}"

    _, errors = _tsc(tmp_path, _constants(calls))

    report = "\n".join(
        f"{name}: {e}"
        for name, found in errors.items()
        for e in found
        if not any(name.endswith(suffix) and e == gap for suffix, gap in KNOWN_GAPS)
    )
    assert not report, f"tsc rejected requests our Elasticsearch engine sends:\n{report}"


BROKEN = {
    "misspelt_parameter": 'estypes.SearchRequest = {"query": {"bool": {"should": [], "minimum_should_matches": 1}}}',
    "wrong_shape": 'estypes.SearchRequest = {"sort": [{"price_cents": "ascending"}]}',
    "unknown_aggregation": 'estypes.SearchRequest = {"aggs": {"p": {"percentile": {"field": "price_cents"}}}}',
    "query_parameter_in_a_body": 'Pick<estypes.SearchRequest, "query" | "size"> = '
    '{"size": 1, "allow_no_indices": true}',
    "unknown_mapping_type": 'estypes.IndicesCreateRequest = {"index": "i", "mappings": '
    '{"properties": {"price": {"type": "money"}}}}',
    "two_bulk_actions_in_one_line": "estypes.BulkOperationContainer[] = "
    '[{"index": {"_id": "a"}, "delete": {"_id": "a"}}]',
}


def test_the_type_check_rejects_each_kind_of_broken_body(typescript: None, tmp_path: Path) -> None:
    output, errors = _tsc(tmp_path, list(BROKEN.items()))

    assert "error TS" in output
    assert set(errors) == set(BROKEN), f"tsc accepted {sorted(set(BROKEN) - set(errors))}"
