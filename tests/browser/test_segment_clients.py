"""Unmodified Segment libraries pointed at a running Cuvée: analytics-next in Chromium (installed from npm into
tests/browser/segment/, served by this test from another origin, never by the shop) and the Segment Python
library. Their views and searches must reach the shopper's history. Each skips with a clear message when its
library (or node, or Chromium) is missing."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from tests.browser.conftest import LiveServer
from tests.conftest import PASSWORD

BUNDLES = Path(__file__).parent / "segment" / "node_modules" / "@segment" / "analytics-next" / "dist" / "umd"
WEB_KEY = "wk-storefront-web-test"
SERVER_KEY = "wk-storefront-backend-test"
DEADLINE_S = 45.0  # the machine may be loaded: wait on the condition, generously

PAGE = """<!doctype html><meta charset="utf-8"><title>storefront with Segment</title>
<script>window.analytics = {_cdn: location.origin};  // where analytics-next loads its own chunks from</script>
<script src="/analytics-next/bundles/index.js"></script>
<script>
window.loadSegment = async (apiHost, writeKey, deliveryStrategy) => {
  const segmentIo = {apiKey: writeKey, apiHost, protocol: "http", deliveryStrategy};
  const [analytics] = await AnalyticsNext.AnalyticsBrowser.load(
    {writeKey, cdnURL: location.origin,
     cdnSettings: {integrations: {"Segment.io": segmentIo}, metrics: {sampleRate: 0}}},
    {integrations: {"Segment.io": segmentIo}});
  window.segment = analytics;
  return analytics.user().anonymousId();
};
</script>"""


class StaticSite:
    """The storefront's own origin: a page and analytics-next's UMD files, nothing else."""

    def __init__(self) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                name = self.path.removeprefix("/analytics-next/bundles/")
                if self.path == "/":
                    self._send(200, "text/html", PAGE.encode())
                elif name != self.path and re.fullmatch(r"[A-Za-z0-9_.-]+\.js", name) and (BUNDLES / name).is_file():
                    self._send(200, "text/javascript", (BUNDLES / name).read_bytes())
                else:
                    self._send(404, "text/plain", b"not here")

            def _send(self, status: int, media_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def site() -> Iterator[StaticSite]:
    site = StaticSite()
    yield site
    site.stop()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, site: StaticSite) -> Iterator[LiveServer]:
    server = LiveServer(
        tmp_path_factory.mktemp("segment-shop"),
        cors_origins=[site.origin],
        segment_write_keys={"web": WEB_KEY, "backend": SERVER_KEY},
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def shopper_with_consent(shop: LiveServer) -> str:
    status, body = shop.call(
        "POST", "/v1/auth/register", body={"email": f"{uuid4().hex[:10]}@example.com", "password": PASSWORD}
    )
    assert status == 201, body
    token = body["access_token"]
    status, body = shop.call("PUT", "/v1/me/consent", token, {"analytics": True})
    assert status == 200, body
    return str(token)


def issued_anonymous_id(shop: LiveServer) -> str:
    """An anonymous id the shop signed: only such an id can be linked to an account (the storefront sets it as
    the Segment library's anonymousId)."""
    status, body = shop.call("POST", "/v1/anonymous-ids")
    assert status == 201, body
    return str(body["anonymous_id"])


def link(shop: LiveServer, token: str, anonymous_id: str) -> None:
    """What the storefront does right after sign-in: the browser's anonymous id becomes the user's."""
    status, body = shop.call("POST", "/v1/me/anonymous-id", token, {"anonymous_id": anonymous_id})
    assert (status, body["linked"]) == (200, True), body


def two_wines(shop: LiveServer) -> list[dict[str, Any]]:
    status, body = shop.call("GET", "/v1/wines?per_page=2")
    assert status == 200, body
    return list(body["items"])


def wait_for_history(shop: LiveServer, token: str, wine_name: str, query: str) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_S
    profile: dict[str, Any] = {}
    while time.monotonic() < deadline:
        _, profile = shop.call("GET", "/v1/me/profile", token)
        viewed = [w["wine"]["name"] for w in profile.get("recently_viewed", [])]
        searched = [s["query"] for s in profile.get("search_history", [])]
        if wine_name in viewed and query in searched:
            return profile
        time.sleep(0.2)
    raise AssertionError(f"the events did not reach the history within {DEADLINE_S} s: {json.dumps(profile)}")


def test_the_segment_python_library_sends_views_and_searches_into_history(shop: LiveServer) -> None:
    analytics = pytest.importorskip("segment.analytics", reason="pip install segment-analytics-python (test extra)")
    token = shopper_with_consent(shop)
    anonymous_id = issued_anonymous_id(shop)
    link(shop, token, anonymous_id)
    wine = two_wines(shop)[0]
    errors: list[Exception] = []
    client = analytics.Client(
        write_key=SERVER_KEY,
        host=shop.url,
        gzip=True,
        max_retries=2,
        on_error=lambda error, _batch: errors.append(error),
    )
    client.track(
        anonymous_id=anonymous_id,
        user_id="claimed-user",
        event="Product Viewed",
        properties={"product_id": wine["id"], "name": wine["name"]},
    )
    client.track(anonymous_id=anonymous_id, event="Products Searched", properties={"query": "python etna"})
    client.identify(anonymous_id=anonymous_id, user_id="claimed-user", traits={"email": "x@example.com"})
    client.page(anonymous_id=anonymous_id, name="Search results")
    client.flush()
    client.join()
    assert errors == []
    wait_for_history(shop, token, wine["name"], "python etna")


@pytest.mark.browser
@pytest.mark.parametrize(
    "strategy",
    [{"strategy": "standard"}, {"strategy": "batching", "config": {"size": 3, "timeout": 200}}],
    ids=["per-call", "batching"],
)
def test_analytics_next_in_a_browser_sends_views_and_searches_into_history(
    browser: Any, shop: LiveServer, site: StaticSite, strategy: dict[str, Any]
) -> None:
    if not (BUNDLES / "index.js").is_file():
        pytest.skip(
            "@segment/analytics-next is not installed: npm ci --prefix tests/browser/segment "
            "(scripts/test.sh does it when npm is there)"
        )
    token = shopper_with_consent(shop)
    wine = two_wines(shop)[1]
    query = f"etna {strategy['strategy']}"
    context = browser.new_context(base_url=site.origin)
    requested: list[str] = []
    failed: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    context.on("requestfailed", lambda request: failed.append(f"{request.url}: {request.failure}"))
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto("/")
        api_host = shop.url.removeprefix("http://") + "/v1"
        page.evaluate("([host, key, strategy]) => loadSegment(host, key, strategy)", [api_host, WEB_KEY, strategy])
        anonymous_id = issued_anonymous_id(shop)
        assert page.evaluate("(id) => segment.setAnonymousId(id)", anonymous_id) == anonymous_id
        link(shop, token, anonymous_id)
        page.evaluate(
            """([wineId, query]) => Promise.all([
            segment.page("Wine Detail"),
            segment.track("Product Viewed", {product_id: wineId, position: 0}),
            segment.track("Products Searched", {query}),
        ])""",
            [wine["id"], query],
        )
        wait_for_history(shop, token, wine["name"], query)
        assert errors == []
        assert failed == []  # CORS let the library read each answer: nothing to retry
    finally:
        context.close()
    sent = {url.removeprefix(shop.url) for url in requested if url.startswith(shop.url)}
    assert sent == ({"/v1/b"} if strategy["strategy"] == "batching" else {"/v1/p", "/v1/t"})
    assert all(url.startswith((shop.url, site.origin)) for url in requested), requested  # no Segment CDN
