"""The visualizer in a real Chromium against the real server and the real weights."""

import httpx
import pytest

from tests.browser.conftest import open_page, screenshot
from tests.browser.drawing import (
    STROKES,
    draw,
    hover_cell,
    hover_unit,
    most_in_flight,
    settle,
    windows,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("digit", [1, 7, 0])
def test_drawing_a_digit_with_the_mouse_predicts_it(page, digit):
    draw(page, STROKES[digit])
    settle(page)
    assert page.get_by_test_id("prediction").text_content() == str(digit)
    assert page.get_by_test_id("announce").text_content() == f"Prediction: {digit}"
    screenshot(page, f"drawn-{digit}-1366x768")


def test_layers_update_while_drawing_not_only_at_stroke_end(page):
    box = page.get_by_test_id("draw-pad").bounding_box()
    page.mouse.move(box["x"] + 140, box["y"] + 40)
    page.mouse.down()
    for i in range(1, 30):
        page.mouse.move(box["x"] + 140, box["y"] + 40 + i * 6)
    # answered before the mouse is up
    page.wait_for_function("() => document.querySelector('[data-testid=prediction]').textContent")
    assert page.evaluate("performance.getEntriesByName('request').length") > 0
    page.mouse.up()
    settle(page)
    assert most_in_flight(page) == 1


def test_every_layer_is_drawn_in_network_order(page, live_server):
    names = [g["name"] for g in httpx.get(f"{live_server}/api/model").json()["layers"]]
    shown = page.locator("[data-testid^=layer-]").evaluate_all(
        "els => els.map(e => e.dataset.testid.slice(6))"
    )
    assert shown == names
    assert page.locator("[data-testid=layer-conv2] canvas").count() == 16
    assert page.locator("[data-testid=layer-input] canvas").count() == 1


@pytest.mark.parametrize(("c", "y", "x"), [(3, 1, 2), (15, 4, 0)])
def test_hovering_a_pool2_cell_highlights_its_2x2_window_in_relu2(page, c, y, x):
    draw(page, STROKES[7])
    settle(page)
    hover_cell(page, "pool2", c, y, x)
    assert windows(page) == [("relu2", c, 2 * y, 2 * x, 2, 2)]
    assert page.locator(".box.winner").count() == 1


def test_hovering_a_conv2_cell_highlights_a_5x5_window_in_each_pool1_map(page):
    page.get_by_test_id("show-pre").check()  # conv2 itself, before ReLU
    draw(page, STROKES[0])
    settle(page)
    hover_cell(page, "conv2", 9, 3, 4)
    assert windows(page) == [("pool1", ch, 3, 4, 5, 5) for ch in range(6)]
    stage = page.get_by_test_id("network")
    assert stage.get_attribute("data-edge-count") == "150"  # 5x5 in each of 6 maps
    assert stage.get_attribute("data-edge-sources") == "pool1:150"
    field = page.locator("[data-testid=layer-input] .box.field")
    assert field.count() == 1  # the receptive field on the 32x32 input


def test_relu_and_dense_cells_show_their_sources(page):
    draw(page, STROKES[1])
    settle(page)
    # relu1 is drawn in conv1's place: its cell reads, through conv1, a 5x5 input window
    hover_cell(page, "relu1", 2, 10, 11)
    assert windows(page) == [("input", 0, 10, 11, 5, 5)]
    assert "ReLU" in page.get_by_test_id("inspector").text_content()
    page.get_by_test_id("show-pre").check()
    hover_unit(page, "fc2", 3)
    found = windows(page)
    assert len(found) == 8 and {w[0] for w in found} == {"relu3"}
    assert page.get_by_test_id("network").get_attribute("data-edge-sources") == "relu3:120"


def test_click_pins_arrows_move_and_escape_releases(page):
    draw(page, STROKES[7])
    settle(page)
    hover_cell(page, "pool1", 2, 5, 5, click=True)
    assert windows(page) == [("relu1", 2, 10, 10, 2, 2)]
    page.mouse.move(5, 5)  # leaving does not drop a pinned cell
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    assert windows(page) == [("relu1", 2, 12, 12, 2, 2)]
    page.keyboard.press("Escape")
    assert windows(page) == []


def pad_ink(page) -> int:
    return page.get_by_test_id("draw-pad").evaluate(
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data"
        ".reduce((s, v, i) => s + (i % 4 === 0 ? v : 0), 0)"
    )


def test_undo_removes_the_last_stroke_and_clear_empties_everything(page):
    draw(page, STROKES[7])
    settle(page)
    assert page.get_by_test_id("prediction").text_content() == "7"
    both = pad_ink(page)
    page.get_by_test_id("undo").click()
    settle(page)
    assert 0 < pad_ink(page) < both  # only the first stroke, the bar of the 7, is left
    assert page.get_by_test_id("prediction").text_content() != ""
    page.get_by_test_id("clear").click()
    settle(page)
    assert pad_ink(page) == 0
    assert page.get_by_test_id("prediction").text_content() == ""


def test_sample_loads_an_mnist_digit_and_its_label(page):
    page.route("**/api/sample", lambda route: route.continue_(url=route.request.url + "?index=0"))
    page.get_by_test_id("sample").click()
    page.wait_for_function("() => document.querySelector('[data-testid=sample-label]').textContent")
    assert "labelled 7" in page.get_by_test_id("sample-label").text_content()
    page.wait_for_function("() => document.querySelector('[data-testid=prediction]').textContent")
    assert page.get_by_test_id("prediction").text_content() == "7"


def test_toggles_hide_pre_activations_and_share_one_scale(page):
    page.get_by_test_id("show-pre").uncheck()
    for name in ("conv1", "conv2", "fc1", "fc2"):
        assert page.get_by_test_id(f"layer-{name}").is_hidden()
    for name in ("relu1", "relu2", "relu3", "relu4", "fc3"):  # fc3 (logits) has no ReLU
        assert page.get_by_test_id(f"layer-{name}").is_visible()
    page.get_by_test_id("show-pre").check()
    assert page.get_by_test_id("layer-conv1").is_visible()
    # the pre-activations take the ReLU's place, in the same box
    assert page.get_by_test_id("layer-relu1").is_hidden()


def test_controls_are_labelled_and_reachable_by_keyboard(page):
    for testid in ("clear", "undo", "sample"):
        assert page.get_by_test_id(testid).text_content().strip()
    seen = set()
    for _ in range(25):
        page.keyboard.press("Tab")
        seen.add(page.evaluate("document.activeElement.dataset.testid || ''"))
    wanted = {"clear", "undo", "sample", "open-image", "brush", "show-pre", "normalise"}
    assert wanted | {"view-3d", "copy-link", "network"} <= seen


def test_phone_viewport_has_no_horizontal_scroll(phone):
    draw(phone, STROKES[7])
    settle(phone)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert phone.get_by_test_id("prediction").text_content() == "7"
    hover_cell(phone, "pool2", 3, 2, 2)
    assert windows(phone) == [("relu2", 3, 4, 4, 2, 2)]
    screenshot(phone, "visualizer-390x844")


def test_screenshots_at_both_sizes(browser, live_server):
    for w, h in ((1366, 768), (390, 844)):
        pg = open_page(browser, live_server, w, h)
        draw(pg, STROKES[7])
        settle(pg)
        hover_cell(pg, "relu2", 4, 3, 3)
        path = screenshot(pg, f"visualizer-{w}x{h}")
        assert path.stat().st_size > 10_000
        assert pg.console_errors == []
        pg.close()


def test_keyboard_alone_can_walk_the_network(page):
    draw(page, STROKES[7])
    settle(page)
    page.get_by_test_id("network").focus()
    assert "input" in page.get_by_test_id("inspector").text_content()
    page.keyboard.press("PageDown")  # conv1, channel 0, (0, 0)
    assert windows(page) == [("input", 0, 0, 0, 5, 5)]
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    assert windows(page) == [("input", 0, 1, 3, 5, 5)]
