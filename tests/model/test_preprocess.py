"""Preprocessing: MNIST conventions, invariance to placement, size and stroke width."""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from lenet_vis.model.preprocess import image_to_ink, is_blank, to_network_input
from lenet_vis.model.train import mnist_to_input


def canvas_with(digit: np.ndarray, top: int, left: int, scale: float, size=280) -> np.ndarray:
    """Place an upscaled uint8 digit on a black canvas."""
    img = Image.fromarray(digit).resize((round(28 * scale),) * 2, Image.Resampling.BICUBIC)
    canvas = np.zeros((size, size), np.uint8)
    arr = np.asarray(img)[: size - top, : size - left]
    canvas[top : top + arr.shape[0], left : left + arr.shape[1]] = arr
    return canvas


def test_output_is_32x32_in_unit_range_with_ink_centred(digits):
    x = to_network_input(canvas_with(digits[0][0], 40, 90, 6))
    assert x.shape == (32, 32) and x.dtype == np.float32
    assert x.min() >= 0 and np.isclose(x.max(), 1)
    ys, xs = np.indices(x.shape)
    assert abs((ys * x).sum() / x.sum() - 16) <= 0.5 and abs((xs * x).sum() / x.sum() - 16) <= 0.5
    rows = np.flatnonzero(x.max(axis=1) > 0.1)
    cols = np.flatnonzero(x.max(axis=0) > 0.1)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (19, 20, 21)
    assert x[:2].max() == 0 and x[-2:].max() == 0  # MNIST's 2-pixel pad stays empty


def test_the_same_digit_shifted_gives_the_same_input(digits):
    a = to_network_input(canvas_with(digits[0][3], 10, 10, 4))
    b = to_network_input(canvas_with(digits[0][3], 120, 150, 4))
    assert np.abs(a - b).max() < 1e-5


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0, 3.0])
def test_the_same_digit_scaled_gives_nearly_the_same_input(digits, scale):
    base = to_network_input(canvas_with(digits[0][1], 20, 20, 4, size=400))
    other = to_network_input(canvas_with(digits[0][1], 20, 20, 4 * scale, size=400))
    assert np.abs(base - other).mean() < 0.04


def test_thicker_strokes_give_nearly_the_same_input(digits, net):
    thin = canvas_with(digits[0][0], 20, 20, 8)
    thick = np.asarray(Image.fromarray(thin).filter(ImageFilter.MaxFilter(9)))
    a, b = to_network_input(thin), to_network_input(thick)
    assert np.abs(a - b).mean() < 0.1
    assert net.predict(a).argmax() == net.predict(b).argmax() == digits[1][0]


def test_mnist_digits_through_preprocessing_keep_99_percent(net, digits):
    images, labels = digits
    x = np.stack([to_network_input(d) for d in images])[:, None]
    accuracy = (net.predict(x).argmax(axis=1) == labels).mean()
    assert accuracy >= 0.99, accuracy
    assert np.abs(x - mnist_to_input(images)).mean() < 0.01  # MNIST already follows the rules


def test_blank_images_are_reported_and_give_zeros():
    for blank in (np.zeros((280, 280)), np.full((50, 80), 5.0)):
        assert is_blank(blank)
        x = to_network_input(blank)
        assert not x.any() and np.isfinite(x).all()
    assert not is_blank(np.pad(np.full((3, 3), 255.0), 10))


def test_a_single_dot_does_not_crash():
    ink = np.zeros((100, 100))
    ink[50, 50] = 255
    x = to_network_input(ink)
    assert np.isfinite(x).all() and x.max() == 1


def draw_seven(mode: str, ink, paper, size=(120, 120)):
    img = Image.new(mode, size, paper)
    d = ImageDraw.Draw(img)
    d.line([(20, 20), (100, 20), (50, 110)], fill=ink, width=10)
    return img


def test_decoded_images_of_every_mode_give_the_same_input():
    reference = to_network_input(image_to_ink(draw_seven("L", 255, 0)))
    cases = [
        draw_seven("L", 0, 255),  # dark ink on white paper: inverted
        draw_seven("RGB", (255, 255, 255), (0, 0, 0)),
        draw_seven("RGB", (0, 0, 0), (255, 255, 255)),
        draw_seven("RGBA", (0, 0, 0, 255), (0, 0, 0, 0)),  # black ink on transparent
        draw_seven("RGBA", (255, 255, 255, 255), (255, 255, 255, 0)),  # white ink, transparent
    ]
    for img in cases:
        assert np.abs(to_network_input(img) - reference).max() < 0.02, img.mode


def test_pixel_arrays_with_colour_channels_are_accepted():
    rgb = np.asarray(draw_seven("RGB", (0, 0, 0), (255, 255, 255)))
    assert np.abs(to_network_input(rgb) - to_network_input(draw_seven("L", 255, 0))).max() < 0.02


def test_bad_ink_is_refused_clearly():
    with pytest.raises(ValueError, match="2-D"):
        to_network_input(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match="NaN"):
        to_network_input(np.array([[0.0, np.nan]]))


def test_drawing_style_digits_keep_98_percent(net, digits):
    """Fixture digits drawn as in a browser (random place, height 80-250 px, stroke width)."""
    from lenet_vis.model.evaluate import drawing_style_inputs

    images, labels = digits
    x = drawing_style_inputs(images, seed=1)
    accuracy = (net.predict(x).argmax(axis=1) == labels).mean()
    assert accuracy >= 0.98, accuracy


def test_network_input_is_the_one_path_with_one_blank_rule(digits):
    from lenet_vis.model.preprocess import BLANK_MAX, network_input

    ink = canvas_with(digits[0][0], 40, 90, 6)
    inp = network_input(ink)
    assert np.array_equal(inp.x, to_network_input(ink)) and inp.blank is False
    # preprocess off: 28x28 is padded by 2, 32x32 taken as is, both scaled to 0-1
    off = network_input(digits[0][0], preprocess=False)
    assert np.array_equal(off.x[2:30, 2:30], digits[0][0] / np.float32(255))
    assert off.x[:2].max() == 0 and off.blank is False
    padded = np.pad(digits[0][0], 2)
    assert np.array_equal(network_input(padded, preprocess=False).x, off.x)
    with pytest.raises(ValueError, match="28x28 or 32x32"):
        network_input(np.zeros((30, 30)), preprocess=False)
    # the same rule with preprocessing on and off: brightest ink under 16 of 255 is blank
    for peak, blank in [(BLANK_MAX - 1, True), (BLANK_MAX, False)]:
        faint = np.zeros((28, 28))
        faint[10:18, 12:15] = peak
        assert network_input(faint).blank is blank
        assert network_input(faint, preprocess=False).blank is blank
        assert is_blank(faint) is blank
        assert network_input(faint).x.any() is not blank
