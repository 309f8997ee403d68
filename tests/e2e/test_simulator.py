"""The web simulator, driven in Debian's Chromium through Playwright like a person would use it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
# Headless, and no background connections: this machine has no network beyond localhost.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_a_citizen_greets_sees_the_menu_and_picks_a_choice(stack: Stack, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(f"{stack.url}/simulator")

    page.get_by_placeholder("Tulis pesan").fill("halo min")
    page.get_by_role("button", name="Kirim").click()

    expect(page.locator(".msg.bot").first).to_contain_text("Saya bisa membantu Anda")
    page.get_by_role("button", name="Bicara dengan petugas").click()
    expect(page.locator(".msg.bot").last).to_contain_text("petugas")
    expect(page.locator(".msg.user").last).to_have_text("Bicara dengan petugas")
    page.close()


def test_bot_text_is_shown_as_text_never_as_html(stack: Stack, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(f"{stack.url}/simulator")
    page.get_by_placeholder("Tulis pesan").fill("<img src=x onerror=alert(1)> halo")
    page.get_by_role("button", name="Kirim").click()

    expect(page.locator(".msg.user").last).to_have_text("<img src=x onerror=alert(1)> halo")
    assert page.locator(".msg img").count() == 0
    page.close()


def test_the_page_embeds_the_token_as_a_json_string_under_a_strict_policy(stack: Stack) -> None:
    response = httpx.get(f"{stack.url}/simulator")

    assert response.status_code == 200
    assert f'const TOKEN = "{stack.token}";' in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
