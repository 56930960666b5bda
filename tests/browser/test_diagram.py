"""The whole network as one picture: fit, edges, states, keyboard, phone, links, images."""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from lenet_vis.assets import SAMPLES
from tests.browser.conftest import open_page, screenshot
from tests.browser.drawing import STROKES, draw, hover_cell, hover_unit, settle, windows

pytestmark = pytest.mark.browser

VISIBLE_MAPS = """() => [...document.querySelectorAll('[data-testid^=layer-]')]
  .filter((s) => !s.hidden).flatMap((s) => [...s.querySelectorAll('canvas')])"""


def boxes(page, selector):
    return page.locator(selector).evaluate_all(
        "els => els.filter(e => e.offsetParent !== null).map(e => {"
        " const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"
    )


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1366, 768), (1920, 1080)])
def test_the_whole_network_fits_the_screen_beside_the_pad(browser, live_server, width, height):
    page = open_page(browser, live_server, width, height)
    draw(page, STROKES[7])
    settle(page)
    layers = boxes(page, "[data-testid^=layer-]")
    assert len(layers) == 9  # input, 4 conv/pool, fc1, fc2 (each with its ReLU), fc3, output
    labels = boxes(page, "[data-testid=output-label]")
    assert len(labels) == 10
    pad = boxes(page, "[data-testid=draw-pad]") + boxes(page, "[data-testid=prediction]")
    for left, top, right, bottom in layers + labels + pad:
        assert left >= 0 and top >= 0 and right <= width + 0.5 and bottom <= height + 0.5
    assert page.locator("[data-testid=output-label]").all_text_contents() == list("0123456789")
    stage = page.get_by_test_id("network")
    assert stage.evaluate("s => s.scrollHeight <= s.clientHeight && s.scrollWidth <= s.clientWidth")
    assert page.evaluate(
        "document.documentElement.scrollHeight <= innerHeight"
        " && document.documentElement.scrollWidth <= innerWidth"
    )
    assert page.get_by_test_id("prediction").text_content() == "7"
    screenshot(page, f"diagram-{width}x{height}")
    assert page.console_errors == []
    page.close()


def test_hovering_pool2_shows_its_2x2_window_and_winner_from_the_real_values(page):
    draw(page, STROKES[7])
    settle(page)
    relu2 = page.answers.last()["layers"]["relu2"]  # the answer the page shows now
    c, y, x = 6, 1, 3
    hover_cell(page, "pool2", c, y, x)
    assert windows(page) == [("relu2", c, 2 * y, 2 * x, 2, 2)]
    block = relu2[c, 2 * y : 2 * y + 2, 2 * x : 2 * x + 2]
    wy, wx = np.unravel_index(int(np.argmax(block)), block.shape)  # the first maximum
    winner = page.locator("[data-testid=layer-relu2] .box.winner")
    assert winner.count() == 1
    top, left = winner.evaluate("e => [parseFloat(e.style.top), parseFloat(e.style.left)]")
    assert (round(top / 10), round(left / 10)) == (2 * y + wy, 2 * x + wx)  # percent of 10 cells
    assert page.get_by_test_id("network").get_attribute("data-edge-sources") == "relu2:4"


def test_hovering_an_fc1_unit_draws_an_edge_to_every_pool2_cell(page):
    draw(page, STROKES[0])
    settle(page)
    stage = page.get_by_test_id("network")
    hover_unit(page, "relu3", 17)  # fc1 + ReLU, as drawn by default
    assert stage.get_attribute("data-edge-count") == "400"
    assert stage.get_attribute("data-edge-sources") == "pool2:400"
    page.get_by_test_id("show-pre").check()
    hover_unit(page, "fc1", 42)
    assert stage.get_attribute("data-edge-count") == "400"
    hover_unit(page, "softmax", 3)
    assert stage.get_attribute("data-edge-sources") == "fc3:10"
    # the edges are on the overlay: some of its pixels are lit
    lit = page.locator(".edges").evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"
    )
    assert lit > 100
    assert page.evaluate("performance.getEntriesByName('hover-to-edges').length") >= 3


def map_ink(page):
    """Sum of every visible map's pixels (RGB)."""
    return page.evaluate(
        f"""() => ({VISIBLE_MAPS})().reduce((s, c) => {{
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2];
          return s; }}, 0)"""
    )


def test_first_load_prompts_and_clear_blanks_every_layer_and_the_verdict(page):
    assert page.get_by_test_id("pad-prompt").is_visible()
    assert "Draw a digit" in page.get_by_test_id("confidence").text_content()
    assert map_ink(page) == 0
    draw(page, STROKES[7])
    settle(page)
    assert page.get_by_test_id("pad-prompt").is_hidden()
    assert map_ink(page) > 0
    assert (
        "100%" in page.locator(".outputs").text_content()
        or "%" in page.locator(".outputs").text_content()
    )
    page.get_by_test_id("clear").click()
    settle(page)
    assert map_ink(page) == 0
    assert page.get_by_test_id("prediction").text_content() == ""
    assert "%" not in page.get_by_test_id("confidence").text_content()
    assert "%" not in page.locator(".outputs").text_content()
    heights = page.locator("[data-testid=probabilities] rect").evaluate_all(
        "els => els.map(e => Number(e.getAttribute('height')))"
    )
    assert heights == [0] * 10
    assert page.get_by_test_id("pad-prompt").is_visible()


def test_keyboard_reaches_channel_3_of_conv2_and_reads_the_pinned_cell(page):
    draw(page, STROKES[7])
    settle(page)
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.testid") == "network":
            break
    assert page.evaluate("document.activeElement.dataset.testid") == "network"
    for _ in range(3):
        page.keyboard.press("PageDown")  # input -> conv1 + ReLU -> pool1 -> conv2 + ReLU
    for _ in range(3):
        page.keyboard.press("]")
    page.keyboard.press("ArrowDown")
    assert windows(page) == [("pool1", ch, 1, 0, 5, 5) for ch in range(6)]
    said = page.get_by_test_id("announce-cell").text_content()
    assert said.startswith("relu2 · map 3 · row 1, col 0 · value ")
    assert "conv2" in page.get_by_test_id("inspector").text_content()
    page.keyboard.press("[")
    said = page.get_by_test_id("announce-cell").text_content()
    assert said.startswith("relu2 · map 2 · row 1, col 0")
    page.keyboard.press("PageUp")
    assert page.get_by_test_id("announce-cell").text_content().startswith("pool1 · map 2 · ")


def test_phone_shows_the_network_right_after_the_pad_and_taps_pin(browser, live_server):
    phone = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
    context = browser.new_context(**phone)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(live_server)
    page.wait_for_selector("body[data-ready=true]")
    draw(page, STROKES[7])
    settle(page)
    assert page.evaluate("scrollY") == 0  # drawing did not scroll the page
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert page.get_by_test_id("prediction").text_content() == "7"
    top, bottom = page.get_by_test_id("layer-input").evaluate(
        "e => [e.getBoundingClientRect().top, e.getBoundingClientRect().bottom]"
    )
    assert top > 0 and bottom <= 844  # the network starts on the first screen
    assert page.get_by_test_id("inspector").is_hidden()  # nothing pinned: nothing covers it
    assert "Tap" in page.get_by_test_id("hint").text_content()
    canvas = page.locator('[data-testid=layer-pool2] canvas[data-channel="3"]')
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.touchscreen.tap(box["x"] + 2.5 * box["width"] / 5, box["y"] + 2.5 * box["height"] / 5)
    page.wait_for_selector(".box.cell.pinned")
    assert windows(page) == [("relu2", 3, 4, 4, 2, 2)]
    assert page.get_by_test_id("inspector").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    screenshot(page, "diagram-phone-390x844")
    page.get_by_test_id("unpin").click()
    assert page.get_by_test_id("inspector").is_hidden()
    assert errors == []
    context.close()


def digit_png(index=0, invert=False) -> bytes:
    """An MNIST test digit (index 0 is a 7) as a 112x112 PNG."""
    image = np.load(SAMPLES)["images"][index]
    if invert:
        image = 255 - image
    out = io.BytesIO()
    Image.fromarray(image).resize((112, 112)).save(out, format="PNG")
    return out.getvalue()


def test_choosing_a_png_reads_it_like_a_drawing(page, tmp_path):
    path = tmp_path / "seven.png"
    path.write_bytes(digit_png(0, invert=True))  # dark ink on white paper
    page.get_by_test_id("open-image").set_input_files(str(path))
    page.wait_for_function("() => document.querySelector('[data-testid=prediction]').textContent")
    settle(page)
    assert page.get_by_test_id("prediction").text_content() == "7"
    assert "seven.png" in page.get_by_test_id("sample-label").text_content()


def test_dropping_a_png_on_the_pad_reads_it(page):
    data = base64.b64encode(digit_png(2)).decode()  # index 2 is a 1
    page.get_by_test_id("draw-pad").evaluate(
        """(pad, b64) => {
          const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
          const dt = new DataTransfer();
          dt.items.add(new File([bytes], 'one.png', { type: 'image/png' }));
          const init = { dataTransfer: dt, bubbles: true, cancelable: true };
          pad.dispatchEvent(new DragEvent('dragover', init));
          pad.dispatchEvent(new DragEvent('drop', init));
        }""",
        data,
    )
    page.wait_for_function("() => document.querySelector('[data-testid=prediction]').textContent")
    settle(page)
    assert page.get_by_test_id("prediction").text_content() == "1"


def test_a_file_that_is_not_an_image_is_refused_in_the_page(page, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a digit")
    page.get_by_test_id("open-image").set_input_files(str(path))
    assert "PNG or JPEG" in page.get_by_test_id("error").text_content()


def test_a_link_reopens_the_drawing_prediction_and_pinned_cell(page, browser, live_server):
    entries = page.evaluate("history.length")
    page.get_by_test_id("normalise").check()
    draw(page, STROKES[7])
    settle(page)
    hover_cell(page, "pool2", 3, 2, 2, click=True)
    expected = windows(page)
    inspector = page.get_by_test_id("inspector").text_content()
    page.get_by_test_id("copy-link").click()
    note = page.get_by_test_id("link-note")
    page.wait_for_function("e => e.textContent", arg=note.element_handle())
    assert note.text_content() in ("Link copied.", "Copy the address bar: it holds this view.")
    url = page.evaluate("location.href")
    assert "#" in url and len(url.split("#", 1)[1]) < 2048  # a drawn digit in under 2 KB
    assert page.evaluate("history.length") == entries  # replaceState: no history spam
    again = open_page(browser, live_server, path="/" + url.split("/", 3)[3])
    settle(again)
    assert again.get_by_test_id("prediction").text_content() == "7"
    assert windows(again) == expected
    assert again.get_by_test_id("inspector").text_content() == inspector
    assert again.get_by_test_id("normalise").is_checked()
    assert again.console_errors == []
    again.close()


def test_a_hostile_link_is_ignored_with_a_message(browser, live_server):
    page = open_page(browser, live_server, path="/#d=%%%&p=nope.99.0.0&v=4d&zzz=1")
    settle(page)
    assert "ignored" in page.get_by_test_id("error").text_content()
    assert page.get_by_test_id("prediction").text_content() == ""
    assert page.console_errors == []
    page.close()
