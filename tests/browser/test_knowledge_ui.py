"""Where from (nearest training digits and the map), the inspector's "this filter responds to..."
and /model's filter grid, in a real Chromium against the real server, weights and precomputed
knowledge. Values are read from the API, never written in: the weights may be retrained."""

import httpx
import pytest

from tests.browser.conftest import open_page, screenshot
from tests.browser.drawing import STROKES, draw, hover_cell, most_in_flight, settle

pytestmark = pytest.mark.browser

# per canvas: how many pixels are not black (and not transparent)
INKED = """els => els.map(c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] && d[i] + d[i + 1] + d[i + 2] > 0) n++;
  return n;
})"""


@pytest.fixture(scope="module", autouse=True)
def knowledge_served(live_server):
    """Skip (saying why) while the precomputed files do not match the served weights (between a
    retraining and `lenet-vis precompute`)."""
    r = httpx.get(f"{live_server}/api/knowledge/map", timeout=60)
    if r.status_code == 503:
        pytest.skip(f"the knowledge files are not served: {r.json()['detail']}")
    assert r.status_code == 200, r.text


def idle(page, timeout=20_000):
    """Wait until Where from has no request in flight or waiting."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=wherefrom-panel]')"
        ".getAttribute('aria-busy') === 'false'",
        timeout=timeout,
    )


def open_where_from(page, digit=7):
    """Open the panel, then draw (so it follows the drawing as it is made)."""
    page.get_by_test_id("wherefrom").click()
    page.wait_for_selector("[data-testid=knowledge-map][data-ready=true]", timeout=20_000)
    draw(page, STROKES[digit])
    settle(page)
    page.wait_for_selector("[data-testid=neighbours-fc2] li", timeout=20_000)
    idle(page)


def test_a_drawn_7_has_8_read_alike_and_8_look_alike_training_digits(page):
    open_where_from(page)
    assert page.get_by_test_id("prediction").text_content() == "7"
    for row in ("fc2", "pixels"):
        images = page.locator(f"[data-testid=neighbours-{row}] canvas")
        assert images.count() == 8, row
        inked = images.evaluate_all(INKED)
        assert all(n > 20 for n in inked), (row, inked)
    labels = page.locator("[data-testid=neighbours-fc2] button").evaluate_all(
        "bs => bs.map(b => Number(b.dataset.label))"
    )
    assert sum(label == 7 for label in labels) >= 6, labels
    assert page.get_by_test_id("wherefrom-panel").get_attribute("data-prediction") == "7"
    assert "network reads 7" in page.get_by_test_id("wherefrom-status").text_content()
    # the requests went one at a time while the digit was drawn
    assert most_in_flight(page, "wherefrom-request") == 1
    screenshot(page, "wherefrom-1366")


def test_the_map_is_coloured_and_the_marker_is_where_the_server_places_the_digit(page, live_server):
    sent = []  # the drawings the page sent, as it sent them
    page.on(
        "request",
        lambda r: r.url.endswith("/api/knowledge/neighbours") and sent.append(r.post_data),
    )
    open_where_from(page)
    coloured = page.get_by_test_id("knowledge-map").evaluate(
        """c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4)
          if (d[i + 3] && (d[i] !== d[i + 1] || d[i + 1] !== d[i + 2])) n++;
        return n;
      }"""
    )
    assert coloured > 2000, coloured
    placed = httpx.post(
        f"{live_server}/api/knowledge/map/place",
        content=sent[-1],
        headers={"content-type": "application/json"},
    ).json()
    overlay = page.get_by_test_id("knowledge-map-overlay")
    want = overlay.evaluate(
        """async (c, pos) => {
        const { project, clampToView } = await import('/static/js/knowledgemap.js');
        const view = JSON.parse(c.dataset.view);
        return clampToView(view, project(view, pos), 9);
      }""",
        placed["position"],
    )
    got = [
        float(overlay.get_attribute("data-marker-x")),
        float(overlay.get_attribute("data-marker-y")),
    ]
    assert abs(got[0] - want[0]) < 0.01 and abs(got[1] - want[1]) < 0.01, (got, want)
    # and it is drawn there: the marker's white centre, its accent ring 8 px out
    px = overlay.evaluate(
        """(c, [x, y]) => {
        const k = c.width / c.getBoundingClientRect().width;
        const at = (u, v) => Array.from(c.getContext('2d').getImageData(Math.round(u * k),
          Math.round(v * k), 1, 1).data);
        return [at(x, y), at(x + 8, y)];
      }""",
        want[:2],
    )
    assert px[0] == [255, 255, 255, 255], px
    r, g, b, a = px[1]
    assert a == 255 and r > 200 and 80 < g < 160 and b < 80, px  # #e67d14
    # clearing the pad clears both
    page.get_by_test_id("clear").click()
    assert page.locator("[data-testid=neighbours-fc2] li").count() == 0
    assert overlay.get_attribute("data-marker-x") is None


def test_hovering_a_map_point_shows_that_training_digit(page, live_server):
    open_where_from(page)
    overlay = page.get_by_test_id("knowledge-map-overlay")
    overlay.scroll_into_view_if_needed()
    view_and_pos = overlay.evaluate(
        """async (c) => {
        const { project } = await import('/static/js/knowledgemap.js');
        const view = JSON.parse(c.dataset.view);
        const m = await (await fetch('/api/knowledge/map')).json();
        // a mistake: a point with a ring of its own, and a tooltip that says so
        const row = m.mistakes[0];
        return { row, at: project(view, m.positions[row]),
                 all: m.positions.map((p) => project(view, p)) };
      }"""
    )
    box = overlay.bounding_box()
    x, y = view_and_pos["at"]
    page.mouse.move(box["x"] + x, box["y"] + y)
    tip = page.get_by_test_id("map-tooltip")
    page.wait_for_selector("[data-testid=map-tooltip-image]", timeout=10_000)
    row = int(tip.get_attribute("data-row"))
    hx, hy = view_and_pos["all"][row]
    assert (hx - x) ** 2 + (hy - y) ** 2 <= 1.0, "the point under the pointer (or one on it)"
    digit = httpx.get(f"{live_server}/api/knowledge/digits/{row}").json()
    assert int(tip.get_attribute("data-label")) == digit["label"]
    assert int(tip.get_attribute("data-prediction")) == digit["prediction"]
    assert f"labelled {digit['label']}" in tip.text_content()
    if digit["prediction"] != digit["label"]:
        assert f"read as {digit['prediction']}" in tip.text_content()
    shown = page.get_by_test_id("map-tooltip-image").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data)"
        ".filter((_, i) => i % 4 === 0)"
    )
    assert shown == [v for r in digit["image"] for v in r]
    # the keyboard: Home goes to the person's digit and shows the training digit nearest it
    overlay.focus()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => { const t = document.querySelector('[data-testid=map-tooltip]');"
        " return !t.hidden && t.dataset.label !== undefined; }"
    )


def test_a_neighbour_clicked_goes_on_the_pad_and_is_its_own_nearest(page):
    open_where_from(page)
    first = page.locator("[data-testid=neighbours-pixels] button").first
    row = int(first.get_attribute("data-row"))
    first.click()
    settle(page)
    page.wait_for_function(
        "row => { const b = document.querySelector('[data-testid=neighbours-pixels] button');"
        " return b && Number(b.dataset.row) === row; }",
        arg=row,
        timeout=20_000,
    )
    assert "training digit" in page.get_by_test_id("sample-label").text_content()


def test_pinning_a_conv1_cell_shows_its_nine_top_patches_fetched_once(page, live_server):
    draw(page, STROKES[7])
    settle(page)
    layer = "relu1" if page.locator("[data-testid=layer-relu1]").is_visible() else "conv1"
    hover_cell(page, layer, 2, 8, 8, click=True)
    page.wait_for_selector("[data-testid=filter-knowledge][data-ready=true]", timeout=20_000)
    section = page.get_by_test_id("filter-knowledge")
    assert section.get_attribute("data-layer") == "conv1"
    assert section.get_attribute("data-filter") == "2"
    patches = section.locator("[data-testid=filter-patch]")
    assert patches.count() == 9
    assert all(n > 0 for n in patches.evaluate_all(INKED))
    want = httpx.get(f"{live_server}/api/knowledge/filters/conv1").json()["filters"][2]
    shown = patches.evaluate_all(
        "cs => cs.map(c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height)"
        ".data).filter((_, i) => i % 4 === 0))"
    )
    assert shown == [[v for r in p for v in r] for p in want["patches"]]
    assert section.locator("[data-testid=filter-ascent]").evaluate_all(INKED)[0] > 0
    # another filter of the same layer: no second request
    page.keyboard.press("]")
    page.wait_for_selector("[data-testid=filter-knowledge][data-filter='3'][data-ready=true]")
    fetched = page.evaluate(
        "() => performance.getEntriesByType('resource')"
        ".filter(e => e.name.endsWith('/api/knowledge/filters/conv1')).length"
    )
    assert fetched == 1


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)])
def test_model_page_shows_what_each_of_the_22_filters_looks_for(browser, live_server, size):
    page = open_page(browser, live_server, *size, path="/model")
    page.wait_for_selector("[data-testid=filter-knowledge-grid][data-ready=true]", timeout=30_000)
    for layer, n in (("conv1", 6), ("conv2", 16)):
        cards = page.locator(f"[data-testid=filter-grid-{layer}] [data-testid=filter-card]")
        assert cards.count() == n, layer
        for kind, per in (("filter-patch", 9), ("filter-ascent", 1), ("filter-weights", 1)):
            assert cards.locator(f"[data-testid={kind}]").count() == n * per, (layer, kind)
        patches = cards.locator("[data-testid=filter-patch]").evaluate_all(INKED)
        assert all(k > 0 for k in patches), layer
        assert all(k > 0 for k in cards.locator("[data-testid=filter-ascent]").evaluate_all(INKED))
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    grid = page.get_by_test_id("filter-knowledge-grid")
    grid.scroll_into_view_if_needed()
    screenshot(page, f"filter-grid-{size[0]}")
    errors = page.console_errors
    page.close()
    assert errors == [], errors


def test_where_from_at_phone_width(phone):
    open_where_from(phone)
    assert phone.locator("[data-testid=neighbours-fc2] canvas").count() == 8
    assert phone.locator("[data-testid=neighbours-pixels] canvas").count() == 8
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    overlay = phone.get_by_test_id("knowledge-map-overlay")
    overlay.scroll_into_view_if_needed()
    box = overlay.bounding_box()
    assert box["width"] >= 300 and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert overlay.get_attribute("data-marker-x") is not None
    screenshot(phone, "wherefrom-390")


def test_on_a_touch_screen_a_tapped_map_point_can_go_on_the_pad(browser, live_server):
    page = browser.new_page(viewport={"width": 390, "height": 844}, has_touch=True)
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    open_where_from(page)
    overlay = page.get_by_test_id("knowledge-map-overlay")
    overlay.scroll_into_view_if_needed()
    at = overlay.evaluate(
        """async (c) => {
        const { project } = await import('/static/js/knowledgemap.js');
        const m = await (await fetch('/api/knowledge/map')).json();
        return project(JSON.parse(c.dataset.view), m.positions[m.mistakes[0]]);
      }"""
    )
    box = overlay.bounding_box()
    page.touchscreen.tap(box["x"] + at[0], box["y"] + at[1])
    button = page.get_by_test_id("map-tooltip").get_by_role("button", name="Put it on the pad")
    button.wait_for(timeout=10_000)
    row = int(page.get_by_test_id("map-tooltip").get_attribute("data-row"))
    digit = httpx.get(f"{live_server}/api/knowledge/digits/{row}").json()
    button.tap()
    settle(page)
    label = page.get_by_test_id("sample-label").text_content()
    assert f"training digit #{digit['index']}" in label, label
    page.close()
    assert errors == [], errors
