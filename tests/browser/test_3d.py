"""The 3D view in a real Chromium with software WebGL (--disable-gpu: SwiftShader) against the
real server and weights: it draws the network, picks cells, and gives the page back to 2D."""

import io

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path, open_page
from tests.browser.drawing import STROKES, draw

pytestmark = pytest.mark.browser

CANVAS = "[data-testid=stage-3d] canvas"


def settle(page):
    """The answer to the newest drawing is on screen."""
    page.wait_for_selector(
        "[data-testid=network][aria-busy=false]", state="attached", timeout=15_000
    )


def next_frames(page, n=2):
    page.evaluate(
        "n => new Promise(done => { const step = k => k ? requestAnimationFrame(() => step(k - 1)) "
        ": done(); step(n); })",
        n,
    )


def show_3d(page):
    page.get_by_test_id("view-3d").click()
    expect(page.get_by_test_id("view-3d")).to_have_attribute("aria-pressed", "true")
    page.wait_for_selector(CANVAS)
    next_frames(page)


def project(page, layer, c=0, y=0, x=0):
    """Client (x, y) where the 3D view draws the centre of cell (c, y, x) of `layer`."""
    cell = {"layer": layer, "c": int(c), "y": int(y), "x": int(x)}
    p = page.locator(CANVAS).evaluate("(canvas, cell) => canvas.projectCell(cell)", cell)
    return p["x"], p["y"]


def pixels(page) -> np.ndarray:
    """The page as it is on screen: (H, W, 3) uint8, one pixel per CSS px."""
    return np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB"))


def network_input(page, live_server) -> np.ndarray:
    """The 32x32 input the server makes of what is on the pad now."""
    png = page.get_by_test_id("draw-pad").evaluate("c => c.toDataURL('image/png')")
    body = httpx.post(
        f"{live_server}/api/predict", json={"image_base64": png, "encoding": "list"}
    ).json()
    return np.asarray(body["input"], dtype=np.float32).reshape(32, 32)


def test_3d_view_draws_the_drawn_seven_on_its_input_slab(page, live_server):
    draw(page, STROKES[7])
    settle(page)
    show_3d(page)
    assert page.get_by_test_id("view-3d").is_enabled()  # WebGL was there: no "needs WebGL"
    assert page.get_by_test_id("network").is_hidden()

    shot = pixels(page)
    box = page.locator(CANVAS).bounding_box()
    top, left = int(box["y"]), int(box["x"])
    stage = shot[top : top + int(box["height"]), left : left + int(box["width"])]
    colours = np.unique(stage.reshape(-1, 3) // 8, axis=0)
    assert len(colours) > 40, "the 3D canvas looks empty"
    bright = (stage.max(axis=2) > 160).mean()
    assert 0.005 < bright < 0.5

    # the input slab shows this drawing: deep ink bright, the padding black
    image = network_input(page, live_server)
    y, x = np.unravel_index(image.argmax(), image.shape)
    assert image[y, x] > 0.8
    ink_x, ink_y = project(page, "input", 0, y, x)
    empty = [
        (abs(y - 16) + abs(x - 16), y, x)
        for y in range(2, 30)
        for x in range(2, 30)
        if image[y - 2 : y + 3, x - 2 : x + 3].max() == 0
    ]
    _, y, x = min(empty)  # the blank cell nearest the middle, away from ink and slab edges
    blank_x, blank_y = project(page, "input", 0, y, x)
    assert shot[round(ink_y), round(ink_x)].mean() > 170
    assert shot[round(blank_y), round(blank_x)].mean() < 40


def test_hovering_a_pool2_cell_in_3d_draws_its_2x2_window_and_fills_the_inspector(page):
    draw(page, STROKES[7])
    settle(page)
    show_3d(page)
    before = pixels(page)
    page.mouse.move(*project(page, "pool2", 3, 1, 2))
    stage3d = page.get_by_test_id("stage-3d")
    expect(stage3d).to_have_attribute("data-picked", "pool2:3:1:2")
    expect(stage3d).to_have_attribute("data-edges", "4")  # its 2x2 window in relu2
    expect(page.get_by_test_id("inspector")).to_contain_text("pool2")
    next_frames(page)
    changed = (np.abs(pixels(page).astype(int) - before).max(axis=2) > 40).sum()
    assert changed > 30  # the ring, the edges and the window were drawn


def orange_above(page, shot, digit) -> int:
    """Pixels in the accent orange just above output `digit` (where its label is)."""
    x, y = (round(v) for v in project(page, "softmax", digit))
    block = shot[y - 30 : y, x - 10 : x + 10].astype(int)
    r, g, b = block[..., 0], block[..., 1], block[..., 2]
    return int(((r > 170) & (g > 70) & (g < 170) & (b < 90)).sum())


def test_hovering_an_output_in_3d_draws_an_edge_from_each_logit(page):
    draw(page, STROKES[7])
    settle(page)
    show_3d(page)
    shot = pixels(page)
    assert orange_above(page, shot, 7) > 5  # the predicted digit's label, as the verdict
    assert orange_above(page, shot, 3) == 0
    page.mouse.move(*project(page, "softmax", 7))
    stage3d = page.get_by_test_id("stage-3d")
    expect(stage3d).to_have_attribute("data-picked", "softmax:7:0:0")
    expect(stage3d).to_have_attribute("data-edges", "10")  # the logits stay shown
    expect(page.get_by_test_id("inspector")).to_contain_text("softmax")


def test_picking_a_dense_unit_in_3d_pins_it_with_an_edge_to_every_input(page):
    draw(page, STROKES[7])
    settle(page)
    show_3d(page)
    # without pre-activations fc1 is drawn as relu3; either way the pinned unit reads pool2
    layer = "fc1" if page.get_by_test_id("show-pre").is_checked() else "relu3"
    page.mouse.click(*project(page, layer, 7))
    stage3d = page.get_by_test_id("stage-3d")
    expect(stage3d).to_have_attribute("data-edges", "400")  # all of pool2 (16x5x5)
    expect(stage3d).to_have_attribute("data-picked", "fc1:7:0:0")
    inspector = page.get_by_test_id("inspector")
    expect(inspector).to_contain_text("fc1")
    expect(inspector).to_contain_text("pinned")
    page.mouse.move(*project(page, "pool2", 0, 0, 0))  # pinned: hovering elsewhere keeps it
    next_frames(page)
    expect(stage3d).to_have_attribute("data-picked", "fc1:7:0:0")


def test_turning_the_3d_view_moves_the_cells_on_screen(page):
    show_3d(page)
    start = project(page, "input", 0, 0, 0)
    box = page.locator(CANVAS).bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(cx + 12 * i, cy)
    page.mouse.up()
    next_frames(page)
    moved = project(page, "input", 0, 0, 0)
    assert abs(moved[0] - start[0]) > 20
    expect(page.get_by_test_id("inspector")).not_to_contain_text("pinned")  # a drag is no tap


def tab_to_3d_view(page):
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('[data-testid=stage-3d] canvas')"):
            return
    raise AssertionError("Tab never reached the 3D view")


def test_arrow_keys_turn_and_plus_minus_zoom_the_3d_view_it_has_keyboard_focus(page):
    draw(page, STROKES[7])
    settle(page)
    show_3d(page)
    tab_to_3d_view(page)
    hint = page.get_by_test_id("stage-3d").evaluate("s => getComputedStyle(s, '::after').content")
    assert "turn" in hint and "zoom" in hint  # the keys are shown while they work

    def spread():  # on-screen distance between two corners of the input slab
        (ax, ay), (bx, by) = project(page, "input", 0, 0, 0), project(page, "input", 0, 31, 31)
        return np.hypot(ax - bx, ay - by)

    start, size = project(page, "input", 0, 0, 31), spread()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    turned = project(page, "input", 0, 0, 31)
    assert np.hypot(turned[0] - start[0], turned[1] - start[1]) > 20
    for _ in range(3):
        page.keyboard.press("ArrowLeft")  # back where it was
    back = project(page, "input", 0, 0, 31)
    assert back == pytest.approx(start, abs=0.5)
    for _ in range(3):
        page.keyboard.press("+")
    assert spread() > 1.3 * size
    for _ in range(3):
        page.keyboard.press("-")
    assert spread() == pytest.approx(size, rel=1e-3)
    # the keys turned the view, they did not pin or move a cell; focus stayed on the view
    expect(page.get_by_test_id("inspector")).not_to_contain_text("pinned")
    assert page.evaluate("document.activeElement.matches('[data-testid=stage-3d] canvas')")


def test_after_a_click_pin_in_3d_the_arrows_still_move_the_pinned_cell(page):
    draw(page, STROKES[7])
    settle(page)
    show_3d(page)
    x, y = project(page, "pool1", 0, 5, 5)
    page.mouse.click(x, y)
    expect(page.get_by_test_id("inspector")).to_contain_text("row 5, col 5")
    view = project(page, "input", 0, 0, 31)
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("inspector")).to_contain_text("row 5, col 6")
    assert project(page, "input", 0, 0, 31) == pytest.approx(view, abs=0.5)  # not turned


def test_leaving_3d_disposes_it_and_the_2d_view_returns(page):
    for _ in range(4):  # each visit makes and frees a WebGL context
        show_3d(page)
        page.get_by_test_id("view-3d").click()
        expect(page.get_by_test_id("view-3d")).to_have_attribute("aria-pressed", "false")
        assert page.locator(CANVAS).count() == 0
        expect(page.get_by_test_id("network")).to_be_visible()
        expect(page.get_by_test_id("stage-3d")).to_be_hidden()
    draw(page, STROKES[1])
    settle(page)
    assert page.get_by_test_id("prediction").text_content() == "1"


def test_without_webgl_the_toggle_says_so_and_the_2d_view_stays(browser, live_server):
    no_webgl = browser.browser_type.launch(
        executable_path=chromium_path(), args=[*CHROMIUM_FLAGS, "--disable-webgl"]
    )
    try:
        page = open_page(no_webgl, live_server)
        webgl = "import('/static/js/network3d.js').then(m => m.webglAvailable())"
        assert page.evaluate(webgl) is False
        page.get_by_test_id("view-3d").click()
        expect(page.get_by_test_id("view-3d")).to_contain_text("WebGL")
        expect(page.get_by_test_id("network")).to_be_visible()
        assert page.locator(CANVAS).count() == 0
        assert page.console_errors == []
    finally:
        no_webgl.close()


def renders(page) -> int:
    return page.evaluate("performance.getEntriesByName('3d-render').length")


def coloured(page) -> int:
    """Pixels of the 3D canvas in a clear hue (the diverging scale), not grey."""
    box = page.locator(CANVAS).bounding_box()
    shot = pixels(page).astype(int)
    top, left = int(box["y"]), int(box["x"])
    stage = shot[top : top + int(box["height"]), left : left + int(box["width"])]
    return int(((stage.max(axis=2) - stage.min(axis=2)) > 60).sum())


def test_3d_view_draws_only_when_something_changed(page):
    draw(page, STROKES[7])
    settle(page)
    show_3d(page)
    page.wait_for_timeout(300)
    idle = renders(page)
    page.wait_for_timeout(700)
    assert renders(page) == idle  # no frame loop while nothing changes
    page.mouse.move(*project(page, "pool1", 2, 7, 7))
    next_frames(page)
    assert renders(page) == idle + 1  # one frame for the hover


def test_pre_activations_in_3d_add_the_signed_slabs_and_clear_blanks_them(page, live_server):
    draw(page, STROKES[7])
    settle(page)
    show_3d(page)
    image = network_input(page, live_server)
    grey = coloured(page)  # activations: grey slabs; only the ten logits are signed
    page.get_by_test_id("show-pre").check()
    next_frames(page)
    assert coloured(page) > 2000 + 4 * grey, grey  # conv and dense pre-activations in colour
    page.mouse.move(*project(page, "conv1", 2, 10, 11))
    expect(page.get_by_test_id("stage-3d")).to_have_attribute("data-picked", "conv1:2:10:11")
    expect(page.get_by_test_id("stage-3d")).to_have_attribute("data-edges", "25")  # 5x5 input

    y, x = np.unravel_index(image.argmax(), image.shape)
    ink = project(page, "input", 0, y, x)
    assert pixels(page)[round(ink[1]), round(ink[0])].mean() > 170
    page.get_by_test_id("clear").click()
    settle(page)
    next_frames(page)
    assert pixels(page)[round(ink[1]), round(ink[0])].mean() < 40  # blank again
    assert coloured(page) < 50  # no colour left anywhere


def test_a_tap_on_a_phone_pins_a_cell_in_3d_and_the_page_does_not_scroll_sideways(
    browser, live_server
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    try:
        page = context.new_page()
        errors = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(live_server + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=20_000)
        page.get_by_test_id("sample").click()
        settle(page)
        show_3d(page)
        stage3d = page.get_by_test_id("stage-3d")
        stage3d.scroll_into_view_if_needed()
        box = stage3d.bounding_box()
        assert box["height"] > 250 and box["width"] <= 390
        page.touchscreen.tap(*project(page, "pool2", 5, 2, 2))
        expect(stage3d).to_have_attribute("data-picked", "pool2:5:2:2")
        expect(page.get_by_test_id("inspector")).to_contain_text("pinned")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert errors == []
    finally:
        context.close()
