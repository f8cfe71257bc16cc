"""The Content-Security-Policy sent is the one docs/security.md documents; the storefront has nothing inline
that policy would block; /schema (Swagger UI) loads only this origin's files, and each of them answers."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import AppClient

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "app" / "static"


def security_md() -> str:
    return (ROOT / "docs" / "security.md").read_text()


def documented_policies() -> list[str]:
    """The policies docs/security.md states, in its order: the storefront and API's, then /schema's."""
    return re.findall(r"`(default-src [^`]+)`", security_md())


def documented_headers() -> dict[str, str]:
    """The `Name: value` headers docs/security.md lists for every answer (API8)."""
    section = security_md().split("## API8", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"`([A-Z][A-Za-z-]+): ([^`]+)`", section))


class PageParts(HTMLParser):
    """What a strict CSP cares about in a page: scripts, inline handlers, style attributes and blocks, URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.script_srcs: list[str | None] = []
        self.inline_scripts: list[str] = []
        self.handlers: list[str] = []
        self.style_attributes: list[str] = []
        self.style_blocks = 0
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
            elif name == "style":
                self.style_attributes.append(f"<{tag} style={value!r}>")
            elif name in ("src", "href", "action", "formaction") and value is not None:
                self.urls.append(value)
        if tag == "script":
            self.script_srcs.append(dict(attrs).get("src"))
            self._in_script = True
        elif tag == "style":
            self.style_blocks += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data.strip()[:80])


def parse(html: str) -> PageParts:
    parts = PageParts()
    parts.feed(html)
    return parts


def test_security_md_documents_two_policies() -> None:
    storefront, api_docs = documented_policies()
    assert "script-src 'self';" in storefront and "unsafe-inline" not in storefront + api_docs
    assert "http" not in storefront + api_docs  # nothing from another origin, no CDN


async def test_every_documented_header_is_the_one_sent(client: AppClient) -> None:
    documented = documented_headers()
    assert len(documented) == 8, documented
    response = await client.get("/v1/me/profile")  # any /v1/ answer that sets no Cache-Control of its own
    assert {name: response.headers.get(name) for name in documented} == documented


@pytest.mark.parametrize("path", ["/", "/static/js/app.js", "/v1/wines", "/v1/me/profile", "/v1/no-such-route"])
async def test_the_storefront_and_the_api_send_the_documented_policy(client: AppClient, path: str) -> None:
    response = await client.get(path)
    assert response.headers["content-security-policy"] == documented_policies()[0]


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger", "/schema/assets/swagger-init.js"])
async def test_the_api_docs_send_their_documented_policy(client: AppClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == documented_policies()[1]


def test_the_storefront_page_has_nothing_inline() -> None:
    page = parse((STATIC / "index.html").read_text())
    assert page.script_srcs == ["/static/js/app.js"]
    assert page.inline_scripts == [] and page.handlers == []
    assert page.style_attributes == [] and page.style_blocks == 0
    assert not [url for url in page.urls if url.lower().startswith("javascript:")]


def test_the_storefront_modules_never_write_html_or_style_attributes() -> None:
    """Views build elements with h() (dom.js): text stays text, styles go through the CSSOM."""
    forbidden = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|javascript:"
        r"|setAttribute\(\s*['\"](style|on)"  # a style attribute or an inline handler
        r"|['\"]?\bon[a-z]+['\"]?:\s*['\"`]"  # h('a', {onclick: '…'}) would set one as an attribute
    )
    offenders = [
        f"{path.relative_to(STATIC)}:{number}"
        for path in sorted((STATIC / "js").rglob("*.js"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if forbidden.search(line)
    ]
    assert offenders == []


async def test_the_api_docs_page_loads_only_its_own_files_and_they_answer(client: AppClient) -> None:
    response = await client.get("/schema")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    assert page.inline_scripts == [] and page.handlers == []
    assert page.style_attributes == [] and page.style_blocks == 0
    assert "/schema/assets/swagger-init.js" in page.script_srcs
    assert page.urls and all(url.startswith("/") and not url.startswith("//") for url in page.urls), page.urls
    for url in page.urls:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        kind = "text/css" if url.endswith(".css") else "text/javascript" if url.endswith(".js") else "image/"
        assert asset.headers["content-type"].startswith(kind), url
    init = (await client.get("/schema/assets/swagger-init.js")).text
    assert "SwaggerUIBundle(" in init and "validatorUrl: null" in init


async def test_the_api_docs_point_at_the_json_schema(client: AppClient) -> None:
    page = (await client.get("/schema")).text
    assert 'data-spec-url="/schema/openapi.json"' in page
    assert "/v1/wines" in (await client.get("/schema/openapi.json")).json()["paths"]


@pytest.mark.parametrize("name", ["index.html", "swagger-initializer.js", "oauth2-redirect.html", "..%2Fsettings.py"])
async def test_only_the_pages_own_assets_are_served(client: AppClient, name: str) -> None:
    response = await client.get(f"/schema/assets/{name}")
    assert response.status_code == 404
