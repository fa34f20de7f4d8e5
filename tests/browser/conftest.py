"""Real-browser tests: Playwright driving the system's Chromium (Debian package `chromium`).

Without a Chromium the tests are skipped with that reason; CI installs it and sets
CITYPILOT_REQUIRE_BROWSER=1, which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("CITYPILOT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM:
        if os.environ.get("CITYPILOT_REQUIRE_BROWSER"):
            pytest.fail("CITYPILOT_REQUIRE_BROWSER is set but no Chromium was found")
        pytest.skip("no Chromium installed (apt-get install chromium) — browser tests skipped")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures are safe here.
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15000)
    # Any request that leaves this machine would fail on an intranet: record it and fail the test.
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(("http://localhost", "http://127.0.0.1", "data:", "about:"))
            else None
        ),
    )
    yield page
    context.close()
    assert outside == [], f"page requested outside resources: {outside}"
