"""An image opened from a file is part of the link: a reopened link shows the same image on the
pad (with the strokes drawn over it) and gets the same prediction and input layer."""

import io
from urllib.parse import urlsplit

import numpy as np
from PIL import Image

from lenet_vis.assets import SAMPLES
from tests.browser.conftest import open_page
from tests.browser.drawing import draw, settle


def scanned_png(index=0, side=112, noise=0) -> bytes:
    """An MNIST test digit (index 0 is a 7) as dark ink on light paper, `side` pixels square,
    with uniform paper noise of up to `noise` grey levels."""
    image = 255 - np.load(SAMPLES)["images"][index]
    image = np.asarray(Image.fromarray(image).resize((side, side)), dtype=np.int32)
    if noise:
        image = image - np.random.default_rng(0).integers(0, noise + 1, image.shape)
    out = io.BytesIO()
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


def open_image(page, tmp_path, png: bytes, name="seven.png"):
    path = tmp_path / name
    path.write_bytes(png)
    page.get_by_test_id("open-image").set_input_files(str(path))
    page.wait_for_function("() => document.querySelector('[data-testid=prediction]').textContent")
    settle(page)


def pad_export(page):
    """The pad's ink as it goes to the server: 140x140 grey bytes."""
    return page.evaluate(
        """async () => {
          const { inkFromRGBA } = await import('/static/js/live.js');
          const pad = document.querySelector('[data-testid=draw-pad]');
          const c = document.createElement('canvas');
          c.width = c.height = 140;
          const ctx = c.getContext('2d');
          ctx.imageSmoothingQuality = 'high';
          ctx.drawImage(pad, 0, 0, 140, 140);
          return Array.from(inkFromRGBA(ctx.getImageData(0, 0, 140, 140).data));
        }"""
    )


def reopen(browser, live_server, page):
    url = page.evaluate("location.href")
    again = open_page(browser, live_server, path="/" + url.split("/", 3)[3])
    settle(again)
    return again


def same_answer(a, b):
    assert a["prediction"] == b["prediction"]
    np.testing.assert_array_equal(np.ravel(a["layers"]["input"]), np.ravel(b["layers"]["input"]))
    np.testing.assert_allclose(a["probabilities"], b["probabilities"], rtol=1e-5, atol=1e-7)


def test_a_link_reopens_an_opened_image(page, browser, live_server, tmp_path):
    open_image(page, tmp_path, scanned_png(0))
    page.wait_for_function("() => location.hash.includes('i=')")
    first = page.answers.last()
    assert first["prediction"] == 7
    assert np.asarray(first["layers"]["input"]).max() > 0.5  # the image's ink reached the network
    ink = pad_export(page)
    page.get_by_test_id("copy-link").click()
    note = page.get_by_test_id("link-note")
    page.wait_for_function("e => e.textContent", arg=note.element_handle())
    assert note.text_content() in ("Link copied.", "Copy the address bar: it holds this view.")
    assert len(urlsplit(page.url).fragment) <= 24_000 + 100
    again = reopen(browser, live_server, page)
    assert again.get_by_test_id("prediction").text_content() == "7"
    assert again.get_by_test_id("sample-label").text_content() == "Your image (from the link)"
    assert again.get_by_test_id("error").text_content() == ""
    assert pad_export(again) == ink  # the very pixels the first page sent
    same_answer(again.answers.last(), first)
    assert again.console_errors == []
    again.close()


def test_strokes_over_an_image_come_back_and_clear_drops_it(page, browser, live_server, tmp_path):
    open_image(page, tmp_path, scanned_png(2))  # a 1
    draw(page, [[(60, 60), (220, 60)], [(210, 60), (140, 240)]])  # a 7 drawn over it
    settle(page)
    page.wait_for_function("() => location.hash.includes('i=') && location.hash.includes('d=')")
    first = page.answers.last()
    ink = pad_export(page)
    again = reopen(browser, live_server, page)
    assert pad_export(again) == ink
    same_answer(again.answers.last(), first)
    again.close()
    for _ in range(2):  # the two strokes go first, the image stays
        page.get_by_test_id("undo").click()
    page.wait_for_function("() => location.hash.includes('i=') && !location.hash.includes('d=')")
    page.get_by_test_id("clear").click()
    page.wait_for_function("() => !location.hash.includes('i=')")


def test_a_damaged_image_field_is_refused_with_a_reason(browser, live_server):
    page = open_page(browser, live_server, path="/#v=2d&i=AYwAAAAAAAAAAAAAAAAAAAAA&n=layer")
    settle(page)
    error = page.get_by_test_id("error").text_content()
    assert "the image in the link was ignored" in error, error
    assert "does not inflate" in error or "not 140x140" in error, error
    assert page.get_by_test_id("normalise").is_checked()  # the rest of the link still holds
    assert page.get_by_test_id("prediction").text_content() == ""
    assert page.console_errors == []
    page.close()


def test_an_image_too_detailed_for_a_link_is_left_out_and_said_so(page, tmp_path):
    noise = np.random.default_rng(1).integers(0, 256, (140, 140), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).save(out, format="PNG")
    open_image(page, tmp_path, out.getvalue(), name="noise.png")
    assert "too detailed to go in a link" in page.get_by_test_id("sample-label").text_content()
    page.get_by_test_id("copy-link").click()
    note = page.get_by_test_id("link-note")
    page.wait_for_function("e => e.textContent", arg=note.element_handle())
    assert "without your image: it is too detailed for a link." in note.text_content()
    assert "i=" not in urlsplit(page.url).fragment
