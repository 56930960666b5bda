"""The lessons and the model card in a real Chromium, on the person's own drawing."""

import json

import numpy as np
import pytest

from lenet_vis.model.layers import conv2d_naive
from tests.browser.conftest import open_page, screenshot
from tests.browser.drawing import STROKES, draw, settle
from tests.conftest import WEIGHTS

pytestmark = pytest.mark.browser


@pytest.fixture
def learn(browser, live_server):
    pg = open_page(browser, live_server, path="/learn")
    yield pg
    errors = pg.console_errors
    pg.close()
    assert errors == [], errors


CELLS = """rows => rows.map(r => [...r.cells].map(c =>
    c.querySelector('input') ? c.querySelector('input').value : c.textContent))"""


def table_numbers(page, testid):
    rows = page.get_by_test_id(testid).locator("tr").evaluate_all(CELLS)
    return [[float(v) if v else None for v in row] for row in rows]


def wait_for_attribute(page, testid, name, value):
    page.wait_for_function(
        "([id, name, value]) => document.querySelector(`[data-testid=${id}]`)"
        "?.getAttribute(name) === value",
        arg=[testid, name, value],
    )


def test_convolution_lesson_fills_the_tutorials_map_step_by_step(learn):
    assert table_numbers(learn, "conv-map") == [[None] * 3] * 3
    learn.get_by_test_id("conv-forward").click()
    assert table_numbers(learn, "conv-map")[0] == [4, None, None]
    assert "1×1 + 1×0 + 1×1" in learn.get_by_test_id("conv-sum").text_content()
    for _ in range(9):
        learn.get_by_test_id("conv-forward").click()
    assert table_numbers(learn, "conv-map") == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    learn.get_by_test_id("conv-back").click()
    assert table_numbers(learn, "conv-map")[2] == [2, 3, None]


def test_a_changed_filter_cell_changes_the_map_as_a_naive_convolution_says(learn):
    for _ in range(9):
        learn.get_by_test_id("conv-forward").click()
    cell = learn.get_by_test_id("conv-kernel").locator("input").nth(4)  # the centre
    cell.fill("-2")
    cell.dispatch_event("change")
    image = np.array(table_numbers(learn, "conv-image"))
    kernel = np.array(table_numbers(learn, "conv-kernel"))
    assert kernel[1, 1] == -2
    expected = conv2d_naive(image[None, None], kernel[None, None], np.zeros(1))[0, 0]
    assert not np.array_equal(expected, [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    for _ in range(50):  # the map comes back from the server
        if np.array_equal(np.array(table_numbers(learn, "conv-map"), float), expected):
            break
        learn.wait_for_timeout(100)
    assert np.array_equal(np.array(table_numbers(learn, "conv-map"), float), expected)


def test_size_lesson_matches_the_formula_for_a_sweep(learn):
    for w, f, s, p in [(32, 5, 1, 0), (28, 3, 1, 1), (7, 3, 2, 0), (227, 11, 4, 0), (10, 4, 3, 0)]:
        for testid, v in (("size-w", w), ("size-f", f), ("size-s", s), ("size-p", p)):
            learn.get_by_test_id(testid).fill(str(v))
        expected = (w - f + 2 * p) // s + 1
        wait_for_attribute(learn, "size-output", "data-size", str(expected))
        formula = learn.get_by_test_id("size-formula").text_content()
        assert formula == f"({w} - {f} + 2*{p}) / {s} + 1 = {expected}"
    learn.get_by_test_id("size-s").fill("2")  # (10 - 4) / 2 + 1 = 4 fits; now make it not fit
    learn.get_by_test_id("size-f").fill("5")
    learn.wait_for_function("() => document.querySelector('[data-testid=size-error]').textContent")
    assert "does not fit" in learn.get_by_test_id("size-error").text_content()


@pytest.mark.parametrize("mode", ["max", "average", "sum"])
def test_pooling_matches_numpy_on_the_pages_own_numbers(learn, mode):
    learn.get_by_test_id("pool-mode").select_option(mode)
    learn.get_by_test_id("pool-size").fill("3")
    learn.get_by_test_id("pool-stride").fill("1")
    wait_for_attribute(learn, "pool-output", "data-mode", mode)
    wait_for_attribute(learn, "pool-output", "data-size", "3")
    wait_for_attribute(learn, "pool-output", "data-stride", "1")
    x = np.array(json.loads(learn.get_by_test_id("pool-input").get_attribute("data-values")))
    out = np.array(json.loads(learn.get_by_test_id("pool-output").get_attribute("data-values")))
    n = x.shape[0] - 2
    windows = np.array([[x[i : i + 3, j : j + 3] for j in range(n)] for i in range(n)])
    reduce = {"max": np.max, "average": np.mean, "sum": np.sum}[mode]
    assert np.allclose(out, reduce(windows, axis=(2, 3)))
    canvas = learn.get_by_test_id("pool-output")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    learn.mouse.move(box["x"] + box["width"] * 4.5 / n, box["y"] + box["height"] * 7.5 / n)
    win = learn.get_by_test_id("pool-window")
    assert [win.get_attribute(f"data-{k}") for k in "yxhw"] == ["7", "4", "3", "3"]


def test_the_lessons_use_the_visualizers_drawing_and_the_gradient_is_not_zero(page, live_server):
    draw(page, STROKES[7])
    settle(page)
    page.goto(live_server + "/learn")
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    assert "your drawing" in page.get_by_test_id("source-note").text_content()
    assert page.locator("[data-testid=softmax-table] tr.current td").first.text_content() == "7"
    page.locator("[data-testid=gradient-targets] button[data-digit='1']").click()
    wait_for_attribute(page, "gradient-map", "data-target", "1")
    assert float(page.get_by_test_id("gradient-map").get_attribute("data-absmax")) > 0
    assert "the network says 7" in page.get_by_test_id("gradient-loss").text_content()
    total = page.get_by_test_id("softmax-sum").text_content()
    assert "Σ p = 1.000000" in total
    pixels = page.get_by_test_id("matrix").locator("td")
    assert pixels.count() == 28 * 28
    screenshot(page, "learn-1366x768")


def test_model_card_numbers_equal_the_weights_metadata(browser, live_server):
    meta = json.loads(WEIGHTS.with_suffix(".json").read_text())
    for w, h in ((1366, 768), (390, 844)):
        pg = open_page(browser, live_server, w, h, "/model")
        assert (
            float(pg.get_by_test_id("card-accuracy").get_attribute("data-value"))
            == meta["test_accuracy"]
        )
        rows = pg.get_by_test_id("card-per-class").locator("tr").all_text_contents()[1:]
        shown = [
            r
            for r in pg.get_by_test_id("card-per-class")
            .locator("tr")
            .evaluate_all("rows => rows.slice(1).map(r => [...r.cells].map(c => c.textContent))")
        ]
        assert len(rows) == 10
        for d, (digit, acc, count) in enumerate(shown):
            assert int(digit) == d
            assert acc == f"{100 * meta['per_class_accuracy'][d]:.2f}%"
            assert int(count) == sum(meta["confusion_matrix"][d])
        z = pg.evaluate("() => document.querySelector('[data-testid=card-confusion]').data[0].text")
        assert z == meta["confusion_matrix"]
        loss = pg.evaluate("() => document.querySelector('[data-testid=card-loss]').data[1].y")
        assert loss == [h_["val_loss"] for h_ in meta["history"]]
        assert pg.locator("[data-testid=card-conv2] canvas").count() == 16 * 6
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(pg, f"model-{w}x{h}")
        assert pg.console_errors == []
        pg.close()


def test_a_mistake_opens_in_the_visualizer(browser, live_server):
    pg = open_page(browser, live_server, path="/model")
    first = pg.locator("[data-testid=card-mistakes] a").first
    index = first.get_attribute("data-index")
    label, said = first.text_content().split(" → ")
    first.click()
    pg.wait_for_selector("body[data-ready=true]", timeout=20_000)
    assert f"#{index}, labelled {label}" in pg.get_by_test_id("sample-label").text_content()
    pg.wait_for_function("() => document.querySelector('[data-testid=prediction]').textContent")
    assert pg.get_by_test_id("prediction").text_content() == said
    assert pg.console_errors == []
    pg.close()


def test_learn_page_at_phone_size(browser, live_server):
    pg = open_page(browser, live_server, 390, 844, "/learn")
    assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(pg, "learn-390x844")
    assert pg.console_errors == []
    pg.close()
