"""The storefront in Chromium: search with typos and facets, keyboard suggestions, beacons on page hide,
the taste quiz changing the home carousels, checkout to order history, and no beacon without consent."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from uuid import uuid4

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

expect: Any = None  # playwright's expect, imported once the browser fixture has checked it is installed


@pytest.fixture(autouse=True)
def _expect(browser: Any) -> None:
    global expect
    from playwright.sync_api import expect as playwright_expect

    expect = playwright_expect


def answer_banner(page: Any, allow: bool) -> None:
    banner = page.get_by_role("region", name="Analytics consent")
    banner.get_by_role("button", name="Allow" if allow else "No, thanks").click()


def sign_up(page: Any, *, analytics: bool, personalisation: bool = True) -> str:
    """Create an account through the page; returns its access token (as the page keeps it)."""
    page.goto("/#/account")
    page.fill("#signup-email", f"{uuid4().hex[:10]}@example.com")
    page.fill("#signup-password", PASSWORD)
    page.set_checked("#signup-personalisation", personalisation)
    page.set_checked("#signup-analytics", analytics)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your taste in a few questions")).to_be_visible()
    return page.evaluate("localStorage.getItem('cuvee.token')")


def search_for(page: Any, text: str) -> None:
    box = page.get_by_role("combobox", name="Search wines, grapes, regions or wineries")
    box.fill(text)
    box.press("Enter")


def card_titles(page: Any, scope: str = ".results") -> list[str]:
    return page.locator(f"{scope} .wine-card-title").all_inner_texts()


def test_a_typo_search_shows_the_right_wine_with_highlights_and_facets(page: Any) -> None:
    page.goto("/")
    search_for(page, "chateau margeaux")

    expect(page.get_by_role("heading", level=1)).to_have_text("Wines for “chateau margeaux”")
    first = page.locator(".results .wine-card").first
    expect(first.locator(".wine-card-title")).to_have_text("Margaux du Château Margaux")
    expect(first.locator(".wine-card-title mark").first).to_have_text("Margaux")
    expect(page.get_by_role("group", name="Style").get_by_role("button", name="Red")).to_be_visible()
    assert page.errors == []


def test_did_you_mean_offers_the_spelling_that_finds_more(page: Any) -> None:
    page.goto("/#/search?q=sirah")
    expect(page.locator(".results .wine-card").first).to_be_visible()
    few = page.locator(".results .wine-card").count()

    page.locator(".did-you-mean").get_by_role("link", name="syrah").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Wines for “syrah”")
    expect(page.locator("#search-input")).to_have_value("syrah")
    expect(page.locator(".results .wine-card").nth(few)).to_be_visible()


def test_a_facet_narrows_the_results_and_can_be_removed(page: Any) -> None:
    page.goto("/#/search?q=amarrone")
    expect(page.locator(".results .wine-card").first).to_be_visible()
    everything = page.locator(".results .wine-card").count()

    page.get_by_role("group", name="Style").get_by_role("button", name="Fortified").click()
    expect(page.get_by_role("link", name="Remove filter Style: Fortified")).to_be_visible()
    assert "style=fortified" in page.url
    styles = page.locator(".results .wine-card-place").all_inner_texts()
    assert styles and all(s.startswith("Fortified") for s in styles)
    assert len(styles) < everything

    page.get_by_role("link", name="Remove filter Style: Fortified").click()
    expect(page.locator(".results .wine-card")).to_have_count(everything)


def test_a_suggestion_can_be_chosen_with_the_keyboard(page: Any) -> None:
    page.goto("/")
    box = page.get_by_role("combobox", name="Search wines, grapes, regions or wineries")
    box.press_sequentially("gewurz", delay=30)
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox.get_by_role("option").first).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")

    wine = listbox.get_by_role("option").filter(has_text="Wine").first
    target = wine.get_attribute("id")
    index = listbox.get_by_role("option").evaluate_all("(options, id) => options.findIndex(o => o.id === id)", target)
    for _ in range(index + 1):
        box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", target)
    expect(wine).to_have_attribute("aria-selected", "true")
    box.press("Enter")

    expect(page).to_have_url(re.compile(r"#/wine/xw\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Gewürztraminer")
    expect(listbox).to_be_hidden()


KNOWN_ANONYMOUS_ID = "browser-test-visitor-"


def with_anonymous_id(context: Any) -> str:
    """Give the visitor a known anonymous id, so beacons the server received can be told apart by test."""
    anonymous_id = KNOWN_ANONYMOUS_ID + uuid4().hex[:12]
    context.add_init_script(f"localStorage.setItem('cuvee.anonymous_id', {anonymous_id!r})")
    return anonymous_id


def wait_for(condition: Any, page: Any, timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (result := condition()) and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # Playwright delivers its events while one of its calls runs, not in sleep()
    return result


def test_a_view_goes_out_at_once_and_the_rest_when_the_page_is_hidden_and_the_worker_records_them(
    live_server: Any, context: Any, page: Any
) -> None:
    anonymous_id = with_anonymous_id(context)
    # Timers stand still, so the periodic flush cannot send anything: only a view (which the recommendations
    # react to within the visit) and hiding the page can.
    start = datetime.now(UTC)
    context.clock.install(time=start)
    page.clock.pause_at(start + timedelta(seconds=1))
    page.goto("/")
    answer_banner(page, allow=True)
    token = sign_up(page, analytics=True)
    page.goto("/#/wine/xw111987")
    expect(page.get_by_role("heading", level=1)).to_have_text("Margaux du Château Margaux")

    beacons = wait_for(lambda: live_server.beacons_from(anonymous_id), page)
    assert len(beacons) == 1 and beacons[0].content_type.startswith("text/plain")
    views = [e for e in beacons[0].events if e["type"] == "wine_viewed"]
    assert [v["wine_id"] for v in views] == ["xw111987"]

    def recently_viewed() -> list[str]:
        status, profile = live_server.call("GET", "/v1/me/profile", token)
        assert status == 200
        return [v["wine"]["id"] for v in profile["recently_viewed"]]

    assert wait_for(recently_viewed, page)[:1] == ["xw111987"]

    def searched(beacons: list[Any]) -> list[str]:
        return [e["query"] for b in beacons for e in b.events if e["type"] == "search_performed"]

    before = len(live_server.beacons)
    search_for(page, "rioja xw111987-visit")  # a search waits in the queue for the next flush
    # the count is shown in the same step that queues the search event (views/search.js)
    expect(page.locator(".search-count")).to_contain_text("wine", timeout=30_000)
    assert "rioja xw111987-visit" not in searched(live_server.beacons[before:])
    page.goto("about:blank")  # pagehide: the queue goes out with sendBeacon while the page goes away
    assert wait_for(lambda: "rioja xw111987-visit" in searched(live_server.beacons[before:]), page, timeout_s=30)


def test_events_go_out_every_few_seconds_as_text_plain_batches_each_with_its_own_uuid(context: Any, page: Any) -> None:
    sent: list[Any] = []
    context.on("request", lambda r: sent.append(r) if r.url.endswith("/v1/events") else None)
    context.clock.install()
    page.goto("/")
    answer_banner(page, allow=True)
    search_for(page, "rioja")
    expect(page.locator(".results .wine-card").first).to_be_visible()
    assert sent == []  # a search waits for the periodic flush

    page.clock.run_for(5_000)
    wait_for(lambda: sent, page, timeout_s=5)

    assert len(sent) == 1
    assert sent[0].headers["content-type"].startswith("text/plain")
    events = json.loads(sent[0].post_data)
    anonymous_id = page.evaluate("localStorage.getItem('cuvee.anonymous_id')")
    assert {e["anonymous_id"] for e in events} == {anonymous_id}
    assert len({e["event_id"] for e in events}) == len(events)
    assert all(re.fullmatch(r"[0-9a-f-]{36}", e["event_id"]) for e in events)
    searches = [e for e in events if e["type"] == "search_performed"]
    assert searches and searches[0]["query"] == "rioja" and searches[0]["results_count"] > 0

    page.locator(".results .wine-card-title a").first.click()  # a view goes out at once, clock still
    expect(page.locator(".wine-title")).to_be_visible()
    wait_for(lambda: len(sent) > 1, page, timeout_s=5)
    clicked = json.loads(sent[1].post_data)
    assert [e["type"] for e in clicked].count("wine_viewed") == 1
    assert [e["query"] for e in clicked if e["type"] == "search_result_clicked"] == ["rioja"]


def test_with_analytics_consent_off_no_beacon_leaves_the_page(live_server: Any, context: Any, page: Any) -> None:
    anonymous_id = with_anonymous_id(context)
    sent: list[Any] = []
    context.on("request", lambda r: sent.append(r.url) if "/v1/events" in r.url else None)
    context.clock.install()
    page.goto("/")
    answer_banner(page, allow=False)
    search_for(page, "rioja")
    expect(page.locator(".results .wine-card").first).to_be_visible()
    page.locator(".results .wine-card-title a").first.click()
    expect(page.locator(".wine-title")).to_be_visible()
    page.get_by_role("button", name="Add to wishlist").click()  # signed out: asks to sign in, no event
    page.clock.run_for(30_000)  # six rounds of the periodic flush
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.goto("about:blank")
    page.wait_for_timeout(500)

    assert sent == []
    assert live_server.beacons_from(anonymous_id) == []


def test_the_taste_quiz_changes_the_home_carousels(live_server: Any, page: Any) -> None:
    if not live_server.has_route("/v1/me/recommendations"):
        pytest.skip("the recommendations API is not served yet")
    page.goto("/")
    answer_banner(page, allow=False)
    sign_up(page, analytics=False)
    page.goto("/")
    for_you = page.locator("#for-you .wine-card-title")
    expect(for_you.first).to_be_visible()
    before = for_you.all_inner_texts()

    page.goto("/#/quiz")
    expect(page.locator(".quiz-question").first).to_be_visible()
    for question in page.locator(".quiz-question").all():
        question.locator("input[type=radio]").last.check()
    page.get_by_role("button", name="See my taste").click()
    page.get_by_role("link", name="See my picks").click()

    expect(for_you.first).to_be_visible()
    assert for_you.all_inner_texts() != before
    score = page.locator("#for-you .match-score").first
    score.focus()  # the reasons open on keyboard focus as well as on hover
    reasons = page.locator("#for-you .match-reasons").first
    expect(reasons).to_be_visible()
    expect(reasons).to_contain_text("Matches your taste")


def test_quiz_results_offer_the_consent_the_picks_need_and_then_show_personalised_picks(
    live_server: Any, page: Any
) -> None:
    if not live_server.has_route("/v1/wines/{wine_id}/for-me"):
        pytest.skip("the tailored notes API is not served yet")
    page.goto("/")
    answer_banner(page, allow=False)
    token = sign_up(page, analytics=False, personalisation=False)
    for question in page.locator(".quiz-question").all():
        question.locator("input[type=radio]").first.check()
    page.get_by_role("button", name="See my taste").click()

    offer = page.locator("#personalisation-offer")
    expect(offer).to_contain_text("not personalised yet")
    expect(page.locator("#first-picks")).to_have_count(0)
    offer.get_by_role("button", name="Personalise with my taste").click()

    picks = page.locator("#first-picks .wine-card")
    expect(picks.first).to_be_visible()
    expect(offer).to_have_count(0)
    expect(page.locator("#first-picks .match-score").first).to_be_visible()  # scores only on a personalised list
    status, me = live_server.call("GET", "/v1/me/profile", token)
    assert status == 200
    consent = me["consent"]
    assert consent["personalisation"] is True and consent["analytics"] is False

    picks.first.locator("a").first.click()
    expect(page.locator("#for-me .for-me-palate").first).to_contain_text("your taste profile")


def test_a_visitor_who_looked_at_a_wine_gets_picks_for_this_visit_on_the_home_page(page: Any) -> None:
    """Within the visit, without a retrain: the view goes out at once, the worker records it, the next home
    page reads it (issue 19, item 4)."""
    page.goto("/")
    answer_banner(page, allow=True)
    expect(page.get_by_role("heading", name="Popular this season")).to_be_visible()
    page.goto("/#/wine/xw111987")
    expect(page.get_by_role("heading", level=1)).to_have_text("Margaux du Château Margaux")

    def picked_for_this_visit() -> bool:
        page.goto("/")
        page.wait_for_selector(".carousel:not(.carousel-loading)", timeout=10_000)  # drawn, not the skeleton
        return page.get_by_role("heading", name="Picked for this visit").count() > 0

    assert wait_for(picked_for_this_visit, page, timeout_s=30)
    expect(page.locator("#popular .wine-card").first).to_be_visible()
    expect(page.locator("#popular .wine-card[data-wine-id='xw111987']")).to_have_count(0)  # not the one she saw


def test_not_for_me_removes_a_wine_from_every_later_list(live_server: Any, page: Any) -> None:
    if not live_server.has_route("/v1/me/recommendations"):
        pytest.skip("the recommendations API is not served yet")
    page.goto("/")
    answer_banner(page, allow=False)
    sign_up(page, analytics=False)
    page.goto("/")
    first = page.locator("#for-you .wine-card").first
    expect(first).to_be_visible()
    name = first.locator(".wine-card-title").inner_text()
    wine_id = first.get_attribute("data-wine-id")

    first.hover()
    first.get_by_role("button", name=f"Not for me: {name}").click()
    expect(page.locator("#toast")).to_contain_text("will not be suggested again")
    page.reload()
    expect(page.locator("#for-you .wine-card").first).to_be_visible()
    expect(page.locator(f".carousel .wine-card[data-wine-id='{wine_id}']")).to_have_count(0)


def test_a_signed_in_wine_page_reads_no_wishlist_entry_and_no_review_without_an_error(page: Any) -> None:
    console_errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if "/v1/" in r.url and r.status >= 400 else None)
    page.goto("/")
    answer_banner(page, allow=False)
    sign_up(page, analytics=False)

    page.goto("/#/wine/xw138069")
    expect(page.get_by_role("heading", level=1)).to_have_text("Amarone della Valpolicella")
    wish = page.locator("button.wish")
    expect(wish).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("heading", name="Write a review")).to_be_visible()
    assert failed == [] and console_errors == []

    wish.click()
    expect(wish).to_have_text("\N{BLACK HEART SUIT} In your wishlist")
    page.get_by_label("What did you think? (optional)").fill("Raisins and bitter cherry.")
    page.get_by_role("button", name="Post review").click()
    expect(page.get_by_role("heading", name="Your review")).to_be_visible()

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amarone della Valpolicella")
    expect(page.locator("button.wish")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("heading", name="Your review")).to_be_visible()
    expect(page.locator("#review-text")).to_have_value("Raisins and bitter cherry.")
    assert failed == [] and console_errors == []


def test_favourites_come_first_as_a_chip_whose_removal_lasts_the_visit(live_server: Any, page: Any) -> None:
    page.goto("/")
    answer_banner(page, allow=False)
    token = sign_up(page, analytics=False, personalisation=True)
    status, _ = live_server.call("PATCH", "/v1/me/preferences", token, {"styles": ["sparkling"]})
    assert status == 200
    chip = page.get_by_role("link", name="Stop putting your favourites first: sparkling")
    places = page.locator(".results .wine-card-place")

    page.goto("/#/search")
    expect(chip).to_be_visible()
    expect(places.first).to_have_text(re.compile(r"^Sparkling"))

    chip.click()
    expect(page.get_by_role("button", name="Put them first again")).to_be_visible()
    assert "ignore=favourites" in page.url
    search_for(page, "under 30")  # a new search, without the parameter in its address
    expect(page.get_by_role("heading", level=1)).to_have_text("Wines for “under 30”")
    expect(page.get_by_role("button", name="Put them first again")).to_be_visible()
    expect(chip).to_have_count(0)
    page.reload()
    expect(page.get_by_role("button", name="Put them first again")).to_be_visible()
    expect(chip).to_have_count(0)

    page.get_by_role("button", name="Put them first again").click()
    expect(chip).to_be_visible()
    expect(places.first).to_have_text(re.compile(r"^Sparkling"))
    assert page.errors == []


def test_cart_then_checkout_puts_the_order_in_the_history(page: Any) -> None:
    checkout_headers: list[dict[str, str]] = []
    page.on("request", lambda r: checkout_headers.append(r.headers) if r.url.endswith("/v1/me/checkout") else None)
    page.goto("/")
    answer_banner(page, allow=False)
    sign_up(page, analytics=False)

    page.goto("/#/wine/xw138069")
    expect(page.get_by_role("heading", level=1)).to_have_text("Amarone della Valpolicella")
    page.get_by_label("Bottles").select_option("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-count")).to_contain_text("2")

    page.get_by_role("link", name="Cart").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    page.get_by_label("This is a gift").check()
    page.get_by_label("Recipient\N{RIGHT SINGLE QUOTATION MARK}s name").fill("Ada")
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you — your order is placed")
    assert len(checkout_headers) == 1
    assert len(checkout_headers[0].get("idempotency-key", "")) == 36
    expect(page.locator("#cart-count")).to_be_hidden()

    page.get_by_role("link", name="All my orders").click()
    history = page.locator("#order-history")
    expect(history).to_contain_text("2 \N{MULTIPLICATION SIGN} Amarone della Valpolicella")
    expect(history).to_contain_text("Gift for Ada")


def test_each_page_fits_a_375_px_screen(browser: Any, live_server: Any) -> None:
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740})
    try:
        page = ctx.new_page()
        for path, ready in [
            ("/", ".carousel .wine-card"),
            ("/#/search?q=merlot", ".results .wine-card"),
            ("/#/wine/xw138069", ".wine-title"),
            ("/#/account", "#signup-email"),
        ]:
            page.goto(path)
            page.wait_for_selector(ready)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{unquote(path)} is {width} px wide"
    finally:
        ctx.close()


def test_a_user_can_download_their_data_and_delete_their_account(live_server: Any, page: Any) -> None:
    if not live_server.has_route("/v1/me/export"):
        pytest.skip("the privacy API is not served yet")
    page.goto("/")
    answer_banner(page, allow=False)
    sign_up(page, analytics=False)
    email = page.evaluate(
        "fetch('/v1/me/profile', {headers: {Authorization: 'Bearer ' + "
        "localStorage.getItem('cuvee.token')}}).then(r => r.json()).then(p => p.email)"
    )
    page.goto("/#/account")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert email in json.dumps(exported)

    page.get_by_role("button", name="Delete my account").click()
    dialog = page.get_by_role("dialog", name="Delete your account?")
    dialog.get_by_label("Confirm with your password").fill(PASSWORD)
    dialog.get_by_role("button", name="Delete everything").click()

    expect(page.locator("#toast")).to_contain_text("erased")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    status, _ = live_server.call("POST", "/v1/auth/login", body={"email": email, "password": PASSWORD})
    assert status == 401


def test_the_account_page_lists_my_reviews_and_my_history(live_server: Any, page: Any) -> None:
    page.goto("/")
    answer_banner(page, allow=True)
    token = sign_up(page, analytics=True)
    page.goto("/#/wine/xw111987")
    expect(page.get_by_role("heading", level=1)).to_have_text("Margaux du Château Margaux")
    page.select_option("#review-rating", "4.5")
    page.fill("#review-text", "Firm and long.")
    page.get_by_role("button", name="Post review").click()
    expect(page.locator("#rating-rule")).to_contain_text("0 verified, 1 unverified")
    page.goto("about:blank")  # pagehide: the view goes out with sendBeacon

    def viewed() -> bool:
        status, body = live_server.call("GET", "/v1/me/history?kind=view", token)
        return status == 200 and body["total"] > 0

    assert wait_for(viewed, page)
    page.goto("/#/account")
    expect(page.locator("#my-reviews")).to_contain_text("Margaux du Château Margaux")
    expect(page.locator("#my-reviews")).to_contain_text("Firm and long.")
    expect(page.locator("#history")).to_contain_text("Viewed Margaux du Château Margaux")
    page.select_option("#history-kind", "search")
    expect(page.locator("#section-history")).to_contain_text("Nothing yet")
    assert page.errors == []


def test_generated_demo_values_are_marked_where_they_are_shown(page: Any) -> None:
    """Facts are never invented: the demo catalog's price, stock and notes are generated, and say so."""
    page.goto("/#/wine/xw111987")
    expect(page.get_by_role("heading", level=1)).to_have_text("Margaux du Château Margaux")
    for where in (".wine-price", ".stock", "#notes-title"):
        expect(page.locator(f"{where} .demo-tag")).to_have_text("demo")
    page.goto("/#/search?q=margaux")
    expect(page.locator(".results .wine-card .wine-card-price .demo-tag").first).to_be_visible()


def test_a_new_shopper_sees_where_the_shop_places_her_and_carousels_vary(page: Any) -> None:
    """Issue 19: the segment is visible to its shopper (not placed before a training knows her); no carousel is
    one winery."""
    page.goto("/")
    answer_banner(page, allow=False)
    cards = page.locator("#popular .wine-card")
    expect(cards.first).to_be_visible()
    wineries = {w.split(" · ")[0] for w in page.locator("#popular .wine-card-winery").all_inner_texts()}
    assert len(wineries) >= min(3, cards.count())
    sign_up(page, analytics=False)
    page.goto("/#/account")
    expect(page.locator("#section-segment-title")).to_have_text("Shoppers like you")
    expect(page.locator("#my-segment")).to_contain_text("Not placed yet")


def buy_via_api(live_server: Any, token: str, *wine_ids: str) -> None:
    """One order of a bottle of each wine, as the cart page would place it."""
    for wine_id in wine_ids:
        status, _ = live_server.call("PUT", f"/v1/me/cart/items/{wine_id}", token, {"quantity": 1})
        assert status == 200
    status, order = live_server.call("POST", "/v1/me/checkout", token, {})
    assert status == 201, order


def test_a_repeat_buy_that_now_crosses_a_dietary_need_stays_in_reorder_marked(live_server: Any, page: Any) -> None:
    """Issue 19: reorder keeps the shopper's own repeat buys, and says where one now conflicts."""
    page.goto("/")
    answer_banner(page, allow=False)
    token = sign_up(page, analytics=False)
    amarone = "xw138069"  # not marked vegan
    buy_via_api(live_server, token, amarone)
    buy_via_api(live_server, token, amarone)
    status, _ = live_server.call("PATCH", "/v1/me/preferences", token, {"dietary": ["vegan"]})
    assert status == 200

    page.goto("/")
    card = page.locator(f"#reorder .wine-card[data-wine-id='{amarone}']")
    expect(card).to_be_visible()
    expect(card.locator(".wine-card-conflict")).to_have_text("No longer matches your 'vegan' need")
    expect(page.locator(f"#for-you .wine-card[data-wine-id='{amarone}']")).to_have_count(0)
    assert page.errors == []


def test_often_bought_together_shows_co_purchases_only_and_otherwise_only_similar_wines(
    live_server: Any, page: Any
) -> None:
    """Issue 19: the row is titled for what it is; a wine without shared orders has no such row."""
    cabernet_merlot, nebbiolo, lonely = "xw100005", "xw100019", "xw100008"
    for _ in range(2):
        status, buyer = live_server.call(
            "POST", "/v1/auth/register", body={"email": f"{uuid4().hex[:10]}@example.com", "password": PASSWORD}
        )
        assert status == 201
        buy_via_api(live_server, buyer["access_token"], cabernet_merlot, nebbiolo)
    status, _ = live_server.call("POST", "/v1/admin/recommendations/retrain", live_server.admin_token())
    assert status == 200

    page.goto(f"/#/wine/{cabernet_merlot}")
    together = page.locator("#bought-together")
    expect(together.get_by_role("heading", name="Often bought together")).to_be_visible()
    expect(together.locator(".wine-card")).to_have_count(1)
    expect(together.locator(f".wine-card[data-wine-id='{nebbiolo}'] .match-reasons")).to_contain_text(
        "Bought with Maison de Ville Cabernet-Merlot in 2 orders"
    )
    expect(page.locator("#similar .wine-card").first).to_be_visible()
    expect(page.locator(f"#similar .wine-card[data-wine-id='{nebbiolo}']")).to_have_count(0)  # shown once

    page.goto(f"/#/wine/{lonely}")
    expect(page.locator("#similar").get_by_role("heading", name="Similar wines")).to_be_visible()
    expect(page.locator("#bought-together")).to_have_count(0)
    assert page.errors == []


def test_cards_carry_a_short_line_tailored_to_the_signed_in_shopper(live_server: Any, browser: Any, page: Any) -> None:
    """Issue 19: cards say how a wine concerns this shopper (from the wine's pairings and their profile only),
    and warn where it crosses a dislike; visitors see plain cards and no call is made for them."""
    page.goto("/")
    answer_banner(page, allow=False)
    token = sign_up(page, analytics=False)
    body = {"foods": ["steak"], "dislikes": {"grapes": ["Corvina"]}}
    assert live_server.call("PATCH", "/v1/me/preferences", token, body)[0] == 200

    page.goto("/#/search?q=margaux")
    line = page.locator(".results .wine-card[data-wine-id='xw111987'] .wine-card-for-me")
    expect(line).to_have_text("For you Suits your steak")  # Margaux lists Beef among its pairings
    status, answer = live_server.call("GET", "/v1/wines/for-me?wine_id=xw111987", token)
    assert status == 200 and answer["items"][0]["line"] == "suits your steak"

    page.goto("/#/search?q=amarone")
    warned = page.locator(".results .wine-card[data-wine-id='xw138069'] .wine-card-for-me")
    expect(warned).to_have_text("Note Made with Corvina, a grape you said you avoid · suits your steak")
    expect(warned).to_have_class(re.compile("wine-card-for-me-warn"))
    page.goto("/")
    expect(page.locator("#for-you .wine-card-for-me").first).to_be_visible()
    assert page.errors == []

    visitor = browser.new_context(base_url=live_server.url)
    try:
        anonymous = visitor.new_page()
        asked: list[str] = []
        anonymous.on("request", lambda r: asked.append(r.url) if "/v1/wines/for-me" in r.url else None)
        anonymous.goto("/#/search?q=margaux")
        expect(anonymous.locator(".results .wine-card").first).to_be_visible()
        anonymous.wait_for_load_state("networkidle")
        assert asked == [] and anonymous.locator(".wine-card-for-me").count() == 0
    finally:
        visitor.close()
