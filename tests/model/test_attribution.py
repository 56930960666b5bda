"""Attribution maps: gradients against central differences, integrated gradients' completeness,
the batched paths against their naive loops."""

import numpy as np
import pytest

from lenet_vis.model import attribution as A
from lenet_vis.model.train import mnist_to_input


@pytest.fixture(scope="module")
def inputs(digits):
    """The first 20 fixture digits as float64 network inputs (20, 32, 32), and their labels."""
    images, labels = digits
    return mnist_to_input(images[:20])[:, 0].astype(np.float64), labels[:20]


def logits_of(net, batch):
    return net.forward(batch[:, None])["fc3"]


@pytest.mark.parametrize(("index", "target"), [(0, None), (1, None), (2, 3), (3, 8)])
def test_gradient_matches_central_differences_at_every_pixel(net, inputs, index, target):
    # a faint random wash breaks the ties of max pooling over blank background (where the
    # logit has a kink and a central difference averages the two one-sided slopes)
    x = inputs[0][index] + np.random.default_rng(index).random((32, 32)) * 0.01
    target = A.resolve_target(net, x, target)
    grad = A.gradient(net, x, target)
    eps = 1e-8  # small enough that no ReLU or pooling winner flips within it
    bumps = np.eye(1024).reshape(1024, 32, 32) * eps
    hi = logits_of(net, x + bumps)[:, target]
    lo = logits_of(net, x - bumps)[:, target]
    numeric = ((hi - lo) / (2 * eps)).reshape(32, 32)
    assert grad.dtype == np.float64
    assert np.abs(grad).max() > 0.1
    # float64 rounding of a difference over 2e-8 is about 5e-7: atol sits above that noise
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


def test_gradient_x_input_is_the_gradient_on_the_ink_only(net, inputs):
    x = inputs[0][0]
    gxi = A.gradient_x_input(net, x, 7)
    np.testing.assert_array_equal(gxi, A.gradient(net, x, 7) * x)
    assert not gxi[x == 0].any() and gxi[x > 0].any()


@pytest.mark.parametrize("index", range(10))
def test_integrated_gradients_add_up_to_the_logit_difference_within_1_percent(net, inputs, index):
    x = inputs[0][index]
    target = A.resolve_target(net, x, None)
    ig = A.integrated_gradients(net, x, target, steps=64)
    ends = logits_of(net, np.stack([np.zeros_like(x), x]))[:, target]
    assert ig.logit_difference == pytest.approx(ends[1] - ends[0])
    assert ig.attribution_sum == pytest.approx(ig.attributions.sum())
    assert ig.relative_error < 0.01, (index, ig.attribution_sum, ig.logit_difference)


def test_integrated_gradients_come_closer_with_more_steps(net, inputs):
    # on average over 20 digits: one digit's error at 8 steps can land near 0 by luck
    errors = [
        np.mean([A.integrated_gradients(net, x, 0, steps).relative_error for x in inputs[0]])
        for steps in (8, 256)
    ]
    assert errors[1] < errors[0] / 4 and errors[1] < 0.005


def test_integrated_gradients_batched_equal_a_loop_over_steps(net, inputs):
    x = inputs[0][4]
    fast = A.integrated_gradients(net, x, 4, steps=100)  # two chunks of the batch
    slow = A.integrated_gradients_naive(net, x, 4, steps=100)
    np.testing.assert_allclose(fast.attributions, slow.attributions, rtol=1e-9, atol=1e-12)
    assert fast.logit_difference == slow.logit_difference


def test_path_points_split_the_path_and_crowd_near_the_baseline(net, inputs):
    x = inputs[0][0]
    alphas, weights = A.path_points(net, x, np.zeros_like(x), 7, 64)
    bounds = np.concatenate([[0], np.cumsum(weights)])
    assert bounds[-1] == pytest.approx(1)
    assert np.all(weights > 0) and np.all((bounds[:-1] < alphas) & (alphas < bounds[1:] + 1e-12))
    assert (alphas < 0.25).sum() > 32  # most samples where the ReLUs switch on


def test_path_points_on_a_blank_input_are_even(net):
    blank = np.zeros((32, 32))
    _, weights = A.path_points(net, blank, blank, 0, 8)
    np.testing.assert_allclose(weights, 1 / 8)


@pytest.mark.parametrize(
    ("patch", "stride", "fill"),
    [(4, 2, 0.5), (4, 2, 0.0), (5, 3, 0.5), (3, 4, 0.5), (1, 1, 0.5), (32, 1, 0.0)],
)
def test_occlusion_equals_a_plain_loop(net, inputs, patch, stride, fill):
    x = inputs[0][5]
    fast = A.occlusion(net, x, 1, patch, stride, fill)
    slow = A.occlusion_naive(net, x, 1, patch, stride, fill)
    for name in ("drops", "logit_drops", "map", "logit_map"):
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), atol=1e-10)
    np.testing.assert_array_equal(fast.offsets, slow.offsets)
    assert fast.probability == pytest.approx(slow.probability)


def test_occlusion_with_black_over_background_changes_nothing(net, inputs):
    x = inputs[0][0]
    occ = A.occlusion(net, x, 7, 2, 2, 0.0)
    blank = [
        (i, j)
        for i, top in enumerate(occ.offsets)
        for j, left in enumerate(occ.offsets)
        if not x[top : top + 2, left : left + 2].any()
    ]
    assert blank
    assert all(occ.drops[i, j] == 0 and occ.logit_drops[i, j] == 0 for i, j in blank)
    assert occ.logit_drops.max() > 1  # covering the ink costs the 7 something


def test_attribution_maps_returns_what_was_asked_in_order(net, inputs):
    x = inputs[0][0].astype(np.float32)
    out = A.attribution_maps(net, x, 7, ("occlusion", "gradient"))
    assert list(out.maps) == ["gradient", "occlusion"]
    assert out.integrated is None and out.occluded is not None
    assert all(m.shape == (32, 32) and m.dtype == np.float32 for m in out.maps.values())
