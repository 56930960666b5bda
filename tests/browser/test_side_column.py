"""The left column at 1366x768 (pad, verdict, Explain, Where from, inspector), in a real Chromium
against the real server: it scrolls as one, and a pin or an opened Explain panel brings its part
up instead of leaving it a strip under the fold; on a phone the Explain and Where-from buttons
read alike."""

import pytest
from playwright.sync_api import expect

from tests.browser.drawing import STROKES, draw, hover_cell, settle

pytestmark = pytest.mark.browser

IN_VIEW = """el => { const r = el.getBoundingClientRect();
  return Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0)); }"""


def scrolled(page) -> float:
    """The left column's scrollTop once its smooth scroll has come to rest."""
    page.wait_for_function(
        """() => new Promise(done => { const c = document.querySelector('[data-testid=side-col]');
          let last = -1; const step = () => { if (c.scrollTop === last) return done(true);
          last = c.scrollTop; setTimeout(step, 120); }; step(); })"""
    )
    return page.get_by_test_id("side-col").evaluate("c => c.scrollTop")


def test_at_1366x768_a_pin_brings_the_inspector_up_and_a_release_brings_the_pad_back(page):
    draw(page, STROKES[7])
    settle(page)
    inspector = page.get_by_test_id("inspector")
    assert inspector.evaluate(IN_VIEW) < 150  # under the pad and the verdict: a strip
    hover_cell(page, "relu2", 3, 4, 4, click=True)
    expect(inspector.locator("h3")).to_contain_text("conv2 · map 3 · row 4, col 4")
    assert scrolled(page) > 200
    assert inspector.evaluate(IN_VIEW) > 500  # the arithmetic can be read
    # the page itself did not scroll: the network stays whole beside the column
    assert page.evaluate("scrollY === 0 && document.documentElement.scrollHeight <= innerHeight")
    assert page.get_by_test_id("network").evaluate(IN_VIEW) > 600
    page.keyboard.press("ArrowRight")  # moving the pin does not jump the column again
    expect(inspector.locator("h3")).to_contain_text("row 4, col 5")
    before = scrolled(page)
    assert before > 200
    page.keyboard.press("Escape")
    assert scrolled(page) == 0
    assert page.get_by_test_id("draw-pad").evaluate(IN_VIEW) > 200


def test_at_1366x768_opening_explain_brings_its_panel_up(page):
    draw(page, STROKES[7])
    settle(page)
    page.get_by_test_id("explain").click()
    page.wait_for_selector("[data-testid=explain-gradient]", timeout=20_000)
    assert scrolled(page) > 200
    body = page.get_by_test_id("explain-panel")
    assert body.evaluate(IN_VIEW) > 400  # it was 110 px under the pad and the verdict
    expect(page.get_by_test_id("explain-gradient")).to_be_in_viewport()
    page.get_by_test_id("explain").click()  # closed: back to the pad
    assert scrolled(page) == 0


def test_a_pin_at_1920x1080_leaves_the_column_where_it_is(browser, live_server):
    from tests.browser.conftest import open_page

    page = open_page(browser, live_server, 1920, 1080)
    try:
        draw(page, STROKES[7])
        settle(page)
        hover_cell(page, "relu2", 3, 4, 4, click=True)
        expect(page.get_by_test_id("inspector").locator("h3")).to_contain_text("conv2")
        assert scrolled(page) == 0  # the inspector's head was in view already
        assert page.console_errors == []
    finally:
        page.close()


def test_on_a_phone_explain_and_where_from_are_both_short_until_one_opens(phone):
    draw(phone, STROKES[7])
    settle(phone)
    explain, wherefrom = phone.get_by_test_id("explain"), phone.get_by_test_id("wherefrom")
    assert explain.inner_text().strip() == "Explain"
    assert wherefrom.inner_text().strip() == "Where from"
    top = [b.bounding_box()["y"] for b in (explain, wherefrom)]
    assert top[0] == pytest.approx(top[1], abs=2)  # one row under the pad and the verdict
    explain.click()
    expect(explain).to_have_text("Explain: why this digit?")


def test_the_explain_panel_has_a_title_and_closes_from_its_own_button(page):
    draw(page, STROKES[7])
    settle(page)
    page.get_by_test_id("explain").click()
    body = page.get_by_test_id("explain-panel")
    expect(body.locator("h2")).to_have_text("Explain: what in your drawing made the verdict")
    page.get_by_test_id("explain-close").click()
    expect(body).to_be_hidden()
    expect(page.get_by_test_id("explain")).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_test_id("explain")).to_be_focused()
    assert scrolled(page) == 0  # back to the pad, as the Explain button's own close does


def test_a_link_with_a_pinned_cell_opens_with_its_arithmetic_in_view(page, browser, live_server):
    from tests.browser.conftest import open_page

    draw(page, STROKES[7])
    settle(page)
    hover_cell(page, "relu2", 3, 4, 4, click=True)
    page.wait_for_function("() => location.hash.includes('p=relu2.3.4.4')")
    shared = open_page(browser, live_server, path="/" + page.evaluate("location.hash"))
    try:
        settle(shared)
        expect(shared.get_by_test_id("inspector").locator("h3")).to_contain_text("row 4, col 4")
        assert scrolled(shared) > 200
        assert shared.get_by_test_id("inspector").evaluate(IN_VIEW) > 500
        assert shared.console_errors == []
    finally:
        shared.close()
