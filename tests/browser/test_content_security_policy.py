"""Chromium under the app's real Content-Security-Policy, with every origin but the app's blocked: the
storefront and Swagger UI at /schema render and work (offline, nothing from a CDN) without one violation."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser

# Collected in the page before any of its own scripts run (Playwright's init scripts are not subject to CSP).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__violations.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`));
"""


class Visit:
    """A page whose requests to other origins are refused and noted, and whose CSP reports are kept."""

    def __init__(self, context: Any, origin: str) -> None:
        self.outside: list[str] = []
        self.console_errors: list[str] = []
        self.errors: list[str] = []

        def refuse(route: Any) -> None:
            self.outside.append(route.request.url)
            route.abort()

        context.route(re.compile(rf"^(?!{re.escape(origin)}/)"), refuse)
        context.add_init_script(RECORD_VIOLATIONS)
        self.page = context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__violations") + [
            text for text in self.console_errors if "Content Security Policy" in text
        ]

    def assert_clean(self) -> None:
        assert self.violations() == []
        assert self.outside == [] and self.errors == []


@pytest.fixture
def visit(context: Any, live_server: Any) -> Visit:
    return Visit(context, live_server.url)


def test_the_storefront_runs_under_the_strict_policy(visit: Visit, live_server: Any) -> None:
    from playwright.sync_api import expect

    page = visit.page
    page.goto("/")
    expect(page.locator(".wine-card").first).to_be_visible()
    expect(page.locator(".hero .eyebrow")).to_have_css("color", "rgb(243, 201, 139)")  # a class, not style=""

    _, wines = live_server.call("GET", "/v1/wines?per_page=1")
    page.goto(f"/#/wine/{wines['items'][0]['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(wines["items"][0]["name"])
    fill = page.locator(".taste-fill").first
    expect(fill).to_be_visible()
    # Bars are drawn through the CSSOM (element.style), which style-src 'self' allows.
    assert fill.evaluate("el => el.style.width").endswith("%")
    visit.assert_clean()


def test_swagger_ui_renders_offline_and_tries_an_operation(visit: Visit) -> None:
    from playwright.sync_api import expect

    page = visit.page
    page.goto("/schema")
    path = page.locator(".opblock-summary-path", has_text=re.compile("^/v1/wines$"))
    operation = page.locator(".opblock-get", has=path)
    expect(operation).to_be_visible()
    assert page.locator(".opblock").count() > 40  # every operation listed, not a blank page

    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table tr.response .response-col_status").first).to_have_text("200")
    visit.assert_clean()
