"""Explain mode in the visualizer, on a drawing made with the real mouse, against the real
server and weights: attribution on the ink, ablation from the ranking, "make it a N"."""

import pytest

from tests.browser.conftest import open_page, screenshot
from tests.browser.drawing import STROKES, draw, most_in_flight, settle

pytestmark = pytest.mark.browser


def explain_idle(page, timeout=20_000):
    """Wait until the Explain panel has no request in flight or waiting."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=explain-panel]').getAttribute('aria-busy')"
        " === 'false'",
        timeout=timeout,
    )


def explain_in_flight(page) -> int:
    """The most explain requests in flight at once."""
    return most_in_flight(page, "explain-request")


# the gradient map's magnitude per input pixel, and the input itself, read from the page's
# own attribution answer (what the overlay was drawn from) and the canvas it was drawn on
READ_MAPS = """async () => {
  const png = document.querySelector('[data-testid=draw-pad]');
  const { toFlat } = await import('/static/js/decode.js');
  const r = await fetch('/api/explain/attribution', {method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({image_base64: png.toDataURL('image/png'),
    methods: ['gradient', 'gradient_x_input']})});
  const body = await r.json();
  const canvas = document.querySelector('[data-testid=explain-gradient]');
  const px = canvas.getContext('2d').getImageData(0, 0, 32, 32).data;
  let coloured = 0;
  for (let i = 0; i < px.length; i += 4)
    if (px[i] !== px[i + 1] || px[i + 1] !== px[i + 2]) coloured++;
  return {input: Array.from(toFlat(body.input)), gradient: Array.from(toFlat(body.maps.gradient)),
          gxi: Array.from(toFlat(body.maps.gradient_x_input)), coloured};
}"""


def open_explain(page, digit=7):
    draw(page, STROKES[digit])
    settle(page)
    page.get_by_test_id("explain").click()
    page.wait_for_selector("[data-testid=explain-gradient]", timeout=20_000)
    explain_idle(page)


def test_explain_shows_the_gradient_on_the_ink_of_a_drawn_7(page):
    open_explain(page)
    assert page.get_by_test_id("prediction").text_content() == "7"
    for m in ("gradient", "gradient_x_input", "integrated_gradients", "occlusion"):
        assert page.locator(f"[data-testid=explain-{m}]").count() == 1, m
    out = page.evaluate(READ_MAPS)
    inp, grad = out["input"], [abs(g) for g in out["gradient"]]
    assert sum(grad) > 0 and out["coloured"] > 20
    ink = [i for i, v in enumerate(inp) if v > 0.1]
    near_ink = set()
    for i in ink:  # the ink and the pixels next to it (a 3x3 neighbourhood)
        y, x = divmod(i, 32)
        near_ink |= {(y + dy) * 32 + x + dx for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
    share = sum(grad[i] for i in near_ink if 0 <= i < 1024) / sum(grad)
    area = len(near_ink) / 1024
    # the plain gradient also reaches the background (a ReLU net's gradient is not sparse), but
    # its density on and next to the ink is well above its density elsewhere (measured 1.6x)
    assert share > 1.3 * area, (share, area)

    def centroid(w):
        total = sum(w)
        return [sum(w[i] * divmod(i, 32)[k] for i in range(1024)) / total for k in (0, 1)]

    (gy, gx), (iy, ix) = centroid(grad), centroid(inp)
    assert abs(gy - iy) <= 2.5 and abs(gx - ix) <= 2.5, ((gy, gx), (iy, ix))
    # gradient x input: all its mass is on the ink
    gxi = [abs(v) for v in out["gxi"]]
    assert sum(gxi[i] for i in range(1024) if inp[i] > 0) / sum(gxi) > 0.999
    note = page.locator(".explain-attribution .explain-note").text_content()
    assert "% apart, 64 steps" in note
    assert explain_in_flight(page) == 1
    screenshot(page, "explain-7-1366x768")


def test_explain_is_asked_again_when_a_stroke_ends_not_on_every_move(page):
    open_explain(page, 1)
    before = page.evaluate("performance.getEntriesByName('explain-request').length")
    # at 1366x768 the opened panel scrolled the left column up to it: back to the pad
    page.get_by_test_id("draw-pad").scroll_into_view_if_needed()
    draw(page, [[(80, 60), (200, 60)]], steps=20)  # one stroke of 20 moves
    settle(page)
    explain_idle(page)
    after = page.evaluate("performance.getEntriesByName('explain-request').length")
    assert 1 <= after - before <= 2
    assert explain_in_flight(page) == 1


def probability_of(page, digit):
    title = page.locator("[data-testid=probabilities] rect title").nth(digit).text_content()
    return float(title.split()[-1].rstrip("%")) / (100 if "%" in title else 1)


def test_ablating_the_top_conv2_filter_lowers_the_probability_of_7(page):
    open_explain(page)
    first = page.locator(".explain-ranking li[data-layer=conv2]").first
    index = int(first.get_attribute("data-index"))
    first.click()
    page.wait_for_function(f"() => location.hash.includes('x=conv2.{index}')")
    settle(page)
    explain_idle(page)
    effect = page.get_by_test_id("ablate-effect")
    assert effect.get_attribute("data-digit") == "7"
    p_before, p_after = (float(effect.get_attribute(f"data-{k}")) for k in ("before", "after"))
    assert p_after < p_before, (p_before, p_after)
    assert page.get_by_test_id("prediction").text_content() in "0123456789"
    # the page's verdict shows the probability with the filter off
    shown = probability_of(page, 7)
    assert abs(shown - p_after) <= 0.0005, (shown, p_after)
    chip = page.locator(f".explain-chip[data-layer=conv2][data-index='{index}']")
    assert chip.count() == 1
    li = page.locator(f".explain-ranking li[data-layer=conv2][data-index='{index}']")
    assert li.get_attribute("aria-pressed") == "true"
    # the link restores the ablated set and its prediction
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    settle(page)
    assert abs(probability_of(page, 7) - p_after) <= 0.0005
    # a unit off is never hidden: the link opens the panel and the button counts them
    assert page.get_by_test_id("explain").get_attribute("aria-expanded") == "true"
    assert page.get_by_test_id("explain").text_content().endswith("(1 off)")
    # switching it on again gives back the prediction with everything on
    page.locator(f".explain-chip[data-layer=conv2][data-index='{index}']").click()
    page.wait_for_function("() => !location.hash.includes('x=')")
    settle(page)
    assert abs(probability_of(page, 7) - p_before) <= 0.0005


def test_make_it_a_1_ends_with_the_verdict_1_and_an_overlay(page):
    open_explain(page)
    page.get_by_test_id("cf-target").select_option("1")
    page.get_by_test_id("make-it").click()
    page.wait_for_selector("[data-testid=explain-counterfactual]", timeout=20_000)
    explain_idle(page)
    assert page.get_by_test_id("cf-verdict").get_attribute("data-prediction") == "1"
    assert page.locator(".explain-counterfactual h3").text_content() == "Make it a 1: now says 1"
    coloured = page.evaluate(
        """() => {
        const c = document.querySelector('[data-testid=explain-counterfactual]');
        const px = c.getContext('2d').getImageData(0, 0, 32, 32).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4)
          if (px[i] !== px[i + 1] || px[i + 1] !== px[i + 2]) n++;
        return n;
      }"""
    )
    assert coloured > 0


def test_explain_mode_is_usable_at_phone_width(phone):
    open_explain(phone)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = phone.get_by_test_id("explain-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    grad = phone.get_by_test_id("explain-gradient").bounding_box()
    assert grad["width"] >= 60
    screenshot(phone, "explain-390x844")


def test_alt_click_in_the_diagram_switches_a_conv2_filter_and_an_fc1_unit(page):
    from tests.browser.drawing import hover_cell, hover_unit

    open_explain(page)
    page.keyboard.down("Alt")
    hover_cell(page, "relu2", 3, 1, 1, click=True)  # conv2 drawn with its ReLU
    page.wait_for_function("() => location.hash.includes('x=conv2.3')")
    hover_unit(page, "relu3", 17, click=True)  # fc1 drawn with its ReLU
    page.wait_for_function("() => location.hash.includes('x=conv2.3-fc1.17')")
    page.keyboard.up("Alt")
    settle(page)
    assert "p=" not in page.url  # the Alt+click switched units, it did not pin a cell
    assert page.locator(".explain-chip").evaluate_all(
        "els => els.map(e => e.dataset.layer + e.dataset.index)"
    ) == ["conv23", "fc117"]


def test_compare_a_7_with_a_1_differs_at_every_layer(page, live_server):
    import httpx

    open_explain(page)
    page.get_by_test_id("keep-a").click()
    page.get_by_test_id("clear").click()
    draw(page, STROKES[1])
    settle(page)
    page.wait_for_selector("[data-testid=compare-layers]", timeout=20_000)
    explain_idle(page)
    assert page.locator(".explain-compare h3").text_content() == "A (7) → B (1)"
    rows = page.locator("[data-testid=compare-layers] tr").evaluate_all(
        "els => els.map(e => [e.dataset.layer, Number(e.dataset.max)])"
    )
    names = [g["name"] for g in httpx.get(f"{live_server}/api/model").json()["layers"]]
    assert [r[0] for r in rows] == names
    assert all(m > 0 for _, m in rows), rows
    # the difference maps: every layer (after the input) has a row of canvases, one per channel
    # for the map layers and one strip for the vector layers, and in each row some pixel is off
    # the diverging scale's neutral middle grey (64, 64, 64): B - A is drawn, not blank
    maps = page.get_by_test_id("compare-maps").evaluate(
        """box => [...box.querySelectorAll('.explain-diff-row')].map(row => {
          const canvases = [...row.querySelectorAll('canvas')];
          let off = 0;
          for (const c of canvases) {
            const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 0; i < px.length; i += 4)
              if (px[i] !== 64 || px[i + 1] !== 64 || px[i + 2] !== 64) off++;
          }
          return [row.dataset.layer, canvases.length, canvases[0].width, canvases[0].height, off];
        })"""
    )
    assert [m[0] for m in maps] == names[1:]
    geometry = {m[0]: m[1:4] for m in maps}
    assert geometry["conv1"] == [6, 28, 28] and geometry["pool1"] == [6, 14, 14]
    assert geometry["conv2"] == [16, 10, 10] and geometry["pool2"] == [16, 5, 5]
    assert geometry["fc1"] == [1, 120, 1] and geometry["softmax"] == [1, 10, 1]
    assert all(m[4] > 0 for m in maps), maps
    assert page.console_errors == []
    # the blend slider: A at one end, B at the other
    blend = page.get_by_test_id("blend")
    assert page.get_by_test_id("blend-text").get_attribute("data-prediction") == "7"
    blend.fill(blend.get_attribute("max"))
    assert page.get_by_test_id("blend-text").get_attribute("data-prediction") == "1"
    # A is in the link: reopened, the page compares the same two drawings again
    assert "a=" in page.url
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("[data-testid=compare-layers]", timeout=20_000)
    explain_idle(page)
    assert page.locator(".explain-compare h3").text_content() == "A (7) → B (1)"
    assert page.get_by_test_id("keep-a").text_content() == "Forget A"
    page.get_by_test_id("keep-a").click()
    page.wait_for_function("() => !location.hash.includes('a=')")
    assert page.locator(".explain-compare").count() == 0


def test_the_difference_maps_fit_a_phone(phone):
    open_explain(phone)
    phone.get_by_test_id("keep-a").click()
    phone.get_by_test_id("clear").click()
    draw(phone, STROKES[1])
    settle(phone)
    phone.wait_for_selector("[data-testid=compare-maps]", timeout=20_000)
    explain_idle(phone)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for testid in ("compare-maps", "diff-conv2", "diff-fc1"):
        box = phone.get_by_test_id(testid).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (testid, box)
    phone.get_by_test_id("compare-maps").scroll_into_view_if_needed()
    screenshot(phone, "explain-compare-390x844")


def test_the_target_and_the_integrated_gradients_steps_can_be_chosen(page):
    open_explain(page)
    page.get_by_test_id("explain-target").select_option("1")
    page.wait_for_function(
        "() => document.querySelector('.explain-attribution h3').textContent.endsWith('for 1')"
    )
    page.get_by_test_id("explain-steps").select_option("128")
    page.wait_for_function(
        "() => document.querySelector('.explain-attribution .explain-note')"
        ".textContent.includes('128 steps')"
    )
    explain_idle(page)
    assert page.locator(".explain-ranking h3").text_content() == "Filters that help the 1 most"
    assert explain_in_flight(page) == 1


def test_a_pinned_fc2_unit_is_switched_off_with_the_button(page):
    from tests.browser.drawing import hover_unit

    open_explain(page)
    hover_unit(page, "relu4", 42, click=True)
    page.get_by_test_id("ablate-pinned").click()
    page.wait_for_function("() => location.hash.includes('x=fc2.42')")
    settle(page)
    assert page.locator(".explain-chip[data-layer=fc2]").text_content() == "fc2 #42 ×"


def test_the_sanity_check_shows_maps_from_randomised_weights(page):
    open_explain(page)
    page.get_by_test_id("sanity").click()
    page.wait_for_selector(".explain-randomisation", timeout=20_000)
    explain_idle(page)
    stages = page.locator(".explain-randomisation .explain-stage").all_text_contents()
    assert stages[0] == "trained" and stages[-1] == "random to conv1", stages
    assert page.locator(".explain-randomisation canvas").count() == 2 * len(stages)


def test_at_1366_the_panel_takes_the_inspector_column_and_the_network_keeps_its_width(page):
    stage_before = page.get_by_test_id("network").bounding_box()
    open_explain(page)
    body = page.get_by_test_id("explain-panel").bounding_box()
    stage = page.get_by_test_id("network").bounding_box()
    assert page.evaluate(
        "document.querySelector('[data-testid=explain-panel]').parentElement"
        ".classList.contains('inspector-col')"
    )
    assert body["width"] >= 250
    assert body["x"] + body["width"] <= stage["x"] + 1  # beside the network, not over it
    assert stage["width"] == pytest.approx(stage_before["width"], abs=1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_test_id("explain").click()  # closed: the body goes back under its button
    assert page.evaluate(
        "document.querySelector('[data-testid=explain-panel]').parentElement"
        ".classList.contains('explain-panel')"
    )


def test_wide_screens_make_room_for_the_drawer(browser, live_server):
    page = open_page(browser, live_server, 1920, 1080)
    try:
        stage_before = page.get_by_test_id("network").bounding_box()["width"]
        open_explain(page)
        body = page.get_by_test_id("explain-panel").bounding_box()
        stage = page.get_by_test_id("network").bounding_box()
        assert body["x"] + body["width"] <= 1920 and body["width"] >= 300
        assert stage["x"] + stage["width"] <= body["x"] + 1  # the network is not covered
        assert stage["width"] < stage_before
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert page.console_errors == []
    finally:
        page.close()
