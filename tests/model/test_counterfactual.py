"""Change its mind: the result is the target, stays in [0, 1], and costs less ink (L1) than
pasting the mean digit of the target class.

The class means come from the 2,000-digit MNIST *test* fixture (lenet_vis/data): MNIST train is
not available in CI, and any sample of the class gives a fair "paste a typical digit" yardstick.
"""

import numpy as np
import pytest

from lenet_vis.model.counterfactual import counterfactual
from lenet_vis.model.train import mnist_to_input


@pytest.fixture(scope="module")
def fixture_inputs(digits):
    images, labels = digits
    return mnist_to_input(images)[:, 0], labels


@pytest.fixture(scope="module")
def class_means(fixture_inputs):
    x, labels = fixture_inputs
    return np.stack([x[labels == c].mean(axis=0) for c in range(10)])


@pytest.mark.parametrize(("index", "target"), [(0, 1), (0, 3), (1, 8), (2, 7), (3, 6), (4, 9)])
def test_the_change_makes_the_target_and_costs_less_than_pasting_its_mean(
    net, fixture_inputs, class_means, index, target
):
    x = fixture_inputs[0][index]
    assert net.predict(x).argmax() != target
    cf = counterfactual(net, x, target)
    assert cf.reached and cf.prediction == target
    assert net.predict(cf.input).argmax() == target
    assert cf.input.min() >= 0 and cf.input.max() <= 1
    change = np.abs(cf.input - x).sum()
    pasted = np.abs(class_means[target] - x).sum()
    assert 0 < change < pasted / 4, (change, pasted)
    added, removed = cf.ink(x)
    assert added.min() >= 0 and removed.min() >= 0
    np.testing.assert_allclose(added - removed, cf.input - x, atol=1e-7)
    assert cf.steps <= 200 and cf.stopped in ("max_steps", "time")
    assert cf.top_maps and cf.top_maps[0].change == max(
        float(v.max()) for v in cf.map_changes.values()
    )


def test_a_target_it_already_says_needs_no_change(net, fixture_inputs):
    x = fixture_inputs[0][0]
    cf = counterfactual(net, x, int(net.predict(x).argmax()))
    np.testing.assert_array_equal(cf.input, x)
    assert cf.reached and cf.steps == 0 and cf.stopped == "already" and cf.top_maps == []
    added, removed = cf.ink(x)
    assert not added.any() and not removed.any()


def test_the_search_is_deterministic(net, fixture_inputs):
    x = fixture_inputs[0][5]
    one, two = counterfactual(net, x, 2), counterfactual(net, x, 2)
    np.testing.assert_array_equal(one.input, two.input)
    assert one.steps == two.steps


def test_a_blank_input_gains_ink(net):
    blank = np.zeros((32, 32), np.float32)
    target = 1 if net.predict(blank).argmax() != 1 else 0
    cf = counterfactual(net, blank, target)
    added, removed = cf.ink(blank)
    assert cf.reached and added.sum() > 0 and not removed.any()


def test_too_few_steps_report_failure_honestly(net, fixture_inputs):
    x = fixture_inputs[0][0]
    cf = counterfactual(net, x, 1, max_steps=1)
    assert not cf.reached and cf.steps == 1 and cf.prediction != 1
