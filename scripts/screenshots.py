"""Screenshots of every storefront page into docs/screenshots/, taken in Debian's Chromium.

Starts `cuvee serve` on a free port with a throw-away data dir (demo catalog), plays a shopper through the
page (sign-up, taste quiz, browsing, wishlist, an order, a cart) and saves one PNG per page.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--port 18001]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from uuid import uuid4

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 375, "height": 812}
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CUVEE_DATA_DIR": str(data_dir),
        "CUVEE_STREAM_PREFIX": f"cuvee-shots-{uuid4().hex[:8]}",
        "CUVEE_SNAPSHOT_INTERVAL_S": "0",
        "CUVEE_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)], cwd=ROOT, env=env)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("the server did not start") from None
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("the server did not answer within 90 s")


def settle(page: Page, ms: int = 600) -> None:
    """Let carousels finish drawing; move the mouse and the last toast out of the way."""
    page.mouse.move(0, 0)
    page.evaluate("document.getElementById('toast').className = 'toast'")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(ms)


def shoot(page: Page, out: Path, name: str, *, full: bool = False) -> None:
    settle(page)
    page.screenshot(path=str(out / f"{name}.png"), full_page=full)
    print(f"  {name}.png")


def sign_up_and_take_quiz(page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name="Allow").click()
    page.goto("/#/account")
    page.fill("#signup-email", f"claire-{uuid4().hex[:6]}@example.com")
    page.fill("#signup-password", PASSWORD)
    page.fill("#signup-username", "Claire")
    page.check("#signup-personalisation")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".quiz-question").first).to_be_visible()


def answer_quiz(page: Page, out: Path) -> None:
    # A shopper who likes things dry, bold and structured: black coffee, strong tea, dark chocolate …
    for question in page.locator(".quiz-question").all():
        question.locator("input[type=radio]").first.check()
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, out, "quiz")
    page.get_by_role("button", name="See my taste").click()
    expect(page.get_by_role("link", name="See my picks")).to_be_visible()


def browse(page: Page, out: Path) -> None:
    page.goto("/#/search?q=cabernay%20sauvignon")
    expect(page.locator(".results .wine-card").first).to_be_visible()
    page.get_by_role("group", name="Country").get_by_role("button", name="United States").click()
    expect(page.get_by_role("link", name="Remove filter Country: United States")).to_be_visible()
    shoot(page, out, "search")

    page.goto("/#/")
    box = page.locator("#search-input")
    box.press_sequentially("gewurz", delay=40)
    expect(page.get_by_role("option").first).to_be_visible()
    box.press("ArrowDown")
    box.press("ArrowDown")
    page.wait_for_timeout(300)
    page.screenshot(path=str(out / "suggestions.png"), clip={"x": 0, "y": 0, "width": 1280, "height": 420})
    print("  suggestions.png")
    box.press("Escape")


def wine_page(page: Page, out: Path) -> None:
    page.goto("/#/wine/xw111987")
    expect(page.locator(".wine-title")).to_be_visible()
    page.get_by_role("button", name="Add to wishlist").click()
    page.get_by_label("Rating").select_option("4.5")
    page.get_by_label("What did you think? (optional)").fill("Cedar, cassis and a long, fine finish.")
    page.get_by_role("button", name="Post review").click()
    expect(page.locator(".review").first).to_be_visible()
    page.reload()  # the rating in the heading now counts the review
    expect(page.locator(".review").first).to_be_visible()
    shoot(page, out, "wine", full=True)


def call_api(page: Page, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    """The API with the page's own token, for set-up the screenshots need but do not show."""
    return page.evaluate(
        """async ([method, path, body, headers]) => {
            const response = await fetch(path, {method, body: body === null ? undefined : JSON.stringify(body),
              headers: {...headers, 'Content-Type': 'application/json',
                        Authorization: 'Bearer ' + localStorage.getItem('cuvee.token')}});
            return response.json();
        }""",
        [method, path, body, headers or {}],
    )


def earlier_orders(page: Page) -> None:
    """Two earlier orders of the same wine, so "time to reorder" has something to say."""
    for bottles in (2, 1):
        call_api(page, "PUT", "/v1/me/cart/items/xw172038", {"quantity": bottles})
        call_api(page, "POST", "/v1/me/checkout", {}, {"Idempotency-Key": str(uuid4())})


def buy(page: Page, out: Path) -> None:
    earlier_orders(page)
    for wine_id, bottles in (("xw138069", "2"), ("xw172038", "3")):
        page.goto(f"/#/wine/{wine_id}")
        expect(page.locator(".wine-title")).to_be_visible()
        page.get_by_label("Bottles").select_option(bottles)
        page.get_by_role("button", name="Add to cart").click()
        page.wait_for_timeout(400)
    page.goto("/#/cart")
    expect(page.locator("#place-order")).to_be_visible()
    page.get_by_label("This is a gift").check()
    page.get_by_label("Recipient’s name").fill("Ada")  # noqa: RUF001 - the label's own apostrophe
    page.get_by_label("Card message (optional)").fill("Happy birthday! Open it with friends.")
    shoot(page, out, "cart")
    page.get_by_role("button", name="Place order").click()
    expect(page.locator(".notice-ok")).to_be_visible()
    shoot(page, out, "order")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--port", type=int, default=0, help="for the server (default: a free one)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    port = args.port or free_port()
    with tempfile.TemporaryDirectory(prefix="cuvee-shots-") as tmp:
        server = start_server(Path(tmp), port)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                take_all(browser, f"http://127.0.0.1:{port}", args.out)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


def take_all(browser: Any, base_url: str, out: Path) -> None:
    print(f"screenshots into {out}")
    anonymous = browser.new_context(base_url=base_url, viewport=DESKTOP)
    page = anonymous.new_page()
    page.goto("/")
    shoot(page, out, "home-first-visit")  # with the consent banner, as a first-time visitor sees it
    anonymous.close()

    context = browser.new_context(base_url=base_url, viewport=DESKTOP)
    page = context.new_page()
    sign_up_and_take_quiz(page)
    answer_quiz(page, out)
    # dishes she likes: the cards' tailored lines say which wines suit them
    call_api(page, "PATCH", "/v1/me/preferences", {"foods": ["steak", "roast chicken"]})
    browse(page, out)
    wine_page(page, out)
    buy(page, out)
    page.goto("/#/")
    expect(page.locator("#for-you .match-score").first).to_be_visible()
    settle(page)
    page.locator("#for-you .match-score").first.focus()  # its reasons open on focus, as on hover
    page.wait_for_timeout(300)
    page.screenshot(path=str(out / "home.png"), full_page=True)
    print("  home.png")
    page.goto("/#/account")
    expect(page.locator("#order-history")).to_be_visible()
    shoot(page, out, "account", full=True)

    mobile = browser.new_context(base_url=base_url, viewport=MOBILE, storage_state=context.storage_state())
    page = mobile.new_page()
    page.goto("/#/")
    shoot(page, out, "mobile-home")
    page.goto("/#/wine/xw138069")
    expect(page.locator(".wine-title")).to_be_visible()
    shoot(page, out, "mobile-wine")
    mobile.close()
    context.close()


if __name__ == "__main__":
    main()
