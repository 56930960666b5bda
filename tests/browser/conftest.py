"""A real Chromium (Debian's build) driven by Playwright against the real server."""

import shutil
from pathlib import Path

import pytest

from tests.browser.drawing import Answers
from tests.conftest import ROOT

ARTIFACTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is not installed: apt-get install -y chromium")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield b
        b.close()


def open_page(browser, live_server, width=1366, height=768, path="/"):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.answers = Answers(page)  # page.answers.last(): what the page was told, live or HTTP
    page.goto(live_server + path)
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    return page


@pytest.fixture
def page(browser, live_server):
    """The visualizer at 1366x768; fails the test if the console logged an error."""
    pg = open_page(browser, live_server)
    yield pg
    errors = pg.console_errors
    pg.close()
    assert errors == [], errors


@pytest.fixture
def phone(browser, live_server):
    pg = open_page(browser, live_server, 390, 844)
    yield pg
    errors = pg.console_errors
    pg.close()
    assert errors == [], errors


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
