"""Ablation: a switched-off filter's map is zero and every later layer equals the network with
that filter's weights and bias at zero; the batched ranking equals 22 such networks."""

import numpy as np
import pytest

from lenet_vis.model import ablation as B
from lenet_vis.model.attribution import logit_gradients
from lenet_vis.model.train import mnist_to_input

AFTER = {"conv1": "relu1", "conv2": "relu2", "fc1": "relu3", "fc2": "relu4"}
ORDER = ["input", "conv1", "relu1", "pool1", "conv2", "relu2", "pool2"]
ORDER += ["fc1", "relu3", "fc2", "relu4", "fc3", "softmax"]


@pytest.fixture(scope="module")
def inputs(digits):
    return mnist_to_input(digits[0][:4])[:, 0]


@pytest.mark.parametrize(
    "off",
    [
        {"conv1": [0]},
        {"conv1": [5]},
        {"conv2": [3]},
        {"conv2": [15]},
        {"fc1": [7]},
        {"fc2": [99]},
        {"conv1": [1, 2], "conv2": [0, 9, 10], "fc1": [0, 119], "fc2": [50]},
    ],
)
def test_an_ablated_unit_is_zero_and_every_later_layer_equals_zeroed_weights(net, inputs, off):
    x = inputs[0]
    out = B.ablate(net, x, off)
    reference = B.zeroed_network(net, off).forward(x)
    for name, units in off.items():
        assert not out[name][units].any() and not out[AFTER[name]][units].any()
        assert out[name].any()  # the others still work
    first = ORDER.index(min(off, key=ORDER.index))
    for name in ORDER:
        np.testing.assert_allclose(out[name], reference[name], atol=1e-5, err_msg=name)
        if ORDER.index(name) < first:  # earlier layers are untouched
            np.testing.assert_array_equal(out[name], net.forward(x)[name])
    plain = net.forward(x)
    if any(plain[AFTER[name]][units].any() for name, units in off.items()):  # was it working?
        assert not np.allclose(out["fc3"], plain["fc3"])


def test_the_backward_pass_respects_the_masks(net, inputs):
    x = inputs[1].astype(np.float64)[None, None]
    off = {"conv1": [2], "conv2": [4, 5], "fc2": [3]}
    _, grad = logit_gradients(net, x, 2, B.ablation_masks(off))
    _, reference = logit_gradients(B.zeroed_network(net, off), x, 2)
    np.testing.assert_allclose(grad, reference, atol=1e-10)


def test_the_ranking_equals_22_zeroed_networks(net, inputs):
    x = inputs[0]
    base, effects = B.filter_ranking(net, x, 7)
    naive_base, naive = B.filter_ranking_naive(net, x, 7)
    assert len(effects) == 22
    assert base == pytest.approx(float(net.forward(x)["fc3"][7]), abs=1e-5)
    assert base == pytest.approx(naive_base, abs=1e-5)
    assert [(e.layer, e.index) for e in effects] == [(e.layer, e.index) for e in naive]
    for fast, slow in zip(effects, naive, strict=True):
        assert fast.drop == pytest.approx(slow.drop, abs=1e-4)
        assert fast.probability == pytest.approx(slow.probability, abs=1e-5)
        assert fast.prediction == slow.prediction
    drops = [e.drop for e in effects]
    assert drops == sorted(drops, reverse=True) and drops[0] > 0


def test_the_ranking_builds_on_filters_already_off(net, inputs):
    x = inputs[2]
    off = {"conv2": [1], "fc1": [10]}
    base, effects = B.filter_ranking(net, x, 1, off)
    naive_base, naive = B.filter_ranking_naive(net, x, 1, off)
    assert base == pytest.approx(naive_base, abs=1e-5)
    assert {(e.layer, e.index): round(e.drop, 3) for e in effects} == {
        (e.layer, e.index): round(e.drop, 3) for e in naive
    }
    assert next(e for e in effects if (e.layer, e.index) == ("conv2", 1)).drop == 0


@pytest.mark.parametrize(
    ("off", "message"),
    [({"conv1": [6]}, "0-5"), ({"conv2": [-1]}, "0-15"), ({"fc3": [0]}, "only")],
)
def test_ablation_masks_refuse_units_that_do_not_exist(off, message):
    with pytest.raises(ValueError, match=message):
        B.ablation_masks(off)
