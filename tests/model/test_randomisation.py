"""Cascading randomisation: top layers re-initialised first, deterministic, the trained network
left alone, and the maps drifting away from the trained ones."""

import numpy as np
import pytest

from lenet_vis.model import randomisation as R
from lenet_vis.model.attribution import attribution_maps
from lenet_vis.model.train import mnist_to_input


@pytest.fixture(scope="module")
def seven(digits):
    return mnist_to_input(digits[0][:1])[0, 0]


def test_each_stage_randomises_one_more_layer_from_the_top(net):
    stages = R.randomised_networks(net, seed=1)
    assert [names for names, _ in stages] == [
        [],
        ["fc3"],
        ["fc3", "fc2"],
        ["fc3", "fc2", "fc1"],
        ["fc3", "fc2", "fc1", "conv2"],
        ["fc3", "fc2", "fc1", "conv2", "conv1"],
    ]
    for names, stage in stages:
        for layer in ("conv1", "conv2", "fc1", "fc2", "fc3"):
            same = np.array_equal(stage.layers[layer].params["W"], net.layers[layer].params["W"])
            assert same == (layer not in names), (names, layer)


def test_randomisation_is_deterministic_and_leaves_the_trained_network_alone(net, seven):
    before = {k: v.copy() for k, v in net.state().items()}
    one = R.cascading_randomisation(net, seven, 7, ("gradient",), seed=3)
    two = R.cascading_randomisation(net, seven, 7, ("gradient",), seed=3)
    other = R.cascading_randomisation(net, seven, 7, ("gradient",), seed=4)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a.maps["gradient"], b.maps["gradient"])
    assert not np.array_equal(one[-1].maps["gradient"], other[-1].maps["gradient"])
    assert all(np.array_equal(before[k], v) for k, v in net.state().items())


def test_the_trained_stage_equals_the_plain_maps_and_later_stages_drift(net, seven):
    stages = R.cascading_randomisation(
        net, seven, 7, ("gradient", "integrated_gradients"), steps=16
    )
    plain = attribution_maps(net, seven, 7, ("gradient", "integrated_gradients"), steps=16)
    np.testing.assert_array_equal(stages[0].maps["gradient"], plain.maps["gradient"])
    assert stages[0].similarity == {"gradient": 1.0, "integrated_gradients": 1.0}
    assert stages[0].prediction == 7
    assert stages[-1].similarity["gradient"] < 0.6  # nothing learned is left


def test_rank_correlation(net):
    rng = np.random.default_rng(0)
    a = rng.random((32, 32))
    assert R.rank_correlation(a, a) == pytest.approx(1)
    assert R.rank_correlation(a, -2 * a) == pytest.approx(1)  # absolute values
    assert R.rank_correlation(a, 1 / (a + 1)) == pytest.approx(-1)
    assert R.rank_correlation(a, np.zeros((32, 32))) == 0
