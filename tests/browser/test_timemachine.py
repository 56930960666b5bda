"""The training time machine in a real Chromium against the real server and its checkpoints.

The checkpoints' names come from GET /api/knowledge/checkpoints (any list works); every test
that needs them skips, saying why, when the served weights kept none.
"""

import base64
import itertools
import json
import os
import re
import shutil

import httpx
import numpy as np
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_page
from tests.browser.drawing import STROKES, draw, hover_cell, settle

pytestmark = pytest.mark.browser
# conv1's maps, drawn after ReLU (relu1) or before it (conv1) as the page's toggle says
CONV1 = "[data-testid=layer-relu1] canvas, [data-testid=layer-conv1] canvas"


@pytest.fixture(scope="module")
def checkpoints(live_server):
    """The server's checkpoint records, in training order (skips when there are none)."""
    records = httpx.get(f"{live_server}/api/knowledge/checkpoints").json()["checkpoints"]
    if len(records) < 2:
        pytest.skip(
            "the served weights kept no training checkpoints (GET /api/knowledge/checkpoints "
            "is empty): retrain with `lenet-vis train` to test the time machine"
        )
    return records


def probabilities(page):
    """The ten probabilities the verdict shows (from its bars' titles)."""
    titles = page.locator("[data-testid=probabilities] rect title").all_text_contents()
    return np.array([float(t.split()[-1].rstrip("%")) for t in titles])


def pixels(page, selector):
    """Every canvas under `selector`, as one list of RGBA bytes."""
    return page.locator(selector).evaluate_all(
        """els => els.flatMap((c) => Array.from(
            c.getContext('2d').getImageData(0, 0, c.width, c.height).data))"""
    )


PAD_PNG = """() => {
  const out = document.createElement('canvas');
  out.width = out.height = 140;  // the pad's exportSize, as DrawPad.toPNG draws it
  const ctx = out.getContext('2d');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(document.querySelector('[data-testid=draw-pad]'), 0, 0, 140, 140);
  return out.toDataURL('image/png');
}"""


def server_answer(page, live_server, checkpoint=None):
    """The server's own answer for the drawing on the pad (whatever path the page used)."""
    query = f"?checkpoint={checkpoint}" if checkpoint else ""
    body = {"image_base64": page.evaluate(PAD_PNG), "encoding": "base64"}
    answer = httpx.post(f"{live_server}/api/predict{query}", json=body).json()
    answer["arrays"] = {
        lay["name"]: np.frombuffer(base64.b64decode(lay["data"]), "<f4").reshape(lay["shape"])
        for lay in answer["layers"]
    }
    return answer


def at(page, name):
    """Wait until the page reads with checkpoint `name` ("final": the final weights), settled."""
    page.wait_for_selector(f"[data-testid=timemachine][data-checkpoint='{name}']")
    page.wait_for_selector("[data-testid=timemachine][aria-busy=false]")
    settle(page)


def test_moving_to_init_reads_the_drawing_with_the_untrained_network(
    page, live_server, checkpoints
):
    first, last = checkpoints[0], checkpoints[-1]
    slider = page.get_by_test_id("tm-slider")
    expect(slider).to_be_visible()
    assert slider.get_attribute("max") == str(len(checkpoints) - 1)
    assert slider.input_value() == str(len(checkpoints) - 1)  # the final weights by default
    text = slider.get_attribute("aria-valuetext")
    assert re.search(r"final weights, \d+\.\d% on test digits", text)
    ticks = page.get_by_test_id("tm-ticks").locator("button").all_text_contents()
    assert len(ticks) == len(checkpoints) and ticks[-1] == str(last["epoch"])

    draw(page, STROKES[7])
    settle(page)
    final_probs = probabilities(page)
    final = server_answer(page, live_server)
    assert np.allclose(final_probs, 100 * np.array(final["probabilities"]), atol=0.06)
    final_digit = page.get_by_test_id("prediction").text_content()
    final_conv1 = pixels(page, CONV1)
    expect(page.get_by_test_id("tm-note")).to_be_hidden()

    slider.focus()
    page.keyboard.press("Home")  # a real range input: Home, End and the arrows move it
    at(page, first["name"])
    body = server_answer(page, live_server, first["name"])
    shown = probabilities(page)
    assert np.allclose(shown, 100 * np.array(body["probabilities"]), atol=0.06)
    assert page.get_by_test_id("prediction").text_content() == str(body["prediction"])
    assert np.abs(shown - final_probs).max() > 5, "the untrained network reads it otherwise"
    assert pixels(page, CONV1) != final_conv1
    note = page.get_by_test_id("tm-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("As the network read it")
    label = page.get_by_test_id("tm-label").text_content()
    assert f"{100 * first['test_accuracy']:.1f}% on test digits" in label
    assert "tm-past" in page.locator(".panel.result").get_attribute("class")
    assert f"t={first['name']}" in page.url

    page.get_by_test_id("tm-final").click()
    at(page, "final")
    assert np.allclose(probabilities(page), final_probs)
    assert page.get_by_test_id("prediction").text_content() == final_digit
    assert pixels(page, CONV1) == final_conv1
    expect(note).to_be_hidden()
    assert "t=" not in page.url.split("#", 1)[-1]
    assert slider.input_value() == str(len(checkpoints) - 1)
    expect(slider).to_be_focused()  # back to final leaves the keyboard on the slider


def test_arrow_keys_step_through_the_checkpoints_with_a_spoken_label(page, checkpoints):
    slider = page.get_by_test_id("tm-slider")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    before = checkpoints[-2]
    at(page, before["name"])
    text = slider.get_attribute("aria-valuetext")
    expected = "initialisation, untrained" if before["epoch"] == 0 else f"epoch {before['epoch']}"
    assert text == f"{expected}, {100 * before['test_accuracy']:.1f}% on test digits"
    page.keyboard.press("ArrowRight")
    at(page, "final")


def test_the_inspector_shows_that_epochs_filter_weights(page, live_server, checkpoints):
    name = checkpoints[0]["name"]
    page.get_by_test_id("show-pre").check()  # conv1 drawn before ReLU
    draw(page, STROKES[7])
    settle(page)
    page.get_by_test_id("tm-slider").fill("0")
    at(page, name)
    c, y, x = 2, 10, 12
    hover_cell(page, "conv1", c, y, x, click=True)
    inspector = page.get_by_test_id("inspector")
    expect(inspector.locator("h3").first).to_contain_text(f"conv1 · map {c}")
    w = httpx.get(f"{live_server}/api/weights/conv1?checkpoint={name}").json()
    filt = np.asarray(w["weights"], np.float32)[c, 0].ravel()
    grids = inspector.locator("table.numgrid")
    read = "tds => tds.map(d => Number(d.dataset.value))"
    shown = [np.array(g.locator("td").evaluate_all(read)) for g in grids.all()]
    assert any(len(s) == 25 and np.allclose(s, filt, atol=1e-7) for s in shown), "init's filter"
    final = np.asarray(httpx.get(f"{live_server}/api/weights/conv1").json()["weights"])[c, 0]
    assert not any(len(s) == 25 and np.allclose(s, final.ravel(), atol=1e-7) for s in shown)
    # and its arithmetic adds up to that epoch's conv1 output, as the page's answer gave it
    z = float(inspector.get_by_test_id("inspector-z").get_attribute("data-value"))
    out = server_answer(page, live_server, name)["arrays"]["conv1"]
    assert z == pytest.approx(float(out[c, y, x]), rel=1e-4, abs=1e-4)
    assert z != pytest.approx(float(server_answer(page, live_server)["arrays"]["conv1"][c, y, x]))


def test_the_link_carries_the_checkpoint(browser, live_server, checkpoints):
    target = checkpoints[1] if len(checkpoints) > 2 else checkpoints[0]
    index = checkpoints.index(target)
    first = open_page(browser, live_server)
    draw(first, STROKES[7])
    settle(first)
    first.get_by_test_id("tm-slider").fill(str(index))
    at(first, target["name"])
    url = first.url
    probs = probabilities(first)
    assert f"t={target['name']}" in url
    first.close()

    second = open_page(browser, live_server, path=url.split(live_server, 1)[1])
    at(second, target["name"])
    assert second.get_by_test_id("tm-slider").input_value() == str(index)
    expect(second.get_by_test_id("tm-note")).to_be_visible()
    assert np.allclose(probabilities(second), probs)
    assert second.console_errors == []
    second.close()

    bad = open_page(browser, live_server, path="/#t=no-such-checkpoint")
    error = bad.get_by_test_id("error")
    expect(error).to_contain_text('checkpoint "no-such-checkpoint" was ignored')
    assert bad.get_by_test_id("tm-slider").input_value() == str(len(checkpoints) - 1)
    bad.close()


def test_play_steps_through_every_checkpoint_to_the_final_weights(page, checkpoints):
    seen = []
    page.expose_function("tmSeen", lambda v: seen.append(v))
    page.evaluate(
        """() => new MutationObserver(() => window.tmSeen(
             document.querySelector('[data-testid=timemachine]').dataset.checkpoint))
           .observe(document.querySelector('[data-testid=timemachine]'),
                    {attributes: true, attributeFilter: ['data-checkpoint']})"""
    )
    play = page.get_by_test_id("tm-play")
    play.click()
    expect(play).to_have_attribute("aria-pressed", "true")
    expect(play).to_have_attribute("aria-pressed", "false", timeout=4_000 * len(checkpoints))
    assert seen == [c["name"] for c in checkpoints[:-1]] + ["final"]


def test_model_card_plays_the_filters_and_marks_the_curves(browser, live_server, checkpoints):
    page = open_page(browser, live_server, path="/model")
    player = page.get_by_test_id("tm-filter-player")
    expect(player).to_be_visible()
    slider = page.get_by_test_id("tm-filter-slider")
    assert slider.input_value() == str(len(checkpoints) - 1)
    grids = "[data-testid=card-conv1] canvas, [data-testid=card-conv2] canvas"
    assert page.locator(grids).count() == 6 + 16 * 6
    last = pixels(page, grids)
    slider.fill("0")
    expect(player).to_have_attribute("data-checkpoint", checkpoints[0]["name"])
    first = pixels(page, grids)
    assert first != last
    # one scale per layer over every checkpoint: the legend's limit is the largest |w| of all
    body = httpx.get(f"{live_server}/api/knowledge/checkpoints/weights/conv1?encoding=list").json()
    limit = max(float(np.abs(np.asarray(w)).max()) for w in body["weights"])
    expect(page.get_by_test_id("tm-filter-legend")).to_contain_text(f"+{limit:.2f}")
    slider.fill(str(len(checkpoints) - 1))
    expect(player).to_have_attribute("data-checkpoint", checkpoints[-1]["name"])
    assert pixels(page, grids) == last
    # the curves mark every checkpoint's epoch
    for plot in ("card-loss", "card-acc"):
        xs = page.get_by_test_id(plot).evaluate("d => d.layout.shapes.map(s => s.x0)")
        assert xs == [c["epoch"] for c in checkpoints]
        # named where there is room (crowded early epochs are thinned), the final one always
        labels = page.get_by_test_id(plot).locator(".annotation-text").all_text_contents()
        names = [("init" if c["epoch"] == 0 else str(c["epoch"])) for c in checkpoints]
        assert labels[-1] == names[-1] and len(labels) >= 2
        assert [n for n in names if n in labels] == labels, "in training order"
        boxes = (
            page.get_by_test_id(plot)
            .locator(".annotation-text")
            .evaluate_all(
                "els => els.map(e => e.getBoundingClientRect()).map(b => [b.left, b.right])"
            )
        )
        assert all(a[1] <= b[0] + 1 for a, b in itertools.pairwise(boxes)), "labels overlap"
    play = page.get_by_test_id("tm-filter-play")
    slider.fill("0")
    play.click()
    expect(player).to_have_attribute(
        "data-checkpoint", checkpoints[-1]["name"], timeout=4_000 * len(checkpoints)
    )
    expect(play).to_have_attribute("aria-pressed", "false")
    assert pixels(page, grids) == last
    assert page.console_errors == []
    page.close()


def test_the_time_machine_fits_a_phone(phone, checkpoints):
    slider = phone.get_by_test_id("tm-slider")
    expect(slider).to_be_visible()
    box = slider.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["width"] >= 200
    draw(phone, STROKES[7])
    settle(phone)
    slider.fill("0")
    at(phone, checkpoints[0]["name"])
    for id_ in ("tm-note", "tm-final", "tm-play"):
        b = phone.get_by_test_id(id_).bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= 390, id_
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_test_id("tm-final").click()
    at(phone, "final")


def test_the_filter_player_fits_a_phone(browser, live_server, checkpoints):
    page = open_page(browser, live_server, 390, 844, "/model")
    for id_ in ("tm-filter-play", "tm-filter-slider", "tm-filter-legend"):
        b = page.get_by_test_id(id_).bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= 390, id_
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []
    page.close()


@pytest.fixture(scope="module")
def server_without_checkpoints(tmp_path_factory):
    """The real server on a copy of the weights whose metadata lists no checkpoints."""
    from lenet_vis.assets import WEIGHTS
    from tests.server import running_server

    where = tmp_path_factory.mktemp("weights")
    for f in WEIGHTS.parent.iterdir():  # the weights and every file precomputed for them
        if f.is_file() and not f.name.endswith("-checkpoints.npz"):
            shutil.copy(f, where / f.name)
    meta = json.loads(WEIGHTS.with_suffix(".json").read_text())
    meta.pop("checkpoints", None)
    (where / WEIGHTS.with_suffix(".json").name).write_text(json.dumps(meta))
    old = os.environ.get("LENET_VIS_WEIGHTS")
    os.environ["LENET_VIS_WEIGHTS"] = str(where / WEIGHTS.name)
    try:
        with running_server() as url:
            yield url
    finally:
        if old is None:
            os.environ.pop("LENET_VIS_WEIGHTS")
        else:
            os.environ["LENET_VIS_WEIGHTS"] = old


def test_without_checkpoints_the_slider_is_hidden_with_a_note(browser, server_without_checkpoints):
    page = open_page(browser, server_without_checkpoints)
    expect(page.get_by_test_id("tm-slider")).to_be_hidden()
    expect(page.get_by_test_id("tm-play")).to_be_hidden()
    expect(page.get_by_test_id("tm-label")).to_contain_text("without keeping checkpoints")
    draw(page, STROKES[7])
    settle(page)
    assert page.get_by_test_id("prediction").text_content() == "7"
    model = open_page(browser, server_without_checkpoints, path="/model")
    expect(model.get_by_test_id("tm-filter-player")).to_contain_text("without keeping checkpoints")
    assert model.locator("[data-testid=card-conv1] canvas").count() == 6
    assert page.console_errors == [] and model.console_errors == []
    page.close()
    model.close()
