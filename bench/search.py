"""Search benchmark: p50/p95/p99 of plain, typo, filtered+faceted and suggest queries at 10k and 100k wines,
engine alone and through HTTP, printed as a table.

    python bench/search.py                      # tantivy in a temp dir, 10k and 100k wines, engine + HTTP
    python bench/search.py --sizes 10000 --no-http
    python bench/search.py --engine http://localhost:9200   # Elasticsearch (engine column only)

The catalog is the shipped demo catalog (X-Wines, CC0) expanded deterministically; tasting notes come from
the WineEnthusiast reviews in /work/shared/data when present (read at run time, never copied)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import gzip
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from search import SearchIndex, SearchQuery, WineSearchDoc, open_index  # noqa: E402
from search.tantivy_index import TantivyIndex  # noqa: E402

SHARED = Path(os.environ.get("CUVEE_SHARED_DATA", ROOT.parent / "shared" / "data"))
WINEMAG = SHARED / "winemag" / "winemag-data-130k-v2_rows0-5809.csv.gz"
XWINES = SHARED / "xwines" / "XWines_Slim_1K_wines.csv"

CUVEES = (
    "",
    "",
    "",
    "Reserve",
    "Old Vines",
    "Single Vineyard",
    "Barrel Select",
    "Grand Cru",
    "Cuvée Spéciale",
    "Estate",
    "Small Lot",
    "Vieilles Vignes",
    "Riserva",
    "Gran Reserva",
    "Late Harvest",
)
WINERY_SUFFIXES = ("", "", "Estate", "Vineyards", "Family Wines", "Cellars", "& Fils", "Bodega", "Tenuta")
DIETARY = ("vegan", "organic", "biodynamic", "sulfite-free", "low-alcohol", "gluten-free")

PLAIN = [
    "cabernet sauvignon",
    "pinot noir",
    "chateau",
    "barossa shiraz",
    "blackberry tannins",
    "crisp citrus minerality",
    "riesling",
    "rioja reserva",
    "champagne brut",
    "malbec mendoza",
    "oak vanilla",
    "sauvignon blanc marlborough",
]
TYPO = [
    "cabernay sauvignon",
    "chardonay",
    "pinot noar",
    "sauvignon blnc",
    "tempranilo",
    "reisling",
    "shiraz barosa",
    "merlott",
    "chateu margaux",
    "blackbery tanins",
]
FILTERED: list[dict[str, Any]] = [
    {"q": "pinot noir", "country": "France", "price_max_cents": 5000},
    {"q": "", "style": "red", "country": "Italy"},
    {"q": "crisp", "style": "white", "in_stock": True},
    {"q": "", "dietary": ["vegan"], "price_min_cents": 1000, "price_max_cents": 3000},
    {"q": "cabernet", "vintage_min": 2010, "vintage_max": 2018, "sort": "price_asc"},
    {"q": "fruit", "style": "red", "sort": "rating"},
    {"q": "", "grape": "Syrah", "in_stock": True, "sort": "newest"},
    {"q": "sparkling", "country": "Spain", "page": 3},
]
SUGGEST_FIRST = "suggest, 1st time"
SUGGEST = [
    "ca",
    "cab",
    "cabern",
    "pin",
    "pinot n",
    "chat",
    "bar",
    "rio",
    "sauv",
    "mal",
    "cabernay s",
    "tempran",
    "riesl",
    "napa",
    "bord",
]


# ---------------------------------------------------------------- catalog
def base_rows() -> list[dict[str, Any]]:
    """The shipped demo catalog, else X-Wines straight from the shared data."""
    try:
        from app.catalog.demo import read_demo_rows

        return read_demo_rows()
    except ImportError:
        pass
    import ast

    with XWINES.open(encoding="utf-8") as f:
        return [
            {
                "name": r["WineName"],
                "winery": r["WineryName"],
                "grapes": ast.literal_eval(r["Grapes"]),
                "region": r["RegionName"],
                "country": r["Country"],
                "style": r["Type"].lower(),
                "food_pairings": ast.literal_eval(r["Harmonize"]),
                "tasting_notes": "",
                "vintage": 2018,
                "price_cents": 2000,
            }
            for r in csv.DictReader(f)
        ]


def winemag_notes() -> list[str]:
    if not WINEMAG.exists():
        return []
    with gzip.open(WINEMAG, "rt", encoding="utf-8") as f:
        return [row["description"] for row in csv.DictReader(f) if row["description"]]


def catalog(n: int, seed: int = 0) -> Iterator[WineSearchDoc]:
    """`n` varied wines, the same for the same (n, seed)."""
    rows, notes = base_rows(), winemag_notes()
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(n):
        base = rows[i % len(rows)]
        cuvee = rng.choice(CUVEES)
        rated = rng.random() < 0.7
        yield WineSearchDoc(
            id=f"w{i:07d}",
            name=f"{base['name']} {cuvee}".strip(),
            winery=f"{base['winery']} {rng.choice(WINERY_SUFFIXES)}".strip(),
            style=base["style"],
            price_cents=max(300, int(base.get("price_cents", 2000) * rng.uniform(0.5, 3.0))),
            grapes=list(base["grapes"]),
            region=base["region"],
            country=base["country"],
            vintage=(base.get("vintage") or 2018) - rng.randrange(12) if rng.random() < 0.9 else None,
            tasting_notes=notes[(i * 7919) % len(notes)] if notes else base.get("tasting_notes", ""),
            food_pairings=list(base.get("food_pairings", [])),
            stock=rng.choice((0, 0, 3, 12, 48, 120)),
            dietary=rng.sample(DIETARY, rng.choice((0, 0, 1, 2))),
            rating_mean=round(rng.uniform(2.5, 5.0), 2) if rated else None,
            rating_count=rng.randrange(1, 500) if rated else 0,
            created_at=start + timedelta(minutes=i),
        )


# ---------------------------------------------------------------- measuring
def percentiles(samples: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return q[49], q[94], q[98]


async def timed(call: Callable[[], Awaitable[Any]], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def workloads() -> dict[str, list[Any]]:
    return {
        "plain text": [SearchQuery(q=q) for q in PLAIN],
        "typo": [SearchQuery(q=q) for q in TYPO],
        "filtered+faceted": [SearchQuery(**f) for f in FILTERED],
        "suggest": SUGGEST,
    }


async def bench_engine(
    index: SearchIndex, rounds: int, unmemoised: SearchIndex | None = None
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Latency samples per workload, and the process CPU per query (all threads): on a busy machine the
    CPU time says what the engine costs, the latency what other processes left of the cores. With
    `unmemoised` (tantivy remembers suggestion candidates per prefix for up to a second), a row of
    suggestions each computed as if typed for the first time."""
    out: dict[str, list[float]] = {}
    cpu: dict[str, float] = {}
    loads = workloads()
    if unmemoised is not None:
        loads[SUGGEST_FIRST] = SUGGEST
    for name, items in loads.items():
        samples: list[float] = []
        used = 0.0
        for item in items:
            call = (
                (lambda p=item: index.suggest(p))
                if name == "suggest"
                else (lambda p=item: unmemoised.suggest(p))
                if name == SUGGEST_FIRST  # type: ignore[union-attr]
                else (lambda q=item: index.search(q))
            )
            await timed(call, 3)  # warm caches
            before = time.process_time()
            samples += await timed(call, rounds)
            used += time.process_time() - before
        out[name], cpu[name] = samples, used * 1000 / len(samples)
    return out, cpu


# ---------------------------------------------------------------- the raw engine, side by side
RAW_WORKLOADS = ("plain text", "filtered+faceted")
RAW_TEXT_FIELDS = ["name", "winery", "grapes", "region", "country", "tasting_notes"]


def raw_tantivy(index: TantivyIndex) -> Callable[[SearchQuery], Awaitable[Any]]:
    """The same index answering the same text + filters + facets with tantivy's own query parser and nothing of
    ours: no query analysis, synonyms, typo tolerance, ranking weights, highlights or did-you-mean."""
    import tantivy

    from search.base import FACET_SIZE
    from search.tantivy_schema import FACET_FIELDS, FILTER_FIELDS

    raw_index = index._index
    schema = index._schema
    aggs: dict[str, Any] = {
        name: {"terms": {"field": FACET_FIELDS[name], "size": FACET_SIZE}}
        for name in ("style", "country", "region", "grape")
    }
    aggs["price"] = {"stats": {"field": "price_cents"}}

    async def answer(query: SearchQuery) -> Any:
        searcher = raw_index.searcher()
        text = raw_index.parse_query(query.q, RAW_TEXT_FIELDS) if query.q else tantivy.Query.all_query()
        parts = [(tantivy.Occur.Must, text)]
        for name in ("style", "country", "grape"):
            if getattr(query, name):
                term = tantivy.Query.term_query(schema, FILTER_FIELDS[name], getattr(query, name).lower())
                parts.append((tantivy.Occur.Must, term))
        tq = tantivy.Query.boolean_query(parts)
        searcher.aggregate(tq, aggs)
        found = searcher.search(tq, limit=query.per_page, offset=(query.page - 1) * query.per_page, count=False)
        return [searcher.doc(address) for _, address in found.hits]  # the page's stored documents, as we read them

    return answer


async def bench_raw(
    answer: Callable[[SearchQuery], Awaitable[Any]], rounds: int
) -> tuple[dict[str, list[float]], dict[str, float]]:
    out: dict[str, list[float]] = {}
    cpu: dict[str, float] = {}
    loads = workloads()
    for name in RAW_WORKLOADS:
        samples: list[float] = []
        used = 0.0
        for query in loads[name]:
            await timed(lambda q=query: answer(q), 3)
            before = time.process_time()
            samples += await timed(lambda q=query: answer(q), rounds)
            used += time.process_time() - before
        out[name], cpu[name] = samples, used * 1000 / len(samples)
    return out, cpu


# Shopper-language queries for the understanding row (what the app reads before the engine is asked).
SHOPPER = [
    "something to go with a ribeye",
    "french red for duck under 30",
    "cheap white",
    "big bold red from Australia",
    "dry rosé for summer",
    "wine for a cheese platter",
    "italian sparkling",
    "pinot noir from new zealand",
    "zesty white for sushi below €20",
    "portuguese red for steak",
    "late harvest dessert wine",
    "napa cabernet",
]


def bench_understanding(rounds: int) -> list[float]:
    """Microseconds per query to read a shopper's words into filters (app.catalog.query_intent.read)."""
    try:
        from app.catalog.query_intent import read
    except ImportError:
        return []
    samples = []
    for q in SHOPPER:
        read(q)
        for _ in range(rounds):
            t0 = time.perf_counter()
            read(q)
            samples.append((time.perf_counter() - t0) * 1000)
    return samples


# ---------------------------------------------------------------- through HTTP
# The app is started in its own process (granian, one worker) on the index built here, and queried over
# TCP: the numbers include routing, validation, serialisation and the socket.
SEARCH_PATH, SUGGEST_PATH = "/v1/search", "/v1/search/suggest"


def http_params(query: SearchQuery) -> dict[str, Any]:
    params: dict[str, Any] = {"q": query.q, "page": query.page, "per_page": query.per_page, "sort": query.sort}
    for name in ("style", "country", "region", "grape", "vintage_min", "vintage_max", "in_stock"):
        if getattr(query, name) is not None:
            params[name] = str(getattr(query, name)).lower() if name == "in_stock" else getattr(query, name)
    if query.price_min_cents is not None:
        params["price_min"] = query.price_min_cents / 100
    if query.price_max_cents is not None:
        params["price_max"] = query.price_max_cents / 100
    if query.dietary:
        params["dietary"] = query.dietary
    return params


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, search_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CUVEE_DATA_DIR": str(data_dir),
        "CUVEE_SEARCH_URL": search_url,
        "CUVEE_SEED_DEMO": "false",
        "CUVEE_SNAPSHOT_INTERVAL_S": "0",
        "CUVEE_LOG_LEVEL": "WARNING",
        "CUVEE_RUN_WORKER": "false",
        "CUVEE_SECRET_KEY": "bench-secret-0123456789abcdef0123456789abcdef",
        "PYTHONPATH": str(ROOT),
    }
    cmd = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--factory",
        "--workers",
        "1",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "app.main:create_app",
    ]
    return subprocess.Popen(
        cmd, env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def bench_http(data_dir: Path, search_url: str, rounds: int) -> dict[str, list[float]] | None:
    """HTTP column: None (printed as n/a) when the app or its search routes are not there yet."""
    try:
        import httpx

        import app.main  # noqa: F401
    except ImportError:
        return None
    port = free_port()
    server = start_server(data_dir, search_url, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            if not _wait_ready(client, server):
                return None
            if client.get(SEARCH_PATH, params={"q": "merlot"}).status_code == 404:
                return None
            return _http_samples(port, rounds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


def _wait_ready(client: Any, server: subprocess.Popen[bytes]) -> bool:
    for _ in range(300):
        if server.poll() is not None:
            return False
        try:
            client.get("/v1/search/suggest", params={"q": "a"})
            return True
        except Exception:
            time.sleep(0.1)
    return False


class RawClient:
    """A minimal keep-alive HTTP/1.1 GET client on one blocking socket: on 2 cores httpx's own CPU per request
    (~1 ms) would be counted as server latency and steal the server's core."""

    def __init__(self, port: int) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port))
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""

    def get(self, path: str, params: dict[str, Any]) -> int:
        target = path + "?" + urlencode(params, doseq=True)
        self._sock.sendall(f"GET {target} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        while b"\r\n\r\n" not in self._buffer:
            self._buffer += self._sock.recv(65536)
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(rest) < length:
            rest += self._sock.recv(65536)
        self._buffer = rest[length:]
        return int(head[9:12])

    def close(self) -> None:
        self._sock.close()


def _http_samples(port: int, rounds: int) -> dict[str, list[float]]:
    client = RawClient(port)
    out: dict[str, list[float]] = {}
    try:
        for name, items in workloads().items():
            samples: list[float] = []
            for item in items:
                path, params = (SUGGEST_PATH, {"q": item}) if name == "suggest" else (SEARCH_PATH, http_params(item))
                for i in range(rounds + 3):
                    t0 = time.perf_counter()
                    status = client.get(path, params)
                    elapsed = (time.perf_counter() - t0) * 1000
                    if status != 200:
                        raise RuntimeError(f"{path} {params} answered {status}")
                    if i >= 3:
                        samples.append(elapsed)
            out[name] = samples
    finally:
        client.close()
    return out


# ---------------------------------------------------------------- main
Raw = tuple[dict[str, list[float]], dict[str, float]] | None
Row = tuple[int, str, dict[str, list[float]], dict[str, float], dict[str, list[float]] | None, Raw]


def print_table(rows: list[Row], understanding: list[float]) -> None:
    header = (
        f"{'wines':>7}  {'workload':<17} {'engine p50':>10} {'p95':>7} {'p99':>7} {'cpu/q':>6}   "
        f"{'raw p50':>7} {'p99':>7} {'cpu/q':>6} {'cpu x raw':>9}   "
        f"{'HTTP p50':>8} {'p95':>7} {'p99':>7}  {'HTTP/engine p99':>15}"
    )
    print(header)
    print("-" * len(header))
    for size, name, engine, cpu, http, raw in rows:
        e = percentiles(engine[name])
        line = f"{size:>7}  {name:<17} {e[0]:>10.2f} {e[1]:>7.2f} {e[2]:>7.2f} {cpu[name]:>6.2f}   "
        if raw is not None and name in raw[0]:
            r = percentiles(raw[0][name])
            line += f"{r[0]:>7.2f} {r[2]:>7.2f} {raw[1][name]:>6.2f} {cpu[name] / raw[1][name]:>8.1f}x   "
        else:
            line += f"{'':>7} {'':>7} {'':>6} {'':>9}   "
        if http is not None and name in http:
            h = percentiles(http[name])
            line += f"{h[0]:>8.2f} {h[1]:>7.2f} {h[2]:>7.2f}  {h[2] / e[2]:>14.1f}x"
        else:
            line += f"{'n/a':>8} {'':>7} {'':>7}"
        print(line)
    print(
        "milliseconds (medians and tails of one run); cpu/q: process CPU per query; raw: tantivy's own parser on the "
        "same index, same filters and facets, none of our analysis; targets at 100k: pipeline CPU <= 3x raw, "
        "HTTP p99 <= 2x engine p99, text+facets p99 <= 15, suggest p99 <= 5"
    )
    if understanding:
        u = percentiles(understanding)
        print(
            f"understanding a shopper's query (query_intent.read, {len(SHOPPER)} queries): p50 {u[0]:.3f} ms, "
            f"p99 {u[2]:.3f} ms (target <= 0.2 ms)"
        )


async def run(args: argparse.Namespace) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="cuvee-bench-") as tmp:
        for size in args.sizes:
            data_dir = Path(tmp) / f"data-{size}"
            url = args.engine or f"tantivy://{data_dir / 'search'}"
            index = open_index(url, namespace=f"bench{size}")
            t0 = time.perf_counter()
            n = await index.rebuild(catalog(size), total=size)
            print(f"indexed {n} wines in {time.perf_counter() - t0:.1f} s ({url})", file=sys.stderr)
            await index.close()  # drops the rebuild's writer and its merge threads
            index = open_index(url, namespace=f"bench{size}")
            unmemoised = None if args.engine else TantivyIndex(data_dir / "search", suggest_memo=0)
            engine, cpu = await bench_engine(index, args.rounds, unmemoised)
            raw = await bench_raw(raw_tantivy(index), args.rounds) if isinstance(index, TantivyIndex) else None
            await index.close()
            if unmemoised is not None:
                await unmemoised.close()
            http = bench_http(data_dir, url, args.rounds) if args.http else None
            rows += [(size, name, engine, cpu, http, raw) for name in engine]
    print_table(rows, bench_understanding(args.rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=30, help="timed repetitions of each query")
    parser.add_argument("--engine", default=None, help="search URL (default: tantivy in a temp dir)")
    parser.add_argument("--no-http", dest="http", action="store_false", help="engine column only")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
