"""What the browser tests share: Debian's headless Chromium driven by Playwright, screenshots, signing in.

Runs with ``-m e2e``; screenshots go to /tmp/shots/ (``CHUISHAO_SHOTS`` moves them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(os.environ.get("CHUISHAO_SHOTS", "/tmp/shots"))  # noqa: S108
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(monkeypatch):
    """A function opening a new page in its own context (own cookies), optionally with a location."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SHOTS.mkdir(parents=True, exist_ok=True)

    def open_page(
        *, geolocation: tuple[float, float] | None = None, locale: str = "zh-CN", width: int = 1200
    ):  # noqa: E501
        options: dict = {"locale": locale, "viewport": {"width": width, "height": 900}}
        if geolocation:
            options.update(
                geolocation={"latitude": geolocation[0], "longitude": geolocation[1]},
                permissions=["geolocation"],
            )
        return browser.new_context(**options).new_page()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield open_page
        finally:
            browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
