"""The font set: skeletons, a round brush, the same preprocessing as a drawing."""

import numpy as np
import pytest

from lenet_vis.model import fonts


@pytest.fixture(scope="module")
def one_font():
    found = fonts.usable_fonts(fonts.find_fonts())
    if not found:
        pytest.skip("no TrueType/OpenType font with digits installed")
    dejavu = [f for f in found if f.name == "DejaVuSans.ttf"]
    return (dejavu or found)[0]


def test_the_skeleton_of_a_thick_bar_is_its_one_pixel_midline():
    bar = np.zeros((21, 60), bool)
    bar[5:16, 5:55] = True
    sk = fonts.skeleton(bar)
    assert sk[:, 15:45].sum(axis=0).tolist() == [1] * 30  # one pixel a column along the middle
    assert np.flatnonzero(sk[:, 30]).tolist() == [10]
    assert not (sk & ~bar).any()


def test_the_skeleton_of_a_ring_stays_a_closed_loop():
    yy, xx = np.mgrid[0:61, 0:61]
    r = np.hypot(yy - 30, xx - 30)
    sk = fonts.skeleton((r >= 15) & (r <= 25))
    assert sk[30].sum() == 2 and sk[:, 30].sum() == 2  # crosses each axis twice
    assert np.abs(r[sk] - 20).max() <= 1.5


def test_a_glyph_is_drawn_with_a_round_brush_inside_the_canvas(one_font):
    pts = fonts.stroke_points(one_font, 7)
    assert pts.shape[1] == 2 and len(pts) > 50
    assert np.isclose(np.ptp(pts[:, 0]), 1)  # height 1
    canvas = fonts.draw_digit(pts, np.random.default_rng(0))
    assert canvas.shape == (280, 280) and canvas.dtype == np.uint8
    rows = np.flatnonzero(canvas.max(axis=1))
    assert fonts.HEIGHTS[0] <= rows[-1] - rows[0] <= fonts.HEIGHTS[1] + fonts.BRUSH[1] + 2
    assert set(np.unique(canvas)) <= {0, 255}


def test_a_small_font_set_is_deterministic_and_read_by_the_network(one_font, net):
    x, labels, names = fonts.font_set(60, seed=3, fonts=[one_font])
    assert x.shape == (60, 1, 32, 32) and labels.tolist() == list(range(10)) * 6
    assert set(names) == {one_font.name}
    assert np.allclose(x.max(axis=(1, 2, 3)), 1)
    again, _, _ = fonts.font_set(60, seed=3, fonts=[one_font])
    assert np.array_equal(x, again)
    assert (net.predict(x).argmax(axis=1) == labels).mean() >= 0.8


def test_no_font_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="fonts-dejavu-core"):
        fonts.font_set(10, fonts=[])
    assert fonts.find_fonts([tmp_path]) == []
