"""The inspector in a real Chromium: its numbers are the API's layers and /api/weights."""

import re

import httpx
import numpy as np
import pytest
from playwright.sync_api import expect

from tests.browser import drawing
from tests.browser.drawing import STROKES, draw, hover_cell, settle

pytestmark = pytest.mark.browser
MINUS = "\u2212"


def hover_unit(page, layer, unit, click=False):
    """Hover unit `unit` of a vector layer (fc1 ... softmax), however the diagram lays it out."""
    if hasattr(drawing, "hover_unit"):
        drawing.hover_unit(page, layer, unit, click=click)
    else:
        hover_cell(page, layer, 0, 0, unit, click=click)


def number(text: str) -> float:
    """A number as the inspector prints it ("−0.0382", "3.20×10⁻⁷") as a float."""
    sup = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
    text = text.strip().replace(MINUS, "-").translate(sup)
    return float(re.sub(r"×10(-?\d+)$", r"e\1", text))


@pytest.fixture
def seven(page):
    """The page with a 7 drawn; yields (page, layers by name as arrays, weights getter)."""
    page.get_by_test_id("show-pre").check()  # conv and dense layers drawn (before ReLU)
    draw(page, STROKES[7])
    settle(page)
    body = page.answers.last()  # the answer the page shows now (live channel or HTTP)
    layers = body["layers"]
    base = page.url.split("/", 3)[:3]

    def weights(name):
        w = httpx.get("/".join(base) + f"/api/weights/{name}").json()
        return np.asarray(w["weights"], np.float32), np.asarray(w["bias"], np.float32)

    return page, layers, weights, body


def values(locator):
    return np.array(
        [float(v) for v in locator.evaluate_all("els => els.map(e => e.dataset.value)")]
    )


def test_conv2_cell_shows_each_maps_patch_filter_and_partial_sum(seven):
    page, layers, weights, _ = seven
    w, b = weights("conv2")
    pool1 = layers["pool1"]
    c, y, x = 5, 2, 3
    hover_cell(page, "conv2", c, y, x, click=True)  # pinned, so the pointer can go to the inspector
    inspector = page.get_by_test_id("inspector")
    assert inspector.locator("h3").text_content().startswith(f"conv2 · map {c} · row {y}, col {x}")
    blocks = inspector.locator("details.conv-map")
    assert blocks.count() == 6
    # only the block with the largest partial sum is open: the panel is not a page tall
    assert inspector.locator("details.conv-map[open]").count() == 1
    assert inspector.bounding_box()["height"] < 800  # it was 1,440 px with every grid shown
    assert inspector.locator("table.numgrid").count() == 2
    opened = int(inspector.locator("details.conv-map[open]").get_attribute("data-channel"))
    for ch in range(6):  # open the others, as a reader would
        if ch != opened:
            blocks.nth(ch).locator("summary").click()
    grids = inspector.locator("table.numgrid")
    expect(grids).to_have_count(12)  # a patch and a filter for each of the 6 input maps, in order
    sums = []
    for ch in range(6):
        patch, filt = pool1[ch, y : y + 5, x : x + 5].ravel(), w[c, ch].ravel()
        cells = [grids.nth(2 * ch).locator("td"), grids.nth(2 * ch + 1).locator("td")]
        for shown, expected in zip(cells, (patch, filt), strict=True):
            assert np.allclose(values(shown), expected, rtol=1e-6, atol=1e-7)
            printed = np.array([number(t) for t in shown.all_text_contents()])
            assert np.all(np.abs(printed - expected) <= 0.005 + 1e-9)  # two decimals
        partial = float((patch.astype(np.float64) * filt).sum())
        sums.append(partial)
        summary = blocks.nth(ch).locator("summary").text_content()
        assert summary.startswith(f"map {ch} · patch × filter = ")
        assert number(summary.split("= ")[1]) == pytest.approx(partial, rel=6e-3, abs=1e-4)
    assert opened == int(np.argmax(np.abs(sums)))
    z_line = inspector.get_by_test_id("inspector-z")
    z = float(z_line.get_attribute("data-value"))
    assert z == pytest.approx(sum(sums) + float(b[c]), rel=1e-5, abs=1e-5)
    assert z == pytest.approx(float(layers["conv2"][c, y, x]), rel=1e-4, abs=1e-4)
    terms = re.findall(r"[+−]? ?[\d.]+(?:×10[⁻⁰-⁹]+)?", z_line.text_content().split("= ", 1)[1])
    assert len(terms) == 8  # six partial sums, the bias, and z
    relu = inspector.get_by_test_id("inspector-relu").text_content()
    assert relu.endswith(": kept") if z > 0 else "zeroed" in relu
    assert float(inspector.get_by_test_id("inspector-relu").get_attribute("data-value")) == (
        pytest.approx(float(layers["relu2"][c, y, x]), abs=1e-6)
    )


def test_fc1_unit_names_its_largest_terms_and_sums_the_rest(seven):
    page, layers, weights, _ = seven
    w, b = weights("fc1")
    unit = 17
    x = layers["pool2"].ravel().astype(np.float64)
    wx = w[unit].astype(np.float64) * x
    order = np.argsort(-np.abs(wx), kind="stable")
    hover_unit(page, "fc1", unit)
    inspector = page.get_by_test_id("inspector")
    assert inspector.locator("h3").text_content().startswith(f"fc1 · unit {unit} · value ")
    rows = inspector.locator("[data-testid=inspector-terms] tr.term")
    assert rows.count() == 8
    shown = []
    for i in range(8):
        row = rows.nth(i)
        name = row.get_attribute("data-source")
        ch, yy, xx = map(int, re.fullmatch(r"pool2 map (\d+) \((\d+), (\d+)\)", name).groups())
        j = (ch * 5 + yy) * 5 + xx
        shown.append(j)
        x_td, w_td, wx_td = (float(v) for v in values(row.locator("td.num")))
        assert (x_td, w_td) == (
            pytest.approx(x[j], abs=1e-6),
            pytest.approx(float(w[unit, j]), abs=1e-7),
        )
        assert wx_td == pytest.approx(wx[j], rel=1e-5, abs=1e-7)
    assert shown == list(order[:8])
    rest = float(inspector.get_by_test_id("inspector-rest").get_attribute("data-value"))
    assert rest == pytest.approx(wx[order[8:]].sum(), rel=1e-5, abs=1e-6)
    assert "the other 392 terms" in inspector.locator("tr.rest").text_content()
    bias = float(inspector.get_by_test_id("inspector-bias").get_attribute("data-value"))
    assert bias == pytest.approx(float(b[unit]))
    z = float(inspector.get_by_test_id("inspector-z").get_attribute("data-value"))
    assert z == pytest.approx(wx[order[:8]].sum() + rest + bias, rel=1e-9, abs=1e-9)
    assert z == pytest.approx(float(layers["fc1"][unit]), rel=1e-4, abs=1e-4)
    z_text = inspector.get_by_test_id("inspector-z").text_content()
    assert "(8 largest)" in z_text and "(other 392)" in z_text and "(bias)" in z_text
    assert number(z_text.rsplit("= ", 1)[1]) == pytest.approx(z, rel=6e-3, abs=1e-3)
    relu = inspector.get_by_test_id("inspector-relu")
    assert relu.text_content().startswith("then relu3: ReLU(z) = max(0, ")
    assert float(relu.get_attribute("data-value")) == pytest.approx(float(layers["relu3"][unit]))


def test_softmax_cell_shows_the_formula_with_the_max_subtracted(seven):
    page, layers, _, body = seven
    logits = layers["fc3"].astype(np.float64)
    k = int(np.argmax(logits))
    probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    digit = 3 if k != 3 else 4  # a digit that is not the winner, so z - max is not 0
    hover_unit(page, "softmax", digit)
    inspector = page.get_by_test_id("inspector")
    assert (
        inspector.locator("h3").text_content().startswith(f"softmax · digit {digit} · probability")
    )
    text = inspector.text_content()
    assert f"p({digit}) = e^(z{digit} − max) / Σj e^(zj − max)" in text
    assert f"max = z{k} = " in text
    line = inspector.get_by_test_id("inspector-p")
    m = re.fullmatch(
        rf"p\({digit}\) = e\^\((\S+) − (\S+)\) / (\S+) = e\^\((\S+)\) / \S+ = (\S+) / \S+ = (\S+)",
        line.text_content(),
    )
    assert m, line.text_content()
    z_i, z_max, total, shifted, e, p = (number(v) for v in m.groups())
    expected = (
        logits[digit],
        logits[k],
        np.exp(logits - logits[k]).sum(),
        logits[digit] - logits[k],
        np.exp(logits[digit] - logits[k]),
        probs[digit],
    )
    for shown, want in zip((z_i, z_max, total, shifted, e, p), expected, strict=True):
        assert shown == pytest.approx(want, rel=6e-3, abs=1e-12)
    assert float(line.get_attribute("data-value")) == pytest.approx(
        body["probabilities"][digit], abs=1e-6
    )
    rows = inspector.locator("[data-testid=inspector-softmax] tr")
    table_p = [
        float(v)
        for v in rows.locator("td.num:last-child").evaluate_all(
            "els => els.map(e => e.dataset.value)"
        )
    ][:10]
    assert np.allclose(table_p, body["probabilities"], atol=1e-6)
    assert inspector.locator("tr.current td").first.text_content() == str(digit)


def test_pool_window_marks_its_winner_and_relu_units_are_units(seven):
    page, layers, _, _ = seven
    hover_cell(page, "pool2", 3, 1, 2)
    inspector = page.get_by_test_id("inspector")
    window = layers["relu2"][3, 2:4, 4:6].ravel()
    assert np.allclose(values(inspector.locator("table.numgrid td")), window)
    winner = inspector.locator("td.winner")
    assert winner.count() == 1
    assert float(winner.get_attribute("data-value")) == pytest.approx(float(window.max()))
    page.get_by_test_id("show-pre").uncheck()  # ReLU layers drawn
    hover_unit(page, "relu3", 4)
    # a ReLU drawn in fc1's place may be explained through fc1: either way a unit
    assert re.match(r"(relu3|fc1) · unit 4 · value ", inspector.locator("h3").text_content())
    assert "relu3" in inspector.text_content()
    assert "channel" not in inspector.text_content()


def test_inspector_text_is_readable_and_signs_are_typeset(seven):
    page, _, _, _ = seven
    inspector = page.get_by_test_id("inspector")
    smallest = """root => Math.min(...[...root.querySelectorAll('*')]
        .filter(e => e.offsetParent)
        .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
        .map(e => parseFloat(getComputedStyle(e).fontSize)))"""
    for hover in (
        lambda: hover_cell(page, "conv2", 9, 4, 4),
        lambda: hover_unit(page, "fc1", 3),
        lambda: hover_unit(page, "fc3", 7),
        lambda: hover_unit(page, "softmax", 7),
    ):
        hover()
        assert inspector.evaluate(smallest) >= 12
        text = inspector.text_content()
        assert not re.search(r"\+ ?[-−]", text), text
        assert not re.search(r"-\d", text), "a hyphen where a minus sign belongs"
